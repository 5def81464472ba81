#include "api/realm.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <tuple>

#include "api/js_sources.h"
#include "api/natives.h"
#include "engine/binding.h"
#include "engine/exceptions.h"

namespace mar::api {

namespace {

using engine::Args;
using engine::ToUtf8;
using engine::ToV8;

double MonotonicMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Realm& RealmOf(Args& args) { return Realm::From(args.context()); }

// HTTP header names and values are byte strings: one byte per character, both ways (Fetch
// Standard "byte string"), so no UTF-8 reinterpretation happens at the boundary.
v8::Local<v8::String> OneByteString(v8::Isolate* isolate, std::string_view bytes) {
  return v8::String::NewFromOneByte(isolate, reinterpret_cast<const uint8_t*>(bytes.data()),
                                    v8::NewStringType::kNormal, static_cast<int>(bytes.size()))
      .ToLocalChecked();
}

// A flat [name, value, ...] array of ByteStrings, built from elements, not by Set(): Set would run
// setters user code put on Array.prototype.
template <class Pairs>
v8::Local<v8::Array> HeaderArray(v8::Isolate* isolate, const Pairs& headers) {
  std::vector<v8::Local<v8::Value>> elements;
  elements.reserve(headers.size() * 2);
  for (const auto& [name, value] : headers) {
    elements.push_back(OneByteString(isolate, name));
    elements.push_back(OneByteString(isolate, value));
  }
  return v8::Array::New(isolate, elements.data(), elements.size());
}

// A copy of `bytes` in a fresh Uint8Array from the isolate's budget; empty when over it.
v8::MaybeLocal<v8::Uint8Array> NewBytes(v8::Isolate* isolate, std::string_view bytes) {
  v8::Local<v8::ArrayBuffer> buffer;
  if (!engine::NewArrayBuffer(isolate, bytes.size()).ToLocal(&buffer)) return {};
  std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
  return v8::Uint8Array::New(buffer, 0, bytes.size());
}

std::string ByteString(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::Local<v8::String> string;
  if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&string)) return {};
  std::string bytes(static_cast<size_t>(string->Length()), '\0');
  string->WriteOneByte(isolate, reinterpret_cast<uint8_t*>(bytes.data()), 0, string->Length(),
                       v8::String::NO_NULL_TERMINATION);
  return bytes;
}

void Log(Args& args) {
  std::string level = args.Utf8(0);
  obs::Level parsed = level == "error"  ? obs::Level::kError
                      : level == "warn" ? obs::Level::kWarn
                      : level == "debug" ? obs::Level::kDebug
                                         : obs::Level::kInfo;
  RealmOf(args).host().Log(parsed, args.Utf8(1));
}

void Now(Args& args) { args.Return(RealmOf(args).Now()); }

// The JS timer heap asks for one wake-up at its earliest deadline (ms on the native.now() clock).
void ArmTimer(Args& args) {
  Realm& realm = RealmOf(args);
  double delay = args.Number(0) - realm.Now();
  realm.host().ArmTimer(delay > 0 ? delay : 0);
}

// Lets the JS event loops (timers) run the microtask checkpoint between the events they run.
void RunMicrotasks(Args& args) { args.isolate()->PerformMicrotaskCheckpoint(); }

class CloneDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit CloneDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    auto error = v8::Exception::Error(message).As<v8::Object>();
    error->CreateDataProperty(isolate_->GetCurrentContext(), ToV8(isolate_, "name"), ToV8(isolate_, "DataCloneError"))
        .FromMaybe(false);
    isolate_->ThrowException(error);
  }

 private:
  v8::Isolate* isolate_;
};

// structuredClone(value, transfer?): `transfer` is an array made by the JS side; each element
// must be a distinct, detachable ArrayBuffer that is not detached yet. Transferred buffers move
// their memory to the copy (same backing store, no copy) and are detached once the value was
// serialized, so a failed serialization leaves them usable.
void StructuredClone(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Context> context = args.context();
  CloneDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  std::vector<v8::Local<v8::ArrayBuffer>> transfer;
  if (args.length() > 1 && args[1]->IsArray()) {
    v8::Local<v8::Array> list = args[1].As<v8::Array>();
    auto refuse = [&](const char* why) {
      delegate.ThrowDataCloneError(ToV8(isolate, std::string("options.transfer: ") + why));
      throw engine::PendingJsException{};
    };
    for (uint32_t i = 0; i < list->Length(); ++i) {
      v8::Local<v8::Value> item;
      if (!list->Get(context, i).ToLocal(&item)) throw engine::PendingJsException{};
      if (!item->IsArrayBuffer()) refuse("only ArrayBuffers can be transferred by mar");
      v8::Local<v8::ArrayBuffer> buffer = item.As<v8::ArrayBuffer>();
      if (buffer->WasDetached()) refuse("an ArrayBuffer in the list is already detached");
      if (!buffer->IsDetachable()) refuse("an ArrayBuffer in the list cannot be detached (a WebAssembly memory's)");
      for (const auto& seen : transfer) {
        if (seen->StrictEquals(buffer)) refuse("an ArrayBuffer appears twice in the list");
      }
      serializer.TransferArrayBuffer(static_cast<uint32_t>(transfer.size()), buffer);
      transfer.push_back(buffer);
    }
  }
  serializer.WriteHeader();
  if (!serializer.WriteValue(context, args[0]).FromMaybe(false)) throw engine::PendingJsException{};
  std::pair<uint8_t*, size_t> buffer = serializer.Release();
  v8::ValueDeserializer deserializer(isolate, buffer.first, buffer.second);
  for (size_t i = 0; i < transfer.size(); ++i) {
    std::shared_ptr<v8::BackingStore> store = transfer[i]->GetBackingStore();
    transfer[i]->Detach();
    deserializer.TransferArrayBuffer(static_cast<uint32_t>(i), v8::ArrayBuffer::New(isolate, std::move(store)));
  }
  v8::Local<v8::Value> result;
  bool ok = deserializer.ReadHeader(context).FromMaybe(false) && deserializer.ReadValue(context).ToLocal(&result);
  std::free(buffer.first);
  if (!ok) throw engine::PendingJsException{};
  args.Return(result);
}

// Evaluates the npm bundle "streams" (web-streams-polyfill, behind ReadableStream and friends) on
// first use.
void LoadBundle(Args& args) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Context> context = args.context();
  std::string name = args.Utf8(0);
  if (name != "streams") engine::ThrowError("internal error: no built-in bundle \"" + name + "\"");
  for (const JsSource& source : BuiltinJsSources()) {
    if (source.name != "streams_bundle.js") continue;
    std::string wrapped = "(function () {\n";
    wrapped.append(source.source);
    wrapped.append("\nreturn __marStreams;\n})");
    v8::Local<v8::Value> function;
    v8::Local<v8::Value> exports;
    if (!RealmOf(args).RunBuiltin(name + ".js", wrapped).ToLocal(&function) ||
        !function.As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&exports)) {
      throw engine::PendingJsException{};
    }
    args.Return(exports);
    return;
  }
  engine::ThrowError("internal error: built-in bundle \"" + name + "\" missing from this build");
}

// Body bytes from a string (as UTF-8) or a buffer source; anything else is no body.
constexpr int kOnePassBodyChars = 1 << 16;
std::string BodyBytes(Args& args, int index) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Value> body = args[index];
  std::string bytes;
  if (body->IsString()) {
    auto string = body.As<v8::String>();
    const int flags = v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8;
    if (string->Length() <= kOnePassBodyChars) {
      // One pass into room for the longest encoding (Latin-1: 2 bytes a character; UTF-16: 3 a
      // unit) instead of Utf8Length's walk and then the write, which took 3 % of answering a
      // 10 KB JSON echo. Bounded (64 Ki characters), so no large body is held at up to three times
      // its size while it is sent.
      size_t room = static_cast<size_t>(string->Length()) * (string->IsOneByte() ? 2 : 3);
      bytes.resize_and_overwrite(room, [&](char* data, size_t size) {
        return static_cast<size_t>(string->WriteUtf8(isolate, data, static_cast<int>(size), nullptr, flags));
      });
    } else {
      int length = string->Utf8Length(isolate);
      bytes.resize(static_cast<size_t>(length));
      string->WriteUtf8(isolate, bytes.data(), length, nullptr, flags);
    }
  } else if (body->IsArrayBufferView() || body->IsArrayBuffer()) {
    std::span<uint8_t> span = args.Bytes(index);
    bytes.assign(reinterpret_cast<const char*>(span.data()), span.size());
  }
  return bytes;
}

// A flat [name, value, ...] array of ByteStrings.
std::vector<std::pair<std::string, std::string>> HeaderPairs(Args& args, int index) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!args[index]->IsArray()) return pairs;
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Context> context = args.context();
  auto headers = args[index].As<v8::Array>();
  uint32_t length = headers->Length();
  pairs.reserve(length / 2);
  for (uint32_t i = 0; i + 1 < length; i += 2) {
    v8::Local<v8::Value> name, value;
    if (!headers->Get(context, i).ToLocal(&name) || !headers->Get(context, i + 1).ToLocal(&value)) {
      throw engine::PendingJsException{};
    }
    pairs.emplace_back(ByteString(isolate, name), ByteString(isolate, value));
  }
  return pairs;
}

uint64_t Id(Args& args, int index) { return static_cast<uint64_t>(args.Number(index)); }

// respond(id, status, statusText, headers, body): body null | string | bytes | true (streamed:
// the chunks follow through sinkWrite(id, ...)).
void Respond(Args& args) {
  HttpResponse response;
  uint64_t id = Id(args, 0);
  response.status = static_cast<int>(args.Number(1));
  response.status_text = ByteString(args.isolate(), args[2]);
  response.headers = HeaderPairs(args, 3);
  response.streamed = args[4]->IsTrue();
  if (!response.streamed) response.body = BodyBytes(args, 4);
  RealmOf(args).host().OnFetchResponse(id, std::move(response));
}

void SinkWrite(Args& args) {
  std::span<uint8_t> bytes = args.Bytes(1);
  args.Return(RealmOf(args).host().WriteSink(Id(args, 0), bytes));
}

void SinkEnd(Args& args) { RealmOf(args).host().EndSink(Id(args, 0)); }

void SinkAbort(Args& args) { RealmOf(args).host().AbortSink(Id(args, 0), args.Utf8(1)); }

void BodyPull(Args& args) { RealmOf(args).host().PullBody(Id(args, 0)); }

void BodyCancel(Args& args) { RealmOf(args).host().CancelBody(Id(args, 0)); }

// fetchStart(method, url, headers, body) -> id; body null | string | bytes | true (streamed).
// Throws a TypeError when the capabilities do not allow the request.
void FetchStart(Args& args) {
  OutboundRequest request;
  request.method = ByteString(args.isolate(), args[0]);
  request.url = args.Utf8(1);
  request.headers = HeaderPairs(args, 2);
  request.streamed_body = args[3]->IsTrue();
  if (!request.streamed_body) request.body = BodyBytes(args, 3);
  if (args.length() > 4 && args[4]->IsString()) request.capabilities_json = args.Utf8(4);
  auto started = RealmOf(args).host().StartFetch(std::move(request));
  if (!started) engine::ThrowTypeError(started.error().message);
  args.Return(static_cast<double>(*started));
}

void FetchAbort(Args& args) { RealmOf(args).host().AbortFetch(Id(args, 0)); }

void BackgroundWork(Args& args) { RealmOf(args).host().BackgroundWork(args.Number(0) > 0 ? 1 : -1); }

void RespondError(Args& args) {
  auto id = static_cast<uint64_t>(args.Number(0));
  auto report = engine::DescribeException(args.isolate(), args.context(), args[1], v8::Local<v8::Message>());
  RealmOf(args).host().OnFetchResponse(id, Fail(report.Full()));
}

}  // namespace

void AddRuntimeNatives(engine::NativeObject& natives) {
  natives.Function<Log>("log")
      .Function<Now>("now")
      .Function<ArmTimer>("armTimer")
      .Function<RunMicrotasks>("runMicrotasks")
      .Function<StructuredClone>("structuredClone")
      .Function<LoadBundle>("loadBundle")
      .Function<Respond>("respond")
      .Function<RespondError>("respondError")
      .Function<SinkWrite>("sinkWrite")
      .Function<SinkEnd>("sinkEnd")
      .Function<SinkAbort>("sinkAbort")
      .Function<BodyPull>("bodyPull")
      .Function<BodyCancel>("bodyCancel")
      .Function<FetchStart>("fetchStart")
      .Function<FetchAbort>("fetchAbort")
      .Function<BackgroundWork>("backgroundWork");
}

Realm::Realm(v8::Isolate* isolate, RealmHost& host) : isolate_(isolate), host_(host) {}

Realm::~Realm() = default;

double Realm::Now() const { return MonotonicMs() - monotonic_origin_ms_; }

namespace {

// Indexes of Context::GetDataFromSnapshotOnce, in the order PrepareSnapshot adds them.
constexpr size_t kNativeData = 0;
constexpr size_t kInternalData = 1;

void AddNativeFunctions(engine::NativeObject& natives) {
  AddRuntimeNatives(natives);
  AddEncodingNatives(natives);
  AddCryptoNatives(natives);
  AddUrlNatives(natives);
  AddActorNatives(natives);
  AddWasiNatives(natives);
  AddGpuNatives(natives);
}

const engine::NativeObject::Listing& NativeListing() {
  // Immutable once built: the same table for every isolate and every engine of the process.
  static const engine::NativeObject::Listing listing = [] {
    engine::NativeObject::Listing built;
    engine::NativeObject lister(&built);
    AddNativeFunctions(lister);
    built.entry_points.push_back(0);  // external_references is null-terminated
    return built;
  }();
  return listing;
}

}  // namespace

const intptr_t* NativeEntryPoints() { return NativeListing().entry_points.data(); }

std::string SnapshotIdentity() {
  std::string names;
  for (const std::string& name : NativeListing().names) names.append(name).append("\n");
  char identity[128];
  std::snprintf(identity, sizeof identity, "v8 %s, built-in JS %.*s, natives %016zx", v8::V8::GetVersion(),
                static_cast<int>(BuiltinJsDigest().size()), BuiltinJsDigest().data(), std::hash<std::string>{}(names));
  return identity;
}

Result<std::unique_ptr<Realm>> Realm::Create(v8::Isolate* isolate, RealmHost& host, const RealmConfig& config) {
  std::unique_ptr<Realm> realm(new Realm(isolate, host));
  // From mar's snapshot (engine::Snapshot) this context already holds every built-in; otherwise
  // (no snapshot, or a test's isolate) they are run below.
  v8::Local<v8::Context> context = v8::Context::New(isolate);
  context->AllowCodeGenerationFromStrings(false);
  context->SetErrorMessageForCodeGenerationFromStrings(
      ToV8(isolate, "code generation from strings (eval, new Function) is disabled in mar"));
  context->SetAlignedPointerInEmbedderData(kRealmSlot, realm.get());
  realm->context_.Reset(isolate, context);
  realm->code_cache_ = config.code_cache;
  realm->record_code_cache_ = config.record_code_cache && config.code_cache;
  realm->monotonic_origin_ms_ = MonotonicMs();
  realm->time_origin_ms_ =
      std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
  v8::Context::Scope context_scope(context);
  v8::Local<v8::Object> native, internal;
  if (config.for_snapshot || !context->GetDataFromSnapshotOnce<v8::Object>(kNativeData).ToLocal(&native) ||
      !context->GetDataFromSnapshotOnce<v8::Object>(kInternalData).ToLocal(&internal)) {
    auto built = realm->RunBuiltins();
    if (!built) return std::unexpected(built.error());
    std::tie(native, internal) = *built;
  } else {
    realm->from_snapshot_ = true;
  }
  realm->internal_.Reset(isolate, internal);
  if (config.for_snapshot) {
    realm->native_.Reset(isolate, native);
    return realm;
  }
  auto attached = realm->Attach(native, config);
  if (!attached) return std::unexpected(attached.error());
  return realm;
}

Result<std::pair<v8::Local<v8::Object>, v8::Local<v8::Object>>> Realm::RunBuiltins() {
  v8::Local<v8::Context> context = this->context();
  engine::NativeObject natives(isolate_, context);
  AddNativeFunctions(natives);
  v8::Local<v8::Object> internal = v8::Object::New(isolate_);
  v8::Local<v8::Value> call_args[] = {natives.object(), internal, context->Global()};
  v8::TryCatch try_catch(isolate_);
  for (const JsSource& source : BuiltinJsSources()) {
    if (source.name.ends_with("_bundle.js")) continue;  // loaded lazily by native.loadBundle
    std::string wrapped = "(function (native, internal, global) { \"use strict\";\n";
    wrapped.append(source.source);
    wrapped.append("\n})");
    v8::Local<v8::Value> function;
    if (!RunBuiltin(std::string(source.name), wrapped).ToLocal(&function) ||
        function.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 3, call_args).IsEmpty()) {
      return Fail("internal error while installing built-ins: " +
                  engine::DescribeException(isolate_, context, try_catch).Full());
    }
  }
  return std::pair{natives.object(), internal};
}

// The per-context part: what `native` holds for this context only, then `configure`.
Result<void> Realm::Attach(v8::Local<v8::Object> native, const RealmConfig& config) {
  v8::Local<v8::Context> context = this->context();
  auto set = [&](const char* name, v8::Local<v8::Value> value) {
    native->CreateDataProperty(context, ToV8(isolate_, name), value).Check();  // before any user code
  };
  set("timeOrigin", v8::Number::New(isolate_, time_origin_ms_));
  uint32_t* epoch = host_.EventEpochCell();
  v8::Local<v8::ArrayBuffer> epoch_buffer;
  if (epoch) {
    // Shares the CPU monitor's event counter with JS; the monitor outlives the realm.
    auto store = v8::ArrayBuffer::NewBackingStore(epoch, sizeof(uint32_t), v8::BackingStore::EmptyDeleter, nullptr);
    epoch_buffer = v8::ArrayBuffer::New(isolate_, std::move(store));
  } else {
    epoch_buffer = engine::NewArrayBuffer(isolate_, sizeof(uint32_t)).ToLocalChecked();
  }
  set("eventEpoch", v8::Uint32Array::New(epoch_buffer, 0, 1));
  double* stats = host_.ActorStatsCells();
  if (!stats) stats = private_stats_;
  auto stats_store = v8::ArrayBuffer::NewBackingStore(stats, 2 * sizeof(double), v8::BackingStore::EmptyDeleter, nullptr);
  set("actorStats", v8::Float64Array::New(v8::ArrayBuffer::New(isolate_, std::move(stats_store)), 0, 2));
  set("shardIndex", v8::Integer::New(isolate_, host_.ShardIndex()));
  auto pump_store = v8::ArrayBuffer::NewBackingStore(pump_cells_, sizeof pump_cells_, v8::BackingStore::EmptyDeleter, nullptr);
  set("pumpCells", v8::Float64Array::New(v8::ArrayBuffer::New(isolate_, std::move(pump_store)), 0, 2));
  auto serial_store = v8::ArrayBuffer::NewBackingStore(&spawned_serial_, sizeof spawned_serial_,
                                                        v8::BackingStore::EmptyDeleter, nullptr);
  set("spawnedSerial", v8::Float64Array::New(v8::ArrayBuffer::New(isolate_, std::move(serial_store)), 0, 1));
  set("wasiTable", NewWasiTable(context));

  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Object> internal = internal_.Get(isolate_);
  v8::Local<v8::Value> parsed;
  if (!v8::JSON::Parse(context, ToV8(isolate_, config.config_json)).ToLocal(&parsed)) {
    return Fail("internal error: bad realm configuration");
  }
  v8::Local<v8::Value> configure_args[] = {parsed};
  if (Entry("attachInstance")->Call(context, internal, 0, nullptr).IsEmpty() ||
      Entry("configure")->Call(context, internal, 1, configure_args).IsEmpty()) {
    return Fail("internal error while configuring built-ins: " +
                engine::DescribeException(isolate_, context, try_catch).Full());
  }
  run_timers_.Reset(isolate_, Entry("runTimers"));
  body_chunk_.Reset(isolate_, Entry("bodyChunk"));
  sink_event_.Reset(isolate_, Entry("sinkEvent"));
  dispatch_fetch_.Reset(isolate_, Entry("dispatchFetch"));
  actor_pump_.Reset(isolate_, Entry("actorPump"));
  return {};
}

void Realm::PrepareSnapshot(v8::SnapshotCreator& creator) {
  v8::Local<v8::Context> context = this->context();
  size_t native_index = creator.AddData(context, native_.Get(isolate_));
  size_t internal_index = creator.AddData(context, internal_.Get(isolate_));
  if (native_index != kNativeData || internal_index != kInternalData) std::abort();  // a build defect
  native_.Reset();
  internal_.Reset();
  // The slot held this C++ object; a deserialized context gets its own Realm's.
  context->SetAlignedPointerInEmbedderData(kRealmSlot, nullptr);
  creator.SetDefaultContext(context);
  context_.Reset();
}

v8::MaybeLocal<v8::Value> Realm::RunBuiltin(const std::string& name, std::string_view wrapped_source) {
  v8::Local<v8::Context> context = this->context();
  v8::ScriptOrigin origin(isolate_, ToV8(isolate_, "mar:internal/" + name), -1);
  std::unique_ptr<v8::ScriptCompiler::CachedData> cached;
  if (code_cache_ && !record_code_cache_) cached = code_cache_->Find(name);
  bool consume = cached != nullptr;
  // Source takes ownership of the CachedData object (not of its bytes, which the cache owns).
  v8::ScriptCompiler::Source source(ToV8(isolate_, wrapped_source), origin, cached.release());
  v8::Local<v8::Script> script;
  if (!v8::ScriptCompiler::Compile(context, &source,
                                   consume ? v8::ScriptCompiler::kConsumeCodeCache
                                           : v8::ScriptCompiler::kNoCompileOptions)
           .ToLocal(&script)) {
    return {};
  }
  if (consume && source.GetCachedData()->rejected) {
    host_.Log(obs::Level::kDebug, "code cache for built-in " + name + " was rejected (built by another mar or V8?)");
  }
  if (record_code_cache_) compiled_.emplace_back(name, v8::Global<v8::UnboundScript>(isolate_, script->GetUnboundScript()));
  return script->Run(context);
}

void Realm::RecordCodeCache() {
  if (!record_code_cache_) return;
  v8::HandleScope scope(isolate_);
  for (auto& [name, script] : compiled_) code_cache_->Record(name, script.Get(isolate_));
}

v8::Local<v8::Function> Realm::Entry(const char* name) {
  v8::Local<v8::Value> value =
      internal_.Get(isolate_)->Get(context(), ToV8(isolate_, name)).ToLocalChecked();
  if (!value->IsFunction()) {
    // The built-in JS is part of the binary; a missing entry point is a build defect.
    std::fprintf(stderr, "mar: built-in JS entry point %s is missing\n", name);
    std::abort();
  }
  return value.As<v8::Function>();
}

Result<Realm::ModuleInfo> Realm::RegisterModule(v8::Local<v8::Object> module_namespace) {
  v8::Local<v8::Context> context = this->context();
  v8::TryCatch try_catch(isolate_);
  v8::Local<v8::Value> argv[] = {module_namespace};
  v8::Local<v8::Value> result;
  if (!Entry("registerModule")->Call(context, internal_.Get(isolate_), 1, argv).ToLocal(&result) ||
      !result->IsObject()) {
    return Fail(engine::DescribeException(isolate_, context, try_catch).summary);
  }
  ModuleInfo info;
  auto object = result.As<v8::Object>();
  info.has_fetch = object->Get(context, ToV8(isolate_, "hasFetch")).ToLocalChecked()->IsTrue();
  auto classes = object->Get(context, ToV8(isolate_, "classes")).ToLocalChecked();
  if (classes->IsArray()) {
    auto array = classes.As<v8::Array>();
    for (uint32_t i = 0; i < array->Length(); ++i) {
      info.classes.push_back(ToUtf8(isolate_, array->Get(context, i).ToLocalChecked()));
    }
  }
  return info;
}

void Realm::RunTimers() {
  v8::Local<v8::Context> context = this->context();
  // An exception here was already reported by the JS loop; termination is seen by the caller.
  if (run_timers_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 0, nullptr).IsEmpty()) return;
}

void Realm::DispatchFetch(uint64_t request_id, std::string_view method, std::string_view url,
                          std::span<const std::pair<std::string_view, std::string_view>> headers,
                          std::string_view body, bool streamed_body, bool has_body, std::string_view actor) {
  v8::Local<v8::Context> context = this->context();
  auto header_array = HeaderArray(isolate_, headers);
  v8::Local<v8::Value> body_value = v8::Null(isolate_);
  if (streamed_body) {
    body_value = v8::True(isolate_);  // a native source with the request's id
  } else if (has_body || !body.empty()) {  // an empty body is still a body (an empty stream)
    v8::Local<v8::Uint8Array> bytes;
    if (!NewBytes(isolate_, body).ToLocal(&bytes)) {
      host_.OnFetchResponse(request_id, Fail("request body exceeds the bundle's memory budget"));
      return;
    }
    body_value = bytes;
  }
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(request_id)),
                                 ToV8(isolate_, method), ToV8(isolate_, url), header_array, body_value,
                                 actor.empty() ? v8::Undefined(isolate_).As<v8::Value>()
                                               : ToV8(isolate_, actor).As<v8::Value>()};
  if (dispatch_fetch_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 6, argv).IsEmpty()) return;
}

void Realm::DeliverBodyChunk(uint64_t stream_id, std::string_view chunk, bool done, std::string_view error) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> value = v8::Null(isolate_);
  v8::Local<v8::Value> message = v8::Undefined(isolate_);
  if (!error.empty()) {
    message = ToV8(isolate_, error);
  } else if (!done) {
    v8::Local<v8::Uint8Array> bytes;
    if (NewBytes(isolate_, chunk).ToLocal(&bytes)) {
      value = bytes;
    } else {
      message = ToV8(isolate_, "a body chunk of " + std::to_string(chunk.size()) +
                                   " bytes does not fit in the bundle's memory budget");
    }
  }
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(stream_id)), value, message};
  if (body_chunk_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 3, argv).IsEmpty()) return;
}

void Realm::SinkEvent(uint64_t sink_id, SinkState state) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(sink_id)),
                                 ToV8(isolate_, state == SinkState::kDrain ? "drain" : "closed")};
  if (sink_event_.Get(isolate_)->Call(context, v8::Undefined(isolate_), 2, argv).IsEmpty()) return;
}

void Realm::FetchHead(uint64_t id, int status, std::string_view status_text,
                      std::span<const std::pair<std::string, std::string>> headers) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(id)), v8::Number::New(isolate_, status),
                                 OneByteString(isolate_, status_text),
                                 HeaderArray(isolate_, headers)};
  if (Entry("fetchHead")->Call(context, v8::Undefined(isolate_), 4, argv).IsEmpty()) return;
}

void Realm::GpuSettled(uint64_t id, gpu::Outcome outcome) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> value = v8::Undefined(isolate_);
  if (outcome.code.empty() && !outcome.bytes.empty()) {
    // Counted against the bundle's memory budget like any ArrayBuffer it makes.
    v8::Local<v8::ArrayBuffer> buffer;
    if (engine::NewArrayBuffer(isolate_, outcome.bytes.size()).ToLocal(&buffer)) {
      std::memcpy(buffer->Data(), outcome.bytes.data(), outcome.bytes.size());
      value = buffer;
    } else {
      outcome = gpu::Outcome::Failed("out_of_memory", "the " + std::to_string(outcome.bytes.size()) +
                                                          " bytes read back exceed the bundle's memory budget (limits.memoryMb)");
    }
  } else if (outcome.code.empty()) {
    value = v8::Number::New(isolate_, outcome.gpu_ms);
  }
  v8::Local<v8::Value> messages = v8::Undefined(isolate_);
  if (!outcome.messages.empty()) {
    v8::Local<v8::Array> list = v8::Array::New(isolate_, static_cast<int>(outcome.messages.size()));
    for (size_t i = 0; i < outcome.messages.size(); ++i) {
      const auto& m = outcome.messages[i];
      v8::Local<v8::Object> entry = v8::Object::New(isolate_);
      entry->Set(context, ToV8(isolate_, "type"), ToV8(isolate_, m.type)).Check();
      entry->Set(context, ToV8(isolate_, "line"), v8::Number::New(isolate_, static_cast<double>(m.line))).Check();
      entry->Set(context, ToV8(isolate_, "column"), v8::Number::New(isolate_, static_cast<double>(m.column))).Check();
      entry->Set(context, ToV8(isolate_, "message"), ToV8(isolate_, m.message)).Check();
      list->Set(context, static_cast<uint32_t>(i), entry).Check();
    }
    messages = list;
  }
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(id)), ToV8(isolate_, outcome.code),
                                 ToV8(isolate_, outcome.message), value, messages};
  if (Entry("gpuSettled")->Call(context, v8::Undefined(isolate_), 5, argv).IsEmpty()) return;
}

void Realm::FetchFailed(uint64_t id, std::string_view message) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, static_cast<double>(id)), ToV8(isolate_, message)};
  if (Entry("fetchFailed")->Call(context, v8::Undefined(isolate_), 2, argv).IsEmpty()) return;
}

void Realm::TrackRejection(v8::PromiseRejectMessage& message) {
  v8::Local<v8::Promise> promise = message.GetPromise();
  if (message.GetEvent() == v8::kPromiseRejectWithNoHandler) {
    // The actor whose code runs now (continuation data follows it across await) owns the failure.
    v8::Local<v8::Value> actor = context()->GetContinuationPreservedEmbedderData();
    unhandled_rejections_.push_back({v8::Global<v8::Promise>(isolate_, promise),
                                     v8::Global<v8::Value>(isolate_, message.GetValue()),
                                     v8::Global<v8::Value>(isolate_, actor)});
  } else if (message.GetEvent() == v8::kPromiseHandlerAddedAfterReject) {
    std::erase_if(unhandled_rejections_, [&](auto& entry) { return entry.promise.Get(isolate_) == promise; });
  }
}

void Realm::ForgetRejection(v8::Local<v8::Promise> promise) {
  std::erase_if(unhandled_rejections_, [&](auto& entry) { return entry.promise.Get(isolate_) == promise; });
}

void Realm::ReportUnhandledRejections() {
  if (unhandled_rejections_.empty()) return;
  auto pending = std::move(unhandled_rejections_);
  unhandled_rejections_.clear();
  v8::Local<v8::Context> context = this->context();
  for (auto& entry : pending) {
    v8::Local<v8::Value> actor = entry.actor.Get(isolate_);
    if (!actor.IsEmpty() && actor->IsObject()) {
      // An actor's unhandled rejection is its crash (supervision restarts it), not just a log line.
      v8::Local<v8::Value> argv[] = {actor, entry.value.Get(isolate_), ToV8(isolate_, "an unhandled promise rejection")};
      v8::Local<v8::Value> handled;
      if (Entry("actorUncaught")->Call(context, v8::Undefined(isolate_), 3, argv).ToLocal(&handled) &&
          handled->IsTrue()) {
        continue;
      }
      if (isolate_->IsExecutionTerminating()) return;
    }
    auto report = engine::DescribeException(isolate_, context, entry.value.Get(isolate_), v8::Local<v8::Message>());
    host_.Log(obs::Level::kError, "Uncaught (in promise) " + report.Full());
  }
}

bool Realm::ActorPump() {
  v8::Local<v8::Value> argv[] = {v8::Number::New(isolate_, Now())};
  v8::Local<v8::Value> more;
  if (!actor_pump_.Get(isolate_)->Call(context(), v8::Undefined(isolate_), 1, argv).ToLocal(&more)) return false;
  return more->IsTrue();
}

void Realm::DeliverActorEnvelope(const ActorEnvelope& envelope) {
  v8::Local<v8::Context> context = this->context();
  v8::Local<v8::Value> value = v8::Undefined(isolate_);
  if (!envelope.error_code.empty()) {
    v8::Local<v8::Object> descriptor = v8::Object::New(isolate_);
    descriptor->CreateDataProperty(context, ToV8(isolate_, "code"), ToV8(isolate_, envelope.error_code)).Check();
    descriptor->CreateDataProperty(context, ToV8(isolate_, "message"), ToV8(isolate_, envelope.error_message)).Check();
    value = descriptor;
  } else if (!envelope.payload.empty()) {
    v8::TryCatch try_catch(isolate_);
    v8::ValueDeserializer deserializer(isolate_, reinterpret_cast<const uint8_t*>(envelope.payload.data()),
                                       envelope.payload.size());
    if (!deserializer.ReadHeader(context).FromMaybe(false) || !deserializer.ReadValue(context).ToLocal(&value)) {
      if (try_catch.HasTerminated()) return;
      if (envelope.kind >= ActorEnvelope::kReplyOk) return;  // the caller times out; nothing to answer
      ActorEnvelope reply;
      reply.kind = ActorEnvelope::kReplyError;
      reply.call_id = envelope.call_id;
      reply.origin = host_.ShardIndex();
      reply.error_code = "decode_failure";
      reply.error_message = "the message for " + envelope.address + " could not be decoded";
      host_.PostActorEnvelope(envelope.origin, std::move(reply));
      return;
    }
  }
  v8::Local<v8::Value> argv[] = {v8::Integer::New(isolate_, envelope.kind), ToV8(isolate_, envelope.address),
                                 envelope.sender.empty() ? v8::Null(isolate_).As<v8::Value>()
                                                         : ToV8(isolate_, envelope.sender).As<v8::Value>(),
                                 v8::Number::New(isolate_, static_cast<double>(envelope.call_id)),
                                 v8::Integer::New(isolate_, envelope.origin), value};
  if (Entry("actorEnvelope")->Call(context, v8::Undefined(isolate_), 6, argv).IsEmpty()) return;
}

bool Realm::ActorRestart(const std::string& address, std::string_view cls, bool spawned,
                         std::string_view capabilities_json) {
  v8::Local<v8::Value> argv[] = {ToV8(isolate_, address), ToV8(isolate_, cls), v8::Boolean::New(isolate_, spawned),
                                 ToV8(isolate_, capabilities_json)};
  v8::Local<v8::Value> ok;
  return Entry("actorRestart")->Call(context(), v8::Undefined(isolate_), 4, argv).ToLocal(&ok) && ok->IsTrue();
}

bool Realm::ActorAborted(std::string_view reason) {
  v8::Local<v8::Value> argv[] = {ToV8(isolate_, reason)};
  v8::Local<v8::Value> blamed;
  return Entry("actorAborted")->Call(context(), v8::Undefined(isolate_), 1, argv).ToLocal(&blamed) &&
         blamed->IsTrue();
}

void Realm::ActorShutdown() {
  if (Entry("actorShutdown")->Call(context(), v8::Undefined(isolate_), 0, nullptr).IsEmpty()) return;
}

}  // namespace mar::api
