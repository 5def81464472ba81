// A node: shards, the bundle running on each, the watchdog, and the HTTP ingress. Owns
// everything it starts; two nodes can live in one process (tests do this).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
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
};

class Node {
 public:
  // Loads the bundle on every shard (in parallel) and opens the listeners. Fails with the first
  // bundle error (syntax, evaluation, manifest) or a bind error.
  static Result<std::unique_ptr<Node>> Start(engine::Engine& engine, Bundle bundle, const NodeOptions& options,
                                             std::shared_ptr<obs::Logger> logger);
  ~Node();

  std::string url() const;  // http://HOST:PORT
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

  engine::Engine& engine_;
  const Bundle bundle_;
  NodeOptions options_;
  std::shared_ptr<obs::Logger> logger_;
  std::unique_ptr<engine::Watchdog> watchdog_;
  std::vector<std::unique_ptr<ShardState>> shards_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace mar::node
