#include "node/node.h"

#include <future>
#include <thread>

#include "engine/engine.h"
#include "engine/isolate.h"
#include "engine/watchdog.h"
#include "node/bundle_host.h"
#include "node/shard.h"

namespace mar::node {

// Everything that belongs to one shard; touched only on that shard's thread once started.
struct Node::ShardState {
  explicit ShardState(int index) : shard(index) {}
  Shard shard;
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
  std::unique_ptr<Node> node(new Node(engine, std::move(bundle), options, std::move(logger)));
  int shard_count = options.shards > 0 ? options.shards : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  node->watchdog_ = std::make_unique<engine::Watchdog>();
  for (int i = 0; i < shard_count; ++i) {
    node->shards_.push_back(std::make_unique<ShardState>(i));
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
  if (!node->shards_.front()->host->module_info().has_fetch) {
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
  auto host = BundleHost::Start(engine_, state.shard, bundle_, *logger_);
  if (!host) return std::unexpected(host.error());
  auto elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  logger_->Write(obs::Level::kDebug, "node",
                 "bundle " + bundle_.manifest.name + " started on shard " + std::to_string(state.shard.index()) +
                     " in " + std::to_string(elapsed.count()) + " ms");
  state.host = std::move(*host);  // destroys a dead predecessor, which answers its pending requests
  state.host->set_on_death(DiscardWhenDead(&state));
  return {};
}

void Node::HandleRequest(ShardState& state, net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange) {
  BundleHost* host = EnsureHost(state);
  if (!host) {
    exchange->Fail(503, "bundle restarting");
    return;
  }
  host->DispatchFetch(std::move(request), std::move(exchange));
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
  // 2. Let in-flight requests finish, up to the drain timeout.
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
  // 3. Tear down: connections, bundles (isolates), then the threads.
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
