#include "node/bundle_host.h"

#include <openssl/rand.h>
#include <v8.h>

#include <cstdio>
#include <random>

#include "caps/manifest.h"

#include "engine/binding.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "node/shard.h"

namespace mar::node {

namespace {

void OnPromiseReject(v8::PromiseRejectMessage message) {
  v8::Local<v8::Context> context;
  if (!message.GetPromise()->GetCreationContext().ToLocal(&context)) return;
  api::Realm::From(context).TrackRejection(message);
}

// A short id that ties a 5xx response to its log record without revealing anything.
std::string NewIncidentId() {
  unsigned char bytes[8];
  RAND_bytes(bytes, sizeof bytes);
  char text[17];
  for (int i = 0; i < 8; ++i) std::snprintf(text + 2 * i, 3, "%02x", bytes[i]);
  return std::string(text, 16);
}

}  // namespace

BundleHost::BundleHost(engine::Engine& engine, Shard& shard, const Bundle& bundle, obs::Logger& logger,
                       ActorServices actors)
    : engine_(engine),
      shard_(shard),
      bundle_(bundle),
      logger_(logger),
      log_source_("bundle:" + bundle.manifest.name),
      timer_(shard.io()),
      actors_(std::move(actors)),
      alive_(std::make_shared<BundleHost*>(this)) {
  if (actors_.gpu) gpu_group_ = actors_.gpu->NewGroup();
  outbound_ = std::make_unique<OutboundFetches>(shard.io(), bundle.capabilities, static_cast<OutboundEvents&>(*this));
}

BundleHost::~BundleHost() {
  timer_.cancel();
  *alive_ = nullptr;
  // Nobody may be left waiting on a discarded host.
  for (QueuedRequest& queued : queued_) queued.exchange->Fail(503, NewIncidentId());
  queued_.clear();
  auto pending = std::move(pending_);
  for (auto& [id, request] : pending) {
    if (request.streaming) request.exchange->Abort();
    else request.exchange->Fail(503, NewIncidentId());
  }
  outbound_.reset();
  if (actors_.gpu) actors_.gpu->ReleaseGroup(gpu_group_);  // whatever its actors still held
  realm_.reset();
  modules_.reset();
  isolate_.reset();
}

Result<std::unique_ptr<BundleHost>> BundleHost::Start(engine::Engine& engine, Shard& shard, const Bundle& bundle,
                                                      obs::Logger& logger, ActorServices actors) {
  std::unique_ptr<BundleHost> host(new BundleHost(engine, shard, bundle, logger, std::move(actors)));
  auto booted = host->Boot();
  if (!booted) return std::unexpected(booted.error());
  return host;
}

Result<void> BundleHost::Boot() {
  auto t0 = std::chrono::steady_clock::now();
  auto ms_since = [](auto start) {
    return std::to_string(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  };
  engine::IsolateLimits limits;
  limits.heap_bytes = size_t{bundle_.limits.memory_mb} << 20;
  limits.array_buffer_bytes = size_t{bundle_.limits.memory_mb} << 20;
  std::weak_ptr<BundleHost*> weak = alive_;
  Shard* shard = &shard_;
  auto waker = [weak, shard](double delay_seconds) {
    // Any thread: hop to the shard, then pump (after the delay V8 asked for).
    shard->Post([weak, shard, delay_seconds] {
      auto pump = [weak] {
        if (auto alive = weak.lock(); alive && *alive) (*alive)->PumpPlatform();
      };
      if (delay_seconds <= 0) return pump();
      auto timer = std::make_shared<boost::asio::steady_timer>(shard->io());
      timer->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(delay_seconds)));
      timer->async_wait([timer, pump](const boost::system::error_code& error) {
        if (!error) pump();
      });
    });
  };
  isolate_ = std::make_unique<engine::Isolate>(engine_, limits, std::move(waker));
  v8::Isolate* isolate = isolate_->get();
  isolate->SetPromiseRejectCallback(&OnPromiseReject);
  engine::ModuleGraph::InstallDynamicImport(isolate);

  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  auto realm = api::Realm::Create(isolate, *this,
                                  {bundle_.realm_config_json, engine_.code_cache(), false});
  if (!realm) return std::unexpected(realm.error());
  realm_ = std::move(*realm);
  if (logger_.Enabled(obs::Level::kDebug)) {
    Log(obs::Level::kDebug, "isolate + built-ins ready after " + ms_since(t0) + " ms" +
                                (realm_->from_snapshot() ? " (from the start-up snapshot)" : " (built from source)"));
  }
  modules_ = std::make_unique<engine::ModuleGraph>(bundle_.root, bundle_.display_root);
  v8::Local<v8::Context> context = realm_->context();
  modules_->Attach(context);

  std::string display_main = modules_->DisplayName(bundle_.main);
  if (bundle_.wasm_only) return RegisterClasses(display_main, {});
  Result<void> outcome = {};
  v8::Global<v8::Promise> evaluation;
  v8::Global<v8::Module> main_module;
  // Top-level code may do start-up work (tables, parsing): 10x the event budget, at least 1 s.
  auto startup_budget = std::chrono::milliseconds(std::max<uint32_t>(1000, bundle_.limits.cpu_ms_per_event * 10));
  bool completed = RunEvent([&] {
    auto module = modules_->Load(context, bundle_.main);
    if (!module) {
      outcome = std::unexpected(module.error());
      return;
    }
    main_module.Reset(isolate, *module);
    v8::TryCatch try_catch(isolate);
    v8::Local<v8::Value> result;
    if (!(*module)->Evaluate(context).ToLocal(&result)) {
      if (!try_catch.HasTerminated()) {
        outcome = Fail(engine::DescribeException(isolate, context, try_catch).Full());
      }
      return;
    }
    evaluation.Reset(isolate, result.As<v8::Promise>());
    result.As<v8::Promise>()->MarkAsHandled();  // failures are reported by Boot, not as unhandled
    realm_->ForgetRejection(result.As<v8::Promise>());
  }, startup_budget);
  if (!completed) {
    return Fail(display_main + ": top-level code " + engine::TerminationReasonText(isolate_->termination_reason()));
  }
  if (!outcome) return outcome;

  // Describing a failure and reading the exports run user code (toString, getters): a second,
  // CPU-limited event, never unmonitored JS.
  completed = RunEvent([&] {
    v8::Local<v8::Promise> promise = evaluation.Get(isolate);
    if (promise->State() == v8::Promise::kRejected) {
      v8::Local<v8::Module> module = main_module.Get(isolate);
      v8::Local<v8::Value> exception =
          module->GetStatus() == v8::Module::kErrored ? module->GetException() : promise->Result();
      auto report =
          engine::DescribeException(isolate, context, exception, v8::Exception::CreateMessage(isolate, exception));
      outcome = Fail("evaluating " + display_main + " failed: " + report.Full());
      return;
    }
    if (promise->State() == v8::Promise::kPending) {
      outcome = Fail(display_main + ": top-level await did not settle during start-up; mar needs the main module to "
                                    "finish evaluating without waiting on timers or I/O");
      return;
    }
    outcome = {};
  });
  if (!completed) {
    return Fail(display_main + ": reading the module's exports " +
                engine::TerminationReasonText(isolate_->termination_reason()));
  }
  if (!outcome) return outcome;
  return RegisterClasses(display_main, main_module.Get(isolate));
}

// Reads the main module's exports (user code: getters: a CPU-limited event) and compiles the
// bundle's WebAssembly classes, so that a module V8 refuses fails start-up.
Result<void> BundleHost::RegisterClasses(const std::string& display_main, v8::Local<v8::Module> main_module) {
  Result<void> outcome = {};
  bool completed = RunEvent([&] {
    // A WebAssembly-only bundle has no JS module: its one class comes from the configuration.
    v8::Local<v8::Object> exports = main_module.IsEmpty()
                                        ? v8::Object::New(isolate_->get())
                                        : main_module->GetModuleNamespace().As<v8::Object>();
    auto info = realm_->RegisterModule(exports);
    if (!info) {
      outcome = Fail((bundle_.wasm_only ? "" : display_main + ": ") + info.error().message);
      return;
    }
    module_info_ = std::move(*info);
  });
  if (!completed) {
    return Fail(display_main + ": registering the bundle's classes " +
                engine::TerminationReasonText(isolate_->termination_reason()));
  }
  return outcome;
}

v8::MaybeLocal<v8::WasmModuleObject> BundleHost::WasmModule(std::string_view cls) {
  v8::Isolate* isolate = isolate_->get();
  const WasmClass* wasm_class = bundle_.FindWasmClass(cls);
  if (!wasm_class) {
    engine::ThrowTypeError("no WebAssembly class " + std::string(cls));
    return {};
  }
  // The first isolate compiles; the others make module objects from the same compiled code.
  std::lock_guard lock(wasm_class->mutex);
  if (wasm_class->compiled) {
    return v8::WasmModuleObject::FromCompiledModule(
        isolate, *static_cast<const v8::CompiledWasmModule*>(wasm_class->compiled.get()));
  }
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::WasmModuleObject> module;
  if (!v8::WasmModuleObject::Compile(isolate, {wasm_class->bytes.data(), wasm_class->bytes.size()}).ToLocal(&module)) {
    std::string why = try_catch.HasCaught() ? engine::ToUtf8(isolate, try_catch.Exception()) : "compilation failed";
    try_catch.Reset();
    engine::ThrowTypeError((bundle_.display_root.empty() ? "" : bundle_.display_root + "/") + wasm_class->file + ": " + why);
    return {};
  }
  wasm_class->compiled = std::make_shared<v8::CompiledWasmModule>(module->GetCompiledModule());
  return module;
}

bool BundleHost::AcquireGrowableWasmMemory() { return engine_.TryAcquireGrowableWasmMemory(); }
void BundleHost::ReleaseGrowableWasmMemory() { engine_.ReleaseGrowableWasmMemory(); }

template <class Body>
bool BundleHost::RunEvent(Body&& body, std::chrono::milliseconds budget) {
  return RunEvents(1, [&](size_t) { body(); }, budget);
}

template <class Body>
bool BundleHost::RunEvents(size_t count, Body&& body, std::chrono::milliseconds budget) {
  if (budget.count() == 0) budget = std::chrono::milliseconds(bundle_.limits.cpu_ms_per_event);
  size_t next = 0;
  while (next < count) {
    if (dead_) return false;
    v8::Isolate* isolate = isolate_->get();
    {
      v8::Isolate::Scope isolate_scope(isolate);
      v8::HandleScope handle_scope(isolate);
      v8::Local<v8::Context> context = realm_->context();
      v8::Context::Scope context_scope(context);
      engine::CpuMonitor& monitor = shard_.cpu_monitor();
      while (next < count && !isolate_->terminated()) {
        // Each event has its own budget, microtask checkpoint and error report; only the entry
        // into the isolate is shared.
        v8::HandleScope event_scope(isolate);
        monitor.Begin(isolate_.get(), budget);
        {
          v8::TryCatch try_catch(isolate);
          body(next++);
          if (!isolate_->terminated()) isolate->PerformMicrotaskCheckpoint();
          if (try_catch.HasCaught() && !try_catch.HasTerminated() && !isolate_->terminated()) {
            Log(obs::Level::kError, "Uncaught " + engine::DescribeException(isolate, context, try_catch).Full());
          }
          // Describing a rejection can run user code (toString, a stack getter): still inside the budget.
          if (!isolate_->terminated()) realm_->ReportUnhandledRejections();
        }
        monitor.End();
      }
    }
    // The events after a terminated one run once the isolate has recovered (or never: a host
    // that dies fails every request in flight).
    if (isolate_->terminated() && !Recover(isolate_->termination_reason())) return false;
  }
  return true;
}

bool BundleHost::Recover(engine::TerminationReason reason) {
  using engine::TerminationReason;
  if ((reason != TerminationReason::kCpuLimit && reason != TerminationReason::kHeapLimit) || !realm_ ||
      actors_.registry == nullptr) {
    Die(reason);
    return false;
  }
  // Terminating unwound every JS frame; if an actor's synchronous code was what ran (the JS layer
  // knows), that actor takes the blame and the isolate goes on. A termination inside a microtask
  // checkpoint dropped V8's whole microtask queue, other actors' continuations with it: then
  // nobody can be blamed alone and the isolate is discarded.
  isolate_->Resume();
  v8::Isolate* isolate = isolate_->get();
  bool blamed = false;
  {
    v8::Isolate::Scope isolate_scope(isolate);
    v8::HandleScope handle_scope(isolate);
    v8::Local<v8::Context> context = realm_->context();
    v8::Context::Scope context_scope(context);
    engine::CpuMonitor& monitor = shard_.cpu_monitor();
    monitor.Begin(isolate_.get(), std::chrono::milliseconds(bundle_.limits.cpu_ms_per_event));
    {
      v8::TryCatch try_catch(isolate);
      blamed = realm_->ActorAborted(engine::TerminationReasonText(reason));
      if (blamed && !isolate_->terminated()) isolate->PerformMicrotaskCheckpoint();
      if (!isolate_->terminated()) realm_->ReportUnhandledRejections();
    }
    monitor.End();
  }
  if (isolate_->terminated() || !blamed) {
    Die(reason);
    return false;
  }
  if (reason == TerminationReason::kHeapLimit) {
    // The culprit's objects are unreachable now; if collecting them does not bring the heap well
    // under its limit, the memory is held by something else and the isolate has to go.
    isolate->LowMemoryNotification();
    v8::HeapStatistics heap;
    isolate->GetHeapStatistics(&heap);
    if (heap.used_heap_size() > (size_t{bundle_.limits.memory_mb} << 20) / 2) {
      Die(reason);
      return false;
    }
  }
  return true;
}

void BundleHost::Die(engine::TerminationReason reason) {
  if (dead_) return;
  dead_ = true;
  timer_.cancel();
  const int status = 503;
  std::string incident = NewIncidentId();
  logger_.Error(log_source_, "shard " + std::to_string(shard_.index()) + ": the bundle's isolate " +
                                 engine::TerminationReasonText(reason) + " and was discarded (incident " + incident +
                                 "); " + std::to_string(pending_.size()) + " in-flight request(s) fail with 503");
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, request] : pending) {
    if (request.streaming) request.exchange->Abort();
    else request.exchange->Fail(status, incident);
  }
  // Its actors died with it: callers on other shards hear `crashed`, supervision decides the rest.
  std::string why = "its isolate " + std::string(engine::TerminationReasonText(reason)) + " and was discarded (incident " + incident + ")";
  auto calls = std::move(remote_calls_);
  remote_calls_.clear();
  for (const RemoteCall& call : calls) ReplyUnavailable(call.origin, call.call_id, "crashed", "the actor crashed: " + why);
  if (actors_.registry) {
    for (const std::string& address : actors_.registry->LiveAddresses()) {
      const actor::Registry::Entry* entry = actors_.registry->Find(address);
      if (!entry) continue;
      auto decision = actors_.registry->Crash(address, why, bundle_.manifest.ClassConfig(entry->cls));
      if (decision.restart && actors_.schedule_restart) actors_.schedule_restart(address, decision.delay);
    }
  }
  if (on_death_) on_death_();
}

void BundleHost::ReplyUnavailable(int origin, uint64_t call_id, std::string_view code, std::string_view message) {
  if (!actors_.post) return;
  api::ActorEnvelope reply;
  reply.kind = api::ActorEnvelope::kReplyError;
  reply.call_id = call_id;
  reply.origin = shard_.index();
  reply.error_code = code;
  reply.error_message = message;
  actors_.post(origin, std::move(reply));
}

template <class Body>
auto BundleHost::Later(Body&& body) {
  return [weak = std::weak_ptr<BundleHost*>(alive_), body = std::forward<Body>(body)](auto&&... args) mutable {
    auto alive = weak.lock();
    if (!alive || !*alive) return;
    BundleHost* host = *alive;
    host->RunEvent([&] { body(host, std::forward<decltype(args)>(args)...); });
  };
}

void BundleHost::DispatchFetch(net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange,
                               std::string_view actor) {
  if (dead_) {
    exchange->Fail(503, NewIncidentId());
    return;
  }
  // Requests wait for one handler, posted behind the I/O the shard has ready, that runs them all
  // in a single entry into the isolate (each still its own event). A/B on the 2-core machine,
  // hello -c32: +1.6 % req/s.
  queued_.push_back(QueuedRequest{std::move(request), std::move(exchange), std::string(actor)});
  if (queued_.size() > 1) return;
  shard_.Post([weak = std::weak_ptr<BundleHost*>(alive_)] {
    auto alive = weak.lock();
    if (alive && *alive) (*alive)->DispatchQueued();
  });
}

void BundleHost::DispatchQueued() {
  // Swapped out, so that requests arriving meanwhile start a batch of their own.
  std::vector<QueuedRequest> batch;
  batch.swap(queued_);
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  size_t dispatched = 0;
  bool alive = RunEvents(batch.size(), [&](size_t i) {
    QueuedRequest& queued = batch[i];
    dispatched = i + 1;
    uint64_t id = next_id_++;
    pending_.emplace(id, PendingRequest{std::move(queued.exchange)});
    const net::IncomingRequest& request = queued.request;
    headers.clear();
    for (const auto& [name, value] : request.headers) headers.emplace_back(name, value);
    realm_->DispatchFetch(id, request.method, request.url, headers, request.body, request.streamed_body,
                          request.has_body, queued.actor);
  });
  if (!alive) {
    // The isolate was discarded (a request before these ran away, or something else killed it
    // first): the requests that never reached it go to the bundle's next isolate, as if they had
    // arrived a moment later, instead of failing with the ones that were in flight.
    for (size_t i = dispatched; i < batch.size(); ++i) {
      if (redispatch_) redispatch_(std::move(batch[i].request), std::move(batch[i].exchange));
      else batch[i].exchange->Fail(503, NewIncidentId());
    }
    return;
  }
  // Kept for the next batch: its capacity saves an allocation per wake-up.
  batch.clear();
  if (queued_.empty()) queued_.swap(batch);
}

// ---- actors ----------------------------------------------------------------------------------

int BundleHost::ShardIndex() const { return shard_.index(); }

Result<api::LocatedActor> BundleHost::LocateActor(std::string_view text, std::string_view capabilities_json) {
  if (!actors_.resolver) return Fail("unavailable:actors are not available in this context");
  auto address = actor::ParseAddress(text, bundle_.manifest.name);
  if (!address) return Fail("invalid_argument:" + address.error().message);
  const std::string& self = bundle_.manifest.name;
  if (address->bundle != self) {
    // The bundle's own classes are always reachable; others only as capabilities.actors.allow says.
    const caps::CapabilitySet* set = capabilities_json.empty() ? &bundle_.capabilities : NarrowedSet(capabilities_json);
    if (!set || !set->allows_actor(self, address->bundle, address->cls)) {
      return Fail("denied:actor " + address->ToString() + ": " + caps::ActorDeniedMessage(address->bundle, address->cls));
    }
    // Granted, but this node runs no such bundle (the mesh will find it elsewhere).
    return Fail("not_found:actor " + address->ToString() + ": no bundle named " + address->bundle +
                " runs on this node");
  }
  if (std::ranges::find(module_info_.classes, address->cls) == module_info_.classes.end()) {
    return Fail("not_found:bundle " + self + " exports no actor class " + address->cls);
  }
  if (actor::IsSpawnedName(address->name) && !actors_.minter->Verify(address->bundle, address->cls, address->name)) {
    return Fail("not_found:no actor " + address->ToString() +
                " (names starting with '~' are minted by spawn(), and this one was not minted here)");
  }
  return api::LocatedActor{address->ToString(), address->bundle, address->cls,
                           actors_.resolver->Locate(*address).shard};
}

Result<api::SpawnedActor> BundleHost::SpawnHere(std::string_view cls, std::string_view capabilities_json) {
  if (!actors_.registry) return Fail("unavailable:actors are not available in this context");
  if (std::ranges::find(module_info_.classes, cls) == module_info_.classes.end()) {
    return Fail("not_found:bundle " + bundle_.manifest.name + " exports no actor class " + std::string(cls));
  }
  auto narrowed = Narrowed(capabilities_json);
  if (!narrowed) return std::unexpected(narrowed.error());
  static thread_local std::mt19937_64 random{[] {
    uint64_t seed = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed);
    return seed;
  }()};
  // Placement bits that put the name on this shard; the MAC makes it unguessable.
  uint16_t placement = actors_.resolver->Placement(static_cast<uint16_t>(random()), shard_.index());
  auto spawned = actors_.registry->Spawn(bundle_.manifest.name, cls, placement, std::move(*narrowed));
  if (!spawned) return Fail("unavailable:this shard has spawned all the actors its names can number (2^48)");
  return api::SpawnedActor{std::move(spawned->address), spawned->serial};
}

int64_t BundleHost::SpawnedSerial(std::string_view address) {
  return actors_.registry ? actors_.registry->SerialOf(address) : -1;
}

Result<std::shared_ptr<const actor::NarrowedCapabilities>> BundleHost::Narrowed(std::string_view capabilities_json) {
  if (capabilities_json.empty()) return nullptr;
  const caps::CapabilitySet* set = NarrowedSet(capabilities_json);
  if (!set) return Fail("invalid_argument:the capabilities of the spawn are not valid");
  return std::make_shared<actor::NarrowedCapabilities>(actor::NarrowedCapabilities{*set, std::string(capabilities_json)});
}

std::string BundleHost::ActivateActor(const std::string& address, std::string_view cls, bool spawned,
                                      std::string_view capabilities_json, bool explicit_spawn) {
  if (!actors_.registry) return "unavailable:actors are not available in this context";
  if (std::ranges::find(module_info_.classes, cls) == module_info_.classes.end()) {
    return "not_found:bundle " + bundle_.manifest.name + " exports no actor class " + std::string(cls);
  }
  // An explicit spawn of a name: Activate refuses one that is live.
  const actor::Registry::Entry* entry = explicit_spawn ? nullptr : actors_.registry->Find(address);
  if (spawned && !explicit_spawn && !entry) {
    return "not_found:no actor " + address + " (a spawned actor exists from spawn() until it stops)";
  }
  if (entry && entry->state == actor::Registry::State::kRestarting && !explicit_spawn) {
    // A message reached it before its scheduled restart (its isolate was replaced): it starts now,
    // with the capabilities it was spawned with.
    actors_.registry->Restarted(address);
    return entry->capabilities ? entry->capabilities->json : "";
  }
  auto narrowed = Narrowed(capabilities_json);
  if (!narrowed) return narrowed.error().message;
  auto refusal = actors_.registry->Activate(address, cls, spawned, std::move(*narrowed), explicit_spawn);
  if (refusal) return refusal->code + ":" + refusal->message;
  // The set it runs with: an entry that was there keeps its own (Registry::Activate; the entry
  // stays where Find saw it), a new one has what was asked.
  if (entry) return entry->capabilities ? entry->capabilities->json : "";
  return std::string(capabilities_json);
}

const caps::CapabilitySet* BundleHost::NarrowedSet(std::string_view json) {
  auto it = narrowed_sets_.find(std::string(json));
  if (it != narrowed_sets_.end()) return it->second.get();
  auto parsed = ParseCapabilities(json, "narrowed capabilities");
  if (!parsed) {
    Log(obs::Level::kError, "internal error: " + parsed.error().message + ": " + std::string(json));
    return nullptr;
  }
  const caps::CapabilitySet* raw = parsed->get();
  narrowed_sets_.emplace(std::string(json), std::move(*parsed));
  return raw;
}

Result<std::unique_ptr<caps::CapabilitySet>> BundleHost::ParseCapabilities(std::string_view json, std::string_view what) {
  auto policy = caps::ParsePolicy("{\"capabilities\": " + std::string(json) + "}", what);
  if (!policy) {
    std::string text;
    for (const auto& error : policy.error()) text += (text.empty() ? "" : "; ") + error.to_string();
    return Fail(std::string(what) + " is not a valid capability set: " + text);
  }
  return std::make_unique<caps::CapabilitySet>(std::move(policy->capabilities));
}

Result<std::string> BundleHost::NarrowCapabilities(std::string_view requested_json) {
  auto requested = ParseCapabilities(requested_json, "options.capabilities");
  if (!requested) return std::unexpected(requested.error());
  return CapabilitiesJson(bundle_.capabilities.narrowed_by(**requested, bundle_.manifest.name), bundle_.manifest.name);
}

int64_t BundleHost::ActorEnded(const std::string& address, std::string_view reason, bool crashed) {
  if (!actors_.registry) return -1;
  const actor::Registry::Entry* entry = actors_.registry->Find(address);
  if (!entry) return -1;
  auto decision = actors_.registry->Crash(address, reason, bundle_.manifest.ClassConfig(entry->cls), crashed);
  if (!decision.restart || !actors_.schedule_restart) return -1;
  actors_.schedule_restart(address, decision.delay);
  return decision.delay.count();
}

void BundleHost::RestartActor(const std::string& address) {
  if (dead_ || !actors_.registry) return;
  const actor::Registry::Entry* entry = actors_.registry->Find(address);
  if (!entry || entry->state != actor::Registry::State::kRestarting) return;  // already back, or gone
  std::string cls(entry->cls);
  bool spawned = entry->spawned;
  std::string capabilities = entry->capabilities ? entry->capabilities->json : "";
  bool restarted = false;
  RunEvent([&] { restarted = realm_->ActorRestart(address, cls, spawned, capabilities); });
  if (restarted) actors_.registry->Restarted(address);
}

void BundleHost::StopActors() {
  if (dead_) return;
  RunEvent([&] { realm_->ActorShutdown(); });
}

void BundleHost::ScheduleActorPump() {
  if (pump_posted_) return;
  pump_posted_ = true;
  shard_.Post([weak = std::weak_ptr<BundleHost*>(alive_)] {
    if (auto alive = weak.lock(); alive && *alive) (*alive)->RunActorPump();
  });
}

void BundleHost::RunActorPump() {
  pump_posted_ = false;
  if (dead_) return;
  // Batches run back to back, each followed by a microtask checkpoint (where replies and awaits
  // continue), until nothing is runnable or ~1 ms passed: then the loop's other work gets a turn.
  // While this loop runs, JS queues deliveries without asking for a pump (Realm::SetInPump).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  bool more = false;
  bool alive = RunEvent([&] {
    realm_->SetInPump(true);
    v8::Isolate* isolate = isolate_->get();
    do {
      more = realm_->ActorPump();
      if (isolate_->terminated()) break;
      isolate->PerformMicrotaskCheckpoint();
      if (isolate_->terminated()) break;
      more = more || realm_->ActorWorkPending();
    } while (more && std::chrono::steady_clock::now() < deadline);
    realm_->SetInPump(false);
  });
  if (realm_) realm_->SetInPump(false);  // also when a termination cut the loop short
  if (alive && !dead_ && more) ScheduleActorPump();
}

void BundleHost::PostActorEnvelope(int shard, api::ActorEnvelope envelope) {
  if (!actors_.post) return;
  if (envelope.kind >= api::ActorEnvelope::kReplyOk) remote_calls_.erase({shard, envelope.call_id});
  actors_.post(shard, std::move(envelope));
}

void BundleHost::ReceiveEnvelopes(std::span<const api::ActorEnvelope> envelopes) {
  if (dead_) {
    for (const api::ActorEnvelope& envelope : envelopes) {
      if (envelope.kind < api::ActorEnvelope::kReplyOk) {
        ReplyUnavailable(envelope.origin, envelope.call_id, "unavailable", "the actor's isolate is restarting");
      }
    }
    return;
  }
  for (const api::ActorEnvelope& envelope : envelopes) {
    if (envelope.kind < api::ActorEnvelope::kReplyOk) remote_calls_.insert({envelope.origin, envelope.call_id});
  }
  // Delivering only queues messages and settles callers' promises; handlers run in the pump, and
  // continuations in the checkpoint, each bumping the event epoch as they go.
  RunEvent([&] {
    for (const api::ActorEnvelope& envelope : envelopes) {
      v8::HandleScope scope(isolate_->get());
      realm_->DeliverActorEnvelope(envelope);
      if (isolate_->terminated()) return;
    }
  });
}

void BundleHost::OnFetchResponse(uint64_t request_id, Result<api::HttpResponse> response) {
  auto it = pending_.find(request_id);
  if (it == pending_.end() || it->second.streaming) return;
  if (!response) {
    auto exchange = std::move(it->second.exchange);
    pending_.erase(it);
    std::string incident = NewIncidentId();
    Log(obs::Level::kError, "request failed (incident " + incident + "): " + response.error().message);
    exchange->Fail(500, incident);
    return;
  }
  net::ResponseHead head{response->status, std::move(response->status_text), std::move(response->headers)};
  if (response->streamed) {
    it->second.streaming = true;
    // Only a streaming response has a producer to stop when the client leaves; a request still
    // being handled learns it from its body reads and its answer is simply dropped.
    it->second.exchange->set_on_closed([weak = std::weak_ptr<BundleHost*>(alive_), request_id] {
      if (auto alive = weak.lock(); alive && *alive) (*alive)->OnClientGone(request_id);
    });
    it->second.exchange->set_on_drain(Later([request_id](BundleHost* host) {
      host->realm_->SinkEvent(request_id, api::Realm::SinkState::kDrain);
    }));
    it->second.exchange->StartStream(std::move(head));
    return;
  }
  auto exchange = std::move(it->second.exchange);
  pending_.erase(it);
  exchange->Respond(std::move(head), std::move(response->body));
}

void BundleHost::PullBody(uint64_t stream_id) {
  if (outbound_->Owns(stream_id)) return outbound_->Pull(stream_id);
  auto it = pending_.find(stream_id);
  if (it == pending_.end()) {
    // The request is over (answered, or the client left): the stream ends in an error.
    shard_.Post(Later([stream_id](BundleHost* host) {
      host->realm_->DeliverBodyChunk(stream_id, {}, true, "the request is over; its body can no longer be read");
    }));
    return;
  }
  it->second.exchange->ReadBody(Later([stream_id](BundleHost* host, Result<std::string> chunk) {
    if (!chunk) return host->realm_->DeliverBodyChunk(stream_id, {}, true, chunk.error().message);
    host->realm_->DeliverBodyChunk(stream_id, *chunk, chunk->empty());
  }));
}

void BundleHost::CancelBody(uint64_t stream_id) {
  // The rest of an incoming body stays unread; the server closes the connection after the
  // response rather than reading it. A fetch() response's transfer stops.
  outbound_->Cancel(stream_id);
}

bool BundleHost::WriteSink(uint64_t sink_id, std::span<const uint8_t> bytes) {
  std::string_view chunk(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (outbound_->Owns(sink_id)) return outbound_->WriteBody(sink_id, chunk);
  auto it = pending_.find(sink_id);
  if (it == pending_.end() || !it->second.streaming) return true;
  return it->second.exchange->Write(chunk);
}

void BundleHost::EndSink(uint64_t sink_id) {
  if (outbound_->Owns(sink_id)) return outbound_->EndBody(sink_id);
  auto it = pending_.find(sink_id);
  if (it == pending_.end() || !it->second.streaming) return;
  it->second.exchange->End();
  pending_.erase(it);
}

void BundleHost::AbortSink(uint64_t sink_id, std::string_view reason) {
  if (outbound_->Owns(sink_id)) return outbound_->FailBody(sink_id, reason);
  auto it = pending_.find(sink_id);
  if (it == pending_.end() || !it->second.streaming) return;
  Log(obs::Level::kError, "response body stream failed: " + std::string(reason));
  it->second.exchange->Abort();
  pending_.erase(it);
}

Result<uint64_t> BundleHost::StartFetch(api::OutboundRequest request) {
  // An actor spawned with narrower capabilities is held to its own set as well as the bundle's.
  const caps::CapabilitySet* narrower = nullptr;
  if (!request.capabilities_json.empty()) {
    narrower = NarrowedSet(request.capabilities_json);
    if (!narrower) return Fail("fetch() is not allowed for this actor: its capability set could not be read");
  }
  uint64_t id = next_id_++;
  auto started = outbound_->Start(id, std::move(request), narrower);
  if (!started) return std::unexpected(started.error());
  return id;
}

void BundleHost::AbortFetch(uint64_t id) { outbound_->Cancel(id); }

void BundleHost::OnFetchHead(uint64_t id, net::FetchHead head) {
  RunEvent([&] { realm_->FetchHead(id, head.status, head.status_text, head.headers); });
}

void BundleHost::OnFetchFailed(uint64_t id, std::string message) {
  RunEvent([&] { realm_->FetchFailed(id, message); });
}

void BundleHost::OnFetchChunk(uint64_t id, std::string chunk, bool done, std::string error) {
  RunEvent([&] { realm_->DeliverBodyChunk(id, chunk, done, error); });
}

void BundleHost::OnFetchUploadDrained(uint64_t id) {
  RunEvent([&] { realm_->SinkEvent(id, api::Realm::SinkState::kDrain); });
}

void BundleHost::OnClientGone(uint64_t id) {
  if (pending_.erase(id) == 0) return;
  RunEvent([&] { realm_->SinkEvent(id, api::Realm::SinkState::kClosed); });
}

void BundleHost::Log(obs::Level level, std::string_view message) {
  logger_.Write(level, log_source_, message);
}

void BundleHost::ArmTimer(double delay_ms) {
  std::weak_ptr<BundleHost*> weak = alive_;
  auto run = [weak] {
    auto alive = weak.lock();
    if (!alive || !*alive) return;
    BundleHost* host = *alive;
    host->timer_posted_ = false;
    host->RunEvent([host] { host->realm_->RunTimers(); });
  };
  if (delay_ms <= 0) {
    // Due now: a plain post. An OS timer here would add the kernel's timer slack (~50 us) to
    // every setTimeout(0) hop.
    timer_.cancel();
    if (!timer_posted_) {
      timer_posted_ = true;
      shard_.Post(run);
    }
    return;
  }
  timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000)));
  timer_.async_wait([run](const boost::system::error_code& error) {
    if (!error) run();
  });
}

gpu::Callback BundleHost::GpuCallback(uint64_t request_id) {
  // Called on the GPU thread: hop to this shard; the host may be gone by then.
  return [weak = std::weak_ptr<BundleHost*>(alive_), shard = &shard_, request_id](gpu::Outcome outcome) {
    shard->Post([weak, request_id, outcome = std::move(outcome)]() mutable {
      auto alive = weak.lock();
      if (!alive || !*alive) return;
      BundleHost* host = *alive;
      if (host->dead_) return;
      host->RunEvent([&] { host->realm_->GpuSettled(request_id, std::move(outcome)); });
    });
  };
}

uint32_t* BundleHost::EventEpochCell() { return shard_.cpu_monitor().epoch_cell(); }

void BundleHost::PumpPlatform() {
  RunEvent([this] { engine_.PumpForegroundTasks(isolate_->get()); });
}

}  // namespace mar::node
