#include "actor/resolver.h"

#include "actor/ids.h"

namespace mar::actor {

namespace {
uint64_t Fnv1a(uint64_t hash, std::string_view text) {
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ull;
  return hash;
}
}  // namespace

Location LocalResolver::Locate(const Address& address) const {
  if (shards_ == 1) return {0};
  if (IsSpawnedName(address.name)) {
    if (auto nonce = IdMinter::NonceOf(address.name)) return {IdMinter::PlacementOf(*nonce) % shards_};
  }
  uint64_t hash = 0xcbf29ce484222325ull;
  hash = Fnv1a(hash, address.bundle);
  hash = Fnv1a(hash, "/");
  hash = Fnv1a(hash, address.cls);
  hash = Fnv1a(hash, "/");
  hash = Fnv1a(hash, address.name);
  hash ^= hash >> 33;  // FNV's low bits are weak; fold the high ones in before the modulo
  return {static_cast<int>(hash % static_cast<uint64_t>(shards_))};
}

uint16_t LocalResolver::Placement(uint16_t random, int shard) const {
  int base = random - random % shards_;
  if (base + shard > 0xffff) base -= shards_;
  return static_cast<uint16_t>(base + shard);
}

}  // namespace mar::actor
