// Restart decisions, OTP style: a per-class policy (never / on-failure / always), at most
// maxRestarts restarts within restartWindowMs, and an exponential backoff between them.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "caps/manifest.h"

namespace mar::actor {

using Clock = std::chrono::steady_clock;

struct RestartDecision {
  bool restart = false;
  std::chrono::milliseconds delay{0};
  bool gave_up = false;  // the policy allowed restarts, but the window's budget is spent
};

// The restarts of one actor within its class's window.
class RestartHistory {
 public:
  // `crashed`: true for a failure, false for an actor that stopped itself (restarted only by
  // `always`).
  RestartDecision Next(Clock::time_point now, const caps::ActorClassConfig& config, bool crashed);
  size_t restarts_in_window() const { return restarts_.size(); }

 private:
  std::vector<Clock::time_point> restarts_;  // oldest first, only those inside the window
};

}  // namespace mar::actor
