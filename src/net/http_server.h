// HTTP/1.1 ingress on Boost.Beast: one listener per shard on the same port (SO_REUSEPORT), so
// the kernel spreads connections over shards and no request crosses threads.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "node/bundle_host.h"
#include "obs/log.h"

namespace mar::net {

struct HttpLimits {
  uint32_t header_bytes = 16 * 1024;       // request line + headers; over it: 431
  uint64_t body_bytes = 16u << 20;         // over it: 413
  std::chrono::seconds idle_timeout{30};   // keep-alive connection with no request
  std::chrono::seconds read_timeout{30};   // one request's headers + body
};

// Handles one request on the listener's shard thread; calls `done` exactly once, on that thread.
using HttpHandler = std::function<void(node::IncomingRequest, node::FetchCallback done)>;

class HttpListener {
 public:
  // Binds host:port (port 0: any free port) with SO_REUSEPORT and starts accepting.
  static Result<std::unique_ptr<HttpListener>> Open(boost::asio::io_context& io, const std::string& host,
                                                    uint16_t port, HttpHandler handler, const HttpLimits& limits,
                                                    obs::Logger& logger);
  ~HttpListener();

  uint16_t port() const;
  // Call on the shard thread: stop accepting, close idle keep-alive connections, and make busy
  // ones close after their response.
  void StopAccepting();
  // Requests read and not yet answered (on the shard thread).
  size_t active_requests() const;
  // Closes every connection (on the shard thread), answered or not.
  void CloseAll();

  struct State;

 private:
  explicit HttpListener(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace mar::net
