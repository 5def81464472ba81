#include "engine/binding.h"

#include <string>

namespace mar::engine {

void ThrowTypeError(std::string message) { throw JsException{JsErrorType::kTypeError, std::move(message), {}}; }
void ThrowRangeError(std::string message) { throw JsException{JsErrorType::kRangeError, std::move(message), {}}; }
void ThrowError(std::string message, std::string name) {
  throw JsException{JsErrorType::kError, std::move(message), std::move(name)};
}

v8::Local<v8::String> ToV8(v8::Isolate* isolate, std::string_view utf8) {
  return v8::String::NewFromUtf8(isolate, utf8.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(utf8.size()))
      .ToLocalChecked();
}

std::string ToUtf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, utf8.length()) : std::string();
}

v8::MaybeLocal<v8::ArrayBuffer> NewArrayBuffer(v8::Isolate* isolate, size_t byte_length) {
  v8::ArrayBuffer::Allocator* allocator = isolate->GetArrayBufferAllocator();
  void* data = allocator->Allocate(byte_length);
  if (!data) return {};
  auto deleter = [](void* memory, size_t length, void* allocator_data) {
    static_cast<v8::ArrayBuffer::Allocator*>(allocator_data)->Free(memory, length);
  };
  auto store = v8::ArrayBuffer::NewBackingStore(data, byte_length, deleter, allocator);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

v8::Local<v8::ArrayBuffer> NewArrayBufferOrThrow(v8::Isolate* isolate, size_t byte_length) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!NewArrayBuffer(isolate, byte_length).ToLocal(&buffer)) {
    ThrowRangeError("Array buffer allocation failed: the bundle's memory limit (limits.memoryMb) is reached");
  }
  return buffer;
}

void RaiseJsException(v8::Isolate* isolate, const JsException& exception) {
  v8::Local<v8::String> message = ToV8(isolate, exception.message);
  v8::Local<v8::Value> error;
  switch (exception.type) {
    case JsErrorType::kTypeError: error = v8::Exception::TypeError(message); break;
    case JsErrorType::kRangeError: error = v8::Exception::RangeError(message); break;
    case JsErrorType::kSyntaxError: error = v8::Exception::SyntaxError(message); break;
    case JsErrorType::kError: error = v8::Exception::Error(message); break;
  }
  if (!exception.name.empty()) {
    // An own data property: user code may have put a throwing setter for "name" on Error.prototype.
    // Failure (a pending termination) leaves the plain error, which is fine.
    error.As<v8::Object>()
        ->CreateDataProperty(isolate->GetCurrentContext(), ToV8(isolate, "name"), ToV8(isolate, exception.name))
        .FromMaybe(false);
  }
  isolate->ThrowException(error);
}

std::string Args::function_name() const {
  v8::Local<v8::Value> name = info_.Data();
  return name->IsString() ? "native." + ToUtf8(isolate(), name) : std::string("native function");
}

void Args::ThrowArgumentError(int index, std::string_view expected) const {
  ThrowTypeError(function_name() + ": argument " + std::to_string(index + 1) + " must be " +
                 std::string(expected));
}

std::string Args::Utf8(int index) const { return ToUtf8(isolate(), String(index)); }

v8::Local<v8::String> Args::String(int index) const {
  v8::Local<v8::Value> value = info_[index];
  if (value->IsString()) return value.As<v8::String>();
  v8::Local<v8::String> result;
  if (!value->ToString(context()).ToLocal(&result)) throw PendingJsException{};
  return result;
}

double Args::Number(int index) const {
  v8::Local<v8::Value> value = info_[index];
  if (value->IsNumber()) return value.As<v8::Number>()->Value();
  double result;
  if (!value->NumberValue(context()).To(&result)) throw PendingJsException{};
  return result;
}

bool Args::Boolean(int index) const { return info_[index]->BooleanValue(isolate()); }

v8::Local<v8::Function> Args::Function(int index) const {
  if (!info_[index]->IsFunction()) ThrowArgumentError(index, "a function");
  return info_[index].As<v8::Function>();
}

v8::Local<v8::Object> Args::Object(int index) const {
  if (!info_[index]->IsObject()) ThrowArgumentError(index, "an object");
  return info_[index].As<v8::Object>();
}

std::span<uint8_t> Args::Bytes(int index) const {
  v8::Local<v8::Value> value = info_[index];
  if (value->IsArrayBufferView()) {
    auto view = value.As<v8::ArrayBufferView>();
    auto store = view->Buffer()->GetBackingStore();
    auto* base = static_cast<uint8_t*>(store->Data());
    return {base ? base + view->ByteOffset() : nullptr, view->ByteLength()};
  }
  if (value->IsArrayBuffer()) {
    auto store = value.As<v8::ArrayBuffer>()->GetBackingStore();
    return {static_cast<uint8_t*>(store->Data()), store->ByteLength()};
  }
  if (value->IsSharedArrayBuffer()) {
    auto store = value.As<v8::SharedArrayBuffer>()->GetBackingStore();
    return {static_cast<uint8_t*>(store->Data()), store->ByteLength()};
  }
  ThrowArgumentError(index, "an ArrayBuffer or ArrayBufferView");
}

void Args::Return(std::string_view utf8) { info_.GetReturnValue().Set(ToV8(isolate(), utf8)); }

NativeObject::NativeObject(v8::Isolate* isolate, v8::Local<v8::Context> context)
    : isolate_(isolate), context_(context), object_(v8::Object::New(isolate)) {}

NativeObject& NativeObject::Value(const char* name, v8::Local<v8::Value> value) {
  if (listing_) return *this;
  object_->CreateDataProperty(context_, ToV8(isolate_, name), value).Check();  // fresh object, before user code
  return *this;
}

void NativeObject::AddFunction(const char* name, v8::FunctionCallback callback) {
  if (listing_) {
    listing_->entry_points.push_back(reinterpret_cast<intptr_t>(callback));
    listing_->names.emplace_back(name);
    return;
  }
  v8::Local<v8::Function> function =
      v8::Function::New(context_, callback, ToV8(isolate_, name), 0, v8::ConstructorBehavior::kThrow).ToLocalChecked();
  function->SetName(ToV8(isolate_, name));
  object_->CreateDataProperty(context_, ToV8(isolate_, name), function).Check();
}

}  // namespace mar::engine
