#include "net/http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <system_error>
#include <unordered_map>

#include "net/curl_library.h"

namespace mar::net {

namespace asio = boost::asio;

namespace {

// Body chunks that arrive in one socket read are joined up to this size: fewer calls into JS.
constexpr size_t kCoalesceBytes = 64 * 1024;

void InitCurlOnce() {
  // Loads libcurl and runs curl_global_init once (shards start clients concurrently). Callers
  // (OutboundFetches) check LoadCurl before making a client, so here it has already succeeded.
  [[maybe_unused]] bool loaded = LoadCurl().has_value();
  assert(loaded);
}

char AsciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Headers libcurl computes itself (framing, connection management) or that we set below.
bool IsManagedHeader(std::string_view name) {
  for (std::string_view managed : {"host", "content-length", "transfer-encoding", "connection",
                                   "keep-alive", "upgrade", "te", "trailer", "expect"}) {
    if (EqualsIgnoreCase(name, managed)) return true;
  }
  return false;
}

bool HasControlCharacters(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// One socket libcurl asked us to watch. libcurl owns the descriptor: it is released, never
// closed, here, and libcurl reports CURL_POLL_REMOVE (or calls OnCloseSocket) before closing it.
struct Watch {
  explicit Watch(asio::io_context& io) : descriptor(io) {}
  ~Watch() { Stop(); }
  void Stop() {
    stopped = true;
    if (descriptor.is_open()) descriptor.release();  // pending waits finish with operation_aborted
  }
  asio::posix::stream_descriptor descriptor;
  int interest = 0;  // CURL_POLL_IN / CURL_POLL_OUT bits
  bool reading = false;
  bool writing = false;
  bool stopped = false;
};

struct Transfer {
  uint64_t id = 0;
  HttpClient::State* state = nullptr;
  std::shared_ptr<FetchObserver> observer;
  CURL* easy = nullptr;  // null once libcurl is done with the transfer
  curl_slist* header_list = nullptr;
  std::string origin;  // "http://host:port/", for messages (no path: it may hold secrets)
  std::string host;    // as the URL spells it, without IPv6 brackets
  std::string body;    // CURLOPT_POSTFIELDS points into it
  std::chrono::milliseconds timeout{0};
  bool decoding = false;
  char error_buffer[CURL_ERROR_SIZE] = {};
  std::optional<std::string> denial;  // the ConnectCheck's message, if it refused an address

  FetchHead head;
  size_t header_bytes = 0;
  bool headers_too_large = false;
  bool head_ready = false;
  bool head_delivered = false;
  std::deque<std::string> inbox;  // body bytes not yet handed to OnData
  bool receive_paused = false;

  bool streamed = false;
  std::deque<std::string> outbox;  // streamed upload bytes not yet taken by libcurl
  size_t outbox_offset = 0;        // into outbox.front()
  size_t outbox_bytes = 0;
  bool body_ended = false;
  bool send_paused = false;  // our read callback returned CURL_READFUNC_PAUSE
  bool drain_wanted = false;
  bool drained_pending = false;

  bool done = false;  // error holds the outcome; OnComplete follows once the inbox is empty
  bool aborted = false;
  std::optional<FetchError> error;
  bool queued = false;  // in State::ready
};

}  // namespace

struct HttpClient::State : std::enable_shared_from_this<State> {
  State(asio::io_context& io_context, ConnectCheck connect_check, HttpClientLimits client_limits)
      : io(io_context), check(std::move(connect_check)), limits(client_limits), timer(io_context) {
    InitCurlOnce();
    multi = Curl().multi_init();
    if (multi == nullptr) throw std::bad_alloc();
    Curl().multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &State::OnSocket);
    Curl().multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    Curl().multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &State::OnTimer);
    Curl().multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  }

  uint64_t Start(FetchRequest request, std::shared_ptr<FetchObserver> observer);
  std::optional<FetchError> Configure(Transfer& transfer, FetchRequest request);
  void PauseBody(uint64_t id);
  void ResumeBody(uint64_t id);
  bool WriteBody(uint64_t id, std::string_view bytes);
  void EndBody(uint64_t id);
  void Abort(uint64_t id);
  void Shutdown();

  Transfer* Find(uint64_t id) {
    auto it = transfers.find(id);
    return it == transfers.end() ? nullptr : it->second.get();
  }
  void Detach(Transfer& transfer);
  void ApplyPause(Transfer& transfer);
  void Mark(Transfer& transfer);
  void PostDispatch();
  void AfterUserCall() {
    if (!ready.empty()) PostDispatch();
  }
  void DispatchReady();
  void Deliver(Transfer& transfer);
  void Action(curl_socket_t fd, int mask);
  void CollectDone();
  FetchError MapError(Transfer& transfer, CURLcode code);
  void Arm(curl_socket_t fd, const std::shared_ptr<Watch>& watch);
  void OnWatchReady(curl_socket_t fd, const std::shared_ptr<Watch>& watch, int poll_bit,
                    const boost::system::error_code& error);
  void ForgetWatch(curl_socket_t fd);

  // libcurl callbacks. None of them calls an observer: they record, and Deliver reports later.
  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* userp, void* socketp);
  static int OnTimer(CURLM* multi, long timeout_ms, void* userp);
  static curl_socket_t OnOpenSocket(void* clientp, curlsocktype purpose, curl_sockaddr* address);
  static int OnCloseSocket(void* clientp, curl_socket_t fd);
  static size_t OnHeader(char* data, size_t size, size_t count, void* userp);
  static size_t OnWrite(char* data, size_t size, size_t count, void* userp);
  static size_t OnRead(char* buffer, size_t size, size_t count, void* userp);

  asio::io_context& io;
  ConnectCheck check;
  HttpClientLimits limits;
  CURLM* multi = nullptr;
  asio::steady_timer timer;  // libcurl's single timeout
  std::unordered_map<curl_socket_t, std::shared_ptr<Watch>> watches;
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers;
  std::deque<uint64_t> ready;  // transfers with something to report
  uint64_t next_id = 1;
  bool dispatch_posted = false;
  bool shut_down = false;
};

namespace {

std::string Prefix(const Transfer& transfer) {
  return "fetch " + transfer.origin + ": ";
}

std::string CurlString(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (Curl().url_get(url, part, &value, flags) != CURLUE_OK || value == nullptr) return {};
  std::string result(value);
  Curl().free(value);
  return result;
}

void ParseStatusLine(std::string_view line, FetchHead& head) {
  head = FetchHead{};
  line.remove_prefix(5);  // "HTTP/"
  size_t space = line.find(' ');
  head.http_version = std::string(line.substr(0, space));
  if (space == std::string_view::npos) return;
  line.remove_prefix(space + 1);
  auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), head.status);
  if (error != std::errc()) head.status = 0;
  head.status_text = std::string(Trim(std::string_view(end, line.data() + line.size() - end)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Starting a transfer

uint64_t HttpClient::State::Start(FetchRequest request, std::shared_ptr<FetchObserver> observer) {
  auto owned = std::make_unique<Transfer>();
  Transfer& transfer = *owned;
  transfer.id = next_id++;
  transfer.state = this;
  transfer.observer = std::move(observer);
  transfer.origin = request.url;  // until the URL is parsed
  bool over_limit = transfers.size() >= limits.max_concurrent;
  transfers.emplace(transfer.id, std::move(owned));
  std::optional<FetchError> failure = Configure(transfer, std::move(request));
  if (!failure && over_limit) {
    failure = FetchError{FetchErrorKind::kOther, Prefix(transfer) +
                                                     "too many concurrent fetches (at most " +
                                                     std::to_string(limits.max_concurrent) + ")"};
  }
  if (!failure && Curl().multi_add_handle(multi, transfer.easy) != CURLM_OK) {
    failure = FetchError{FetchErrorKind::kOther, Prefix(transfer) + "could not start the request"};
  }
  if (failure) {
    Detach(transfer);
    transfer.done = true;
    transfer.error = std::move(failure);
    Mark(transfer);
  }
  AfterUserCall();
  return transfer.id;
}

std::optional<FetchError> HttpClient::State::Configure(Transfer& transfer, FetchRequest request) {
  std::unique_ptr<CURLU, decltype(Curl().url_cleanup)> url(Curl().url(), Curl().url_cleanup);
  if (!url || Curl().url_set(url.get(), CURLUPART_URL, request.url.c_str(),
                           CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
    return FetchError{FetchErrorKind::kOther, "fetch " + request.url + ": invalid URL"};
  }
  std::string scheme = CurlString(url.get(), CURLUPART_SCHEME);
  std::string host = CurlString(url.get(), CURLUPART_HOST);
  std::string port = CurlString(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  transfer.origin = scheme + "://" + host + ":" + port + "/";
  if (scheme != "http" && scheme != "https") {
    return FetchError{FetchErrorKind::kOther, "fetch " + request.url +
                                                  ": unsupported URL scheme \"" + scheme +
                                                  ":\" (only http: and https:)"};
  }
  transfer.host =
      host.starts_with('[') && host.ends_with(']') ? host.substr(1, host.size() - 2) : host;
  transfer.timeout = request.timeout;

  bool has_accept_encoding = false;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    // The JS layer validates headers; this guards the wire against request splitting regardless.
    if (name.empty() || name.find(':') != std::string::npos || HasControlCharacters(name) ||
        HasControlCharacters(value)) {
      return FetchError{FetchErrorKind::kOther,
                        Prefix(transfer) + "invalid header \"" + name + "\""};
    }
    if (IsManagedHeader(name)) continue;
    has_accept_encoding = has_accept_encoding || EqualsIgnoreCase(name, "accept-encoding");
    has_content_type = has_content_type || EqualsIgnoreCase(name, "content-type");
    // "Name:" would tell libcurl to remove the header; "Name;" sends it with an empty value.
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    transfer.header_list = Curl().slist_append(transfer.header_list, line.c_str());
  }
  transfer.header_list =
      Curl().slist_append(transfer.header_list, "Expect:");  // no 100-continue wait
  bool has_body = request.streamed_body || request.body.has_value() || request.method == "POST";
  // Otherwise libcurl labels every POST body application/x-www-form-urlencoded.
  if (has_body && !has_content_type)
    transfer.header_list = Curl().slist_append(transfer.header_list, "Content-Type:");
  if (request.streamed_body) {
    transfer.header_list = Curl().slist_append(transfer.header_list, "Transfer-Encoding: chunked");
  }
  if (transfer.header_list == nullptr)
    return FetchError{FetchErrorKind::kOther, Prefix(transfer) + "out of memory"};

  CURL* easy = transfer.easy = Curl().easy_init();
  if (easy == nullptr)
    return FetchError{FetchErrorKind::kOther, Prefix(transfer) + "out of memory"};
  CURLcode code = CURLE_OK;
  auto note = [&code](CURLcode result) {
    if (code == CURLE_OK) code = result;
  };
  note(Curl().easy_setopt(easy, CURLOPT_PRIVATE, &transfer));
  note(Curl().easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
  note(Curl().easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer));
  note(Curl().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
  note(Curl().easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
  note(Curl().easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  // The JS layer follows redirects itself so that every hop passes the allowlist again.
  note(Curl().easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L));
  // No ambient configuration: environment proxies, ~/.netrc, cookies would leak between bundles.
  note(Curl().easy_setopt(easy, CURLOPT_PROXY, ""));
  note(Curl().easy_setopt(easy, CURLOPT_NOPROXY, "*"));
  note(Curl().easy_setopt(easy, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED)));
  note(Curl().easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)));
  note(Curl().easy_setopt(easy, CURLOPT_PATH_AS_IS, 1L));  // the URL is already WHATWG-normalized
  // Aborting a transfer that is still resolving detaches the resolver thread instead of joining
  // it, which would block the shard for as long as getaddrinfo takes.
  note(Curl().easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L));
  note(Curl().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                        static_cast<long>(limits.connect_timeout.count())));
  if (request.timeout.count() > 0) {
    note(Curl().easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count())));
  }
  note(Curl().easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &State::OnOpenSocket));
  note(Curl().easy_setopt(easy, CURLOPT_OPENSOCKETDATA, &transfer));
  // Pooled connections outlive their transfer, so closing reports to the client, not to it.
  note(Curl().easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &State::OnCloseSocket));
  note(Curl().easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this));
  note(Curl().easy_setopt(easy, CURLOPT_HEADERFUNCTION, &State::OnHeader));
  note(Curl().easy_setopt(easy, CURLOPT_HEADERDATA, &transfer));
  note(Curl().easy_setopt(easy, CURLOPT_WRITEFUNCTION, &State::OnWrite));
  note(Curl().easy_setopt(easy, CURLOPT_WRITEDATA, &transfer));
  if (has_accept_encoding) {
    note(Curl().easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L));  // the caller decodes
  } else {
    note(Curl().easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""));  // every encoding libcurl has
    transfer.decoding = true;
  }
  note(Curl().easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list));

  const std::string& method = request.method;
  if (method == "HEAD") {
    note(Curl().easy_setopt(easy, CURLOPT_NOBODY, 1L));
  } else if (request.streamed_body) {
    transfer.streamed = true;
    note(Curl().easy_setopt(easy, CURLOPT_POST, 1L));
    note(Curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t{-1}));
    note(Curl().easy_setopt(easy, CURLOPT_READFUNCTION, &State::OnRead));
    note(Curl().easy_setopt(easy, CURLOPT_READDATA, &transfer));
  } else if (has_body) {
    transfer.body = request.body ? std::move(*request.body) : std::string();
    note(Curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                          static_cast<curl_off_t>(transfer.body.size())));
    note(Curl().easy_setopt(easy, CURLOPT_POSTFIELDS, transfer.body.data()));
  }
  if (method != "HEAD" && method != (has_body ? "POST" : "GET") && !method.empty()) {
    note(Curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str()));
  }
  if (code != CURLE_OK) {
    return FetchError{FetchErrorKind::kOther,
                      Prefix(transfer) + "unsupported request: " + Curl().easy_strerror(code)};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Calls from the embedder

void HttpClient::State::PauseBody(uint64_t id) {
  Transfer* transfer = Find(id);
  if (transfer == nullptr || transfer->receive_paused) return;
  transfer->receive_paused = true;
  ApplyPause(*transfer);
  AfterUserCall();
}

void HttpClient::State::ResumeBody(uint64_t id) {
  Transfer* transfer = Find(id);
  if (transfer == nullptr || !transfer->receive_paused) return;
  transfer->receive_paused = false;
  // May run OnWrite synchronously with what libcurl held back; Deliver reports it later.
  ApplyPause(*transfer);
  Mark(*transfer);
  AfterUserCall();
}

bool HttpClient::State::WriteBody(uint64_t id, std::string_view bytes) {
  Transfer* transfer = Find(id);
  if (transfer == nullptr || !transfer->streamed || transfer->body_ended || transfer->done)
    return false;
  if (!bytes.empty()) {
    transfer->outbox.emplace_back(bytes);
    transfer->outbox_bytes += bytes.size();
    if (transfer->send_paused) {
      transfer->send_paused = false;
      ApplyPause(*transfer);
    }
  }
  bool below_high_water = transfer->outbox_bytes <= limits.upload_high_water;
  if (!below_high_water) transfer->drain_wanted = true;
  AfterUserCall();
  return below_high_water;
}

void HttpClient::State::EndBody(uint64_t id) {
  Transfer* transfer = Find(id);
  if (transfer == nullptr || !transfer->streamed || transfer->body_ended) return;
  transfer->body_ended = true;
  if (transfer->send_paused) {
    transfer->send_paused = false;
    ApplyPause(*transfer);
  }
  AfterUserCall();
}

void HttpClient::State::Abort(uint64_t id) {
  Transfer* transfer = Find(id);
  if (transfer == nullptr || transfer->aborted) return;
  Detach(*transfer);
  transfer->aborted = true;
  transfer->done = true;
  transfer->inbox.clear();
  transfer->error = FetchError{FetchErrorKind::kAborted, Prefix(*transfer) + "aborted"};
  Mark(*transfer);
  AfterUserCall();
}

void HttpClient::State::Shutdown() {
  shut_down = true;
  for (auto& [id, transfer] : transfers) Detach(*transfer);
  transfers.clear();
  ready.clear();
  Curl().multi_cleanup(multi);  // closes pooled connections through OnCloseSocket
  multi = nullptr;
  for (auto& [fd, watch] : watches) watch->Stop();
  watches.clear();
  timer.cancel();
}

void HttpClient::State::Detach(Transfer& transfer) {
  if (transfer.easy != nullptr) {
    Curl().multi_remove_handle(multi, transfer.easy);  // no-op if it was never added
    Curl().easy_cleanup(transfer.easy);
    transfer.easy = nullptr;
  }
  Curl().slist_free_all(transfer.header_list);
  transfer.header_list = nullptr;
}

void HttpClient::State::ApplyPause(Transfer& transfer) {
  if (transfer.easy == nullptr) return;
  // curl_easy_pause sets both directions at once, so pass the whole state.
  Curl().easy_pause(transfer.easy, (transfer.receive_paused ? CURLPAUSE_RECV : 0) |
                                     (transfer.send_paused ? CURLPAUSE_SEND : 0));
}

// ---------------------------------------------------------------------------------------------
// Reporting to observers

void HttpClient::State::Mark(Transfer& transfer) {
  if (transfer.queued) return;
  transfer.queued = true;
  ready.push_back(transfer.id);
}

void HttpClient::State::PostDispatch() {
  if (dispatch_posted) return;
  dispatch_posted = true;
  asio::post(io, [weak = weak_from_this()] {
    if (auto state = weak.lock()) {
      state->dispatch_posted = false;
      state->DispatchReady();
    }
  });
}

void HttpClient::State::DispatchReady() {
  auto self = shared_from_this();  // an observer may destroy the client
  while (!ready.empty() && !shut_down) {
    Transfer* transfer = Find(ready.front());
    ready.pop_front();
    if (transfer == nullptr) continue;
    transfer->queued = false;
    Deliver(*transfer);
  }
}

void HttpClient::State::Deliver(Transfer& transfer) {
  // Observers may call back into the client. Nothing but this function erases a transfer (or
  // Shutdown, hence the checks), so `transfer` stays valid between calls.
  std::shared_ptr<FetchObserver> observer = transfer.observer;
  if (transfer.head_ready && !transfer.head_delivered && !transfer.aborted) {
    transfer.head_delivered = true;
    observer->OnHead(std::move(transfer.head));
    if (shut_down) return;
  }
  while (!transfer.receive_paused && !transfer.inbox.empty()) {
    std::string chunk = std::move(transfer.inbox.front());
    transfer.inbox.pop_front();
    observer->OnData(chunk);
    if (shut_down) return;
  }
  if (transfer.drained_pending && !transfer.done) {
    transfer.drained_pending = false;
    observer->OnBodyDrained();
    if (shut_down) return;
  }
  if (transfer.done && transfer.inbox.empty()) {
    std::optional<FetchError> error = std::move(transfer.error);
    uint64_t id = transfer.id;
    transfers.erase(id);
    observer->OnComplete(std::move(error));
  }
}

// ---------------------------------------------------------------------------------------------
// Driving libcurl

void HttpClient::State::Action(curl_socket_t fd, int mask) {
  if (shut_down) return;
  int running = 0;
  Curl().multi_socket_action(multi, fd, mask, &running);
  CollectDone();
  DispatchReady();
}

void HttpClient::State::CollectDone() {
  int left = 0;
  while (CURLMsg* message = Curl().multi_info_read(multi, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;  // `message` dies with the handle's removal
    CURLcode result = message->data.result;
    void* pointer = nullptr;
    Curl().easy_getinfo(easy, CURLINFO_PRIVATE, &pointer);
    Transfer& transfer = *static_cast<Transfer*>(pointer);
    if (result != CURLE_OK) {
      transfer.error = MapError(transfer, result);
    } else if (!transfer.head_ready) {
      transfer.error =
          FetchError{FetchErrorKind::kProtocol, Prefix(transfer) + "no response from the server"};
    }
    Detach(transfer);
    transfer.done = true;
    Mark(transfer);
  }
}

FetchError HttpClient::State::MapError(Transfer& transfer, CURLcode code) {
  std::string detail =
      transfer.error_buffer[0] != '\0' ? transfer.error_buffer : Curl().easy_strerror(code);
  std::string prefix = Prefix(transfer);
  switch (code) {
    case CURLE_COULDNT_CONNECT: {
      if (transfer.denial) return {FetchErrorKind::kDenied, *transfer.denial};
      long os_error = 0;
      Curl().easy_getinfo(transfer.easy, CURLINFO_OS_ERRNO, &os_error);
      if (os_error == 0) return {FetchErrorKind::kConnect, prefix + detail};
      std::string reason = std::generic_category().message(static_cast<int>(os_error));
      if (!reason.empty()) reason[0] = AsciiLower(reason[0]);  // "Connection refused"
      return {FetchErrorKind::kConnect, prefix + reason};
    }
    case CURLE_COULDNT_RESOLVE_HOST:
      return {FetchErrorKind::kDns, prefix + "could not resolve host \"" + transfer.host + "\""};
    case CURLE_OPERATION_TIMEDOUT: {
      curl_off_t connect_time = 0;
      Curl().easy_getinfo(transfer.easy, CURLINFO_CONNECT_TIME_T, &connect_time);
      bool connect_limit = connect_time == 0 && (transfer.timeout.count() == 0 ||
                                                 limits.connect_timeout < transfer.timeout);
      if (connect_limit) {
        return {FetchErrorKind::kTimeout, prefix + "connect timed out after " +
                                              std::to_string(limits.connect_timeout.count()) +
                                              " ms"};
      }
      return {FetchErrorKind::kTimeout,
              prefix + "timed out after " + std::to_string(transfer.timeout.count()) + " ms"};
    }
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return {FetchErrorKind::kTls, prefix + "TLS certificate verification failed: " + detail};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return {FetchErrorKind::kTls, prefix + "TLS handshake failed: " + detail};
    case CURLE_WRITE_ERROR:
      if (transfer.headers_too_large) {
        return {FetchErrorKind::kTooLarge, prefix + "response headers exceed " +
                                               std::to_string(limits.max_header_bytes) + " bytes"};
      }
      return {FetchErrorKind::kOther, prefix + detail};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_SEND_FAIL_REWIND:
      return {FetchErrorKind::kProtocol, prefix + detail};
    default:
      return {FetchErrorKind::kOther, prefix + detail};
  }
}

void HttpClient::State::Arm(curl_socket_t fd, const std::shared_ptr<Watch>& watch) {
  if (shut_down || watch->stopped) return;
  // The handlers own the Watch, so a stopped one is still there for them to see.
  if ((watch->interest & CURL_POLL_IN) && !watch->reading) {
    watch->reading = true;
    watch->descriptor.async_wait(
        asio::posix::descriptor_base::wait_read,
        [weak = weak_from_this(), fd, watch](const boost::system::error_code& error) {
          watch->reading = false;
          if (auto state = weak.lock()) state->OnWatchReady(fd, watch, CURL_POLL_IN, error);
        });
  }
  if ((watch->interest & CURL_POLL_OUT) && !watch->writing) {
    watch->writing = true;
    watch->descriptor.async_wait(
        asio::posix::descriptor_base::wait_write,
        [weak = weak_from_this(), fd, watch](const boost::system::error_code& error) {
          watch->writing = false;
          if (auto state = weak.lock()) state->OnWatchReady(fd, watch, CURL_POLL_OUT, error);
        });
  }
}

void HttpClient::State::OnWatchReady(curl_socket_t fd, const std::shared_ptr<Watch>& watch,
                                     int poll_bit, const boost::system::error_code& error) {
  if (watch->stopped || shut_down || error == asio::error::operation_aborted) return;
  // libcurl may have lost interest (a paused transfer); it says so again when it wants more.
  if (!(watch->interest & poll_bit)) return;
  if (error) return Action(fd, CURL_CSELECT_ERR);  // not re-armed: the error would repeat at once
  Action(fd, poll_bit == CURL_POLL_IN ? CURL_CSELECT_IN : CURL_CSELECT_OUT);
  Arm(fd, watch);
}

void HttpClient::State::ForgetWatch(curl_socket_t fd) {
  auto it = watches.find(fd);
  if (it == watches.end()) return;
  it->second->Stop();
  watches.erase(it);
}

int HttpClient::State::OnSocket(CURL*, curl_socket_t fd, int what, void* userp, void*) {
  auto& state = *static_cast<State*>(userp);
  if (what == CURL_POLL_REMOVE) {
    state.ForgetWatch(fd);
    return 0;
  }
  std::shared_ptr<Watch>& watch = state.watches[fd];
  if (!watch) {
    watch = std::make_shared<Watch>(state.io);
    boost::system::error_code error;
    watch->descriptor.assign(fd, error);
    if (error) {
      state.watches.erase(fd);
      return -1;
    }
  }
  watch->interest = what;
  state.Arm(fd, watch);
  return 0;
}

int HttpClient::State::OnTimer(CURLM*, long timeout_ms, void* userp) {
  auto& state = *static_cast<State*>(userp);
  if (timeout_ms < 0) {
    state.timer.cancel();
    return 0;
  }
  // Never act from inside this callback (libcurl forbids it); a 0 ms timer runs on a clean stack.
  state.timer.expires_after(std::chrono::milliseconds(timeout_ms));
  state.timer.async_wait([weak = state.weak_from_this()](const boost::system::error_code& error) {
    if (error) return;
    if (auto state = weak.lock()) state->Action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

curl_socket_t HttpClient::State::OnOpenSocket(void* clientp, curlsocktype purpose,
                                              curl_sockaddr* address) {
  auto& transfer = *static_cast<Transfer*>(clientp);
  std::optional<asio::ip::address> ip;
  uint16_t port = 0;
  if (address->family == AF_INET && address->addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, &address->addr, sizeof in);
    ip = asio::ip::address_v4(ntohl(in.sin_addr.s_addr));
    port = ntohs(in.sin_port);
  } else if (address->family == AF_INET6 && address->addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, &address->addr, sizeof in6);
    asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
    ip = asio::ip::address_v6(bytes, in6.sin6_scope_id);
    port = ntohs(in6.sin6_port);
  }
  if (purpose != CURLSOCKTYPE_IPCXN || !ip) {
    transfer.denial = Prefix(transfer) + "unsupported address family";
    return CURL_SOCKET_BAD;
  }
  // Checked here, with the address libcurl is about to connect to, so DNS cannot smuggle a
  // private address past a check of the host name.
  if (auto denial = transfer.state->check(transfer.host, *ip, port)) {
    // A name with several refused addresses (localhost: ::1 and 127.0.0.1) is reported by its
    // IPv4 one if it has one: that is the address people write into allowlists.
    if (!transfer.denial || ip->is_v4()) transfer.denial = std::move(*denial);
    return CURL_SOCKET_BAD;
  }
  int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int HttpClient::State::OnCloseSocket(void* clientp, curl_socket_t fd) {
  // Unwatch first: once closed, the number can be reused by the next socket at once.
  static_cast<State*>(clientp)->ForgetWatch(fd);
  return ::close(fd);
}

size_t HttpClient::State::OnHeader(char* data, size_t size, size_t count, void* userp) {
  auto& transfer = *static_cast<Transfer*>(userp);
  size_t length = size * count;
  if (transfer.head_ready) return length;  // trailers after a chunked body: not exposed
  transfer.header_bytes += length;         // informational (1xx) heads count too
  if (transfer.header_bytes > transfer.state->limits.max_header_bytes) {
    transfer.headers_too_large = true;
    return 0;  // libcurl fails the transfer with CURLE_WRITE_ERROR
  }
  std::string_view line(data, length);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  FetchHead& head = transfer.head;
  if (line.starts_with("HTTP/")) {
    ParseStatusLine(line, head);
  } else if (line.empty()) {
    if (head.status < 200) return length;  // an informational head: the real one follows
    if (transfer.decoding) {
      // libcurl hands out decoded bytes, so the encoding and the encoded length no longer apply.
      bool encoded = std::ranges::any_of(head.headers, [](const auto& header) {
        return EqualsIgnoreCase(header.first, "content-encoding") &&
               !EqualsIgnoreCase(header.second, "identity");
      });
      if (encoded) {
        std::erase_if(head.headers, [](const auto& header) {
          return EqualsIgnoreCase(header.first, "content-encoding") ||
                 EqualsIgnoreCase(header.first, "content-length");
        });
      }
    }
    transfer.head_ready = true;
    transfer.state->Mark(transfer);
  } else if ((line.front() == ' ' || line.front() == '\t') && !head.headers.empty()) {
    head.headers.back().second.append(" ").append(Trim(line));  // obsolete line folding
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    head.headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                              std::string(Trim(line.substr(colon + 1))));
  }
  return length;
}

size_t HttpClient::State::OnWrite(char* data, size_t size, size_t count, void* userp) {
  auto& transfer = *static_cast<Transfer*>(userp);
  size_t length = size * count;
  // libcurl keeps this chunk and stops reading the socket until ResumeBody.
  if (transfer.receive_paused) return CURL_WRITEFUNC_PAUSE;
  if (!transfer.inbox.empty() && transfer.inbox.back().size() + length <= kCoalesceBytes) {
    transfer.inbox.back().append(data, length);
  } else {
    transfer.inbox.emplace_back(data, length);
  }
  transfer.state->Mark(transfer);
  return length;
}

size_t HttpClient::State::OnRead(char* buffer, size_t size, size_t count, void* userp) {
  auto& transfer = *static_cast<Transfer*>(userp);
  size_t capacity = size * count;
  size_t copied = 0;
  while (copied < capacity && !transfer.outbox.empty()) {
    const std::string& front = transfer.outbox.front();
    size_t length = std::min(capacity - copied, front.size() - transfer.outbox_offset);
    std::memcpy(buffer + copied, front.data() + transfer.outbox_offset, length);
    copied += length;
    transfer.outbox_offset += length;
    if (transfer.outbox_offset == front.size()) {
      transfer.outbox.pop_front();
      transfer.outbox_offset = 0;
    }
  }
  transfer.outbox_bytes -= copied;
  if (transfer.drain_wanted && transfer.outbox_bytes <= transfer.state->limits.upload_low_water) {
    transfer.drain_wanted = false;
    transfer.drained_pending = true;
    transfer.state->Mark(transfer);
  }
  if (copied > 0) return copied;
  if (transfer.body_ended) return 0;  // the terminating chunk
  transfer.send_paused = true;        // WriteBody or EndBody unpauses
  return CURL_READFUNC_PAUSE;
}

// ---------------------------------------------------------------------------------------------

HttpClient::HttpClient(asio::io_context& io, ConnectCheck check, HttpClientLimits limits)
    : state_(std::make_shared<State>(io, std::move(check), limits)) {
  assert(state_->check && "fetch without a connect check would reach any address");
}

HttpClient::~HttpClient() {
  state_->Shutdown();
}

uint64_t HttpClient::Start(FetchRequest request, std::shared_ptr<FetchObserver> observer) {
  return state_->Start(std::move(request), std::move(observer));
}
void HttpClient::PauseBody(uint64_t id) {
  state_->PauseBody(id);
}
void HttpClient::ResumeBody(uint64_t id) {
  state_->ResumeBody(id);
}
bool HttpClient::WriteBody(uint64_t id, std::string_view bytes) {
  return state_->WriteBody(id, bytes);
}
void HttpClient::EndBody(uint64_t id) {
  state_->EndBody(id);
}
void HttpClient::Abort(uint64_t id) {
  state_->Abort(id);
}
size_t HttpClient::active() const {
  return state_->transfers.size();
}

}  // namespace mar::net
