// Per-context state behind the built-in JavaScript: what the natives need from the node (the
// RealmHost) and the JS entry points the node calls (timers, fetch dispatch).
#pragma once

#include <v8.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/code_cache.h"
#include "gpu/requests.h"
#include "obs/log.h"

namespace mar::gpu {
class Service;
}

namespace mar::api {

struct HttpResponse {
  int status = 200;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool streamed = false;  // the body follows through the sink with the request's id
};

// An outbound fetch() as the JS layer asks for it; the host checks it against the capabilities.
struct OutboundRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool streamed_body = false;  // the body follows through the sink with the fetch's id
  std::string capabilities_json;  // the calling actor's narrowed capabilities ("" = the bundle's)
};

// A spawned actor: its minted address, and its serial (how the isolate's actor table finds it).
struct SpawnedActor {
  std::string address;
  uint64_t serial = 0;
};

// An actor address as the node resolved it.
struct LocatedActor {
  std::string address;  // canonical "bundle/Class/name"
  std::string bundle;
  std::string cls;
  int shard = 0;
};

// A message between actors of different isolates (another shard; later another node). `payload`
// is V8 serializer output; kinds 0-3 are send/call/fetch/spawn, 4 and 5 the answer (value or
// error descriptor) to the call with `call_id` that `origin` made.
struct ActorEnvelope {
  enum Kind : uint8_t { kSend = 0, kCall = 1, kFetch = 2, kSpawn = 3, kReplyOk = 4, kReplyError = 5 };
  uint8_t kind = kSend;
  std::string address;
  std::string sender;
  uint64_t call_id = 0;
  int origin = 0;
  std::string payload;
  // A reply made without an isolate (the target's was discarded): kReplyError with these.
  std::string error_code;
  std::string error_message;
};

// What a realm needs from whoever runs it (the node's bundle host, or a test harness).
class RealmHost {
 public:
  virtual ~RealmHost() = default;
  // console output and runtime errors of this realm, tagged by the host.
  virtual void Log(obs::Level level, std::string_view message) = 0;
  // Run Realm::RunTimers() once `delay_ms` has passed; replaces any earlier request.
  virtual void ArmTimer(double delay_ms) = 0;
  // A fetch event finished: the handler's response, or (error set) a failure to turn into a 500.
  virtual void OnFetchResponse(uint64_t request_id, Result<HttpResponse> response) = 0;
  // The cell JS bumps between events it runs in one entry (see engine::CpuMonitor); may be null.
  virtual uint32_t* EventEpochCell() { return nullptr; }

  // Native byte streams. Ids name request bodies, fetch responses and response sinks; they come
  // from the host (a request's id, a fetch's id). The defaults are for hosts without HTTP.
  //
  // A ReadableStream over a native source wants its next chunk: answer, later and once, with
  // Realm::DeliverBodyChunk.
  virtual void PullBody(uint64_t stream_id) {}
  // The stream was cancelled (or collected): release the source.
  virtual void CancelBody(uint64_t stream_id) {}
  // A body streamed from JS into a native sink (a response, an upload). Write returns false when
  // the sink is full; Realm::SinkEvent(kDrain) says when to go on.
  virtual bool WriteSink(uint64_t sink_id, std::span<const uint8_t> bytes) { return true; }
  virtual void EndSink(uint64_t sink_id) {}
  virtual void AbortSink(uint64_t sink_id, std::string_view reason) {}
  // Outbound fetch(): the request id, or a message for the TypeError (a denial names the host and
  // the manifest key). The head arrives through Realm::FetchHead, the body as a native source
  // with the same id, a failure through Realm::FetchFailed.
  virtual Result<uint64_t> StartFetch(OutboundRequest request) {
    return Fail("fetch() is not available in this context");
  }
  virtual void AbortFetch(uint64_t id) {}
  // ctx.waitUntil() work started (+1) or settled (-1): a draining node waits for it.
  virtual void BackgroundWork(int delta) {}

  // Actors (see 42_actors.js). Refusals are "code:message" with an ActorError code.
  virtual int ShardIndex() const { return 0; }
  // Parses `text` and checks it against the caller's capabilities (`capabilities_json`: "" for the
  // bundle's, else a narrowed set); a refusal is "code:message".
  virtual Result<LocatedActor> LocateActor(std::string_view text, std::string_view capabilities_json) {
    return Fail("unavailable:actors are not available in this context");
  }
  // Mints a name for a new actor of `cls` on this shard and registers it, or a "code:message"
  // refusal.
  virtual Result<SpawnedActor> SpawnHere(std::string_view cls, std::string_view capabilities_json) {
    return Fail("unavailable:actors are not available in this context");
  }
  // The serial of a name spawned on this node (whether or not the actor lives), else -1.
  virtual int64_t SpawnedSerial(std::string_view address) { return -1; }
  // Registers `address` here (first use, or an explicit spawn with capabilities_json): the
  // capabilities it runs with ("" for the bundle's, else the narrowed set's JSON, starting with
  // "{": an existing entry keeps its own), or a "code:message" refusal.
  virtual std::string ActivateActor(const std::string& address, std::string_view cls, bool spawned,
                                    std::string_view capabilities_json, bool explicit_spawn) {
    return "unavailable:actors are not available in this context";
  }
  // The bundle's capabilities narrowed by a requested set (JSON), as JSON; or a message.
  virtual Result<std::string> NarrowCapabilities(std::string_view requested_json) {
    return Fail("actors are not available in this context");
  }
  // An actor crashed (or stopped, crashed=false): the restart delay in ms, or -1 if it is gone.
  virtual int64_t ActorEnded(const std::string& address, std::string_view reason, bool crashed) { return -1; }
  // Run Realm::ActorPump soon (once, however often this is called before it runs).
  virtual void ScheduleActorPump() {}
  virtual void PostActorEnvelope(int shard, ActorEnvelope envelope) {}
  // Two cells JS keeps current: messages delivered, messages queued. Null: a private pair.
  virtual double* ActorStatsCells() { return nullptr; }

  // WebAssembly actor classes (44_wasm_actors.js): the compiled module of class `cls`, created
  // in this isolate from the bundle's shared compilation; empty (with a pending exception) if
  // there is none or it does not compile.
  virtual v8::MaybeLocal<v8::WasmModuleObject> WasmModule(std::string_view cls) { return {}; }
  // The process-wide budget of growable Wasm memories (engine::Engine).
  virtual bool AcquireGrowableWasmMemory() { return true; }
  virtual void ReleaseGrowableWasmMemory() {}

  // GPU compute (45_gpu.js, natives_gpu.cc): the node's GPU service, null when the bundle has no
  // GPU grant; the group this isolate's owners belong to (all released when the isolate goes);
  // and the callback that brings the answer to request `request_id` back to this shard, where
  // Realm::GpuSettled runs as an event.
  virtual gpu::Service* GpuService() { return nullptr; }
  virtual uint64_t GpuGroup() { return 0; }
  virtual gpu::Callback GpuCallback(uint64_t request_id) { return {}; }
};

// Embedder data slot holding the Realm* of a context.
inline constexpr int kRealmSlot = 3;

struct RealmConfig {
  std::string config_json;    // {"env": {...}, "capabilities": {...}} as JSON
  engine::CodeCache* code_cache = nullptr;  // built-in code caches to use (and, if recording, fill)
  bool record_code_cache = false;
  // Run the built-ins and stop there: the context is to become a snapshot (PrepareSnapshot).
  bool for_snapshot = false;
};

// The natives' C++ entry points, null-terminated, in the order a start-up snapshot refers to them
// (CreateParams::external_references); they live as long as the process.
const intptr_t* NativeEntryPoints();
// What a snapshot must have been made for: V8's version, the built-in JS, the natives in order.
std::string SnapshotIdentity();

class Realm {
 public:
  // Creates a context on `isolate` with every built-in global installed. Must be called inside
  // an Isolate::Scope and HandleScope.
  static Result<std::unique_ptr<Realm>> Create(v8::Isolate* isolate, RealmHost& host, const RealmConfig& config);
  ~Realm();

  static Realm& From(v8::Local<v8::Context> context) {
    return *static_cast<Realm*>(context->GetAlignedPointerFromEmbedderData(kRealmSlot));
  }

  v8::Isolate* isolate() const { return isolate_; }
  bool from_snapshot() const { return from_snapshot_; }  // else the built-ins ran in this context
  v8::Local<v8::Context> context() const { return context_.Get(isolate_); }
  RealmHost& host() const { return host_; }
  double time_origin_ms() const { return time_origin_ms_; }
  double Now() const;  // ms since time origin, monotonic

  // What the main module exports, as the node needs to know it.
  struct ModuleInfo {
    bool has_fetch = false;
    std::vector<std::string> classes;  // exported classes (actor candidates)
  };
  // Registers the main module's namespace as the bundle's handlers. Call inside the context.
  Result<ModuleInfo> RegisterModule(v8::Local<v8::Object> module_namespace);

  // Entry points; call inside a HandleScope + Context::Scope, as one event each.
  void RunTimers();
  void DispatchFetch(uint64_t request_id, std::string_view method, std::string_view url,
                     std::span<const std::pair<std::string_view, std::string_view>> headers,
                     std::string_view body, bool streamed_body, bool has_body, std::string_view actor = {});
  // Actors. ActorPump runs a batch of deliveries and says whether more are queued.
  bool ActorPump();
  // While the node's pump loop runs, JS queues without asking for a pump; the loop goes on while
  // deliveries are runnable (cells shared with 42_actors.js).
  void SetInPump(bool in_pump) { pump_cells_[0] = in_pump ? 1 : 0; }
  bool ActorWorkPending() const { return pump_cells_[1] > 0; }
  // Where actorSpawnHere leaves the new actor's serial for JS (a cell, not a second return value).
  void SetSpawnedSerial(uint64_t serial) { spawned_serial_ = static_cast<double>(serial); }
  void DeliverActorEnvelope(const ActorEnvelope& envelope);
  // Brings an actor (back) to life after a crash or a discarded isolate; false if it failed.
  bool ActorRestart(const std::string& address, std::string_view cls, bool spawned, std::string_view capabilities_json);
  // After a CPU/memory termination was cancelled: true if the actor running at that moment
  // took the blame (and crashed), false if nobody could (the isolate must go).
  bool ActorAborted(std::string_view reason);
  // Runs every live actor's onStop (counted as background work until done).
  void ActorShutdown();

  // A native source's answer to PullBody: a chunk, the end (done), or an error message.
  void DeliverBodyChunk(uint64_t stream_id, std::string_view chunk, bool done, std::string_view error = {});
  enum class SinkState { kDrain, kClosed };
  void SinkEvent(uint64_t sink_id, SinkState state);
  void FetchHead(uint64_t id, int status, std::string_view status_text,
                 std::span<const std::pair<std::string, std::string>> headers);
  void FetchFailed(uint64_t id, std::string_view message);
  // The answer to env.GPU request `id` (readBuffer, dispatch).
  void GpuSettled(uint64_t id, gpu::Outcome outcome);

  // For a realm made with for_snapshot: hands its context to `creator` as the snapshot's default
  // context. The realm is unusable afterwards; destroy it before CreateBlob.
  void PrepareSnapshot(v8::SnapshotCreator& creator);

  // Compiles and runs a built-in script through the code cache; used by the natives too.
  v8::MaybeLocal<v8::Value> RunBuiltin(const std::string& name, std::string_view wrapped_source);
  // Recording mode: stores the code cache of every built-in compiled so far (call after a warm-up).
  void RecordCodeCache();

  // Reports (and forgets) rejected promises that got no handler by the end of an event.
  void ReportUnhandledRejections();
  void TrackRejection(v8::PromiseRejectMessage& message);
  // Stops tracking a rejection the host handles itself (e.g. a failed module evaluation).
  void ForgetRejection(v8::Local<v8::Promise> promise);

 private:
  Realm(v8::Isolate* isolate, RealmHost& host);
  // Runs every built-in file into this (fresh) context: the `native` and `internal` objects.
  Result<std::pair<v8::Local<v8::Object>, v8::Local<v8::Object>>> RunBuiltins();
  Result<void> Attach(v8::Local<v8::Object> native, const RealmConfig& config);
  v8::Local<v8::Function> Entry(const char* name);

  v8::Isolate* isolate_;
  RealmHost& host_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Object> internal_;
  v8::Global<v8::Object> native_;  // only between RunBuiltins and PrepareSnapshot
  v8::Global<v8::Function> run_timers_;
  v8::Global<v8::Function> dispatch_fetch_;
  v8::Global<v8::Function> body_chunk_;
  v8::Global<v8::Function> sink_event_;
  engine::CodeCache* code_cache_ = nullptr;
  bool record_code_cache_ = false;
  bool from_snapshot_ = false;
  std::vector<std::pair<std::string, v8::Global<v8::UnboundScript>>> compiled_;  // recording mode only
  double time_origin_ms_ = 0;
  double monotonic_origin_ms_ = 0;
  v8::Global<v8::Function> actor_pump_;
  double private_stats_[2] = {0, 0};
  alignas(8) double pump_cells_[2] = {0, 0};  // [node pump loop running, runnable deliveries]
  alignas(8) double spawned_serial_ = 0;
  struct UnhandledRejection {
    v8::Global<v8::Promise> promise;
    v8::Global<v8::Value> value;
    v8::Global<v8::Value> actor;  // the actor whose code rejected it, if any
  };
  std::vector<UnhandledRejection> unhandled_rejections_;
};

}  // namespace mar::api
