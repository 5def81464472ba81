#include "net/http_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <list>

namespace mar::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

}  // namespace

struct HttpListener::State {
  State(asio::io_context& io_context, HttpHandler request_handler, const HttpLimits& http_limits, obs::Logger& log)
      : io(io_context), acceptor(io_context), handler(std::move(request_handler)), limits(http_limits), logger(log) {}
  asio::io_context& io;
  tcp::acceptor acceptor;
  HttpHandler handler;
  HttpLimits limits;
  obs::Logger& logger;
  std::string authority;  // host:port for request URLs when a client sends no Host header
  bool stopping = false;
  size_t active_requests = 0;
  std::chrono::steady_clock::time_point last_accept_warning{};
  std::list<std::weak_ptr<Session>> sessions;
};

namespace {

using State = HttpListener::State;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<State> state) : stream_(std::move(socket)), state_(std::move(state)) {}

  void Begin(std::list<std::weak_ptr<Session>>::iterator self) {
    self_ = self;
    stream_.socket().set_option(tcp::no_delay(true));
    Read();
  }
  void CloseIfIdle() {
    if (!busy_) Close();
  }
  void Close() {
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }
  ~Session() { state_->sessions.erase(self_); }

 private:
  void Read() {
    head_ = false;
    parser_.emplace();
    parser_->header_limit(state_->limits.header_bytes);
    parser_->body_limit(state_->limits.body_bytes);
    stream_.expires_after(state_->limits.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (closed_) return;
    if (error) {
      if (error == http::error::end_of_stream || error == asio::error::operation_aborted ||
          error == beast::error::timeout || error == asio::error::connection_reset || error == asio::error::eof) {
        return Close();
      }
      // A malformed or oversized request: answer once, then close, as the connection's framing is lost.
      int status = error == http::error::header_limit ? 431 : error == http::error::body_limit ? 413 : 400;
      return SendError(status, error.message(), /*close=*/true);
    }
    auto& request = parser_->get();
    // The URL the bundle sees is built from Host + target, so both must be what they claim to be:
    // origin-form targets start with "/", and Host is a bare authority (no path, query, userinfo).
    std::string_view raw_target = request.target();
    bool absolute_form = raw_target.starts_with("http://") || raw_target.starts_with("https://");
    if (!absolute_form && !raw_target.starts_with("/") && !(raw_target == "*" && request.method() == http::verb::options)) {
      return SendError(400, "request target must start with \"/\"", /*close=*/true);
    }
    if (auto host_field = request.find(http::field::host); host_field != request.end() &&
        host_field->value().find_first_of("/?#@ \t\\") != std::string_view::npos) {
      return SendError(400, "invalid Host header", /*close=*/true);
    }
    node::IncomingRequest incoming;
    incoming.method = std::string(request.method_string());
    std::string_view host;
    incoming.headers.reserve(8);
    for (const auto& field : request) {
      if (field.name() == http::field::host) host = field.value();
      incoming.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    std::string_view target = request.target();
    if (target.starts_with("http://") || target.starts_with("https://")) {
      incoming.url = std::string(target);  // absolute-form (proxy style)
    } else {
      incoming.url.reserve(7 + host.size() + target.size());
      incoming.url.append("http://").append(host.empty() ? state_->authority : host).append(target);
    }
    incoming.body = std::move(request.body());
    keep_alive_ = request.keep_alive() && !state_->stopping;
    head_ = request.method() == http::verb::head;
    busy_ = true;
    ++state_->active_requests;
    stream_.expires_never();
    state_->handler(std::move(incoming), [self = shared_from_this()](node::FetchOutcome outcome) {
      // `done` may be called from inside JS (a native): finish on a clean stack, never in a V8 frame.
      asio::post(self->stream_.get_executor(), [self, outcome = std::move(outcome)]() mutable {
        self->OnResponse(std::move(outcome));
      });
    });
  }

  void OnResponse(node::FetchOutcome outcome) {
    --state_->active_requests;
    if (!outcome.response) {
      int status = outcome.error_status;
      std::string text = status == 503 ? "Service Unavailable" : "Internal Server Error";
      return SendError(status, text + " (incident " + outcome.response.error().message + ")", !keep_alive_);
    }
    api::HttpResponse& answer = *outcome.response;
    // The JS layer validates these too, but user code can tamper with the built-ins it relies on;
    // a bad response must become a 500, never an exception out of Beast.
    bool null_body_status = answer.status == 204 || answer.status == 205 || answer.status == 304;
    if (answer.status < 200 || answer.status > 599 || (null_body_status && !answer.body.empty())) {
      state_->logger.Error("http", "handler returned an invalid response (status " + std::to_string(answer.status) +
                                       (null_body_status ? " with a body" : "") + "); answering 500");
      return SendError(500, "Internal Server Error (invalid response from the handler)", !keep_alive_);
    }
    try {
      response_.emplace();
      response_->version(11);
      response_->result(static_cast<unsigned>(answer.status));
      if (!answer.status_text.empty()) response_->reason(answer.status_text);
      for (auto& [name, value] : answer.headers) response_->insert(name, value);
      response_->body() = std::move(answer.body);
    } catch (const std::exception& error) {
      state_->logger.Error("http", std::string("handler returned an invalid response: ") + error.what());
      return SendError(500, "Internal Server Error (invalid response from the handler)", !keep_alive_);
    }
    Write();
  }

  void SendError(int status, std::string message, bool close) {
    keep_alive_ = keep_alive_ && !close;
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<unsigned>(status));
    response_->set(http::field::content_type, "text/plain;charset=UTF-8");
    response_->body() = std::move(message) + "\n";
    Write();
  }

  void Write() {
    if (state_->stopping) keep_alive_ = false;
    response_->keep_alive(keep_alive_);
    try {
      response_->prepare_payload();
    } catch (const std::exception& error) {
      // e.g. a body on a status that forbids one; the status was checked, so this is defensive.
      response_->result(http::status::internal_server_error);
      response_->body() = "Internal Server Error\n";
      response_->prepare_payload();
    }
    if (head_) response_->body().clear();  // Content-Length stays that of the full body
    stream_.expires_after(state_->limits.read_timeout);
    http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code error, size_t) {
      self->busy_ = false;
      // A drain that began while this response was being written closes the connection now.
      if (error || !self->keep_alive_ || self->state_->stopping) return self->Close();
      self->Read();
    });
  }

  beast::tcp_stream stream_;
  std::shared_ptr<State> state_;
  std::list<std::weak_ptr<Session>>::iterator self_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  bool keep_alive_ = false;
  bool head_ = false;
  bool busy_ = false;
  bool closed_ = false;
};

void Accept(const std::shared_ptr<State>& state) {
  state->acceptor.async_accept([state](beast::error_code error, tcp::socket socket) {
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
  beast::error_code ignored;
  state_->acceptor.close(ignored);
}

Result<std::unique_ptr<HttpListener>> HttpListener::Open(asio::io_context& io, const std::string& host, uint16_t port,
                                                         HttpHandler handler, const HttpLimits& limits,
                                                         obs::Logger& logger) {
  auto state = std::make_shared<State>(io, std::move(handler), limits, logger);
  beast::error_code error;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, error);
  if (error) return Fail("--listen: \"" + host + "\" is not an IP address");
  tcp::endpoint endpoint(address, port);
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
  if (error) {
    return Fail("cannot listen on " + host + ":" + std::to_string(port) + ": " + error.message());
  }
  auto bound = acceptor.local_endpoint();
  state->authority = (bound.address().is_v6() ? "[" + bound.address().to_string() + "]" : bound.address().to_string()) +
                     ":" + std::to_string(bound.port());
  Accept(state);
  return std::unique_ptr<HttpListener>(new HttpListener(std::move(state)));
}

uint16_t HttpListener::port() const { return state_->acceptor.local_endpoint().port(); }

void HttpListener::StopAccepting() {
  state_->stopping = true;
  beast::error_code ignored;
  state_->acceptor.close(ignored);
  for (auto& weak : state_->sessions) {
    if (auto session = weak.lock()) session->CloseIfIdle();
  }
}

size_t HttpListener::active_requests() const { return state_->active_requests; }

void HttpListener::CloseAll() {
  for (auto& weak : state_->sessions) {
    if (auto session = weak.lock()) session->Close();
  }
}

}  // namespace mar::net
