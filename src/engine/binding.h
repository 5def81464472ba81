// The one binding layer between C++ and V8. Native functions are plain C++ functions taking an
// Args&; a trampoline converts arguments, and a thrown JsException becomes a precise JS error.
// No other file writes FunctionCallbackInfo plumbing.
#pragma once

#include <v8.h>

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mar::engine {

enum class JsErrorType { kError, kTypeError, kRangeError, kSyntaxError };

// Thrown by native code to raise a JS exception at the boundary.
struct JsException {
  JsErrorType type;
  std::string message;
  std::string name;  // non-empty: set error.name (e.g. "DataCloneError")
};

[[noreturn]] void ThrowTypeError(std::string message);
[[noreturn]] void ThrowRangeError(std::string message);
[[noreturn]] void ThrowError(std::string message, std::string name = {});

// Raised when V8 itself has a pending exception (a JS call inside the native threw): the
// trampoline just returns and lets it propagate.
struct PendingJsException {};

class Args {
 public:
  explicit Args(const v8::FunctionCallbackInfo<v8::Value>& info) : info_(info) {}

  v8::Isolate* isolate() const { return info_.GetIsolate(); }
  v8::Local<v8::Context> context() const { return isolate()->GetCurrentContext(); }
  int length() const { return info_.Length(); }
  v8::Local<v8::Value> operator[](int index) const { return info_[index]; }
  v8::Local<v8::Object> receiver() const { return info_.This(); }
  // "native.<name>", from the name NativeObject stores as the function's data (error paths only).
  std::string function_name() const;

  // Converters: each throws a TypeError naming the function and the argument on a mismatch.
  std::string Utf8(int index) const;            // any value, via ToString
  v8::Local<v8::String> String(int index) const;  // any value, via ToString
  double Number(int index) const;               // any value, via ToNumber
  bool Boolean(int index) const;                // ToBoolean
  v8::Local<v8::Function> Function(int index) const;
  v8::Local<v8::Object> Object(int index) const;
  // Bytes of an ArrayBuffer, SharedArrayBuffer or ArrayBufferView (no copy; valid until JS runs).
  std::span<uint8_t> Bytes(int index) const;

  void Return(v8::Local<v8::Value> value) { info_.GetReturnValue().Set(value); }
  void Return(double value) { info_.GetReturnValue().Set(value); }
  void Return(bool value) { info_.GetReturnValue().Set(value); }
  void Return(std::string_view utf8);

  [[noreturn]] void ThrowArgumentError(int index, std::string_view expected) const;

 private:
  const v8::FunctionCallbackInfo<v8::Value>& info_;
};

using NativeFunction = void (*)(Args&);

void RaiseJsException(v8::Isolate* isolate, const JsException& exception);

template <NativeFunction F>
void Trampoline(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Args args(info);
  try {
    F(args);
  } catch (const JsException& exception) {
    RaiseJsException(info.GetIsolate(), exception);
  } catch (const PendingJsException&) {
    // Already pending in V8.
  } catch (const std::exception& error) {
    // A C++ exception must never unwind through V8 frames (std::terminate); make it a JS error.
    RaiseJsException(info.GetIsolate(), JsException{JsErrorType::kError, std::string("internal error: ") + error.what(), {}});
  }
}

// Builds a plain object of native functions for one context. Or, made with a list, only lists
// the functions' C++ entry points in order: a start-up snapshot refers to them by index
// (CreateParams::external_references), so the list must be the same when the snapshot is made
// and when it is used.
class NativeObject {
 public:
  NativeObject(v8::Isolate* isolate, v8::Local<v8::Context> context);
  struct Listing {
    std::vector<intptr_t> entry_points;
    std::vector<std::string> names;
  };
  explicit NativeObject(Listing* listing) : listing_(listing) {}

  template <NativeFunction F>
  NativeObject& Function(const char* name) {
    AddFunction(name, &Trampoline<F>);
    return *this;
  }
  NativeObject& Value(const char* name, v8::Local<v8::Value> value);

  v8::Local<v8::Object> object() const { return object_; }

 private:
  void AddFunction(const char* name, v8::FunctionCallback callback);
  v8::Isolate* isolate_ = nullptr;
  v8::Local<v8::Context> context_;
  v8::Local<v8::Object> object_;
  Listing* listing_ = nullptr;
};

// Allocates through the isolate's (budgeted) ArrayBuffer allocator. Empty when over budget —
// unlike v8::ArrayBuffer::New, which aborts the process when the allocator refuses.
v8::MaybeLocal<v8::ArrayBuffer> NewArrayBuffer(v8::Isolate* isolate, size_t byte_length);
// Same, throwing a RangeError at the binding boundary when over budget.
v8::Local<v8::ArrayBuffer> NewArrayBufferOrThrow(v8::Isolate* isolate, size_t byte_length);

// Small conversions used across the engine.
v8::Local<v8::String> ToV8(v8::Isolate* isolate, std::string_view utf8);
std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value);

}  // namespace mar::engine
