#include "actor/ids.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

namespace mar::actor {

namespace {

constexpr size_t kMacBytes = 12;  // 96 bits: forging one takes 2^96 tries on average
constexpr size_t kNameLength = 1 + 16 + 2 * kMacBytes;

std::array<uint8_t, kMacBytes> Mac(const std::array<uint8_t, 32>& secret, std::string_view bundle,
                                   std::string_view cls, uint64_t nonce) {
  // bundle and class cannot contain '/', so the joined message is unambiguous.
  std::string message;
  message.reserve(bundle.size() + cls.size() + 10);
  message.append(bundle).push_back('/');
  message.append(cls).push_back('/');
  for (int i = 0; i < 8; ++i) message.push_back(static_cast<char>(nonce >> (8 * i)));
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const uint8_t*>(message.data()),
       message.size(), digest, &length);
  std::array<uint8_t, kMacBytes> mac{};
  std::copy_n(digest, kMacBytes, mac.begin());
  return mac;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

IdMinter::IdMinter() { RAND_bytes(secret_.data(), static_cast<int>(secret_.size())); }

std::string IdMinter::Mint(std::string_view bundle, std::string_view cls, uint64_t nonce) const {
  std::string name;
  name.reserve(kNameLength);
  name.push_back('~');
  for (int shift = 60; shift >= 0; shift -= 4) name.push_back(kHex[(nonce >> shift) & 0xf]);
  for (uint8_t byte : Mac(secret_, bundle, cls, nonce)) {
    name.push_back(kHex[byte >> 4]);
    name.push_back(kHex[byte & 0xf]);
  }
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
