#include "actor/supervision.h"

#include <algorithm>

namespace mar::actor {

RestartDecision RestartHistory::Next(Clock::time_point now, const caps::ActorClassConfig& config, bool crashed) {
  using caps::RestartPolicy;
  if (config.restart == RestartPolicy::kNever || (!crashed && config.restart != RestartPolicy::kAlways)) return {};
  auto window = std::chrono::milliseconds(config.restart_window_ms);
  std::erase_if(restarts_, [&](Clock::time_point at) { return now - at >= window; });
  if (restarts_.size() >= config.max_restarts) return {.restart = false, .delay = {}, .gave_up = true};
  // The first restart in a window waits backoffMs, each further one twice as long, up to the cap.
  uint64_t delay = config.backoff_ms;
  for (size_t i = 0; i < restarts_.size() && delay < config.max_backoff_ms; ++i) delay *= 2;
  delay = std::min<uint64_t>(delay, config.max_backoff_ms);
  restarts_.push_back(now);
  return {.restart = true, .delay = std::chrono::milliseconds(delay), .gave_up = false};
}

}  // namespace mar::actor
