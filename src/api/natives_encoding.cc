// UTF-8 for TextEncoder/TextDecoder. V8's own UTF-8 routines do the work where they match the
// Encoding Standard; validation for `fatal` is ours because V8's decoder silently replaces.
#include <cstring>

#include "api/natives.h"

namespace mar::api {

namespace {

using engine::Args;

v8::Local<v8::Uint8Array> NewUint8Array(v8::Isolate* isolate, size_t length, uint8_t** data) {
  auto buffer = engine::NewArrayBufferOrThrow(isolate, length);
  *data = static_cast<uint8_t*>(buffer->GetBackingStore()->Data());
  return v8::Uint8Array::New(buffer, 0, length);
}

void Utf8Encode(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::String> string = args.String(0);
  // REPLACE_INVALID_UTF8 turns lone surrogates into U+FFFD as the Encoding Standard requires.
  int length = string->Utf8Length(isolate);
  uint8_t* data = nullptr;
  auto array = NewUint8Array(isolate, static_cast<size_t>(length), &data);
  if (length > 0) {
    string->WriteUtf8(isolate, reinterpret_cast<char*>(data), length, nullptr,
                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  }
  args.Return(array);
}

void Utf8EncodeInto(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::String> string = args.String(0);
  std::span<uint8_t> destination = args.Bytes(1);
  int read = 0;
  int written = string->WriteUtf8(isolate, reinterpret_cast<char*>(destination.data()),
                                  static_cast<int>(destination.size()), &read,
                                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  // Built from elements, not by Set(): Set would run setters user code put on Array.prototype.
  v8::Local<v8::Value> elements[] = {v8::Integer::New(isolate, read), v8::Integer::New(isolate, written)};
  args.Return(v8::Array::New(isolate, elements, 2));
}

// Length of the valid UTF-8 prefix (WHATWG: no surrogates, no overlongs, max U+10FFFF).
size_t ValidUtf8Prefix(const uint8_t* data, size_t size) {
  size_t i = 0;
  while (i < size) {
    uint8_t byte = data[i];
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t needed;
    uint8_t lower = 0x80, upper = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      needed = 1;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      needed = 2;
      if (byte == 0xE0) lower = 0xA0;
      if (byte == 0xED) upper = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      needed = 3;
      if (byte == 0xF0) lower = 0x90;
      if (byte == 0xF4) upper = 0x8F;
    } else {
      return i;
    }
    if (i + needed >= size) return i;
    for (size_t k = 1; k <= needed; ++k) {
      uint8_t next = data[i + k];
      uint8_t lo = k == 1 ? lower : 0x80, hi = k == 1 ? upper : 0xBF;
      if (next < lo || next > hi) return i;
    }
    i += needed + 1;
  }
  return i;
}

void Utf8Decode(Args& args) {
  std::span<uint8_t> bytes = args.Bytes(0);
  bool fatal = args.Boolean(1);
  if (fatal && ValidUtf8Prefix(bytes.data(), bytes.size()) != bytes.size()) {
    engine::ThrowTypeError("The encoded data was not valid utf-8");
  }
  if (bytes.size() > static_cast<size_t>(v8::String::kMaxLength)) engine::ThrowRangeError("input is too large to decode");
  v8::Local<v8::String> result;
  // V8's decoder substitutes U+FFFD per maximal subpart, as the Encoding Standard specifies.
  if (!v8::String::NewFromUtf8(args.isolate(), reinterpret_cast<const char*>(bytes.data()),
                               v8::NewStringType::kNormal, static_cast<int>(bytes.size()))
           .ToLocal(&result)) {
    engine::ThrowRangeError("input is too large to decode");
  }
  args.Return(result);
}

}  // namespace

void AddEncodingNatives(engine::NativeObject& natives) {
  natives.Function<Utf8Encode>("utf8Encode")
      .Function<Utf8EncodeInto>("utf8EncodeInto")
      .Function<Utf8Decode>("utf8Decode");
}

}  // namespace mar::api
