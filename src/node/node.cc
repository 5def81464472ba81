#include "node/node.h"

#include <future>
#include <mutex>
#include <thread>

#include "engine/engine.h"
#include "engine/isolate.h"
#include "engine/watchdog.h"
#include "node/bundle_host.h"
#include "node/shard.h"

#include <boost/asio/steady_timer.hpp>

namespace mar::node {

// Everything that belongs to one shard; touched only on that shard's thread once started.
struct Node::ShardState {
  ShardState(int index, actor::ActorObserver* observer, const actor::IdMinter& minter)
      : shard(index), registry(index, observer, minter) {}
  Shard shard;
  actor::Registry registry;   // the actors this shard owns; outlives its hosts
  alignas(8) double actor_stats[2] = {0, 0};
  // Envelopes from other shards, delivered in batches: a sender appends, and only the append that
  // finds the inbox empty posts a drain, so a busy pair of shards pays one wake-up per batch.
  std::mutex inbox_mutex;
  std::vector<api::ActorEnvelope> inbox;
  std::vector<api::ActorEnvelope> draining;  // the shard thread's, reused between batches
  std::unique_ptr<BundleHost> host;
  std::unique_ptr<net::HttpListener> listener;
  std::chrono::steady_clock::time_point next_restart{};
  uint64_t host_generation = 0;  // bumped for every host installed
  int restarts = 0;
};

namespace {

// Runs `task` on the shard and waits for its result.
template <class Task>
auto RunOn(Shard& shard, Task task) -> decltype(task()) {
  std::packaged_task<decltype(task())()> packaged(std::move(task));
  auto future = packaged.get_future();
  shard.Post([&packaged] { packaged(); });
  return future.get();
}

}  // namespace

std::function<void()> Node::DiscardWhenDead(ShardState* state) {
  uint64_t generation = ++state->host_generation;  // an address could be reused; a count cannot
  return [state, generation] {
    state->shard.Post([state, generation] {
      if (state->host_generation == generation) state->host.reset();
    });
  };
}

Node::Node(engine::Engine& engine, Bundle bundle, const NodeOptions& options, std::shared_ptr<obs::Logger> logger)
    : engine_(engine), bundle_(std::move(bundle)), options_(options), logger_(std::move(logger)) {}

Result<std::unique_ptr<Node>> Node::Start(engine::Engine& engine, Bundle bundle, const NodeOptions& options,
                                          std::shared_ptr<obs::Logger> logger) {
  // Before any isolate is made: a port in use is refused at once.
  auto available = net::HttpListener::CheckAvailable(options.listen_host, options.listen_port);
  if (!available) return std::unexpected(available.error());
  std::unique_ptr<Node> node(new Node(engine, std::move(bundle), options, std::move(logger)));
  int shard_count = options.shards > 0 ? options.shards : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  node->watchdog_ = std::make_unique<engine::Watchdog>();
  node->resolver_ = std::make_unique<actor::LocalResolver>(shard_count);
  // The GPU opens in the background (tens of ms on a CPU driver): the node does not wait for it.
  if (node->bundle_.capabilities.gpu) node->gpu_ = gpu::Service::Start(options.gpu, node->logger_);
  for (int i = 0; i < shard_count; ++i) {
    node->shards_.push_back(std::make_unique<ShardState>(i, static_cast<actor::ActorObserver*>(node.get()), node->minter_));
    node->shards_.back()->shard.Start();
    node->watchdog_->Add(&node->shards_.back()->shard.cpu_monitor());
  }

  // Load the bundle on every shard at once; each shard has its own isolate.
  std::vector<std::future<Result<void>>> loads;
  for (auto& state : node->shards_) {
    auto promise = std::make_shared<std::promise<Result<void>>>();
    loads.push_back(promise->get_future());
    Node* self = node.get();
    ShardState* shard_state = state.get();
    state->shard.Post([self, shard_state, promise] { promise->set_value(self->StartHost(*shard_state)); });
  }
  Result<void> failure = {};
  for (auto& load : loads) {
    auto loaded = load.get();
    if (!loaded && failure) failure = loaded;
  }
  if (!failure) {
    node->Shutdown();
    return std::unexpected(failure.error());
  }
  // Every class the manifest configures must be one the main module exports (or a Wasm class).
  const auto& exported = node->shards_.front()->host->module_info().classes;
  for (const auto& [name, config] : node->bundle_.manifest.classes) {
    if (std::ranges::find(exported, name) == exported.end() && !node->bundle_.FindWasmClass(name)) {
      node->Shutdown();
      return Fail(node->bundle_.display_root + "/mar.json: classes." + name + ": the main module (" +
                  node->bundle_.main + ") exports no class named " + name);
    }
  }
  for (const std::string& name : exported) {
    if (node->bundle_.manifest.ClassConfig(name).http) node->http_classes_.push_back(name);
  }
  if (!node->shards_.front()->host->module_info().has_fetch && !node->bundle_.wasm_only) {
    node->logger_->Warn("node", "bundle " + node->bundle_.manifest.name +
                                    " has no default export with fetch(); HTTP requests will get 500");
  }

  // Listeners: the first binds (and picks the port if 0 was asked), the others join it.
  uint16_t port = options.listen_port;
  for (auto& state : node->shards_) {
    Node* self = node.get();
    ShardState* shard_state = state.get();
    auto opened = RunOn(state->shard, [self, shard_state, port]() -> Result<void> {
      auto listener = net::HttpListener::Open(
          shard_state->shard.io(), self->options_.listen_host, port,
          [self, shard_state](net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange) {
            self->HandleRequest(*shard_state, std::move(request), std::move(exchange));
          },
          self->options_.http, *self->logger_);
      if (!listener) return std::unexpected(listener.error());
      shard_state->listener = std::move(*listener);
      return {};
    });
    if (!opened) {
      node->Shutdown();
      return std::unexpected(opened.error());
    }
    port = state->listener->port();
  }
  node->port_ = port;
  return node;
}

Node::~Node() { Shutdown(); }

std::string Node::url() const {
  bool v6 = options_.listen_host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + options_.listen_host + "]" : options_.listen_host) + ":" + std::to_string(port_);
}

BundleHost* Node::EnsureHost(ShardState& state) {
  if (state.host && !state.host->dead()) return state.host.get();
  auto now = std::chrono::steady_clock::now();
  if (now < state.next_restart) return nullptr;
  auto started = StartHost(state);
  if (!started) {
    // The bundle started before, so this is a failure in its top-level code (a limit, randomness);
    // back off so a crash loop cannot monopolize the shard.
    state.next_restart = now + std::chrono::seconds(1);
    logger_->Error("bundle:" + bundle_.manifest.name, "restart failed: " + started.error().message);
    return nullptr;
  }
  ++state.restarts;
  logger_->Info("bundle:" + bundle_.manifest.name,
                "restarted on shard " + std::to_string(state.shard.index()) + " (restart " +
                    std::to_string(state.restarts) + ")");
  return state.host.get();
}

Result<void> Node::StartHost(ShardState& state) {
  auto started = std::chrono::steady_clock::now();
  ActorServices actors;
  actors.resolver = resolver_.get();
  actors.minter = &minter_;
  actors.registry = &state.registry;
  actors.post = [this](int shard, api::ActorEnvelope envelope) { PostEnvelope(shard, std::move(envelope)); };
  actors.schedule_restart = [this, &state](std::string address, std::chrono::milliseconds delay) {
    ScheduleRestart(state, std::move(address), delay);
  };
  actors.stats = state.actor_stats;
  actors.gpu = gpu_.get();
  auto host = BundleHost::Start(engine_, state.shard, bundle_, *logger_, std::move(actors));
  if (!host) return std::unexpected(host.error());
  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  logger_->Write(obs::Level::kDebug, "node",
                 "bundle " + bundle_.manifest.name + " started on shard " + std::to_string(state.shard.index()) +
                     " in " + std::to_string(elapsed.count()) + " ms");
  state.host = std::move(*host);  // destroys a dead predecessor, which answers its pending requests
  state.host->set_on_death(DiscardWhenDead(&state));
  // Posted: the dead host is discarded first (DiscardWhenDead posted that earlier), so the request
  // meets a fresh isolate.
  state.host->set_redispatch([this, shard_state = &state](net::IncomingRequest request,
                                                         std::shared_ptr<net::Exchange> exchange) {
    shard_state->shard.Post([this, shard_state, request = std::move(request), exchange = std::move(exchange)]() mutable {
      // Tearing down, the connection is closed anyway; no isolate is started for it.
      if (tearing_down_.load(std::memory_order_acquire)) return;
      HandleRequest(*shard_state, std::move(request), std::move(exchange));
    });
  });
  return {};
}

void Node::HandleRequest(ShardState& state, net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange) {
  BundleHost* host = EnsureHost(state);
  if (!host) {
    exchange->Fail(503, "bundle restarting");
    return;
  }
  std::string actor = ActorRoute(request.url);
  host->DispatchFetch(std::move(request), std::move(exchange), actor);
}

std::string Node::ActorRoute(std::string_view url) const {
  constexpr std::string_view kPrefix = "/actors/";
  if (http_classes_.empty()) return {};
  // The request's URL is absolute ("http://host/path"); the route is in its path.
  size_t scheme = url.find("://");
  size_t path = scheme == std::string_view::npos ? 0 : url.find('/', scheme + 3);
  if (path == std::string_view::npos) return {};
  std::string_view target = url.substr(path);
  if (!target.starts_with(kPrefix)) return {};
  std::string_view rest = target.substr(kPrefix.size());
  rest = rest.substr(0, rest.find_first_of("?#"));
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {};
  std::string_view cls = rest.substr(0, slash);
  std::string_view name = rest.substr(slash + 1);
  name = name.substr(0, name.find('/'));
  if (name.empty()) return {};
  if (std::ranges::find(http_classes_, cls) == http_classes_.end()) return {};
  return std::string(cls) + "/" + std::string(name);
}

void Node::PostEnvelope(int shard, api::ActorEnvelope envelope) {
  if (tearing_down_.load(std::memory_order_acquire) || shard < 0 || shard >= static_cast<int>(shards_.size())) return;
  ShardState* state = shards_[static_cast<size_t>(shard)].get();
  bool first;
  {
    std::lock_guard lock(state->inbox_mutex);
    first = state->inbox.empty();
    state->inbox.push_back(std::move(envelope));
  }
  if (first) state->shard.Post([this, state] { DrainInbox(*state); });
}

void Node::DrainInbox(ShardState& state) {
  state.draining.clear();
  {
    std::lock_guard lock(state.inbox_mutex);
    state.draining.swap(state.inbox);
  }
  if (state.draining.empty() || tearing_down_.load(std::memory_order_acquire)) return;
  BundleHost* host = EnsureHost(state);
  if (host) return host->ReceiveEnvelopes(state.draining);
  for (const api::ActorEnvelope& envelope : state.draining) {
    if (envelope.kind >= api::ActorEnvelope::kReplyOk) continue;
    api::ActorEnvelope reply;
    reply.kind = api::ActorEnvelope::kReplyError;
    reply.call_id = envelope.call_id;
    reply.origin = state.shard.index();
    reply.error_code = "unavailable";
    reply.error_message = "the bundle is restarting on the shard that owns " + envelope.address + "; try again";
    PostEnvelope(envelope.origin, std::move(reply));
  }
}

void Node::ScheduleRestart(ShardState& state, std::string address, std::chrono::milliseconds delay) {
  if (tearing_down_.load(std::memory_order_acquire)) return;
  auto timer = std::make_shared<boost::asio::steady_timer>(state.shard.io());
  timer->expires_after(delay);
  timer->async_wait([this, &state, timer, address = std::move(address)](const boost::system::error_code& error) {
    if (error || tearing_down_.load(std::memory_order_acquire)) return;
    BundleHost* host = EnsureHost(state);
    if (!host) {
      // The bundle itself is restarting (backing off); try again when it may be back.
      ScheduleRestart(state, address, std::chrono::seconds(1));
      return;
    }
    host->RestartActor(address);
  });
}

void Node::OnActorEvent(int shard, actor::ActorEventKind kind, std::string_view address, std::string_view detail) {
  bool routine = kind == actor::ActorEventKind::kSpawned || kind == actor::ActorEventKind::kStopped;
  if (routine && !logger_->Enabled(obs::Level::kDebug)) return;
  std::string source = "actor:" + std::string(address);
  std::string text = std::string(actor::ActorEventName(kind)) + " on shard " + std::to_string(shard);
  if (!detail.empty()) text += ": " + std::string(detail);
  switch (kind) {
    case actor::ActorEventKind::kSpawned:
    case actor::ActorEventKind::kStopped:
      // One line per activation would flood the log of a node that spawns a million actors.
      if (logger_->Enabled(obs::Level::kDebug)) logger_->Write(obs::Level::kDebug, source, text);
      break;
    case actor::ActorEventKind::kCrashed: logger_->Warn(source, text); break;
    case actor::ActorEventKind::kRestarted: logger_->Info(source, text); break;
    case actor::ActorEventKind::kGaveUp: logger_->Error(source, text); break;
  }
}

Node::ActorCounts Node::actor_counts() const {
  ActorCounts counts;
  for (const auto& state : shards_) {
    const actor::ActorMetrics& metrics = state->registry.metrics();
    counts.live += metrics.live.load(std::memory_order_relaxed);
    counts.spawned += metrics.spawned.load(std::memory_order_relaxed);
    counts.stopped += metrics.stopped.load(std::memory_order_relaxed);
    counts.crashed += metrics.crashed.load(std::memory_order_relaxed);
    counts.restarts += metrics.restarts.load(std::memory_order_relaxed);
    counts.delivered += state->actor_stats[0];
    counts.queued += state->actor_stats[1];
  }
  return counts;
}

void Node::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  // 1. Stop intake everywhere.
  for (auto& state : shards_) {
    ShardState* shard_state = state.get();
    RunOn(state->shard, [shard_state] {
      if (shard_state->listener) shard_state->listener->StopAccepting();
      return 0;
    });
  }
  // 2. Live actors run their onStop hooks (background work, so the drain below waits for them).
  for (auto& state : shards_) {
    ShardState* shard_state = state.get();
    RunOn(state->shard, [shard_state] {
      if (shard_state->host && !shard_state->host->dead()) shard_state->host->StopActors();
      return 0;
    });
  }
  // 3. Let in-flight requests finish, up to the drain timeout.
  auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  for (;;) {
    size_t active = 0;
    for (auto& state : shards_) {
      ShardState* shard_state = state.get();
      active += RunOn(state->shard, [shard_state] {
        size_t requests = shard_state->listener ? shard_state->listener->active_requests() : size_t{0};
        size_t background = shard_state->host ? shard_state->host->background_work() : size_t{0};
        return requests + background;
      });
    }
    if (active == 0) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      logger_->Warn("node", std::to_string(active) + " request(s) still running after the drain timeout; closing them");
      // JS still running on a shard would keep the tear-down below waiting for it.
      for (auto& state : shards_) state->shard.cpu_monitor().TerminateCurrent(engine::TerminationReason::kShutdown);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // 4. Tear down: connections, bundles (isolates), then the threads.
  tearing_down_.store(true, std::memory_order_release);
  for (auto& state : shards_) {
    ShardState* shard_state = state.get();
    RunOn(state->shard, [shard_state] {
      if (shard_state->listener) shard_state->listener->CloseAll();
      shard_state->listener.reset();
      shard_state->host.reset();
      return 0;
    });
  }
  for (auto& state : shards_) {
    if (watchdog_) watchdog_->Remove(&state->shard.cpu_monitor());
    state->shard.StopAndJoin();
  }
}

}  // namespace mar::node
