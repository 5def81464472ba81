#include "actor/ids.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace mar::actor {

namespace {

constexpr size_t kMacBytes = IdMinter::kMacBytes;
constexpr size_t kNameLength = IdMinter::kNameLength;

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t Load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// SipHash's state (Aumasson & Bernstein): keyed start, rounds, message words, the output word.
struct SipState {
  uint64_t v0, v1, v2, v3;
  explicit SipState(const std::array<uint8_t, 16>& key) {
    uint64_t k0 = Load64(key.data()), k1 = Load64(key.data() + 8);
    v0 = 0x736f6d6570736575ull ^ k0;
    v1 = 0x646f72616e646f6dull ^ k1;
    v2 = 0x6c7967656e657261ull ^ k0;
    v3 = 0x7465646279746573ull ^ k1;
  }
  void Round() {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  }
  void Absorb(uint64_t m) {  // SipHash-2-4: two rounds per word
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
  uint64_t Squeeze() {  // four rounds, then the output word
    for (int i = 0; i < 4; ++i) Round();
    return v0 ^ v1 ^ v2 ^ v3;
  }
};

}  // namespace

// SipHash-2-4 with 128-bit output, over `message`, keyed by `key`.
std::array<uint8_t, 16> SipHash128(const std::array<uint8_t, 16>& key, std::string_view message) {
  SipState sip(key);
  sip.v1 ^= 0xee;
  const auto* data = reinterpret_cast<const uint8_t*>(message.data());
  size_t length = message.size();
  size_t whole = length - length % 8;
  for (size_t i = 0; i < whole; i += 8) sip.Absorb(Load64(data + i));
  uint64_t last = uint64_t{length & 0xff} << 56;
  for (size_t i = 0; i < length % 8; ++i) last |= uint64_t{data[whole + i]} << (8 * i);
  sip.Absorb(last);
  sip.v2 ^= 0xee;
  uint64_t first_half = sip.Squeeze();
  sip.v1 ^= 0xdd;
  uint64_t second_half = sip.Squeeze();
  std::array<uint8_t, 16> out{};
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(first_half >> (8 * i));
    out[8 + i] = static_cast<uint8_t>(second_half >> (8 * i));
  }
  return out;
}

namespace {

std::array<uint8_t, kMacBytes> Mac(const std::array<uint8_t, 16>& secret, std::string_view bundle,
                                   std::string_view cls, uint64_t nonce) {
  // bundle and class cannot contain '/', so the joined message is unambiguous.
  char message[64 + 1 + 128 + 1 + 8];
  size_t length = 0;
  auto append = [&](std::string_view part) {
    std::memcpy(message + length, part.data(), part.size());
    length += part.size();
  };
  append(bundle.substr(0, 64));
  append("/");
  append(cls.substr(0, 128));
  append("/");
  for (int i = 0; i < 8; ++i) message[length++] = static_cast<char>(nonce >> (8 * i));
  auto digest = SipHash128(secret, std::string_view(message, length));
  std::array<uint8_t, kMacBytes> mac{};
  std::copy_n(digest.begin(), kMacBytes, mac.begin());
  return mac;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

namespace {
std::array<uint8_t, 16> SerialKey(const std::array<uint8_t, 16>& secret) {
  // Its own key, so that the permutation and the MAC never share inputs under one key.
  return SipHash128(secret, "mar: spawned actor serials");
}
}  // namespace

IdMinter::IdMinter() {
  RAND_bytes(secret_.data(), static_cast<int>(secret_.size()));
  serial_key_ = SerialKey(secret_);
}

IdMinter::IdMinter(const std::array<uint8_t, 16>& secret) : secret_(secret), serial_key_(SerialKey(secret)) {}

// SipHash-2-4 with 64-bit output over one 8-byte word (little-endian): one compression and the
// finalization, without a buffer.
uint64_t SipHash64(const std::array<uint8_t, 16>& key, uint64_t word) {
  SipState sip(key);
  sip.Absorb(word);
  sip.Absorb(uint64_t{8} << 56);  // the length byte of an 8-byte message
  sip.v2 ^= 0xff;
  return sip.Squeeze();
}

uint32_t IdMinter::Round(int round, uint32_t half, uint16_t placement) const {
  // The placement bits are a tweak: the same serial under other placement bits (on another
  // shard, or just another name) enciphers to unrelated bits.
  uint64_t word = uint64_t{static_cast<uint8_t>(round)} | uint64_t{half} << 8 | uint64_t{placement} << 32;
  return static_cast<uint32_t>(SipHash64(serial_key_, word)) & 0xffffff;
}

uint64_t IdMinter::NonceFor(uint64_t serial, uint16_t placement) const {
  uint32_t left = static_cast<uint32_t>(serial >> 24) & 0xffffff, right = static_cast<uint32_t>(serial) & 0xffffff;
  for (int round = 0; round < kRounds; ++round) {
    uint32_t next = left ^ Round(round, right, placement);
    left = right;
    right = next;
  }
  return uint64_t{placement} << kSerialBits | uint64_t{left} << 24 | right;
}

uint64_t IdMinter::SerialOf(uint64_t nonce) const {
  uint16_t placement = PlacementOf(nonce);
  uint32_t left = static_cast<uint32_t>(nonce >> 24) & 0xffffff, right = static_cast<uint32_t>(nonce) & 0xffffff;
  for (int round = kRounds - 1; round >= 0; --round) {
    uint32_t previous = right ^ Round(round, left, placement);
    right = left;
    left = previous;
  }
  return uint64_t{left} << 24 | right;
}

std::array<uint8_t, kMacBytes> IdMinter::MacOf(std::string_view bundle, std::string_view cls, uint64_t nonce) const {
  return Mac(secret_, bundle, cls, nonce);
}

void IdMinter::AppendName(std::string& out, uint64_t nonce, const std::array<uint8_t, kMacBytes>& mac) {
  size_t at = out.size();
  out.resize(at + kNameLength);  // written in place: push_back per digit was a tenth of a spawn
  char* p = out.data() + at;
  *p++ = '~';
  for (int shift = 60; shift >= 0; shift -= 4) *p++ = kHex[(nonce >> shift) & 0xf];
  for (uint8_t byte : mac) {
    *p++ = kHex[byte >> 4];
    *p++ = kHex[byte & 0xf];
  }
}

void IdMinter::AppendName(std::string& out, std::string_view bundle, std::string_view cls, uint64_t nonce) const {
  AppendName(out, nonce, Mac(secret_, bundle, cls, nonce));
}

std::string IdMinter::Mint(std::string_view bundle, std::string_view cls, uint64_t nonce) const {
  std::string name;
  AppendName(name, bundle, cls, nonce);
  return name;
}

std::optional<uint64_t> IdMinter::NonceOf(std::string_view name) {
  if (name.size() != kNameLength || name.front() != '~') return std::nullopt;
  uint64_t nonce = 0;
  for (size_t i = 1; i < kNameLength; ++i) {
    char c = name[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    if (i <= 16) nonce = (nonce << 4) | static_cast<uint64_t>(digit);
  }
  return nonce;
}

bool IdMinter::Verify(std::string_view bundle, std::string_view cls, std::string_view name) const {
  auto nonce = NonceOf(name);
  if (!nonce) return false;
  std::string expected = Mint(bundle, cls, *nonce);
  return CRYPTO_memcmp(expected.data(), name.data(), kNameLength) == 0;
}

}  // namespace mar::actor
