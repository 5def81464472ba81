// A node: shards, the bundle running on each, the watchdog, and the HTTP ingress. Owns
// everything it starts; two nodes can live in one process (tests do this).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actor/ids.h"
#include "actor/registry.h"
#include "actor/resolver.h"
#include "base/result.h"
#include "api/realm.h"
#include "gpu/service.h"
#include "net/http_server.h"
#include "node/bundle.h"
#include "obs/log.h"

namespace mar::engine {
class Engine;
class Watchdog;
}  // namespace mar::engine

namespace mar::node {

class Shard;
class BundleHost;

struct NodeOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8080;
  int shards = 0;  // 0: one per CPU core
  std::chrono::milliseconds drain_timeout{10000};
  net::HttpLimits http;
  gpu::ProviderOptions gpu;  // which webgpu.h library (the driver is chosen before threads start)
};

class Node final : private actor::ActorObserver {
 public:
  // Loads the bundle on every shard (in parallel) and opens the listeners. Fails with the first
  // bundle error (syntax, evaluation, manifest) or a bind error.
  static Result<std::unique_ptr<Node>> Start(engine::Engine& engine, Bundle bundle, const NodeOptions& options,
                                             std::shared_ptr<obs::Logger> logger);
  ~Node();

  std::string url() const;  // http://HOST:PORT
  // Actor counters summed over shards (for tests and, later, the metrics endpoint).
  struct ActorCounts {
    int64_t live = 0;
    uint64_t spawned = 0, stopped = 0, crashed = 0, restarts = 0;
    double delivered = 0, queued = 0;
  };
  ActorCounts actor_counts() const;
  // Graceful: stop accepting, let in-flight requests finish within the drain timeout, tear down.
  void Shutdown();

 private:
  struct ShardState;
  Node(engine::Engine& engine, Bundle bundle, const NodeOptions& options, std::shared_ptr<obs::Logger> logger);
  void HandleRequest(ShardState& state, net::IncomingRequest request, std::shared_ptr<net::Exchange> exchange);
  BundleHost* EnsureHost(ShardState& state);
  // Starts the bundle on `state`'s shard (on that thread) and installs it as the current host.
  Result<void> StartHost(ShardState& state);
  // Discards a dead host once its event has unwound — that host only: a replacement may already
  // have been started by a request queued in between.
  static std::function<void()> DiscardWhenDead(ShardState* state);
  // Actors: delivery to another shard, restarts after a backoff, lifecycle logs.
  void PostEnvelope(int shard, api::ActorEnvelope envelope);
  void DrainInbox(ShardState& state);
  void ScheduleRestart(ShardState& state, std::string address, std::chrono::milliseconds delay);
  void OnActorEvent(int shard, actor::ActorEventKind kind, std::string_view address, std::string_view detail) override;
  // "/actors/<Class>/<name>/..." for a class whose manifest entry has "http": true -> "Class/name".
  std::string ActorRoute(std::string_view url) const;

  engine::Engine& engine_;
  const Bundle bundle_;
  std::vector<std::string> http_classes_;  // classes routed at /actors/<Class>/<name>
  NodeOptions options_;
  std::shared_ptr<obs::Logger> logger_;
  std::unique_ptr<engine::Watchdog> watchdog_;
  actor::IdMinter minter_;  // before the shards: their registries use it
  std::vector<std::unique_ptr<ShardState>> shards_;
  std::unique_ptr<gpu::Service> gpu_;  // when the bundle is granted the GPU; goes before the shards
  uint16_t port_ = 0;
  bool stopped_ = false;
  std::atomic<bool> tearing_down_{false};  // no more actor deliveries or restarts
  std::unique_ptr<actor::LocalResolver> resolver_;
};

}  // namespace mar::node
