// Tests for src/net/http_client and src/net/address_policy: real sockets, 127.0.0.1 only.
#include "net/http_client.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/address_policy.h"

namespace mar::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::optional<std::string> FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 server on its own thread: records what it receives, answers with raw bytes.

struct SeenRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
};

struct Reply {
  std::string bytes;     // written as they are
  bool hang = false;     // never answer; hold the connection until the client closes it
  bool endless = false;  // a body that never ends, written as fast as the client takes it
};

Reply Hang() {
  Reply reply;
  reply.hang = true;
  return reply;
}

std::string Response(int status, std::string_view reason, const Headers& headers,
                     std::string_view body) {
  std::string bytes = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  for (const auto& [name, value] : headers) bytes += name + ": " + value + "\r\n";
  if (!FindHeader(headers, "content-length"))
    bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return bytes.append("\r\n").append(body);
}

class TestServer {
 public:
  using Handler = std::function<Reply(const SeenRequest&)>;

  explicit TestServer(Handler handler) : handler_(std::move(handler)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }
  std::vector<SeenRequest> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() const { return connections_; }
  int open_connections() const { return open_connections_; }
  size_t bytes_sent() const { return bytes_sent_; }  // of endless bodies

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (error) co_return;
      ++connections_;
      asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    ++open_connections_;
    struct Closed {
      std::atomic<int>& count;
      ~Closed() { --count; }
    } closed{open_connections_};
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      auto [read_error, read] =
          co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
      if (read_error) co_return;
      const auto& request = parser.get();
      SeenRequest seen{
          std::string(request.method_string()), std::string(request.target()), {}, request.body()};
      for (const auto& field : request)
        seen.headers.emplace_back(field.name_string(), field.value());
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(seen);
      }
      Reply reply = handler_(seen);
      if (reply.endless) co_return co_await WriteEndless(socket);
      if (reply.hang) {
        char byte;
        co_await socket.async_read_some(asio::buffer(&byte, 1),
                                        asio::as_tuple(asio::use_awaitable));
        co_return;
      }
      auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(reply.bytes),
                                                               asio::as_tuple(asio::use_awaitable));
      if (write_error) co_return;
    }
  }

  asio::awaitable<void> WriteEndless(tcp::socket& socket) {
    std::string head = Response(200, "OK", {{"Content-Length", "1000000000000"}}, "");
    co_await asio::async_write(socket, asio::buffer(head), asio::as_tuple(asio::use_awaitable));
    std::string chunk(64 * 1024, 'e');
    for (;;) {
      auto result = co_await asio::async_write(socket, asio::buffer(chunk),
                                               asio::as_tuple(asio::use_awaitable));
      if (std::get<0>(result)) co_return;
      bytes_sent_ += std::get<1>(result);
    }
  }

  // Declared before io_: coroutine frames that io_ destroys still update them.
  Handler handler_;
  std::mutex mutex_;
  std::vector<SeenRequest> requests_;
  std::atomic<int> connections_{0};
  std::atomic<int> open_connections_{0};
  std::atomic<size_t> bytes_sent_{0};
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// The client side

class Recorder : public FetchObserver {
 public:
  void OnHead(FetchHead fetch_head) override {
    EXPECT_FALSE(head) << "OnHead twice";
    EXPECT_FALSE(completed) << "OnHead after OnComplete";
    head = std::move(fetch_head);
    if (on_head) on_head();
  }
  void OnData(std::string_view chunk) override {
    EXPECT_TRUE(head) << "OnData before OnHead";
    EXPECT_FALSE(completed) << "OnData after OnComplete";
    body.append(chunk);
    ++data_calls;
    if (on_data) on_data();
  }
  void OnComplete(std::optional<FetchError> fetch_error) override {
    EXPECT_FALSE(completed) << "OnComplete twice";
    completed = true;
    error = std::move(fetch_error);
    if (on_complete) on_complete();
  }
  void OnBodyDrained() override { ++drained; }

  std::optional<std::string> Header(std::string_view name) const {
    return FindHeader(head->headers, name);
  }

  uint64_t id = 0;
  std::optional<FetchHead> head;
  std::string body;
  int data_calls = 0;
  bool completed = false;
  std::optional<FetchError> error;
  int drained = 0;
  std::function<void()> on_head, on_data, on_complete;
};

FetchRequest Request(std::string method, std::string url) {
  FetchRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  return request;
}

int CountOpenFds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

std::string Pattern(size_t size) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
  return bytes;
}

class HttpClientTest : public testing::Test {
 protected:
  std::shared_ptr<Recorder> Fetch(HttpClient& client, FetchRequest request) {
    auto recorder = std::make_shared<Recorder>();
    recorder->id = client.Start(std::move(request), recorder);
    return recorder;
  }
  // Runs the client's loop until `done` or two seconds have passed.
  bool RunUntil(const std::function<bool()>& done) {
    // A bound for what must happen, not a timing: generous, so that a loaded 2-core machine
    // (two test runs at once failed DestroyingTheClientMidTransfer at 2 s) does not fail it.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(2ms);
      if (io_.stopped()) std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  void RunFor(std::chrono::milliseconds duration) {
    auto deadline = std::chrono::steady_clock::now() + duration;
    RunUntil([&] { return std::chrono::steady_clock::now() >= deadline; });
  }

  asio::io_context io_;
  ConnectCheck allow_all_ = [](std::string_view, const asio::ip::address&, uint16_t) {
    return std::optional<std::string>();
  };
};

TEST_F(HttpClientTest, GetDeliversHeadHeadersAndBody) {
  TestServer server([](const SeenRequest&) {
    return Reply{
        Response(200, "OK", {{"Content-Type", "text/plain"}, {"X-Reply", "yes"}}, "hello")};
  });
  HttpClient client(io_, allow_all_);
  FetchRequest request = Request("GET", server.Url("/path?q=1"));
  request.headers = {{"X-Test", "1"}, {"Accept", "application/json"}, {"X-Empty", ""}};
  auto fetch = Fetch(client, std::move(request));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error) << fetch->error->message;
  ASSERT_TRUE(fetch->head);
  EXPECT_EQ(fetch->head->status, 200);
  EXPECT_EQ(fetch->head->status_text, "OK");
  EXPECT_EQ(fetch->head->http_version, "1.1");
  EXPECT_EQ(fetch->Header("x-reply"), "yes");
  EXPECT_EQ(fetch->Header("content-length"), "5");  // not encoded: left alone
  EXPECT_EQ(fetch->body, "hello");
  EXPECT_EQ(client.active(), 0u);

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[0].target, "/path?q=1");
  EXPECT_EQ(FindHeader(seen[0].headers, "x-test"), "1");
  EXPECT_EQ(FindHeader(seen[0].headers, "accept"), "application/json");  // replaces curl's */*
  EXPECT_EQ(FindHeader(seen[0].headers, "x-empty"), "");
  EXPECT_EQ(FindHeader(seen[0].headers, "host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_FALSE(FindHeader(seen[0].headers, "expect"));

  auto head_only = Fetch(client, Request("HEAD", server.Url("/")));
  ASSERT_TRUE(RunUntil([&] { return head_only->completed; }));
  EXPECT_FALSE(head_only->error);
  EXPECT_EQ(head_only->head->status, 200);
  EXPECT_EQ(head_only->body, "");
  EXPECT_EQ(server.requests().back().method, "HEAD");
  EXPECT_EQ(server.connections(), 1) << "the connection was not reused";
}

TEST_F(HttpClientTest, SendsKnownBody) {
  TestServer server(
      [](const SeenRequest& seen) { return Reply{Response(201, "Created", {}, seen.body)}; });
  HttpClient client(io_, allow_all_);
  FetchRequest post = Request("POST", server.Url("/items"));
  post.body = "name=value&x";
  auto posted = Fetch(client, std::move(post));
  FetchRequest put = Request("PUT", server.Url("/items/1"));
  put.body = std::string("bin\0ary", 7);
  put.headers = {{"Content-Type", "application/octet-stream"}};
  auto put_done = Fetch(client, std::move(put));
  ASSERT_TRUE(RunUntil([&] { return posted->completed && put_done->completed; }));
  EXPECT_FALSE(posted->error);
  EXPECT_EQ(posted->head->status, 201);
  EXPECT_EQ(posted->body, "name=value&x");

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  const SeenRequest& post_seen = seen[0].method == "POST" ? seen[0] : seen[1];
  const SeenRequest& put_seen = seen[0].method == "POST" ? seen[1] : seen[0];
  EXPECT_EQ(post_seen.body, "name=value&x");
  EXPECT_EQ(FindHeader(post_seen.headers, "content-length"), "12");
  EXPECT_FALSE(FindHeader(post_seen.headers, "content-type")) << "libcurl's form default leaked";
  EXPECT_EQ(put_seen.method, "PUT");
  EXPECT_EQ(put_seen.body, std::string("bin\0ary", 7));
  EXPECT_EQ(FindHeader(put_seen.headers, "content-type"), "application/octet-stream");
}

TEST_F(HttpClientTest, StreamsChunkedUpload) {
  TestServer server(
      [](const SeenRequest& seen) { return Reply{Response(200, "OK", {}, "got " + seen.body)}; });
  HttpClientLimits limits;
  limits.upload_high_water = 1024;
  limits.upload_low_water = 256;
  HttpClient client(io_, allow_all_, limits);
  FetchRequest request = Request("POST", server.Url("/upload"));
  request.streamed_body = true;
  auto fetch = Fetch(client, std::move(request));
  EXPECT_TRUE(client.WriteBody(fetch->id, "hello "));
  RunFor(20ms);  // libcurl sends the first chunk and pauses on the empty queue
  std::string big(4096, 'x');
  EXPECT_FALSE(client.WriteBody(fetch->id, big)) << "over the high-water mark";
  ASSERT_TRUE(RunUntil([&] { return fetch->drained == 1; }));
  EXPECT_TRUE(client.WriteBody(fetch->id, " world"));
  client.EndBody(fetch->id);
  EXPECT_FALSE(client.WriteBody(fetch->id, "late")) << "after EndBody";
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error) << fetch->error->message;
  EXPECT_EQ(fetch->body, "got hello " + big + " world");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(FindHeader(seen[0].headers, "transfer-encoding"), "chunked");
  EXPECT_EQ(seen[0].body, "hello " + big + " world");
}

TEST_F(HttpClientTest, PausedBodyDeliversNothingUntilResumed) {
  const std::string payload = Pattern(10 << 20);
  TestServer server([&](const SeenRequest&) { return Reply{Response(200, "OK", {}, payload)}; });
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", server.Url("/big")));
  bool paused = false;
  fetch->on_data = [&] {
    if (fetch->data_calls == 1) {
      client.PauseBody(fetch->id);
      paused = true;
    }
  };
  ASSERT_TRUE(RunUntil([&] { return paused; }));
  int calls_at_pause = fetch->data_calls;
  size_t bytes_at_pause = fetch->body.size();
  RunFor(100ms);
  EXPECT_EQ(fetch->data_calls, calls_at_pause) << "OnData while paused";
  EXPECT_FALSE(fetch->completed);
  client.ResumeBody(fetch->id);
  EXPECT_EQ(fetch->data_calls, calls_at_pause) << "ResumeBody delivered synchronously";
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error);
  EXPECT_LT(bytes_at_pause, payload.size());
  EXPECT_GT(fetch->data_calls, 2);
  EXPECT_TRUE(fetch->body == payload) << "body differs, " << fetch->body.size() << " bytes";
}

TEST_F(HttpClientTest, PausedBodyStopsReadingTheSocket) {
  TestServer server([](const SeenRequest&) {
    Reply reply;
    reply.endless = true;
    return reply;
  });
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", server.Url("/endless")));
  bool paused = false;
  fetch->on_data = [&] {
    if (!paused && fetch->body.size() >= (1 << 20)) {
      client.PauseBody(fetch->id);
      paused = true;
    }
  };
  ASSERT_TRUE(RunUntil([&] { return paused; }));
  RunFor(100ms);  // the server fills the socket buffers, then stalls
  size_t sent = server.bytes_sent();
  size_t received = fetch->body.size();
  RunFor(150ms);
  EXPECT_EQ(server.bytes_sent(), sent) << "the server could still send";
  EXPECT_EQ(fetch->body.size(), received);
  EXPECT_LT(sent - received, size_t{32} << 20) << "more than kernel buffers held";
  client.ResumeBody(fetch->id);
  ASSERT_TRUE(RunUntil([&] { return server.bytes_sent() > sent + (1 << 20); }));
  client.Abort(fetch->id);
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kAborted);
}

TEST_F(HttpClientTest, CompletionWaitsForAPausedBody) {
  TestServer server(
      [](const SeenRequest&) { return Reply{Response(200, "OK", {}, "small body")}; });
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", server.Url("/")));
  fetch->on_head = [&] { client.PauseBody(fetch->id); };
  ASSERT_TRUE(RunUntil([&] { return fetch->head.has_value(); }));
  RunFor(30ms);  // the whole response has arrived by now
  EXPECT_EQ(fetch->data_calls, 0);
  EXPECT_FALSE(fetch->completed);
  EXPECT_EQ(client.active(), 1u);
  client.ResumeBody(fetch->id);
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error);
  EXPECT_EQ(fetch->body, "small body");
}

TEST_F(HttpClientTest, ReportsRedirectsWithoutFollowing) {
  TestServer server([](const SeenRequest&) {
    return Reply{Response(302, "Found", {{"Location", "/elsewhere"}}, "moved")};
  });
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", server.Url("/old")));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error);
  EXPECT_EQ(fetch->head->status, 302);
  EXPECT_EQ(fetch->Header("location"), "/elsewhere");
  EXPECT_EQ(fetch->body, "moved");
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(HttpClientTest, DecodesGzipUnlessTheCallerAskedForAnEncoding) {
  // gzip.compress(b"hello gzip world\n" * 100, mtime=0)
  const std::string gzipped(
      "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xcb\x48\xcd\xc9\xc9\x57\x48\xaf\xca\x2c\x50\x28\xcf"
      "\x2f\xca\x49"
      "\xe1\xca\x18\x15\x18\x15\x18\x15\x18\x15\x18\x15\x18\x15\x18\x1c\x02\x00\xc6\xeb\xaf\xd0\xa4"
      "\x06\x00\x00",
      52);
  std::string plain;
  for (int i = 0; i < 100; ++i) plain += "hello gzip world\n";
  TestServer server([&](const SeenRequest&) {
    return Reply{Response(200, "OK", {{"Content-Encoding", "gzip"}, {"X-Kept", "1"}}, gzipped)};
  });
  HttpClient client(io_, allow_all_);
  auto decoded = Fetch(client, Request("GET", server.Url("/")));
  ASSERT_TRUE(RunUntil([&] { return decoded->completed; }));
  EXPECT_FALSE(decoded->error) << decoded->error->message;
  EXPECT_EQ(decoded->body, plain);
  EXPECT_FALSE(decoded->Header("content-encoding"));
  EXPECT_FALSE(decoded->Header("content-length"));
  EXPECT_EQ(decoded->Header("x-kept"), "1");
  auto accept_encoding = FindHeader(server.requests().at(0).headers, "accept-encoding");
  ASSERT_TRUE(accept_encoding);
  EXPECT_NE(accept_encoding->find("gzip"), std::string::npos);

  FetchRequest raw_request = Request("GET", server.Url("/"));
  raw_request.headers = {{"Accept-Encoding", "gzip"}};
  auto raw = Fetch(client, std::move(raw_request));
  ASSERT_TRUE(RunUntil([&] { return raw->completed; }));
  EXPECT_FALSE(raw->error);
  EXPECT_EQ(raw->body, gzipped);
  EXPECT_EQ(raw->Header("content-encoding"), "gzip");
  EXPECT_EQ(raw->Header("content-length"), "52");
}

TEST_F(HttpClientTest, ConnectionRefused) {
  uint16_t port;
  {
    asio::io_context io;
    tcp::acceptor closed(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", "http://127.0.0.1:" + std::to_string(port) + "/x"));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  ASSERT_TRUE(fetch->error);
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kConnect);
  EXPECT_EQ(fetch->error->message,
            "fetch http://127.0.0.1:" + std::to_string(port) + "/: connection refused");
  EXPECT_FALSE(fetch->head);
}

TEST_F(HttpClientTest, TlsHandshakeFailure) {
  TestServer server([](const SeenRequest&) { return Reply{Response(200, "OK", {}, "")}; });
  HttpClient client(io_, allow_all_);
  auto fetch =
      Fetch(client, Request("GET", "https://127.0.0.1:" + std::to_string(server.port()) + "/"));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  ASSERT_TRUE(fetch->error);
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kTls) << fetch->error->message;
  EXPECT_TRUE(fetch->error->message.starts_with(
      "fetch https://127.0.0.1:" + std::to_string(server.port()) + "/: TLS handshake failed: "))
      << fetch->error->message;
}

TEST_F(HttpClientTest, TimesOut) {
  TestServer server([](const SeenRequest&) { return Hang(); });
  HttpClient client(io_, allow_all_);
  FetchRequest request = Request("GET", server.Url("/slow"));
  request.timeout = 150ms;
  auto started = std::chrono::steady_clock::now();
  auto fetch = Fetch(client, std::move(request));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 140ms);
  ASSERT_TRUE(fetch->error);
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kTimeout);
  EXPECT_EQ(fetch->error->message, "fetch " + server.Url("/") + ": timed out after 150 ms");
}

TEST_F(HttpClientTest, AbortCompletesOnceAndClosesTheConnection) {
  TestServer server([](const SeenRequest&) { return Hang(); });
  HttpClient client(io_, allow_all_);
  auto fetch = Fetch(client, Request("GET", server.Url("/")));
  ASSERT_TRUE(RunUntil([&] { return server.requests().size() == 1; }));
  client.Abort(fetch->id);
  EXPECT_FALSE(fetch->completed) << "OnComplete must be posted, not called from Abort";
  client.Abort(fetch->id);
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  ASSERT_TRUE(fetch->error);
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kAborted);
  EXPECT_EQ(client.active(), 0u);
  ASSERT_TRUE(RunUntil([&] { return server.open_connections() == 0; }));

  auto early = Fetch(client, Request("GET", server.Url("/")));  // aborted before it ran at all
  client.Abort(early->id);
  RunFor(30ms);
  ASSERT_TRUE(early->completed);  // a second OnComplete would have failed in Recorder
  EXPECT_EQ(early->error->kind, FetchErrorKind::kAborted);
}

TEST_F(HttpClientTest, ConnectCheckDenialNeverConnects) {
  TestServer server([](const SeenRequest&) { return Reply{Response(200, "OK", {}, "")}; });
  std::vector<std::string> checked;
  HttpClient client(io_, [&](std::string_view host, const asio::ip::address& address,
                             uint16_t port) {
    checked.push_back(std::string(host) + " " + address.to_string() + " " + std::to_string(port));
    return std::optional<std::string>("fetch to " + address.to_string() + " is not allowed (" +
                                      std::string(AddressClassName(Classify(address))) + ")");
  });
  auto fetch = Fetch(client, Request("GET", server.Url("/")));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  ASSERT_TRUE(fetch->error);
  EXPECT_EQ(fetch->error->kind, FetchErrorKind::kDenied);
  EXPECT_EQ(fetch->error->message, "fetch to 127.0.0.1 is not allowed (loopback address)");
  EXPECT_EQ(checked,
            std::vector<std::string>{"127.0.0.1 127.0.0.1 " + std::to_string(server.port())});
  RunFor(20ms);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(HttpClientTest, ChecksTheResolvedAddressOfAName) {
  TestServer server([](const SeenRequest&) { return Reply{Response(200, "OK", {}, "local")}; });
  std::vector<asio::ip::address> checked;
  HttpClient client(io_,
                    [&](std::string_view host, const asio::ip::address& address, uint16_t port) {
                      EXPECT_EQ(host, "localhost");
                      EXPECT_EQ(port, server.port());
                      checked.push_back(address);
                      return std::optional<std::string>();
                    });
  auto fetch =
      Fetch(client, Request("GET", "http://localhost:" + std::to_string(server.port()) + "/"));
  ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  EXPECT_FALSE(fetch->error) << fetch->error->message;
  EXPECT_EQ(fetch->body, "local");
  ASSERT_FALSE(checked.empty());
  for (const auto& address : checked) {
    EXPECT_TRUE(address == asio::ip::make_address("127.0.0.1") ||
                address == asio::ip::make_address("::1"))
        << address.to_string();
  }
}

TEST_F(HttpClientTest, DestroyingTheClientMidTransferCallsNothingAndLeaksNothing) {
  const std::string payload = Pattern(4 << 20);
  TestServer server([&](const SeenRequest& seen) {
    return seen.target == "/hang" ? Hang() : Reply{Response(200, "OK", {}, payload)};
  });
  {  // the first client starts the loop's reactor and libcurl's globals, which stay
    HttpClient warm_up(io_, allow_all_);
    auto fetch = Fetch(warm_up, Request("HEAD", server.Url("/")));
    ASSERT_TRUE(RunUntil([&] { return fetch->completed; }));
  }
  ASSERT_TRUE(RunUntil([&] { return server.open_connections() == 0; }));
  int fds_before = CountOpenFds();
  auto client = std::make_unique<HttpClient>(io_, allow_all_);
  auto streaming = Fetch(*client, Request("GET", server.Url("/big")));
  auto hanging = Fetch(*client, Request("GET", server.Url("/hang")));
  auto fresh = Fetch(*client, Request("GET", server.Url("/big")));
  ASSERT_TRUE(RunUntil([&] { return streaming->data_calls > 0 && server.requests().size() == 4; }));
  client.reset();
  bool called = false;
  for (const auto& recorder : {streaming, hanging, fresh}) {
    recorder->on_head = recorder->on_data = recorder->on_complete = [&] { called = true; };
  }
  RunFor(100ms);
  EXPECT_FALSE(called);
  EXPECT_FALSE(streaming->completed || hanging->completed || fresh->completed);
  ASSERT_TRUE(RunUntil([&] { return server.open_connections() == 0; }));
  EXPECT_EQ(CountOpenFds(), fds_before);
}

TEST_F(HttpClientTest, ObserverMayDestroyTheClient) {
  TestServer server(
      [&](const SeenRequest&) { return Reply{Response(200, "OK", {}, Pattern(1 << 20))}; });
  auto client = std::make_unique<HttpClient>(io_, allow_all_);
  auto first = Fetch(*client, Request("GET", server.Url("/a")));
  auto second = Fetch(*client, Request("GET", server.Url("/b")));
  first->on_data = [&] { client.reset(); };
  second->on_data = [&] { client.reset(); };
  ASSERT_TRUE(RunUntil([&] { return client == nullptr; }));
  RunFor(30ms);
  EXPECT_EQ(first->data_calls + second->data_calls, 1);
  EXPECT_FALSE(first->completed || second->completed);
}

TEST_F(HttpClientTest, EnforcesLimits) {
  TestServer server([](const SeenRequest& seen) {
    if (seen.target == "/hang") return Hang();
    return Reply{Response(200, "OK", {{"X-Big", std::string(70 * 1024, 'h')}}, "")};
  });
  HttpClientLimits limits;
  limits.max_concurrent = 2;
  HttpClient client(io_, allow_all_, limits);
  auto hanging = Fetch(client, Request("GET", server.Url("/hang")));
  auto big_head = Fetch(client, Request("GET", server.Url("/big-head")));
  auto third = Fetch(client, Request("GET", server.Url("/hang")));
  ASSERT_TRUE(RunUntil([&] { return big_head->completed && third->completed; }));
  ASSERT_TRUE(third->error);
  EXPECT_EQ(third->error->kind, FetchErrorKind::kOther);
  EXPECT_EQ(third->error->message,
            "fetch " + server.Url("/") + ": too many concurrent fetches (at most 2)");
  ASSERT_TRUE(big_head->error);
  EXPECT_EQ(big_head->error->kind, FetchErrorKind::kTooLarge);
  EXPECT_EQ(big_head->error->message,
            "fetch " + server.Url("/") + ": response headers exceed 65536 bytes");
  EXPECT_FALSE(big_head->head);

  auto ftp = Fetch(client, Request("GET", "ftp://127.0.0.1/file"));
  ASSERT_TRUE(RunUntil([&] { return ftp->completed; }));
  EXPECT_EQ(ftp->error->message,
            "fetch ftp://127.0.0.1/file: unsupported URL scheme \"ftp:\" (only http: and https:)");
  client.Abort(hanging->id);
}

// ---------------------------------------------------------------------------------------------
// Address classes

struct ClassifyCase {
  const char* address;
  AddressClass expected;
};

TEST(AddressPolicyTest, ClassifiesSpecialRanges) {
  const ClassifyCase cases[] = {
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.1.2.3", AddressClass::kUnspecified},
      {"10.0.0.1", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"11.0.0.1", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"192.169.0.1", AddressClass::kPublic},
      {"100.63.255.255", AddressClass::kPublic},
      {"100.64.0.1", AddressClass::kPrivate},
      {"100.127.255.255", AddressClass::kPrivate},
      {"100.128.0.0", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.255.254", AddressClass::kLoopback},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"224.0.0.1", AddressClass::kMulticast},
      {"239.255.255.250", AddressClass::kMulticast},
      {"240.0.0.1", AddressClass::kReserved},
      {"255.255.255.255", AddressClass::kReserved},
      {"192.0.0.8", AddressClass::kReserved},
      {"192.0.2.1", AddressClass::kReserved},
      {"198.18.0.1", AddressClass::kReserved},
      {"198.19.255.255", AddressClass::kReserved},
      {"198.20.0.0", AddressClass::kPublic},
      {"8.8.8.8", AddressClass::kPublic},
      {"1.1.1.1", AddressClass::kPublic},
      {"::", AddressClass::kUnspecified},
      {"::1", AddressClass::kLoopback},
      {"::2", AddressClass::kReserved},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fc00::1", AddressClass::kPrivate},
      {"fd12:3456::1", AddressClass::kPrivate},
      {"ff02::1", AddressClass::kMulticast},
      {"2001:db8::1", AddressClass::kReserved},
      {"2606:4700:4700::1111", AddressClass::kPublic},
      {"2a00:1450:4001::200e", AddressClass::kPublic},
      // IPv6 that reaches an IPv4 host is judged by that host.
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"64:ff9b::7f00:1", AddressClass::kLoopback},
      {"64:ff9b::a9fe:a9fe", AddressClass::kLinkLocal},
      {"64:ff9b::808:808", AddressClass::kPublic},
      {"2002:7f00:1::", AddressClass::kLoopback},
      {"2002:c0a8:0101::1", AddressClass::kPrivate},
      {"2002:808:808::1", AddressClass::kPublic},
  };
  for (const ClassifyCase& test_case : cases) {
    EXPECT_EQ(Classify(asio::ip::make_address(test_case.address)), test_case.expected)
        << test_case.address << " is classified as "
        << AddressClassName(Classify(asio::ip::make_address(test_case.address)));
  }
  EXPECT_EQ(AddressClassName(AddressClass::kLoopback), "loopback address");
  EXPECT_EQ(AddressClassName(AddressClass::kPrivate), "private address");
}

}  // namespace
}  // namespace mar::net
