#include "net/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <deque>
#include <list>
#include <utility>

namespace mar::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// Sockets bound to the shard's io_context executor, not the type-erased any_io_executor: every
// operation would otherwise copy and destroy a polymorphic executor.
using Socket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;

namespace {

class Session;

// A streamed response's queue: above this the producer is told to wait; it is told to go on once
// the queue is below the low-water mark again.
constexpr size_t kWriteHighWater = 256 * 1024;
constexpr size_t kWriteLowWater = 64 * 1024;
// One read of a streamed request body delivers at most this much.
constexpr size_t kBodyChunkBytes = 64 * 1024;
// A whole response's body up to this size is copied behind its head and sent with it.
constexpr size_t kCoalesceBytes = 16 * 1024;

}  // namespace

struct HttpListener::State {
  State(asio::io_context& io_context, HttpHandler request_handler, const HttpLimits& http_limits,
        obs::Logger& log)
      : io(io_context),
        acceptor(io_context),
        handler(std::move(request_handler)),
        limits(http_limits),
        logger(log),
        sweep(io_context) {}
  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpHandler handler;
  HttpLimits limits;
  obs::Logger& logger;
  std::string authority;  // host:port for request URLs when a client sends no Host header
  bool stopping = false;
  size_t active_requests = 0;
  std::chrono::steady_clock::time_point last_accept_warning{};
  // Once a second: closes sessions whose read or write is past its deadline, refreshes `date`.
  asio::steady_timer sweep;
  std::string date;  // the Date header's value (IMF-fixdate), to the second
  std::list<std::weak_ptr<Session>> sessions;
  // Sessions waiting for a step that one posted handler does for all of them (see Later).
  struct Batch {
    std::vector<std::shared_ptr<Session>> waiting;
    std::vector<std::shared_ptr<Session>> running;
  };
  Batch flushes;  // whole responses to send (Session::Flush)
  Batch reads;    // keep-alive sessions to start reading the next request (StartHeadRead)
};

namespace {

using State = HttpListener::State;

bool IsHopByHop(std::string_view name) {
  return beast::iequals(name, "connection") || beast::iequals(name, "keep-alive") ||
         beast::iequals(name, "transfer-encoding") || beast::iequals(name, "upgrade") ||
         beast::iequals(name, "content-length") || beast::iequals(name, "proxy-connection") ||
         beast::iequals(name, "te") || beast::iequals(name, "trailer");
}

const char* kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

using Step = void (Session::*)();
void Later(const std::shared_ptr<State>& state, State::Batch State::*batch, Step step,
           std::shared_ptr<Session> session);

// One connection: reads a request, hands it to the handler with an Exchange, writes the response,
// and (keep-alive) reads the next. Requests are taken one at a time, so pipelined requests wait in
// the socket until the response before them is complete.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Socket socket, std::shared_ptr<State> state)
      : socket_(std::move(socket)), state_(std::move(state)) {}

  void Begin(std::list<std::weak_ptr<Session>>::iterator self) {
    self_ = self;
    beast::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    // Whole responses are sent with a plain write_some (Flush), which must never block the shard.
    socket_.non_blocking(true, ignored);
    ReadHead();
  }
  void CloseIfIdle() {
    if (!busy_) Close();
  }
  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
    if (busy_) {
      busy_ = false;
      --state_->active_requests;
      // The handler learns that nobody is listening any more (a stream producer stops).
      if (auto closed = std::move(on_closed_))
        asio::post(socket_.get_executor(), std::move(closed));
    }
    on_drain_ = nullptr;
    if (auto read = std::move(body_reader_)) {
      asio::post(socket_.get_executor(),
                 [read = std::move(read)] { read(Fail("the client closed the connection")); });
    }
  }
  ~Session() { state_->sessions.erase(self_); }

  void Expire(std::chrono::seconds timeout) { deadline_ = std::chrono::steady_clock::now() + timeout; }
  // An operation completed: no deadline until the next one starts.
  void Settle() { deadline_ = std::chrono::steady_clock::time_point::max(); }
  // Called by the listener's once-a-second sweep.
  void CloseIfExpired(std::chrono::steady_clock::time_point now) {
    if (now > deadline_) Close();
  }

  // --- the Exchange operations, for the request with `serial` ---
  bool Current(uint64_t serial) const { return !closed_ && busy_ && serial == serial_; }

  void ReadBody(Exchange::ReadCallback done) {
    if (body_reader_ || reading_body_) {
      asio::post(socket_.get_executor(),
                 [done = std::move(done)] { done(Fail("a body read is already pending")); });
      return;
    }
    body_reader_ = std::move(done);
    asio::post(socket_.get_executor(), [self = shared_from_this(), serial = serial_] {
      if (self->Current(serial)) self->ReadBodyChunk();
    });
  }

  // These may be called from inside JS: they only start writes (whose completions always come
  // later, from the loop) and never throw.
  void Respond(ResponseHead head, std::string body) {
    if (phase_ != Phase::kHandling) return;
    phase_ = Phase::kResponding;
    WriteWhole(std::move(head), std::move(body));
  }

  void FailRequest(int status, std::string incident) {
    if (phase_ != Phase::kHandling) return;
    std::string text = status == 503 ? "Service Unavailable" : "Internal Server Error";
    SendError(status, text + " (incident " + incident + ")", false);
  }

  void StartStream(ResponseHead head) {
    if (phase_ != Phase::kHandling) return;
    phase_ = Phase::kStreaming;
    WriteStreamHead(std::move(head));
  }

  bool Write(std::string_view chunk) {
    if (phase_ != Phase::kStreaming || stream_ended_) return true;
    if (chunk.empty()) return queued_bytes_ < kWriteHighWater;
    if (!head_request_) {
      queued_bytes_ += chunk.size();
      chunks_.emplace_back(chunk);
      KickWrites();
    }
    if (queued_bytes_ < kWriteHighWater) return true;
    drain_wanted_ = true;
    return false;
  }

  void End() {
    if (phase_ != Phase::kStreaming || stream_ended_) return;
    stream_ended_ = true;
    KickWrites();
  }

  void Abort() {
    if (phase_ != Phase::kStreaming && phase_ != Phase::kHandling) return;
    state_->logger.Warn("http", "response stream failed mid-body; closing the connection");
    asio::post(socket_.get_executor(), [self = shared_from_this(), serial = serial_] {
      if (self->Current(serial)) self->Close();
    });
  }

  void set_on_drain(uint64_t serial, std::function<void()> callback) {
    if (Current(serial)) on_drain_ = std::move(callback);
  }
  void set_on_closed(uint64_t serial, std::function<void()> callback) {
    if (Current(serial)) on_closed_ = std::move(callback);
  }

 private:
  enum class Phase { kReading, kHandling, kResponding, kStreaming };

  void ReadHead() {
    phase_ = Phase::kReading;
    head_request_ = false;
    head_parser_.emplace();
    string_parser_.reset();
    body_parser_.reset();
    head_parser_->header_limit(state_->limits.header_bytes);
    head_parser_->body_limit(state_->limits.body_bytes);  // Beast checks Content-Length against it
    Expire(state_->limits.idle_timeout);
    // Never on this stack: a response that ends inside JS gets here.
    Later(state_, &State::reads, &Session::StartHeadRead, shared_from_this());
  }

  // The head is read with the socket's own async_read_some and Beast's parser rather than
  // http::async_read_header: its composed operations (two layers of coroutine, each tracking
  // work on the executor) cost more per keep-alive request than the parse itself.
  void ParseHead() {
    if (closed_) return;
    beast::error_code error;
    size_t used = head_parser_->put(buffer_.data(), error);
    buffer_.consume(used);
    if (error == http::error::need_more) return ReadHeadBytes();
    OnHead(error);
  }

  // As Beast reads: at least 512 bytes of room, at most 64 KiB; the parser's header limit bounds
  // how far the buffer grows.
  asio::mutable_buffer ReadRoom() {
    return buffer_.prepare(std::clamp<size_t>(buffer_.capacity() - buffer_.size(), 512, 65536));
  }

  // A pipelined request may be buffered already; otherwise the socket is read. Asio tries a read
  // at once when it starts one, and a keep-alive client whose response just left has rarely sent
  // its next request yet: started right after the response, 84 % of reads came back empty (a
  // wasted system call each). Started once the shard has handled what was ready (the listener's
  // batch of reads), 50-65 % do.
  void StartHeadRead() {
    if (closed_ || phase_ != Phase::kReading) return;
    if (buffer_.size() > 0) return ParseHead();
    ReadHeadBytes();
  }

  void ReadHeadBytes() {
    socket_.async_read_some(ReadRoom(), [self = shared_from_this()](beast::error_code error, size_t got) {
      self->buffer_.commit(got);
      if (self->closed_) return self->Settle();
      self->OnHeadBytes(error);
    });
  }

  void OnHeadBytes(beast::error_code error) {
    if (error == asio::error::eof) {
      // A head cut short is malformed; a connection closed between requests is not.
      if (!head_parser_->got_some()) return OnHead(http::error::end_of_stream);
      error = {};
      head_parser_->put_eof(error);
      return OnHead(error ? error : beast::error_code(http::error::partial_message));
    }
    if (error) return OnHead(error);
    ParseHead();
  }

  static bool Benign(const beast::error_code& error) {
    return error == http::error::end_of_stream || error == asio::error::operation_aborted ||
           error == beast::error::timeout || error == asio::error::connection_reset ||
           error == asio::error::eof || error == asio::error::broken_pipe;
  }

  void OnHead(beast::error_code error) {
    Settle();
    if (closed_) return;
    if (error) {
      if (Benign(error)) return Close();
      // A malformed or oversized request: answer once, then close, as the connection's framing is
      // lost.
      int status = error == http::error::header_limit ? 431
                   : error == http::error::body_limit ? 413
                                                      : 400;
      return SendError(status, error.message(), /*close=*/true);
    }
    auto& request = head_parser_->get();
    size_t count = 0;
    for (auto it = request.begin(); it != request.end(); ++it) ++count;
    if (count > state_->limits.header_count) {
      return SendError(431,
                       "too many header fields (the limit is " +
                           std::to_string(state_->limits.header_count) + ")",
                       true);
    }
    // The URL the bundle sees is built from Host + target, so both must be what they claim to be:
    // origin-form targets start with "/", and Host is a bare authority (no path, query, userinfo).
    std::string_view raw_target = request.target();
    bool absolute_form = raw_target.starts_with("http://") || raw_target.starts_with("https://");
    if (!absolute_form && !raw_target.starts_with("/") &&
        !(raw_target == "*" && request.method() == http::verb::options)) {
      return SendError(400, "request target must start with \"/\"", /*close=*/true);
    }
    if (auto host_field = request.find(http::field::host);
        host_field != request.end() &&
        host_field->value().find_first_of("/?#@ \t\\") != std::string_view::npos) {
      return SendError(400, "invalid Host header", /*close=*/true);
    }
    keep_alive_ = request.keep_alive() && !state_->stopping;
    head_request_ = request.method() == http::verb::head;
    http10_ = request.version() < 11;
    auto expect = request.find(http::field::expect);
    expect_continue_ = expect != request.end() && beast::iequals(expect->value(), "100-continue");

    if (head_parser_->is_done()) return Dispatch(std::string(), false);
    auto length = head_parser_->content_length();
    if (length && *length > state_->limits.body_bytes) {
      return SendError(413,
                       "request body of " + std::to_string(*length) +
                           " bytes is over the limit of " +
                           std::to_string(state_->limits.body_bytes),
                       true);
    }
    if (length && *length <= state_->limits.eager_body_bytes) {
      // Small bodies are read before the handler runs: one event, no stream.
      string_parser_.emplace(std::move(*head_parser_));
      string_parser_->body_limit(state_->limits.body_bytes);
      SendContinueThen([self = shared_from_this()] {
        self->Expire(self->state_->limits.read_timeout);
        http::async_read(self->socket_, self->buffer_, *self->string_parser_,
                         [self](beast::error_code error, size_t) { self->OnEagerBody(error); });
      });
      return;
    }
    body_parser_.emplace(std::move(*head_parser_));
    body_parser_->body_limit(state_->limits.body_bytes);
    body_complete_ = false;
    // As Node does: a client waiting for "100 Continue" gets it before the handler runs, so the
    // response head can never race it onto the wire.
    SendContinueThen([self = shared_from_this()] { self->Dispatch(std::string(), true); });
  }

  void OnEagerBody(beast::error_code error) {
    Settle();
    if (closed_) return;
    if (error) {
      if (Benign(error)) return Close();
      return SendError(error == http::error::body_limit ? 413 : 400, error.message(), true);
    }
    Dispatch(std::move(string_parser_->get().body()), false);
  }

  // Tells a client that waits for it (Expect: 100-continue) to send the body, then runs `next`.
  template <class Next>
  void SendContinueThen(Next next) {
    if (!expect_continue_) return next();
    expect_continue_ = false;
    Expire(state_->limits.read_timeout);
    asio::async_write(socket_, asio::buffer(kContinue, std::strlen(kContinue)),
                      [self = shared_from_this(), next = std::move(next)](beast::error_code error,
                                                                          size_t) mutable {
                        if (self->closed_) return;
                        if (error) return self->Close();
                        next();
                      });
  }

  void Dispatch(std::string body, bool streamed);

  void ReadBodyChunk() {
    if (body_complete_ || !body_parser_) {
      auto read = std::move(body_reader_);
      return read(std::string());
    }
    reading_body_ = true;
    if (!chunk_) chunk_ = std::make_unique<char[]>(kBodyChunkBytes);
    auto& body = body_parser_->get().body();
    body.data = chunk_.get();
    body.size = kBodyChunkBytes;
    Expire(state_->limits.read_timeout);
    http::async_read(
        socket_, buffer_, *body_parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnBodyChunk(error); });
  }

  void OnBodyChunk(beast::error_code error) {
    Settle();
    reading_body_ = false;
    if (closed_) return;
    auto read = std::move(body_reader_);
    if (error == http::error::need_buffer) error = {};
    if (error) {
      std::string message = error == http::error::body_limit
                                ? "the request body is over the limit of " +
                                      std::to_string(state_->limits.body_bytes) + " bytes"
                                : "reading the request body failed: " + error.message();
      keep_alive_ = false;  // the framing is lost
      // The client's fault, not the handler's: if no response has started, the client hears so
      // (400/413) and whatever the handler answers later is dropped.
      if (phase_ == Phase::kHandling && !Benign(error)) {
        SendError(error == http::error::body_limit ? 413 : 400, message, true);
      }
      if (read) read(Fail(std::move(message)));
      return;
    }
    size_t got = kBodyChunkBytes - body_parser_->get().body().size;
    if (body_parser_->is_done()) body_complete_ = true;
    if (got == 0 && !body_complete_) return ReadBodyChunkAgain(std::move(read));
    if (read) read(std::string(chunk_.get(), got));
  }

  // A read that produced no bytes (e.g. only a chunk header arrived): read on for the same caller.
  void ReadBodyChunkAgain(Exchange::ReadCallback read) {
    body_reader_ = std::move(read);
    ReadBodyChunk();
  }

  // Serializes the status line and headers into head_out_; false (and a 500 sent) if the
  // handler's response is invalid. Written by hand rather than by Beast's serializer: one string,
  // one gather write, and no exception can come out of it.
  bool BuildHead(const ResponseHead& head, bool has_body, std::optional<uint64_t> content_length) {
    // The JS layer validates these too, but user code can tamper with the built-ins it relies on.
    bool null_body_status = head.status == 204 || head.status == 205 || head.status == 304;
    const char* problem = nullptr;
    if (head.status < 200 || head.status > 599) problem = "a status outside 200-599";
    else if (null_body_status && has_body) problem = "a body on a null-body status";
    else if (!ValidReason(head.status_text)) problem = "an invalid status text";
    for (const auto& [name, value] : head.headers) {
      if (problem) break;
      if (!ValidHeaderName(name)) problem = "an invalid header name";
      else if (!ValidHeaderValue(value)) problem = "an invalid header value";
    }
    if (problem) {
      state_->logger.Error("http", "handler returned an invalid response (" + std::string(problem) + ", status " +
                                       std::to_string(head.status) + "); answering 500");
      SendError(500, "Internal Server Error (invalid response from the handler)", false);
      return false;
    }
    // A whole response to a request whose body is unread closes the connection; a streamed one
    // decides at its end (an echo reads the body while it answers).
    if (state_->stopping || (content_length && !body_complete_)) keep_alive_ = false;
    std::string& out = head_out_;
    out.clear();
    out.append("HTTP/1.1 ").append(std::to_string(head.status)).push_back(' ');
    if (!head.status_text.empty()) {
      out.append(head.status_text);
    } else {
      std::string_view reason = http::obsolete_reason(http::int_to_status(static_cast<unsigned>(head.status)));
      out.append(reason == "<unknown-status>" ? std::string_view("Unknown") : reason);
    }
    out.append("\r\n");
    // Framing is the server's business: a proxied response's Content-Length or
    // Transfer-Encoding no longer describes what is sent.
    for (const auto& [name, value] : head.headers) {
      if (IsHopByHop(name)) continue;
      out.append(name).append(": ").append(value).append("\r\n");
    }
    out.append("date: ").append(state_->date).append("\r\n");
    if (content_length) out.append("content-length: ").append(std::to_string(*content_length)).append("\r\n");
    else if (!http10_) out.append("transfer-encoding: chunked\r\n");
    if (!keep_alive_) {
      if (!http10_) out.append("connection: close\r\n");
    } else if (http10_) {
      out.append("connection: keep-alive\r\n");
    }
    out.append("\r\n");
    return true;
  }

  static bool ValidHeaderName(std::string_view name) {
    if (name.empty()) return false;
    for (unsigned char c : name) {
      if (c <= 0x20 || c >= 0x7f || std::strchr("\"(),/:;<=>?@[\\]{}", c)) return false;
    }
    return true;
  }
  static bool ValidHeaderValue(std::string_view value) {
    for (unsigned char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') return false;
    }
    return true;
  }
  static bool ValidReason(std::string_view reason) {
    for (unsigned char c : reason) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
    }
    return true;
  }

  void WriteWhole(ResponseHead head, std::string body) {
    if (!BuildHead(head, !body.empty(), body.size())) return;
    body_out_ = std::move(body);
    WriteOut();
  }

  void SendError(int status, std::string message, bool close) {
    keep_alive_ = keep_alive_ && !close;
    phase_ = Phase::kResponding;
    ResponseHead head{status, {}, {{"content-type", "text/plain;charset=UTF-8"}}};
    message += "\n";
    BuildHead(head, true, message.size());
    body_out_ = std::move(message);
    WriteOut();
  }

  // Queues head_out_ and (unless HEAD) body_out_ for the listener's next flush; the exchange
  // finishes once they are written.
  void WriteOut() {
    if (head_request_) body_out_.clear();  // Content-Length stays that of the full body
    // A small body rides in the head's buffer: one send of one buffer.
    if (body_out_.size() <= kCoalesceBytes) {
      head_out_.append(body_out_);
      body_out_.clear();
    }
    Expire(state_->limits.read_timeout);
    Later(state_, &State::flushes, &Session::Flush, shared_from_this());
  }

  // Sends what WriteOut queued (from the listener's flush, on a clean stack). Most responses fit
  // the socket's send buffer: the socket is non-blocking, so this either sends all at once or
  // leaves the rest to an asynchronous write.
  void Flush() {
    if (closed_) return;
    beast::error_code error;
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_out_), asio::buffer(body_out_)};
    // One buffer is a plain send(); two take sendmsg() and its vector, measurably dearer here.
    size_t sent = body_out_.empty() ? socket_.write_some(buffers[0], error) : socket_.write_some(buffers, error);
    if (error && error != asio::error::would_block && error != asio::error::try_again) return Written(false);
    if (sent == head_out_.size() + body_out_.size()) return Written(true);
    size_t head_sent = std::min(sent, head_out_.size());
    buffers = {asio::buffer(head_out_) + head_sent, asio::buffer(body_out_) + (sent - head_sent)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](beast::error_code error, size_t) { self->Written(!error); });
  }

  void Written(bool ok) {
    Settle();
    body_out_.clear();
    Finish(ok);
  }
  void WriteStreamHead(ResponseHead head) {
    // HTTP/1.0 has no chunked encoding: the body ends when the connection does.
    if (http10_) keep_alive_ = false;
    if (!BuildHead(head, true, std::nullopt)) return;
    streaming_ = true;
    writing_ = true;
    Expire(state_->limits.read_timeout);
    asio::async_write(socket_, asio::buffer(head_out_), [self = shared_from_this()](beast::error_code error, size_t) {
      self->Settle();
      self->writing_ = false;
      if (self->closed_) return;
      if (error) return self->Close();
      self->KickWrites();
    });
  }

  void KickWrites() {
    if (writing_ || closed_ || !streaming_) return;
    if (!chunks_.empty()) {
      writing_ = true;
      auto on_written = [self = shared_from_this()](beast::error_code error, size_t) { self->OnChunkWritten(error); };
      Expire(state_->limits.read_timeout);
      if (http10_) {
        asio::async_write(socket_, asio::buffer(chunks_.front()), std::move(on_written));
      } else {
        char size[24];
        int length = std::snprintf(size, sizeof size, "%zx\r\n", chunks_.front().size());
        chunk_size_.assign(size, static_cast<size_t>(length));
        std::array<asio::const_buffer, 3> buffers{asio::buffer(chunk_size_), asio::buffer(chunks_.front()),
                                                  asio::buffer("\r\n", 2)};
        asio::async_write(socket_, buffers, std::move(on_written));
      }
      return;
    }
    if (!stream_ended_) return;
    if (http10_ || head_request_) return Finish(true);
    writing_ = true;
    Expire(state_->limits.read_timeout);
    asio::async_write(socket_, asio::buffer("0\r\n\r\n", 5), [self = shared_from_this()](beast::error_code error, size_t) {
      self->Settle();
      self->writing_ = false;
      self->Finish(!error);
    });
  }

  void OnChunkWritten(beast::error_code error) {
    Settle();
    writing_ = false;
    if (closed_) return;
    if (error) return Close();
    queued_bytes_ -= chunks_.front().size();
    chunks_.pop_front();
    if (drain_wanted_ && queued_bytes_ < kWriteLowWater) {
      drain_wanted_ = false;
      if (on_drain_) on_drain_();
    }
    KickWrites();
  }

  // The response is out (or failed): next request, or close.
  void Finish(bool ok) {
    if (closed_) return;
    if (busy_) {
      busy_ = false;
      --state_->active_requests;
    }
    on_drain_ = nullptr;
    on_closed_ = nullptr;
    streaming_ = false;
    chunks_.clear();
    queued_bytes_ = 0;
    stream_ended_ = false;
    drain_wanted_ = false;
    // A drain that began while this response was being written closes the connection now; so
    // does a request body nobody read (its bytes are still in the way of the next request).
    if (!ok || !keep_alive_ || state_->stopping || !body_complete_ || reading_body_) return Close();
    ReadHead();
  }

  Socket socket_;
  // When the pending read or write gives up; the listener's sweep closes sessions past it.
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::time_point::max();
  std::shared_ptr<State> state_;
  std::list<std::weak_ptr<Session>>::iterator self_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::buffer_body>> body_parser_;
  std::unique_ptr<char[]> chunk_;
  Exchange::ReadCallback body_reader_;
  bool reading_body_ = false;
  bool body_complete_ = true;
  bool expect_continue_ = false;

  std::string head_out_;    // the response's status line and headers
  std::string body_out_;    // a whole response's body
  std::string chunk_size_;  // the size line of the chunk being written
  bool streaming_ = false;  // a streamed response's head is written
  std::deque<std::string> chunks_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool stream_ended_ = false;
  bool drain_wanted_ = false;
  std::function<void()> on_drain_;
  std::function<void()> on_closed_;

  Phase phase_ = Phase::kReading;
  uint64_t serial_ = 0;
  bool keep_alive_ = false;
  bool head_request_ = false;
  bool http10_ = false;
  bool busy_ = false;
  bool closed_ = false;
};

// What the handler holds: the session (which it keeps alive while the handler works) and which of
// its requests this is, so a late call about an earlier request can never touch the next one.
class SessionExchange final : public Exchange {
 public:
  SessionExchange(std::shared_ptr<Session> session, uint64_t serial, asio::any_io_executor executor)
      : session_(std::move(session)), serial_(serial), executor_(std::move(executor)) {}

  void ReadBody(ReadCallback done) override {
    if (auto session = Get()) return session->ReadBody(std::move(done));
    // Never on the caller's stack: the caller may be inside JS.
    asio::post(executor_,
               [done = std::move(done)] { done(mar::Fail("the client closed the connection")); });
  }
  void Respond(ResponseHead head, std::string body) override {
    if (auto session = Get()) session->Respond(std::move(head), std::move(body));
  }
  void Fail(int status, std::string incident) override {
    if (auto session = Get()) session->FailRequest(status, std::move(incident));
  }
  void StartStream(ResponseHead head) override {
    if (auto session = Get()) session->StartStream(std::move(head));
  }
  bool Write(std::string_view chunk) override {
    auto session = Get();
    return session ? session->Write(chunk) : true;
  }
  void End() override {
    if (auto session = Get()) session->End();
  }
  void Abort() override {
    if (auto session = Get()) session->Abort();
  }
  void set_on_drain(std::function<void()> callback) override {
    if (auto session = Get()) session->set_on_drain(serial_, std::move(callback));
  }
  void set_on_closed(std::function<void()> callback) override {
    if (auto session = Get()) return session->set_on_closed(serial_, std::move(callback));
    asio::post(executor_, std::move(callback));  // already gone: say so (never on the caller's stack)
  }

 private:
  Session* Get() const { return session_->Current(serial_) ? session_.get() : nullptr; }
  std::shared_ptr<Session> session_;
  uint64_t serial_;
  asio::any_io_executor executor_;
};

// Runs `step` for `session` from a handler posted behind the work the shard has queued now, one
// handler for every session that waits for the same step.
//
// Whole responses are not sent from inside the handler that makes them but gathered this way:
// the requests of one wake-up are all handled first (their JS runs back to back), then their
// responses go out in a row, and the client is woken once for the lot rather than after each.
// A/B on the 2-core machine, hello -c32 with wrk beside the node: +5 % req/s and 1.7 µs less
// user CPU per request, p99 unchanged. A response waits at most for the handlers that were
// already queued when it was made.
void Later(const std::shared_ptr<State>& state, State::Batch State::*batch, Step step,
           std::shared_ptr<Session> session) {
  State::Batch& waiting = (*state).*batch;
  waiting.waiting.push_back(std::move(session));
  if (waiting.waiting.size() > 1) return;
  asio::post(state->io, [weak = std::weak_ptr<State>(state), batch, step] {
    auto state = weak.lock();
    if (!state) return;
    State::Batch& due = (*state).*batch;
    // Swapped out first: a step may queue its session for the next round.
    due.running.swap(due.waiting);
    for (auto& session : due.running) ((*session).*step)();
    due.running.clear();
  });
}

void Session::Dispatch(std::string body, bool streamed) {
  auto& request = streamed         ? body_parser_->get().base()
                  : string_parser_ ? string_parser_->get().base()
                                   : head_parser_->get().base();
  IncomingRequest incoming;
  incoming.method = std::string(request.method_string());
  std::string_view host;
  incoming.headers.reserve(8);
  for (const auto& field : request) {
    if (field.name() == http::field::host) host = field.value();
    incoming.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  std::string_view target = request.target();
  // A fragment is never part of a request target (RFC 9112 §3.2); a client that sends one anyway
  // does not get it into request.url (workerd drops it too).
  target = target.substr(0, target.find('#'));
  if (target.starts_with("http://") || target.starts_with("https://")) {
    incoming.url = std::string(target);  // absolute-form (proxy style)
  } else {
    incoming.url.reserve(7 + host.size() + target.size());
    incoming.url.append("http://").append(host.empty() ? state_->authority : host).append(target);
  }
  bool framed = request.find(http::field::content_length) != request.end() ||
                request.find(http::field::transfer_encoding) != request.end();
  incoming.has_body = streamed || !body.empty() || framed;
  incoming.body = std::move(body);
  incoming.streamed_body = streamed;
  phase_ = Phase::kHandling;
  busy_ = true;
  ++serial_;
  ++state_->active_requests;
  deadline_ = std::chrono::steady_clock::time_point::max();
  state_->handler(std::move(incoming), std::make_shared<SessionExchange>(
                                           shared_from_this(), serial_, socket_.get_executor()));
}

// Visits every live session; safe against a session leaving the list (its destructor) meanwhile.
template <class Visit>
void ForEachSession(State& state, Visit visit) {
  for (auto it = state.sessions.begin(); it != state.sessions.end();) {
    auto session = it->lock();
    ++it;
    if (session) visit(*session);
  }
}

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[40];
  size_t length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(text, length);
}

// One timer per listener instead of one per socket operation: arming and cancelling an Asio
// timer on every read and write costs more than the rest of a small request's I/O.
void Sweep(const std::weak_ptr<State>& weak) {
  auto state = weak.lock();
  if (!state) return;
  state->date = HttpDate();
  auto now = std::chrono::steady_clock::now();
  ForEachSession(*state, [now](Session& session) { session.CloseIfExpired(now); });
  state->sweep.expires_after(std::chrono::seconds(1));
  state->sweep.async_wait([weak](beast::error_code error) {
    if (!error) Sweep(weak);
  });
}

void Accept(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept(state->io, [state](beast::error_code error, Socket socket) {
    if (state->stopping || !state->acceptor.is_open()) return;
    if (!error) {
      auto session = std::make_shared<Session>(std::move(socket), state);
      auto self = state->sessions.insert(state->sessions.end(), session);
      session->Begin(self);
      return Accept(state);
    }
    if (error == asio::error::operation_aborted) return Accept(state);
    // Out of descriptors or similar: retrying at once would spin the shard and flood the log.
    auto now = std::chrono::steady_clock::now();
    if (now - state->last_accept_warning > std::chrono::seconds(5)) {
      state->last_accept_warning = now;
      state->logger.Warn("http", "accept failed: " + error.message() + "; retrying in 100 ms");
    }
    auto timer = std::make_shared<asio::steady_timer>(state->io, std::chrono::milliseconds(100));
    timer->async_wait([state, timer](beast::error_code) { Accept(state); });
  });
}

}  // namespace

HttpListener::HttpListener(std::shared_ptr<State> state) : state_(std::move(state)) {}

HttpListener::~HttpListener() {
  state_->sweep.cancel();
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

namespace {

Result<tcp::endpoint> ListenEndpoint(const std::string& host, uint16_t port) {
  beast::error_code error;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, error);
  if (error) return Fail("--listen: \"" + host + "\" is not an IP address");
  return tcp::endpoint(address, port);
}

std::string CannotListen(const std::string& host, uint16_t port, const beast::error_code& error) {
  std::string why = error == asio::error::address_in_use ? "address already in use (another process listens there)"
                                                          : error.message();
  return "cannot listen on " + host + ":" + std::to_string(port) + ": " + why;
}

}  // namespace

Result<void> HttpListener::CheckAvailable(const std::string& host, uint16_t port) {
  if (port == 0) return {};
  auto endpoint = ListenEndpoint(host, port);
  if (!endpoint) return std::unexpected(endpoint.error());
  asio::io_context io;
  tcp::acceptor probe(io);
  beast::error_code error;
  probe.open(endpoint->protocol(), error);
  // SO_REUSEADDR: connections of an earlier node still in TIME_WAIT must not count as a listener.
  if (!error) probe.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) probe.bind(*endpoint, error);
  if (error) return Fail(CannotListen(host, port, error));
  return {};
}

Result<std::unique_ptr<HttpListener>> HttpListener::Open(asio::io_context& io,
                                                         const std::string& host, uint16_t port,
                                                         HttpHandler handler,
                                                         const HttpLimits& limits,
                                                         obs::Logger& logger) {
  auto state = std::make_shared<State>(io, std::move(handler), limits, logger);
  auto listen = ListenEndpoint(host, port);
  if (!listen) return std::unexpected(listen.error());
  const tcp::endpoint& endpoint = *listen;
  beast::error_code error;
  auto& acceptor = state->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) {
    int one = 1;
    // Every shard binds the same port; the kernel balances new connections between them.
    if (setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      error = beast::error_code(errno, beast::system_category());
    }
  }
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return Fail(CannotListen(host, port, error));
  auto bound = acceptor.local_endpoint();
  state->authority = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]"
                                              : bound.address().to_string()) +
                     ":" + std::to_string(bound.port());
  Accept(state);
  Sweep(state);
  return std::unique_ptr<HttpListener>(new HttpListener(std::move(state)));
}

uint16_t HttpListener::port() const {
  return state_->acceptor.local_endpoint().port();
}

void HttpListener::StopAccepting() {
  state_->stopping = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  ForEachSession(*state_, [](Session& session) { session.CloseIfIdle(); });
}

size_t HttpListener::active_requests() const {
  return state_->active_requests;
}

void HttpListener::CloseAll() {
  ForEachSession(*state_, [](Session& session) { session.Close(); });
}

}  // namespace mar::net
