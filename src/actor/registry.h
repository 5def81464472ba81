// The actors one shard owns, by address. Touched only on that shard's thread (the resolver says
// which shard owns an address, so no two shards ever hold the same entry); other shards reach an
// actor by posting to its owner. Entries outlive the shard's isolate: when a bundle's isolate is
// discarded, the registry still knows which actors lived there and restarts them by policy.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
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
    std::string_view cls;  // interned: valid as long as the registry
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
  size_t size() const { return named_.size() + spawned_.size(); }
  ActorMetrics& metrics() { return metrics_; }
  const ActorMetrics& metrics() const { return metrics_; }

 private:
  void Notify(ActorEventKind kind, std::string_view address, std::string_view detail);
  // The entry of `address` in whichever table holds it; Insert adds an empty one when missing.
  Entry* Lookup(const std::string& address) const;
  std::pair<Entry*, bool> Insert(const std::string& address);
  void Erase(const std::string& address);
  std::string_view Intern(std::string_view text);

  // A spawned name ("bundle/Class/~" + nonce + MAC) as the flat table keys it.
  struct SpawnedKey {
    std::string_view bundle, cls;
    uint64_t nonce = 0;
    std::array<uint8_t, 12> mac{};
  };
  static std::optional<SpawnedKey> ParseSpawned(std::string_view address);

  // Spawned actors are nearly all of a node's actors (a benchmark spawns a million), so they live
  // in an open-addressing table keyed by their random nonce — 12-byte slots, linear probing,
  // backward-shift deletion — over entries kept in fixed-size chunks (stable addresses, reused
  // through a free list): no node, key string or bucket per actor, one probe and one entry per
  // lookup. Named actors keep a map keyed by address.
  class SpawnedTable {
   public:
    struct Item {
      SpawnedKey key;
      Entry entry;
      bool used = false;
    };
    Item* Find(const SpawnedKey& key) const;
    std::pair<Item*, bool> Insert(const SpawnedKey& key);
    void Erase(const SpawnedKey& key);
    size_t size() const { return count_; }
    template <typename F>
    void ForEach(F&& f) const {
      for (uint32_t i = 0; i < next_; ++i) {
        const Item& item = At(i);
        if (item.used) f(item);
      }
    }

   private:
    static constexpr uint32_t kChunk = 4096;
    struct Slot {
      uint64_t nonce;
      uint32_t item;  // index + 1; 0 = empty
    } __attribute__((packed));
    Item& At(uint32_t i) const { return chunks_[i / kChunk][i % kChunk]; }
    size_t Home(uint64_t nonce) const;
    bool Matches(const Slot& slot, const SpawnedKey& key) const;
    void Grow();

    std::vector<Slot> slots_;  // a power of two, at most half full
    std::vector<std::unique_ptr<Item[]>> chunks_;
    std::vector<uint32_t> free_;
    uint32_t next_ = 0;  // items ever handed out (free_ holds the returned ones)
    size_t count_ = 0;
  };

  int shard_;
  ActorObserver* observer_;
  std::unordered_map<std::string, Entry> named_;
  SpawnedTable spawned_;
  std::deque<std::string> interned_;  // class and bundle names, for the entries' views
  ActorMetrics metrics_;
};

}  // namespace mar::actor
