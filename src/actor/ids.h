// Unforgeable names for spawned actors: "~" + a 64-bit nonce + a MAC over (bundle, class, nonce)
// keyed by the node's secret, as workerd derives Durable Object ids. Knowing one id says nothing
// about another, and a name that was not minted here is refused instead of activated.
//
// The MAC is SipHash-2-4 with 128-bit output (a keyed PRF made for short inputs), truncated to 96
// bits. HMAC-SHA256 through OpenSSL cost ~1.5 us per spawn here, most of it in OpenSSL 3's
// per-call context set-up, which was a quarter of spawning an actor; SipHash costs ~30 ns.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mar::actor {

// SipHash-2-4 with 128-bit output, and with 64-bit output over one 8-byte little-endian word;
// exposed for their test vectors.
std::array<uint8_t, 16> SipHash128(const std::array<uint8_t, 16>& key, std::string_view message);
uint64_t SipHash64(const std::array<uint8_t, 16>& key, uint64_t word);

class IdMinter {
 public:
  static constexpr size_t kMacBytes = 12;  // 96 bits: forging one takes 2^96 tries on average
  static constexpr size_t kNameLength = 1 + 16 + 2 * kMacBytes;  // "~", nonce, MAC in hex

  // A fresh random secret: ids are valid for the lifetime of this node.
  IdMinter();
  explicit IdMinter(const std::array<uint8_t, 16>& secret);

  // A spawned actor's nonce: the top 16 bits place it (the resolver reads them; see
  // LocalResolver::Placement), the other 48 are its serial (the registry's count of spawns before
  // it) under a keyed permutation tweaked by those placement bits: an 8-round Feistel network
  // with SipHash as its round function (8 rounds, not the textbook 4, because its halves are only
  // 24 bits wide). So the registry can index its table by serial while names do not line up with
  // the order of spawns, and, serials never being reused, no two spawns share a nonce.
  static constexpr int kSerialBits = 48;
  static constexpr uint64_t kSerialLimit = uint64_t{1} << kSerialBits;
  static constexpr int kRounds = 8;
  uint64_t NonceFor(uint64_t serial, uint16_t placement) const;
  uint64_t SerialOf(uint64_t nonce) const;
  static uint16_t PlacementOf(uint64_t nonce) { return static_cast<uint16_t>(nonce >> kSerialBits); }

  std::string Mint(std::string_view bundle, std::string_view cls, uint64_t nonce) const;
  // Mint's name appended to `out`, so a whole address takes one allocation.
  void AppendName(std::string& out, std::string_view bundle, std::string_view cls, uint64_t nonce) const;
  // The MAC part of a name, and a name from its parts.
  std::array<uint8_t, 12> MacOf(std::string_view bundle, std::string_view cls, uint64_t nonce) const;
  static void AppendName(std::string& out, uint64_t nonce, const std::array<uint8_t, 12>& mac);
  bool Verify(std::string_view bundle, std::string_view cls, std::string_view name) const;
  // The nonce of a well-formed spawned name ("~" + 16 hex digits + 24 hex digits).
  static std::optional<uint64_t> NonceOf(std::string_view name);

 private:
  uint32_t Round(int round, uint32_t half, uint16_t placement) const;

  std::array<uint8_t, 16> secret_;
  std::array<uint8_t, 16> serial_key_;  // the permutation's, derived from secret_
};

}  // namespace mar::actor
