#include "node/bundle_host.h"

#include <openssl/rand.h>
#include <v8.h>

#include <cstdio>

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

BundleHost::BundleHost(engine::Engine& engine, Shard& shard, const Bundle& bundle, obs::Logger& logger)
    : engine_(engine),
      shard_(shard),
      bundle_(bundle),
      logger_(logger),
      log_source_("bundle:" + bundle.manifest.name),
      timer_(shard.io()),
      alive_(std::make_shared<BundleHost*>(this)) {
  outbound_ = std::make_unique<OutboundFetches>(shard.io(), bundle.capabilities, static_cast<OutboundEvents&>(*this));
}

BundleHost::~BundleHost() {
  timer_.cancel();
  *alive_ = nullptr;
  // Nobody may be left waiting on a discarded host.
  auto pending = std::move(pending_);
  for (auto& [id, request] : pending) {
    if (request.streaming) request.exchange->Abort();
    else request.exchange->Fail(503, NewIncidentId());
  }
  outbound_.reset();
  realm_.reset();
  modules_.reset();
  isolate_.reset();
}

Result<std::unique_ptr<BundleHost>> BundleHost::Start(engine::Engine& engine, Shard& shard, const Bundle& bundle,
                                                      obs::Logger& logger) {
  std::unique_ptr<BundleHost> host(new BundleHost(engine, shard, bundle, logger));
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
    Log(obs::Level::kDebug, "isolate + built-ins ready after " + ms_since(t0) + " ms");
  }
  modules_ = std::make_unique<engine::ModuleGraph>(bundle_.root, bundle_.display_root);
  v8::Local<v8::Context> context = realm_->context();
  modules_->Attach(context);

  std::string display_main = modules_->DisplayName(bundle_.main);
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
    auto info = realm_->RegisterModule(main_module.Get(isolate)->GetModuleNamespace().As<v8::Object>());
    if (!info) {
      outcome = Fail(display_main + ": " + info.error().message);
      return;
    }
    module_info_ = std::move(*info);
  });
  if (!completed) {
    return Fail(display_main + ": reading the module's exports " +
                engine::TerminationReasonText(isolate_->termination_reason()));
  }
  return outcome;
}

template <class Body>
bool BundleHost::RunEvent(Body&& body, std::chrono::milliseconds budget) {
  if (dead_) return false;
  v8::Isolate* isolate = isolate_->get();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Context> context = realm_->context();
  v8::Context::Scope context_scope(context);
  engine::CpuMonitor& monitor = shard_.cpu_monitor();
  if (budget.count() == 0) budget = std::chrono::milliseconds(bundle_.limits.cpu_ms_per_event);
  monitor.Begin(isolate_.get(), budget);
  {
    v8::TryCatch try_catch(isolate);
    body();
    if (!isolate_->terminated()) isolate->PerformMicrotaskCheckpoint();
    if (try_catch.HasCaught() && !try_catch.HasTerminated() && !isolate_->terminated()) {
      Log(obs::Level::kError, "Uncaught " + engine::DescribeException(isolate, context, try_catch).Full());
    }
    // Describing a rejection can run user code (toString, a stack getter): still inside the budget.
    if (!isolate_->terminated()) realm_->ReportUnhandledRejections();
  }
  monitor.End();
  if (isolate_->terminated()) {
    Die(isolate_->termination_reason());
    return false;
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
  if (on_death_) on_death_();
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

void BundleHost::DispatchFetch(net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange) {
  if (dead_) {
    exchange->Fail(503, NewIncidentId());
    return;
  }
  uint64_t id = next_id_++;
  pending_.emplace(id, PendingRequest{std::move(exchange)});
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(name, value);
  RunEvent([&] {
    realm_->DispatchFetch(id, request.method, request.url, headers, request.body, request.streamed_body);
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
  uint64_t id = next_id_++;
  auto started = outbound_->Start(id, std::move(request));
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

uint32_t* BundleHost::EventEpochCell() { return shard_.cpu_monitor().epoch_cell(); }

void BundleHost::PumpPlatform() {
  RunEvent([this] { engine_.PumpForegroundTasks(isolate_->get()); });
}

}  // namespace mar::node
