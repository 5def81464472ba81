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
  Entry& entry = *found;
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
  entry.cls = Intern(cls);
  entry.spawned = spawned;
  entry.capabilities = std::move(capabilities);
  metrics_.live.fetch_add(1, std::memory_order_relaxed);
  metrics_.spawned.fetch_add(1, std::memory_order_relaxed);
  Notify(ActorEventKind::kSpawned, address, cls);
  return std::nullopt;
}

void Registry::Remove(const std::string& address, std::string_view detail) {
  Entry* entry = Lookup(address);
  if (!entry) return;
  if (entry->state != State::kFailed) metrics_.live.fetch_sub(1, std::memory_order_relaxed);
  Erase(address);
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
  static constexpr char kHex[] = "0123456789abcdef";
  spawned_.ForEach([&](const SpawnedTable::Item& item) {
    if (item.entry.state != State::kLive) return;
    std::string& address = live.emplace_back();
    address.append(item.key.bundle).append("/").append(item.key.cls).append("/~");
    for (int shift = 60; shift >= 0; shift -= 4) address.push_back(kHex[(item.key.nonce >> shift) & 0xf]);
    for (uint8_t byte : item.key.mac) {
      address.push_back(kHex[byte >> 4]);
      address.push_back(kHex[byte & 0xf]);
    }
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

Registry::Entry* Registry::Lookup(const std::string& address) const {
  if (auto key = ParseSpawned(address)) {
    SpawnedTable::Item* item = spawned_.Find(*key);
    return item ? &item->entry : nullptr;
  }
  auto it = named_.find(address);
  return it == named_.end() ? nullptr : const_cast<Entry*>(&it->second);
}

std::pair<Registry::Entry*, bool> Registry::Insert(const std::string& address) {
  if (auto key = ParseSpawned(address)) {
    auto [item, inserted] = spawned_.Insert(*key);
    if (inserted) {  // the item's views must outlive the caller's string
      item->key.bundle = Intern(key->bundle);
      item->key.cls = Intern(key->cls);
    }
    return {&item->entry, inserted};
  }
  auto [it, inserted] = named_.try_emplace(address);
  return {&it->second, inserted};
}

void Registry::Erase(const std::string& address) {
  if (auto key = ParseSpawned(address)) return spawned_.Erase(*key);
  named_.erase(address);
}

std::string_view Registry::Intern(std::string_view text) {
  // A bundle has a handful of classes: a linear search beats hashing here.
  auto it = std::ranges::find(interned_, text);
  if (it != interned_.end()) return *it;
  return interned_.emplace_back(text);
}

// ---- the flat table of spawned actors --------------------------------------------------------

size_t Registry::SpawnedTable::Home(uint64_t nonce) const {
  // Nonces are random, but the resolver chose their low bits for placement: mix before masking.
  nonce ^= nonce >> 33;
  nonce *= 0xff51afd7ed558ccdull;
  nonce ^= nonce >> 33;
  return nonce & (slots_.size() - 1);
}

bool Registry::SpawnedTable::Matches(const Slot& slot, const SpawnedKey& key) const {
  if (slot.nonce != key.nonce) return false;
  const Item& item = At(slot.item - 1);
  return item.key.mac == key.mac && item.key.cls == key.cls && item.key.bundle == key.bundle;
}

Registry::SpawnedTable::Item* Registry::SpawnedTable::Find(const SpawnedKey& key) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key.nonce);; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.item == 0) return nullptr;
    if (Matches(slot, key)) return &At(slot.item - 1);
  }
}

std::pair<Registry::SpawnedTable::Item*, bool> Registry::SpawnedTable::Insert(const SpawnedKey& key) {
  if ((count_ + 1) * 2 > slots_.size()) Grow();
  // One probe: without tombstones (deletion shifts back), the key is absent once an empty slot
  // comes up, and that slot is where it goes.
  const size_t mask = slots_.size() - 1;
  size_t i = Home(key.nonce);
  for (; slots_[i].item != 0; i = (i + 1) & mask) {
    if (Matches(slots_[i], key)) return {&At(slots_[i].item - 1), false};
  }
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = next_++;
    if (index / kChunk == chunks_.size()) chunks_.push_back(std::make_unique<Item[]>(kChunk));
  }
  Item& item = At(index);
  item.key = key;
  item.entry = Entry{};
  item.used = true;
  slots_[i] = Slot{key.nonce, index + 1};
  ++count_;
  return {&item, true};
}

void Registry::SpawnedTable::Erase(const SpawnedKey& key) {
  if (slots_.empty()) return;
  const size_t mask = slots_.size() - 1;
  size_t hole = Home(key.nonce);
  while (true) {
    if (slots_[hole].item == 0) return;
    if (Matches(slots_[hole], key)) break;
    hole = (hole + 1) & mask;
  }
  uint32_t index = slots_[hole].item - 1;
  Item& item = At(index);
  item.entry = Entry{};  // releases its capabilities and history now
  item.used = false;
  free_.push_back(index);
  --count_;
  // Backward shift: pull later members of the probe run into the hole, so no tombstones pile up.
  for (size_t next = (hole + 1) & mask; slots_[next].item != 0; next = (next + 1) & mask) {
    size_t home = Home(slots_[next].nonce);
    // `next` may move to `hole` when its home is not in the cyclic range (hole, next].
    bool stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (stays) continue;
    slots_[hole] = slots_[next];
    hole = next;
  }
  slots_[hole] = Slot{0, 0};
}

void Registry::SpawnedTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{0, 0});
  const size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.item == 0) continue;
    size_t i = Home(slot.nonce);
    while (slots_[i].item != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

}  // namespace mar::actor
