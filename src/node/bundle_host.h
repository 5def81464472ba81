// A bundle running on one shard: its isolate, context (realm) and module graph. Every entry into
// JS is an event: CPU-limited, followed by a microtask checkpoint, and checked for termination.
// A host whose isolate was terminated (CPU or memory limit) fails its in-flight work and is
// replaced by a fresh one on next use (BundleSlot).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <span>
#include <unordered_set>

#include "actor/ids.h"
#include "actor/registry.h"
#include "actor/resolver.h"
#include "api/realm.h"
#include "engine/isolate.h"
#include "engine/modules.h"
#include "gpu/service.h"
#include "net/http_server.h"
#include "node/outbound_fetch.h"
#include "node/bundle.h"
#include "obs/log.h"

namespace mar::engine {
class Engine;
}

namespace mar::node {

class Shard;

// What a bundle host needs from the node to run actors: where addresses live, the node's id
// minter, this shard's registry, and ways to reach other shards and to schedule restarts.
struct ActorServices {
  const actor::LocalResolver* resolver = nullptr;
  const actor::IdMinter* minter = nullptr;
  actor::Registry* registry = nullptr;  // this shard's; outlives hosts
  std::function<void(int shard, api::ActorEnvelope envelope)> post;
  std::function<void(std::string address, std::chrono::milliseconds delay)> schedule_restart;  // on this shard
  double* stats = nullptr;  // two cells: messages delivered, messages queued
  gpu::Service* gpu = nullptr;  // the node's GPU (env.GPU), null when the bundle has no GPU grant
};

class BundleHost final : public api::RealmHost, private OutboundEvents {
 public:
  static Result<std::unique_ptr<BundleHost>> Start(engine::Engine& engine, Shard& shard, const Bundle& bundle,
                                                   obs::Logger& logger, ActorServices actors = {});
  ~BundleHost() override;

  const api::Realm::ModuleInfo& module_info() const { return module_info_; }
  // True once the isolate was terminated; the host must then be discarded.
  bool dead() const { return dead_; }
  size_t in_flight() const { return pending_.size(); }
  // ctx.waitUntil() promises not settled yet.
  size_t background_work() const { return dead_ ? 0 : background_work_; }

  // Runs default.fetch for an HTTP request (or, with `actor`, that actor's fetch); the answer
  // goes out through `exchange`.
  void DispatchFetch(net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange,
                     std::string_view actor = {});
  // Messages from other shards, for actors here or answering ours; one event for the batch.
  void ReceiveEnvelopes(std::span<const api::ActorEnvelope> envelopes);
  // Supervision: bring `address` (owned by this shard) back to life.
  void RestartActor(const std::string& address);
  // Node shutdown: run the live actors' onStop hooks (tracked as background work).
  void StopActors();
  // Called (on the shard, from inside an event) when the host dies; the owner discards it later.
  void set_on_death(std::function<void()> on_death) { on_death_ = std::move(on_death); }
  // Takes the requests this host received but never handed to JS because it died first (the node
  // gives them to the bundle's next isolate). Without one they fail with 503.
  using Redispatch = std::function<void(net::IncomingRequest, std::shared_ptr<net::Exchange>)>;
  void set_redispatch(Redispatch redispatch) { redispatch_ = std::move(redispatch); }

  // RealmHost
  void Log(obs::Level level, std::string_view message) override;
  void ArmTimer(double delay_ms) override;
  void OnFetchResponse(uint64_t request_id, Result<api::HttpResponse> response) override;
  uint32_t* EventEpochCell() override;
  void PullBody(uint64_t stream_id) override;
  void CancelBody(uint64_t stream_id) override;
  bool WriteSink(uint64_t sink_id, std::span<const uint8_t> bytes) override;
  void EndSink(uint64_t sink_id) override;
  void AbortSink(uint64_t sink_id, std::string_view reason) override;
  Result<uint64_t> StartFetch(api::OutboundRequest request) override;
  void AbortFetch(uint64_t id) override;
  void BackgroundWork(int delta) override { background_work_ += delta; }
  int ShardIndex() const override;
  Result<api::LocatedActor> LocateActor(std::string_view text, std::string_view capabilities_json) override;
  Result<api::SpawnedActor> SpawnHere(std::string_view cls, std::string_view capabilities_json) override;
  int64_t SpawnedSerial(std::string_view address) override;
  std::string ActivateActor(const std::string& address, std::string_view cls, bool spawned,
                            std::string_view capabilities_json, bool explicit_spawn) override;
  Result<std::string> NarrowCapabilities(std::string_view requested_json) override;
  int64_t ActorEnded(const std::string& address, std::string_view reason, bool crashed) override;
  void ScheduleActorPump() override;
  void PostActorEnvelope(int shard, api::ActorEnvelope envelope) override;
  double* ActorStatsCells() override { return actors_.stats; }
  v8::MaybeLocal<v8::WasmModuleObject> WasmModule(std::string_view cls) override;
  bool AcquireGrowableWasmMemory() override;
  void ReleaseGrowableWasmMemory() override;
  gpu::Service* GpuService() override { return actors_.gpu; }
  uint64_t GpuGroup() override { return gpu_group_; }
  gpu::Callback GpuCallback(uint64_t request_id) override;

 private:
  BundleHost(engine::Engine& engine, Shard& shard, const Bundle& bundle, obs::Logger& logger, ActorServices actors);
  Result<void> Boot();
  Result<void> RegisterClasses(const std::string& display_main, v8::Local<v8::Module> main_module);
  // Runs `body` as one event with the bundle's CPU budget (or `budget` if non-zero); returns
  // false if the host died (its isolate was terminated and could not recover).
  template <class Body>
  bool RunEvent(Body&& body, std::chrono::milliseconds budget = {});
  // Runs body(0) ... body(count - 1), each as one event as RunEvent does, entering the isolate
  // once for all of them; after a termination the rest run if the isolate recovers. Returns
  // false if the host died.
  template <class Body>
  bool RunEvents(size_t count, Body&& body, std::chrono::milliseconds budget = {});
  // Runs the HTTP requests DispatchFetch queued.
  void DispatchQueued();
  // After a CPU or memory termination: blames the actor whose code was running, if the runtime
  // can tell, and keeps the isolate; otherwise discards it. Returns whether the host lives on.
  bool Recover(engine::TerminationReason reason);
  void Die(engine::TerminationReason reason);
  void RunActorPump();
  // Answers a request from another shard that this host will never answer (it died).
  void ReplyUnavailable(int origin, uint64_t call_id, std::string_view code, std::string_view message);
  // A narrowed set as NarrowCapabilities wrote it, parsed once and kept.
  const caps::CapabilitySet* NarrowedSet(std::string_view json);
  // The narrowed set a spawn asked for as JSON (null for "": the bundle's own), or a refusal.
  Result<std::shared_ptr<const actor::NarrowedCapabilities>> Narrowed(std::string_view capabilities_json);
  static Result<std::unique_ptr<caps::CapabilitySet>> ParseCapabilities(std::string_view json, std::string_view what);
  void PumpPlatform();
  // Runs `body` as an event if this host is still alive when the callback comes (for callbacks
  // from the network, which may outlive the host).
  template <class Body>
  auto Later(Body&& body);
  void OnClientGone(uint64_t id);
  // OutboundEvents
  void OnFetchHead(uint64_t id, net::FetchHead head) override;
  void OnFetchFailed(uint64_t id, std::string message) override;
  void OnFetchChunk(uint64_t id, std::string chunk, bool done, std::string error) override;
  void OnFetchUploadDrained(uint64_t id) override;

  engine::Engine& engine_;
  Shard& shard_;
  const Bundle& bundle_;
  obs::Logger& logger_;
  std::string log_source_;
  std::unique_ptr<engine::Isolate> isolate_;
  std::unique_ptr<engine::ModuleGraph> modules_;
  std::unique_ptr<api::Realm> realm_;
  std::unique_ptr<OutboundFetches> outbound_;  // before realm_ in teardown: no callbacks into a dead realm
  api::Realm::ModuleInfo module_info_;
  boost::asio::steady_timer timer_;
  // HTTP requests in flight: answered (whole), or streaming their response body.
  struct PendingRequest {
    std::shared_ptr<net::Exchange> exchange;
    bool streaming = false;
  };
  std::unordered_map<uint64_t, PendingRequest> pending_;
  // Requests received and not yet handed to JS (DispatchQueued runs them).
  struct QueuedRequest {
    net::IncomingRequest request;
    std::shared_ptr<net::Exchange> exchange;
    std::string actor;  // the routed actor's address, or empty
  };
  std::vector<QueuedRequest> queued_;
  uint64_t next_id_ = 1;
  size_t background_work_ = 0;  // requests and outbound fetches share one id space (stream ids)
  bool dead_ = false;
  bool timer_posted_ = false;  // a due-now RunTimers is queued on the shard
  std::function<void()> on_death_;
  Redispatch redispatch_;
  ActorServices actors_;
  bool pump_posted_ = false;     // a RunActorPump is queued on the shard
  // Requests from other shards delivered here and not answered yet: (origin shard, call id).
  struct RemoteCall {
    int origin;
    uint64_t call_id;
    bool operator==(const RemoteCall&) const = default;
  };
  struct RemoteCallHash {
    size_t operator()(const RemoteCall& call) const { return std::hash<uint64_t>()(call.call_id * 31 + call.origin); }
  };
  std::unordered_set<RemoteCall, RemoteCallHash> remote_calls_;
  std::unordered_map<std::string, std::unique_ptr<caps::CapabilitySet>> narrowed_sets_;
  // Lets callbacks posted by V8's platform find out whether this host still exists.
  std::shared_ptr<BundleHost*> alive_;
  uint64_t gpu_group_ = 0;  // this isolate's GPU owners; released with the host
};

}  // namespace mar::node
