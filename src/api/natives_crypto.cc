// Randomness, digests and HMAC for the `crypto` global, backed by OpenSSL 3.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstring>

#include "api/natives.h"

namespace mar::api {

namespace {

using engine::Args;

const EVP_MD* DigestByName(const std::string& name) {
  if (name == "SHA-1") return EVP_sha1();
  if (name == "SHA-256") return EVP_sha256();
  if (name == "SHA-384") return EVP_sha384();
  if (name == "SHA-512") return EVP_sha512();
  engine::ThrowError("unsupported digest algorithm " + name, "NotSupportedError");
}

v8::Local<v8::ArrayBuffer> CopyToArrayBuffer(v8::Isolate* isolate, const unsigned char* data, size_t size) {
  auto buffer = engine::NewArrayBufferOrThrow(isolate, size);
  if (size) std::memcpy(buffer->GetBackingStore()->Data(), data, size);
  return buffer;
}

void RandomFill(Args& args) {
  std::span<uint8_t> bytes = args.Bytes(0);
  if (!bytes.empty() && RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    engine::ThrowError("the system random number generator failed", "OperationError");
  }
}

void RandomUuid(Args& args) {
  uint8_t b[16];
  if (RAND_bytes(b, sizeof b) != 1) engine::ThrowError("the system random number generator failed", "OperationError");
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  args.Return(std::string_view(text, 36));
}

void Digest(Args& args) {
  const EVP_MD* md = DigestByName(args.Utf8(0));
  std::span<uint8_t> data = args.Bytes(1);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out, &length, md, nullptr) != 1) {
    engine::ThrowError("digest failed", "OperationError");
  }
  args.Return(CopyToArrayBuffer(args.isolate(), out, length));
}

void Hmac(Args& args) {
  const EVP_MD* md = DigestByName(args.Utf8(0));
  std::span<uint8_t> key = args.Bytes(1);
  std::span<uint8_t> data = args.Bytes(2);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  static const unsigned char kEmpty = 0;  // HMAC() rejects a null key pointer even for length 0
  if (!HMAC(md, key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()), data.data(), data.size(), out,
            &length)) {
    engine::ThrowError("HMAC failed", "OperationError");
  }
  args.Return(CopyToArrayBuffer(args.isolate(), out, length));
}

void TimingSafeEqual(Args& args) {
  std::span<uint8_t> a = args.Bytes(0);
  std::span<uint8_t> b = args.Bytes(1);
  args.Return(a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace

void AddCryptoNatives(engine::NativeObject& natives) {
  natives.Function<RandomFill>("randomFill")
      .Function<RandomUuid>("randomUUID")
      .Function<Digest>("digest")
      .Function<Hmac>("hmac")
      .Function<TimingSafeEqual>("timingSafeEqual");
}

}  // namespace mar::api
