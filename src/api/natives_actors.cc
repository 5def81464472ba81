// The natives behind 42_actors.js: address resolution and activation (answered by the host),
// copying messages with V8's serializer where the JS fast clone cannot, and the continuation
// data that tells which actor's code is running.
#include <cstdlib>
#include <cstring>

#include "api/natives.h"
#include "api/realm.h"
#include "engine/binding.h"

namespace mar::api {

namespace {

using engine::Args;
using engine::ToV8;

Realm& RealmOf(Args& args) { return Realm::From(args.context()); }

class SerializerDelegate final : public v8::ValueSerializer::Delegate {
 public:
  explicit SerializerDelegate(v8::Isolate* isolate) : isolate_(isolate) {}
  void ThrowDataCloneError(v8::Local<v8::String> message) override {
    isolate_->ThrowException(v8::Exception::TypeError(message));
  }

 private:
  v8::Isolate* isolate_;
};

// Serializes args[index]; throws (and returns false) if it cannot be cloned or exceeds `limit`.
bool Serialize(Args& args, int index, size_t limit, std::string& out) {
  v8::Isolate* isolate = args.isolate();
  SerializerDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  if (!serializer.WriteValue(args.context(), args[index]).FromMaybe(false)) throw engine::PendingJsException{};
  auto [data, size] = serializer.Release();
  if (size > limit) {
    std::free(data);
    engine::ThrowRangeError("the message is " + std::to_string(size) + " bytes serialized; limits.messageBytes is " +
                            std::to_string(limit));
  }
  out.assign(reinterpret_cast<const char*>(data), size);
  std::free(data);
  return true;
}

v8::Local<v8::Value> Located(Args& args, const LocatedActor& located) {
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Value> elements[] = {ToV8(isolate, located.address), v8::Integer::New(isolate, located.shard),
                                     ToV8(isolate, located.bundle), ToV8(isolate, located.cls)};
  return v8::Array::New(isolate, elements, 4);
}

// actorLocate(text, capsJson) -> [address, shard, bundle, class] | "code:message"
void ActorLocate(Args& args) {
  auto located = RealmOf(args).host().LocateActor(args.Utf8(0), args.Utf8(1));
  if (!located) return args.Return(located.error().message);
  args.Return(Located(args, *located));
}

// actorSpawnHere(class, capsJson) -> the address of a new actor on this shard | "!code:message";
// its serial goes to the spawnedSerial cell
void ActorSpawnHere(Args& args) {
  Realm& realm = RealmOf(args);
  auto spawned = realm.host().SpawnHere(args.Utf8(0), args.Utf8(1));
  if (!spawned) return args.Return("!" + spawned.error().message);
  realm.SetSpawnedSerial(spawned->serial);
  args.Return(spawned->address);
}

// actorSerial(address) -> the serial of a name spawned on this node, or -1
void ActorSerial(Args& args) { args.Return(static_cast<double>(RealmOf(args).host().SpawnedSerial(args.Utf8(0)))); }

// actorActivate(address, class, spawned, capsJson, explicit) -> "" | narrowed capsJson ("{...}") |
// "code:message"
void ActorActivate(Args& args) {
  args.Return(RealmOf(args).host().ActivateActor(args.Utf8(0), args.Utf8(1), args.Boolean(2), args.Utf8(3),
                                                 args.Boolean(4)));
}

// actorNarrow(requestedJson) -> narrowed JSON | "!message"
void ActorNarrow(Args& args) {
  auto narrowed = RealmOf(args).host().NarrowCapabilities(args.Utf8(0));
  if (!narrowed) return args.Return("!" + narrowed.error().message);
  args.Return(*narrowed);
}

// actorCrashed(address, reason, crashed) -> restart delay in ms, or -1
void ActorCrashed(Args& args) {
  args.Return(static_cast<double>(RealmOf(args).host().ActorEnded(args.Utf8(0), args.Utf8(1), args.Boolean(2))));
}

void ActorSchedule(Args& args) { RealmOf(args).host().ScheduleActorPump(); }

// actorPost(shard, kind, address, sender, callId, value, limit)
void ActorPost(Args& args) {
  ActorEnvelope envelope;
  int shard = static_cast<int>(args.Number(0));
  envelope.kind = static_cast<uint8_t>(args.Number(1));
  envelope.address = args.Utf8(2);
  if (!args[3]->IsNull()) envelope.sender = args.Utf8(3);
  envelope.call_id = static_cast<uint64_t>(args.Number(4));
  Realm& realm = RealmOf(args);
  envelope.origin = realm.host().ShardIndex();
  Serialize(args, 5, static_cast<size_t>(args.Number(6)), envelope.payload);
  realm.host().PostActorEnvelope(shard, std::move(envelope));
}

// actorReply(origin, callId, ok, value): the answer to a delivery that came from another shard.
void ActorReply(Args& args) {
  ActorEnvelope envelope;
  int origin = static_cast<int>(args.Number(0));
  envelope.call_id = static_cast<uint64_t>(args.Number(1));
  envelope.kind = args.Boolean(2) ? ActorEnvelope::kReplyOk : ActorEnvelope::kReplyError;
  Realm& realm = RealmOf(args);
  envelope.origin = realm.host().ShardIndex();
  v8::Isolate* isolate = args.isolate();
  v8::Local<v8::Context> context = args.context();
  v8::TryCatch try_catch(isolate);
  SerializerDelegate delegate(isolate);
  v8::ValueSerializer serializer(isolate, &delegate);
  serializer.WriteHeader();
  v8::Local<v8::Value> value = args[3];
  std::string problem;
  if (!serializer.WriteValue(context, value).FromMaybe(false)) {
    if (try_catch.HasTerminated()) return;
    // A reply that cannot be copied still answers the caller, with what went wrong.
    problem = engine::ToUtf8(isolate, try_catch.Exception());
    try_catch.Reset();
    v8::Local<v8::Object> descriptor = v8::Object::New(isolate);
    descriptor->CreateDataProperty(context, ToV8(isolate, "code"), ToV8(isolate, "invalid_argument")).Check();
    descriptor->CreateDataProperty(context, ToV8(isolate, "message"), ToV8(isolate, "the reply cannot be copied: " + problem))
        .Check();
    v8::ValueSerializer fallback(isolate);
    fallback.WriteHeader();
    fallback.WriteValue(context, descriptor).Check();
    auto [data, size] = fallback.Release();
    envelope.payload.assign(reinterpret_cast<const char*>(data), size);
    std::free(data);
    envelope.kind = ActorEnvelope::kReplyError;
  } else {
    auto [data, size] = serializer.Release();
    envelope.payload.assign(reinterpret_cast<const char*>(data), size);
    std::free(data);
  }
  realm.host().PostActorEnvelope(origin, std::move(envelope));
}

// actorClone(value, limit): a structured clone within this isolate, refused above `limit` bytes.
void ActorClone(Args& args) {
  std::string bytes;
  Serialize(args, 0, static_cast<size_t>(args.Number(1)), bytes);
  v8::ValueDeserializer deserializer(args.isolate(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  v8::Local<v8::Value> copy;
  if (!deserializer.ReadHeader(args.context()).FromMaybe(false) ||
      !deserializer.ReadValue(args.context()).ToLocal(&copy)) {
    throw engine::PendingJsException{};
  }
  args.Return(copy);
}

// The actor record whose code runs from here on; await continuations keep it (V8 stores it with
// every promise reaction created while it is set).
void EnterActor(Args& args) { args.context()->SetContinuationPreservedEmbedderData(args[0]); }

void CurrentActor(Args& args) { args.Return(args.context()->GetContinuationPreservedEmbedderData()); }

// wasmModule(className) -> WebAssembly.Module (compiled once per bundle, shared by isolates)
void WasmModule(Args& args) {
  v8::Local<v8::WasmModuleObject> module;
  if (!RealmOf(args).host().WasmModule(args.Utf8(0)).ToLocal(&module)) throw engine::PendingJsException{};
  args.Return(module);
}
void WasmMemoryAcquire(Args& args) { args.Return(RealmOf(args).host().AcquireGrowableWasmMemory()); }
void WasmMemoryRelease(Args& args) { RealmOf(args).host().ReleaseGrowableWasmMemory(); }

}  // namespace

void AddActorNatives(engine::NativeObject& natives) {
  natives.Function<ActorLocate>("actorLocate")
      .Function<ActorSpawnHere>("actorSpawnHere")
      .Function<ActorSerial>("actorSerial")
      .Function<ActorActivate>("actorActivate")
      .Function<ActorNarrow>("actorNarrow")
      .Function<ActorCrashed>("actorCrashed")
      .Function<ActorSchedule>("actorSchedule")
      .Function<ActorPost>("actorPost")
      .Function<ActorReply>("actorReply")
      .Function<ActorClone>("actorClone")
      .Function<EnterActor>("enterActor")
      .Function<CurrentActor>("currentActor")
      .Function<WasmModule>("wasmModule")
      .Function<WasmMemoryAcquire>("wasmMemoryAcquire")
      .Function<WasmMemoryRelease>("wasmMemoryRelease");
}

}  // namespace mar::api
