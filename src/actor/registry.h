// The actors one shard owns, by address. Touched only on that shard's thread (the resolver says
// which shard owns an address, so no two shards ever hold the same entry); other shards reach an
// actor by posting to its owner. Entries outlive the shard's isolate: when a bundle's isolate is
// discarded, the registry still knows which actors lived there and restarts them by policy.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actor/supervision.h"
#include "caps/capabilities.h"

namespace mar::actor {

enum class ActorEventKind : uint8_t { kSpawned, kStopped, kCrashed, kRestarted, kGaveUp };
const char* ActorEventName(ActorEventKind kind);

// Lifecycle observers (logs, metrics); called on the owning shard's thread.
class ActorObserver {
 public:
  virtual ~ActorObserver() = default;
  virtual void OnActorEvent(int shard, ActorEventKind kind, std::string_view address, std::string_view detail) = 0;
};

// Counters and gauges one shard keeps; readers on other threads load them relaxed.
struct ActorMetrics {
  std::atomic<int64_t> live{0};
  std::atomic<uint64_t> spawned{0};
  std::atomic<uint64_t> stopped{0};
  std::atomic<uint64_t> crashed{0};
  std::atomic<uint64_t> restarts{0};
};

// A capability set narrower than the bundle's, for actors spawned with one.
struct NarrowedCapabilities {
  caps::CapabilitySet set;
  std::string json;  // what the built-in JS builds the actor's env from
};

class Registry {
 public:
  Registry(int shard, ActorObserver* observer) : shard_(shard), observer_(observer) {}

  enum class State : uint8_t { kLive, kRestarting, kFailed };
  struct Entry {
    std::string cls;
    bool spawned = false;
    State state = State::kLive;
    std::shared_ptr<const NarrowedCapabilities> capabilities;  // null: the bundle's own
    std::unique_ptr<RestartHistory> history;  // created on the first crash
    Clock::time_point failed_until{};
  };

  // An actor is being activated (first use, spawn, or a restart). Fails with an ActorError code
  // and message: "crashed" while a failed actor's window lasts, "invalid_argument" for a
  // spawn of a name that is live.
  struct Refusal {
    std::string code;
    std::string message;
  };
  std::optional<Refusal> Activate(const std::string& address, std::string_view cls, bool spawned,
                                  std::shared_ptr<const NarrowedCapabilities> capabilities, bool explicit_spawn);
  // The actor stopped for good (its own stop(), node shutdown, or a policy that does not restart).
  void Remove(const std::string& address, std::string_view detail);
  // The actor failed; returns what supervision decided. The entry stays (restarting or failed).
  RestartDecision Crash(const std::string& address, std::string_view detail, const caps::ActorClassConfig& config,
                        bool crashed = true);
  // A scheduled restart ran (successfully activated again).
  void Restarted(const std::string& address);

  const Entry* Find(const std::string& address) const;
  // Addresses of the actors that are live (for an isolate's discard, and shutdown).
  std::vector<std::string> LiveAddresses() const;
  size_t size() const { return entries_.size(); }
  ActorMetrics& metrics() { return metrics_; }
  const ActorMetrics& metrics() const { return metrics_; }

 private:
  void Notify(ActorEventKind kind, std::string_view address, std::string_view detail);

  int shard_;
  ActorObserver* observer_;
  std::unordered_map<std::string, Entry> entries_;
  ActorMetrics metrics_;
};

}  // namespace mar::actor
