// Outbound HTTP for fetch(): libcurl's multi-socket API driven by a shard's io_context.
//
// One HttpClient per bundle isolate, so pooled connections never cross bundles with different
// allowlists. It is created, used and destroyed on its io_context's thread and has no threads of
// its own; the only other thread is libcurl's threaded DNS resolver (getaddrinfo blocks, and the
// Debian libcurl has no c-ares), which never touches our state.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mar::net {

struct FetchRequest {
  std::string method;  // already validated token, e.g. "GET"
  std::string url;     // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;       // whole body known up front, or:
  bool streamed_body = false;            // body arrives via WriteBody/EndBody (chunked upload)
  std::chrono::milliseconds timeout{0};  // whole transfer, connect included; 0 = none
};

struct FetchHead {
  int status = 0;
  std::string status_text;                                   // empty over HTTP/2
  std::vector<std::pair<std::string, std::string>> headers;  // names as the server sent them
  std::string http_version;                                  // "1.0", "1.1", "2"
};

enum class FetchErrorKind {
  kDenied,
  kDns,
  kConnect,
  kTls,
  kTimeout,
  kAborted,
  kProtocol,
  kTooLarge,
  kOther
};

struct FetchError {
  FetchErrorKind kind;
  std::string message;  // for a JS developer; names the origin, e.g. "fetch http://a.com:80/: ..."
};

// Events of one transfer. Always called on the io_context thread from a clean stack: never from
// inside a call into HttpClient, never from inside libcurl, so they may run JS and call back into
// the client (Start, Abort, PauseBody, even destroy it).
class FetchObserver {
 public:
  virtual ~FetchObserver() = default;
  // Once, before any data: the final (non-1xx) response head.
  virtual void OnHead(FetchHead head) = 0;
  // Zero or more times, decoded body bytes; never while the body is paused.
  virtual void OnData(std::string_view chunk) = 0;
  // Exactly once, last; nothing follows it. Also when OnHead never came.
  virtual void OnComplete(std::optional<FetchError> error) = 0;
  // Streamed upload: the bytes buffered by WriteBody fell below the low-water mark.
  virtual void OnBodyDrained() {}
};

// Called before every connect with the resolved address (so it holds after DNS resolution, and
// for every address tried): a message refuses the connection, and the transfer fails with
// kDenied and that message unless another address of the host connects. `host` is the URL's
// host without IPv6 brackets. Runs inside libcurl: it must not call into the HttpClient.
using ConnectCheck = std::function<std::optional<std::string>(
    std::string_view host, const boost::asio::ip::address& address, uint16_t port)>;

struct HttpClientLimits {
  size_t max_header_bytes = 64 * 1024;  // response status line + headers; over it: kTooLarge
  size_t max_concurrent = 256;          // transfers per client; over it, Start fails (kOther)
  std::chrono::milliseconds connect_timeout{30'000};
  size_t upload_high_water = 64 * 1024;  // WriteBody returns false above this many buffered bytes
  size_t upload_low_water = 16 * 1024;   // OnBodyDrained once the buffer is back below this
};

class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, ConnectCheck check, HttpClientLimits limits = {});
  // Aborts all transfers without calling observers; closes every socket.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a transfer and returns its id (never 0). Every failure, even an immediate one such as
  // a bad URL, arrives through OnComplete.
  uint64_t Start(FetchRequest request, std::shared_ptr<FetchObserver> observer);
  // Response-body backpressure: no OnData until ResumeBody, and libcurl stops reading the socket.
  void PauseBody(uint64_t id);
  void ResumeBody(uint64_t id);
  // Queues bytes of a streamed upload. False when over the high-water mark (wait for
  // OnBodyDrained), or when the transfer is over or was not started with streamed_body.
  bool WriteBody(uint64_t id, std::string_view bytes);
  // Ends a streamed upload.
  void EndBody(uint64_t id);
  // Stops the transfer; OnComplete(kAborted) follows (posted) unless OnComplete already ran.
  void Abort(uint64_t id);
  // Transfers whose OnComplete has not run yet.
  size_t active() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mar::net
