#include "actor/registry.h"

#include <algorithm>
#include <cstring>

#include "actor/ids.h"

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
  auto [found, inserted] = Insert(address);  // one lookup for the common, new case
  if (!found) {
    return Refusal{"not_found", "no actor " + address + " (a spawned actor exists from spawn() until it stops)"};
  }
  Entry& entry = *found;
  if (!inserted) {
    if (entry.state == State::kLive || entry.state == State::kRestarting) {
      if (explicit_spawn) return Refusal{"invalid_argument", "actor " + address + " already exists"};
      return std::nullopt;  // already there: nothing to do
    }
    if (entry.failures && Clock::now() < entry.failures->failed_until) {
      if (entry.spawned) return Refusal{"crashed", "actor " + address + " crashed and its restart policy gave up"};
      return Refusal{"crashed", "actor " + address +
                                    " crashed and its restart policy gave up; it can be activated again once its "
                                    "class's restartWindowMs has passed"};
    }
    if (entry.spawned) {
      // A spawned name exists from spawn() until its actor stops; one given up on has stopped.
      Erase(address, Locate(address));
      return Refusal{"not_found", "no actor " + address + " (it crashed and its restart policy gave up on it)"};
    }
    // Activated again on first use, it keeps the capabilities it was spawned with: a message must
    // not bring it back with the bundle's wider set. An explicit spawn says anew.
    if (!explicit_spawn) capabilities = std::move(entry.capabilities);
    entry = Entry{};
  }
  entry.cls = Intern(cls);
  entry.spawned = spawned;
  entry.capabilities = std::move(capabilities);
  Registered(address, cls);
  return std::nullopt;
}

void Registry::Registered(std::string_view address, std::string_view cls) {
  metrics_.live.fetch_add(1, std::memory_order_relaxed);
  metrics_.spawned.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kSpawned, address, cls);
}

std::optional<Registry::Spawned> Registry::Spawn(std::string_view bundle, std::string_view cls, uint16_t placement,
                                                 std::shared_ptr<const NarrowedCapabilities> capabilities) {
  if (next_serial_ >= IdMinter::kSerialLimit) return std::nullopt;  // a serial is never reused
  if (!failed_spawned_.empty()) ForgetExpired(Clock::now());
  uint64_t serial = next_serial_++;
  uint64_t nonce = minter_.NonceFor(serial, placement);
  auto mac = minter_.MacOf(bundle, cls, nonce);
  Spawned spawned;
  spawned.serial = serial;
  spawned.address.reserve(bundle.size() + cls.size() + 2 + IdMinter::kNameLength);
  spawned.address.append(bundle).append("/").append(cls).append("/");
  IdMinter::AppendName(spawned.address, nonce, mac);
  SpawnedTable::Item& item = spawned_.Add(serial);
  item.nonce = nonce;
  item.mac = mac;
  item.bundle = InternIndex(bundle);
  item.entry.cls = Intern(cls);
  item.entry.spawned = true;
  item.entry.capabilities = std::move(capabilities);
  Registered(spawned.address, cls);
  return spawned;
}

void Registry::ForgetExpired(Clock::time_point now) {
  // In the order they failed; a longer window at the front only delays the ones behind it.
  while (!failed_spawned_.empty() && failed_spawned_.front().first <= now) {
    // Its serial is its own, so the entry found is the one that failed, unless already erased.
    const std::string& address = failed_spawned_.front().second;
    Located located = Locate(address);
    if (located.entry && located.entry->state == State::kFailed) Erase(address, located);
    failed_spawned_.pop_front();
  }
}

int64_t Registry::SerialOf(std::string_view address) const {
  auto key = ParseSpawned(address);
  if (!key) return -1;
  return static_cast<int64_t>(minter_.SerialOf(key->nonce));
}

void Registry::Remove(const std::string& address, std::string_view detail) {
  Located located = Locate(address);
  if (!located.entry) return;
  if (located.entry->state != State::kFailed) metrics_.live.fetch_sub(1, std::memory_order_relaxed);
  Erase(address, located);
  metrics_.stopped.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kStopped, address, detail);
}

RestartDecision Registry::Crash(const std::string& address, std::string_view detail,
                                const caps::ActorClassConfig& config, bool crashed) {
  Entry* found = Lookup(address);
  if (!found || found->state == State::kFailed) return {};
  Entry& entry = *found;
  if (crashed) {
    metrics_.crashed.fetch_add(1, std::memory_order_relaxed);
    Notify(ActorEventKind::kCrashed, address, detail);
  }
  if (!entry.failures) entry.failures = std::make_unique<Failures>();
  RestartDecision decision = entry.failures->history.Next(Clock::now(), config, crashed);
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
  entry.failures->failed_until = Clock::now() + std::chrono::milliseconds(config.restart_window_ms);
  metrics_.live.fetch_sub(1, std::memory_order_relaxed);
  // A spawned one answers `crashed` for its window, then is forgotten (ForgetExpired), so actors
  // that keep crashing do not keep their entries, nor the chunks those would hold.
  if (entry.spawned) failed_spawned_.emplace_back(entry.failures->failed_until, address);
  Notify(ActorEventKind::kGaveUp, address,
         decision.gave_up ? "restart limit reached (classes." + std::string(entry.cls) + ".maxRestarts)"
                          : std::string("restart policy \"") + caps::RestartPolicyName(config.restart) + "\"");
  return decision;
}

void Registry::Restarted(const std::string& address) {
  Entry* entry = Lookup(address);
  if (!entry) return;
  entry->state = State::kLive;
  metrics_.restarts.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kRestarted, address, "");
}

const Registry::Entry* Registry::Find(const std::string& address) const { return Lookup(address); }

std::vector<std::string> Registry::LiveAddresses() const {
  std::vector<std::string> live;
  for (const auto& [address, entry] : named_) {
    if (entry.state == State::kLive) live.push_back(address);
  }
  spawned_.ForEach([&](const SpawnedTable::Item& item) {
    if (item.entry.state != State::kLive) return;
    std::string& address = live.emplace_back();
    address.append(interned_[item.bundle]).append("/").append(item.entry.cls).append("/");
    IdMinter::AppendName(address, item.nonce, item.mac);
  });
  return live;
}

std::optional<Registry::SpawnedKey> Registry::ParseSpawned(std::string_view address) {
  size_t first = address.find('/');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = address.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view name = address.substr(second + 1);
  auto nonce = IdMinter::NonceOf(name);  // also checks the length and that every digit is hex
  if (!nonce) return std::nullopt;
  SpawnedKey key{address.substr(0, first), address.substr(first + 1, second - first - 1), *nonce, {}};
  auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < key.mac.size(); ++i) {
    key.mac[i] = static_cast<uint8_t>(digit(name[17 + 2 * i]) << 4 | digit(name[18 + 2 * i]));
  }
  return key;
}

Registry::Located Registry::LocateSpawned(const SpawnedKey& key) const {
  uint64_t serial = minter_.SerialOf(key.nonce);
  SpawnedTable::Item* item = spawned_.Find(serial);
  bool same = item && item->nonce == key.nonce && item->mac == key.mac && item->entry.cls == key.cls &&
              interned_[item->bundle] == key.bundle;
  return {same ? &item->entry : nullptr, true, serial};
}

Registry::Located Registry::Locate(const std::string& address) const {
  if (auto key = ParseSpawned(address)) return LocateSpawned(*key);
  auto it = named_.find(address);
  return {it == named_.end() ? nullptr : const_cast<Entry*>(&it->second), false, 0};
}

std::pair<Registry::Entry*, bool> Registry::Insert(const std::string& address) {
  // Spawned names are registered by Spawn only: anything else with one finds its entry or nothing.
  if (auto key = ParseSpawned(address)) return {LocateSpawned(*key).entry, false};
  auto [it, inserted] = named_.try_emplace(address);
  return {&it->second, inserted};
}

void Registry::Erase(const std::string& address, const Located& located) {
  if (!located.entry) return;
  if (located.spawned) {
    spawned_.Erase(located.serial);
  } else {
    named_.erase(address);
  }
}

uint16_t Registry::InternIndex(std::string_view text) {
  // A bundle has a handful of classes: a linear search beats hashing here.
  auto it = std::ranges::find(interned_, text);
  if (it != interned_.end()) return static_cast<uint16_t>(it - interned_.begin());
  interned_.emplace_back(text);  // at the end of a deque: the other views stay valid
  return static_cast<uint16_t>(interned_.size() - 1);
}

// ---- the table of spawned actors -------------------------------------------------------------

Registry::SpawnedTable::Chunk* Registry::SpawnedTable::ChunkOf(uint64_t serial) const {
  uint64_t index = serial / kChunk;
  if (index == last_index_) return last_chunk_;
  auto it = chunks_.find(index);
  if (it == chunks_.end()) return nullptr;
  last_index_ = index;
  last_chunk_ = it->second.get();
  return last_chunk_;
}

Registry::SpawnedTable::Item* Registry::SpawnedTable::Find(uint64_t serial) const {
  Chunk* chunk = ChunkOf(serial);
  if (!chunk) return nullptr;
  Item& item = chunk->items[serial % kChunk];
  return item.used ? &item : nullptr;
}

Registry::SpawnedTable::Item& Registry::SpawnedTable::Add(uint64_t serial) {
  Chunk* chunk = ChunkOf(serial);
  if (!chunk) {
    auto& slot = chunks_[serial / kChunk];
    slot = std::make_unique<Chunk>();
    chunk = slot.get();
    last_index_ = serial / kChunk;
    last_chunk_ = chunk;
  }
  if (serial / kChunk != filling_) {
    // The chunk that was filling is full: if every one of its actors is gone already, so is it.
    auto previous = chunks_.find(filling_);
    if (previous != chunks_.end() && previous->second->used == 0) Drop(filling_);
    filling_ = serial / kChunk;
  }
  Item& item = chunk->items[serial % kChunk];
  item.used = true;
  ++chunk->used;
  ++count_;
  return item;
}

void Registry::SpawnedTable::Erase(uint64_t serial) {
  Chunk* chunk = ChunkOf(serial);
  if (!chunk) return;
  Item& item = chunk->items[serial % kChunk];
  if (!item.used) return;
  item = Item{};  // releases its capabilities and failures now
  --count_;
  if (--chunk->used == 0 && serial / kChunk != filling_) Drop(serial / kChunk);
}

void Registry::SpawnedTable::Drop(uint64_t index) {
  chunks_.erase(index);
  if (last_index_ == index) {
    last_index_ = UINT64_MAX;
    last_chunk_ = nullptr;
  }
}

}  // namespace mar::actor
