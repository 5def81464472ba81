// HTTP/1.1 ingress on Boost.Beast: one listener per shard on the same port (SO_REUSEPORT), so
// the kernel spreads connections over shards and no request crosses threads.
//
// Bodies stream both ways. A request body of up to HttpLimits::eager_body_bytes with a known
// length is read before the handler runs (most API requests: one event, no stream); a longer or
// chunked one is handed over unread and pulled chunk by chunk through Exchange::ReadBody, so the
// socket is read only as fast as the handler consumes. A streamed response is written with chunked
// encoding; Exchange::Write reports when the client is not keeping up, so the producer can wait.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "obs/log.h"

namespace mar::net {

struct HttpLimits {
  uint32_t header_bytes = 16 * 1024;        // request line + headers; over it: 431
  uint32_t header_count = 128;              // header fields; over it: 431
  uint64_t body_bytes = uint64_t{1} << 30;  // one request body; over it: 413 (or a stream error)
  uint32_t eager_body_bytes =
      64 * 1024;  // bodies up to this (with a Content-Length) are read first
  std::chrono::seconds idle_timeout{30};  // keep-alive connection with no request
  std::chrono::seconds read_timeout{30};  // the request head, and each read or write once it is in
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct IncomingRequest {
  std::string method;
  std::string url;  // absolute, e.g. http://127.0.0.1:8080/path?q
  HeaderList headers;
  std::string body;            // the whole body, unless streamed_body
  bool streamed_body = false;  // the body is still on the socket: read it with Exchange::ReadBody
  // The request carried a body, perhaps of zero bytes (a Content-Length: 0 or a chunked body that
  // ends at once): the handler sees an empty stream rather than no body, as on workerd and Deno.
  bool has_body = false;
};

struct ResponseHead {
  int status = 200;
  std::string status_text;  // empty: the standard reason phrase
  HeaderList headers;
};

// One request/response exchange, as the handler sees it. Call only on the listener's shard thread;
// the calls never do I/O on the caller's stack (they may be made from inside JS), and any call
// after the connection has gone is ignored.
class Exchange {
 public:
  virtual ~Exchange() = default;

  // The next chunk of a streamed request body; an empty chunk means the body is complete. At most
  // one read at a time. Fails if the client goes away, sends a malformed body, exceeds the limit.
  using ReadCallback = std::function<void(Result<std::string>)>;
  virtual void ReadBody(ReadCallback done) = 0;

  // A whole response. `body` must be empty for HEAD-less null-body statuses (checked again here).
  virtual void Respond(ResponseHead head, std::string body) = 0;
  // An error page (500/503) naming the incident id that the log has details under.
  virtual void Fail(int status, std::string incident) = 0;

  // A streamed response: the head now, then Write() chunks, then End() (or Abort() on failure,
  // which closes the connection so the client sees a truncated body rather than a complete one).
  virtual void StartStream(ResponseHead head) = 0;
  // Queues a chunk; false once the queue is over its high-water mark: stop writing until on_drain.
  virtual bool Write(std::string_view chunk) = 0;
  virtual void End() = 0;
  virtual void Abort() = 0;

  // Called (on the shard, on a clean stack) when a full queue has drained, and once when the
  // connection closes before the response was complete (at once if it already has).
  virtual void set_on_drain(std::function<void()> callback) = 0;
  virtual void set_on_closed(std::function<void()> callback) = 0;
};

// Handles one request on the listener's shard thread. The exchange stays usable until the
// response is complete or the connection closes.
using HttpHandler = std::function<void(IncomingRequest, std::shared_ptr<Exchange>)>;

class HttpListener {
 public:
  // Binds host:port (port 0: any free port) with SO_REUSEPORT and starts accepting.
  static Result<std::unique_ptr<HttpListener>> Open(boost::asio::io_context& io,
                                                    const std::string& host, uint16_t port,
                                                    HttpHandler handler, const HttpLimits& limits,
                                                    obs::Logger& logger);
  // SO_REUSEPORT lets any process of the same user join a port, which would silently split its
  // traffic with another node: before its shards join host:port, a node checks that nothing listens
  // there by binding a socket without it (the kernel refuses that bind while any listener holds the
  // port). Port 0 is always available. Nothing holds the port between this check and the
  // shards' binds, so two nodes started at the same instant could still both pass; the check is
  // for the common case, a node that is already running.
  static Result<void> CheckAvailable(const std::string& host, uint16_t port);
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
