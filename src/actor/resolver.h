// Where an actor lives. Everything above this interface addresses actors by bundle/class/name
// only; the local resolver maps an address to a shard of this node, and the mesh will put a
// resolver that also answers "on node X" behind the same interface.
#pragma once

#include <algorithm>
#include <cstdint>

#include "actor/address.h"

namespace mar::actor {

struct Location {
  int shard = 0;
  bool operator==(const Location&) const = default;
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  virtual Location Locate(const Address& address) const = 0;
};

// Placement by hash: every shard computes the same owner for an address without asking anyone,
// so there is no shared table and no lock. A spawned actor's nonce carries 16 placement bits
// chosen so that it lands on the spawner's shard (Placement), which keeps an actor and the actors
// it spawns together.
class LocalResolver final : public Resolver {
 public:
  explicit LocalResolver(int shards) : shards_(std::clamp(shards, 1, 65536)) {}
  Location Locate(const Address& address) const override;
  // `random` adjusted so that a spawned name with these placement bits is located on `shard`.
  uint16_t Placement(uint16_t random, int shard) const;
  int shards() const { return shards_; }

 private:
  int shards_;
};

}  // namespace mar::actor
