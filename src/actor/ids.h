// Unforgeable names for spawned actors: "~" + a 64-bit nonce + a MAC over (bundle, class, nonce)
// keyed by the node's secret, as workerd derives Durable Object ids. Knowing one id says nothing
// about another, and a name that was not minted here is refused instead of activated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mar::actor {

class IdMinter {
 public:
  // A fresh random secret: ids are valid for the lifetime of this node.
  IdMinter();
  explicit IdMinter(const std::array<uint8_t, 32>& secret) : secret_(secret) {}

  std::string Mint(std::string_view bundle, std::string_view cls, uint64_t nonce) const;
  bool Verify(std::string_view bundle, std::string_view cls, std::string_view name) const;
  // The nonce of a well-formed spawned name ("~" + 16 hex digits + 24 hex digits).
  static std::optional<uint64_t> NonceOf(std::string_view name);

 private:
  std::array<uint8_t, 32> secret_;
};

}  // namespace mar::actor
