#include "actor/registry.h"

namespace mar::actor {

const char* ActorEventName(ActorEventKind kind) {
  switch (kind) {
    case ActorEventKind::kSpawned: return "spawned";
    case ActorEventKind::kStopped: return "stopped";
    case ActorEventKind::kCrashed: return "crashed";
    case ActorEventKind::kRestarted: return "restarted";
    case ActorEventKind::kGaveUp: return "gave up";
  }
  return "?";
}

void Registry::Notify(ActorEventKind kind, std::string_view address, std::string_view detail) {
  if (observer_) observer_->OnActorEvent(shard_, kind, address, detail);
}

std::optional<Registry::Refusal> Registry::Activate(const std::string& address, std::string_view cls, bool spawned,
                                                    std::shared_ptr<const NarrowedCapabilities> capabilities,
                                                    bool explicit_spawn) {
  auto [it, inserted] = entries_.try_emplace(address);  // one lookup for the common, new case
  Entry& entry = it->second;
  if (!inserted) {
    if (entry.state == State::kLive || entry.state == State::kRestarting) {
      if (explicit_spawn) return Refusal{"invalid_argument", "actor " + address + " already exists"};
      return std::nullopt;  // already there: nothing to do
    }
    if (Clock::now() < entry.failed_until) {
      return Refusal{"crashed", "actor " + address +
                                    " crashed and its restart policy gave up; it can be activated again once its "
                                    "class's restartWindowMs has passed"};
    }
    entry = Entry{};
  }
  entry.cls = cls;
  entry.spawned = spawned;
  entry.capabilities = std::move(capabilities);
  metrics_.live.fetch_add(1, std::memory_order_relaxed);
  metrics_.spawned.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kSpawned, address, cls);
  return std::nullopt;
}

void Registry::Remove(const std::string& address, std::string_view detail) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  if (it->second.state != State::kFailed) metrics_.live.fetch_sub(1, std::memory_order_relaxed);
  entries_.erase(it);
  metrics_.stopped.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kStopped, address, detail);
}

RestartDecision Registry::Crash(const std::string& address, std::string_view detail,
                                const caps::ActorClassConfig& config, bool crashed) {
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.state == State::kFailed) return {};
  Entry& entry = it->second;
  if (crashed) {
    metrics_.crashed.fetch_add(1, std::memory_order_relaxed);
    Notify(ActorEventKind::kCrashed, address, detail);
  }
  if (!entry.history) entry.history = std::make_unique<RestartHistory>();
  RestartDecision decision = entry.history->Next(Clock::now(), config, crashed);
  if (decision.restart) {
    entry.state = State::kRestarting;
    return decision;
  }
  if (!crashed) {
    Remove(address, detail);
    return decision;
  }
  // Not restarted: the address stays failed for a window, so a crash loop cannot go on through
  // activation on first use either.
  entry.state = State::kFailed;
  entry.failed_until = Clock::now() + std::chrono::milliseconds(config.restart_window_ms);
  metrics_.live.fetch_sub(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kGaveUp, address,
         decision.gave_up ? "restart limit reached (classes." + entry.cls + ".maxRestarts)"
                          : std::string("restart policy \"") + caps::RestartPolicyName(config.restart) + "\"");
  return decision;
}

void Registry::Restarted(const std::string& address) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  it->second.state = State::kLive;
  metrics_.restarts.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kRestarted, address, "");
}

const Registry::Entry* Registry::Find(const std::string& address) const {
  auto it = entries_.find(address);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::LiveAddresses() const {
  std::vector<std::string> live;
  for (const auto& [address, entry] : entries_) {
    if (entry.state == State::kLive) live.push_back(address);
  }
  return live;
}

}  // namespace mar::actor
