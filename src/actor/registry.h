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

#include "actor/ids.h"
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
  // The minter makes and reads the names of spawned actors; it must outlive the registry.
  Registry(int shard, ActorObserver* observer, const IdMinter& minter)
      : shard_(shard), observer_(observer), minter_(minter) {}

  enum class State : uint8_t { kLive, kRestarting, kFailed };
  struct Failures {
    RestartHistory history;
    Clock::time_point failed_until{};  // while kFailed: until then it cannot be activated
  };
  struct Entry {
    std::string_view cls;  // interned: valid as long as the registry
    bool spawned = false;
    State state = State::kLive;
    std::shared_ptr<const NarrowedCapabilities> capabilities;  // null: the bundle's own
    std::unique_ptr<Failures> failures;  // created on the first crash
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
  // Registers a new spawned actor of `bundle`/`cls` and mints its name (with `placement`, see
  // LocalResolver::Placement); returns its address and its serial, or nothing once this shard has
  // used up its 2^48 serials (at a million spawns a second, after nine years).
  struct Spawned {
    std::string address;
    uint64_t serial = 0;
  };
  std::optional<Spawned> Spawn(std::string_view bundle, std::string_view cls, uint16_t placement,
                               std::shared_ptr<const NarrowedCapabilities> capabilities);
  // The serial of a spawned name minted by this node's minter, whether or not the actor lives; -1
  // for any other name.
  int64_t SerialOf(std::string_view address) const;
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
  size_t spawned_chunks() const { return spawned_.chunks(); }  // memory held for spawned actors
  ActorMetrics& metrics() { return metrics_; }
  const ActorMetrics& metrics() const { return metrics_; }

 private:
  void Notify(ActorEventKind kind, std::string_view address, std::string_view detail);
  // The entry of `address` in whichever table holds it, and for a spawned one its serial (so that
  // erasing it does not parse and decipher the name again). Insert adds an empty named entry.
  struct Located {
    Entry* entry = nullptr;
    bool spawned = false;
    uint64_t serial = 0;
  };
  Located Locate(const std::string& address) const;
  Entry* Lookup(const std::string& address) const { return Locate(address).entry; }
  std::pair<Entry*, bool> Insert(const std::string& address);
  void Erase(const std::string& address, const Located& located);
  // Counts and announces an actor just registered.
  void Registered(std::string_view address, std::string_view cls);
  // Class and bundle names, kept once: an index into interned_, or a view of the kept copy.
  uint16_t InternIndex(std::string_view text);
  std::string_view Intern(std::string_view text) { return interned_[InternIndex(text)]; }
  // Erases the spawned entries whose restart policy gave up and whose window has passed.
  void ForgetExpired(Clock::time_point now);

  // A spawned name ("bundle/Class/~" + nonce + MAC), taken apart.
  struct SpawnedKey {
    std::string_view bundle, cls;
    uint64_t nonce = 0;
    std::array<uint8_t, IdMinter::kMacBytes> mac{};
  };
  static std::optional<SpawnedKey> ParseSpawned(std::string_view address);
  Located LocateSpawned(const SpawnedKey& key) const;

  // Spawned actors are nearly all of a node's actors (a benchmark spawns a million), so they are
  // found by their serial, which their name carries enciphered (IdMinter::NonceFor): chunks of
  // 1,024 items in spawn order, reached through a small map of the chunks that hold an actor.
  // Spawning appends; a lookup deciphers the nonce and loads one item; no name is hashed and no
  // table probed (that probe, a cache miss at a million actors, and the JS side's equivalent were
  // a quarter of a spawn). Serials are never reused, so an old name finds nothing once its actor
  // is gone. A chunk is freed with its last actor, unless spawns are still filling it (so that
  // spawning and stopping one actor at a time does not make a chunk each time); an actor that
  // outlives its neighbours keeps ~72 KB of chunk.
  class SpawnedTable {
   public:
    struct Item {
      uint64_t nonce = 0;
      std::array<uint8_t, IdMinter::kMacBytes> mac{};
      uint16_t bundle = 0;  // index into the registry's interned names
      bool used = false;
      Entry entry;
    };
    Item* Find(uint64_t serial) const;
    // `serial` must be new: the registry hands them out in order.
    Item& Add(uint64_t serial);
    void Erase(uint64_t serial);
    size_t size() const { return count_; }
    size_t chunks() const { return chunks_.size(); }
    template <typename F>
    void ForEach(F&& f) const {
      for (const auto& [index, chunk] : chunks_) {
        for (const Item& item : chunk->items) {
          if (item.used) f(item);
        }
      }
    }

   private:
    static constexpr uint64_t kChunk = 1024;
    struct Chunk {
      std::array<Item, kChunk> items;
      uint32_t used = 0;
    };
    Chunk* ChunkOf(uint64_t serial) const;
    void Drop(uint64_t index);  // frees the chunk `index`

    std::unordered_map<uint64_t, std::unique_ptr<Chunk>> chunks_;  // by serial / kChunk
    mutable uint64_t last_index_ = UINT64_MAX;  // the chunk found last: spawns and lookups cluster
    mutable Chunk* last_chunk_ = nullptr;
    uint64_t filling_ = UINT64_MAX;  // the chunk of the newest serial, kept while it fills
    size_t count_ = 0;
  };

  int shard_;
  ActorObserver* observer_;
  const IdMinter& minter_;
  std::unordered_map<std::string, Entry> named_;
  SpawnedTable spawned_;
  uint64_t next_serial_ = 0;
  std::deque<std::pair<Clock::time_point, std::string>> failed_spawned_;  // (window's end, address)
  std::deque<std::string> interned_;  // class and bundle names, for the entries' views
  ActorMetrics metrics_;
};

}  // namespace mar::actor
