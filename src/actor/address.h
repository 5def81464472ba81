// Actor addresses: bundle, class and name — never a shard or a machine. Where an address lives is
// the Resolver's business (resolver.h), so the same address works wherever its actor runs.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace mar::actor {

struct Address {
  std::string bundle;
  std::string cls;
  std::string name;

  // The canonical text form, "bundle/Class/name"; what `stub.id` shows and logs print.
  std::string ToString() const { return bundle + "/" + cls + "/" + name; }
  bool operator==(const Address&) const = default;
};

inline constexpr size_t kMaxNameBytes = 256;

// Parses "Class/name" (an actor of `self_bundle`) or "bundle/Class/name". The message of a failure
// says which part is wrong and what it must look like.
Result<Address> ParseAddress(std::string_view text, std::string_view self_bundle);

// A JavaScript identifier of at most 128 characters (how actor classes are exported).
bool IsClassName(std::string_view name);
// 1 to 256 bytes, no '/', no control characters; names starting with '~' are minted by spawn().
Result<void> CheckName(std::string_view name);
inline bool IsSpawnedName(std::string_view name) { return !name.empty() && name.front() == '~'; }

}  // namespace mar::actor
