#include "node/outbound_fetch.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "net/address_policy.h"
#include "net/curl_library.h"

namespace mar::node {

namespace {

// The scheme, host and port of a URL, parsed by libcurl itself so that what is checked is exactly
// what libcurl will connect to.
struct Origin {
  std::string scheme;
  std::string host;  // without IPv6 brackets
  uint16_t port = 0;
};

Result<Origin> ParseOrigin(const std::string& url) {
  // The first fetch() loads libcurl (net/curl_library.h); where it cannot, every fetch says why.
  if (auto curl = net::LoadCurl(); !curl) return std::unexpected(curl.error());
  CURLU* handle = net::Curl().url();
  if (!handle) return Fail("out of memory");
  Origin origin;
  char* part = nullptr;
  auto take = [&](CURLUPart which, std::string& out, unsigned flags) {
    if (net::Curl().url_get(handle, which, &part, flags) != CURLUE_OK) return false;
    out = part;
    net::Curl().free(part);
    return true;
  };
  std::string port;
  bool ok = net::Curl().url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
            take(CURLUPART_SCHEME, origin.scheme, 0) && take(CURLUPART_HOST, origin.host, 0) &&
            take(CURLUPART_PORT, port, CURLU_DEFAULT_PORT);
  net::Curl().url_cleanup(handle);
  if (!ok) return Fail("fetch: " + url + " is not a URL fetch() can request");
  std::ranges::transform(origin.scheme, origin.scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  if (origin.scheme != "http" && origin.scheme != "https") {
    return Fail("fetch: the scheme of " + url + " is not supported; use http: or https:");
  }
  if (origin.host.size() > 2 && origin.host.front() == '[') origin.host = origin.host.substr(1, origin.host.size() - 2);
  origin.port = static_cast<uint16_t>(std::stoi(port));
  return origin;
}

std::string Bracketed(const boost::asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

}  // namespace

struct OutboundFetches::Transfer {
  uint64_t client_id = 0;
  std::string buffered;
  bool pull_pending = false;
  bool paused = false;
  bool head_seen = false;
  bool complete = false;
  std::string error;  // why the transfer failed after its head
};

class OutboundFetches::Observer final : public net::FetchObserver {
 public:
  Observer(std::weak_ptr<OutboundFetches*> owner, uint64_t id) : owner_(std::move(owner)), id_(id) {}

  void OnHead(net::FetchHead head) override {
    auto [fetches, transfer] = Find();
    if (!transfer) return;
    transfer->head_seen = true;
    fetches->events_.OnFetchHead(id_, std::move(head));
  }
  void OnData(std::string_view chunk) override {
    auto [fetches, transfer] = Find();
    if (!transfer) return;
    transfer->buffered.append(chunk);
    if (transfer->pull_pending) return fetches->Deliver(id_);
    if (transfer->buffered.size() >= kBufferBytes && !transfer->paused) {
      transfer->paused = true;
      fetches->client().PauseBody(transfer->client_id);
    }
  }
  void OnComplete(std::optional<net::FetchError> error) override {
    auto [fetches, transfer] = Find();
    if (!transfer) return;
    transfer->complete = true;
    if (!transfer->head_seen) {
      std::string message = error ? error->message : "fetch: the server sent no response";
      fetches->transfers_.erase(id_);
      fetches->events_.OnFetchFailed(id_, std::move(message));
      return;
    }
    if (error) transfer->error = error->message;
    if (transfer->pull_pending) fetches->Deliver(id_);
  }
  void OnBodyDrained() override {
    auto [fetches, transfer] = Find();
    if (transfer) fetches->events_.OnFetchUploadDrained(id_);
  }

 private:
  std::pair<OutboundFetches*, Transfer*> Find() const {
    auto owner = owner_.lock();
    if (!owner || !*owner) return {nullptr, nullptr};
    auto it = (*owner)->transfers_.find(id_);
    if (it == (*owner)->transfers_.end()) return {nullptr, nullptr};
    return {*owner, it->second.get()};
  }
  std::weak_ptr<OutboundFetches*> owner_;
  uint64_t id_;
};

OutboundFetches::OutboundFetches(boost::asio::io_context& io, const caps::CapabilitySet& capabilities,
                                 OutboundEvents& events)
    : io_(io), capabilities_(capabilities), events_(events), alive_(std::make_shared<OutboundFetches*>(this)) {}

OutboundFetches::~OutboundFetches() {
  *alive_ = nullptr;
  client_.reset();  // aborts every transfer without calling observers
}

net::HttpClient& OutboundFetches::client() {
  if (!client_) {
    client_ = std::make_unique<net::HttpClient>(
        io_, [this](std::string_view host, const boost::asio::ip::address& address, uint16_t port) {
          return CheckAddress(host, address, port);
        });
  }
  return *client_;
}

std::optional<std::string> OutboundFetches::CheckAddress(std::string_view host, const boost::asio::ip::address& address,
                                                         uint16_t port) const {
  net::AddressClass address_class = net::Classify(address);
  if (address_class == net::AddressClass::kPublic) return std::nullopt;
  // Named explicitly, with this port or any: the author meant this very address.
  const auto& allow = capabilities_.fetch->allow;
  std::string with_port = Bracketed(address) + ":" + std::to_string(port);
  for (const std::string& candidate : {with_port, Bracketed(address)}) {
    auto canonical = caps::NormalizeHostPattern(candidate);
    if (canonical && std::ranges::find(allow, *canonical) != allow.end()) return std::nullopt;
  }
  std::string shown_host(host);
  if (shown_host.find(':') != std::string::npos) shown_host = "[" + shown_host + "]";
  std::string via = shown_host == Bracketed(address) ? "" : " (it resolves to " + address.to_string() + ")";
  return "fetch to " + shown_host + ":" + std::to_string(port) + " is denied: " + address.to_string() + " is a " +
         std::string(net::AddressClassName(address_class)) + via +
         ", which fetch() may reach only when capabilities.fetch.allow in mar.json names it, as \"" + with_port +
         "\"";
}

Result<void> OutboundFetches::Start(uint64_t id, api::OutboundRequest request, const caps::CapabilitySet* narrower) {
  if (!capabilities_.fetch) {
    return Fail("fetch() is not allowed for this bundle: add the host to \"capabilities.fetch.allow\" in mar.json");
  }
  auto origin = ParseOrigin(request.url);
  if (!origin) return std::unexpected(origin.error());
  if (!capabilities_.allows_fetch_to(origin->host, origin->port)) {
    return Fail(caps::FetchDeniedMessage(origin->host, origin->port));
  }
  if (narrower && !narrower->allows_fetch_to(origin->host, origin->port)) {
    return Fail("fetch to " + origin->host + ":" + std::to_string(origin->port) +
                " is denied: this actor was spawned with capabilities that do not allow it");
  }
  net::FetchRequest outbound;
  outbound.method = std::move(request.method);
  outbound.url = std::move(request.url);
  outbound.headers = std::move(request.headers);
  outbound.streamed_body = request.streamed_body;
  if (!request.streamed_body && (!request.body.empty() || (outbound.method != "GET" && outbound.method != "HEAD"))) {
    outbound.body = std::move(request.body);
  }
  auto transfer = std::make_unique<Transfer>();
  Transfer* raw = transfer.get();
  transfers_.emplace(id, std::move(transfer));
  raw->client_id = client().Start(std::move(outbound), std::make_shared<Observer>(alive_, id));
  return {};
}

void OutboundFetches::Pull(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  Transfer& transfer = *it->second;
  transfer.pull_pending = true;
  if (!transfer.buffered.empty() || transfer.complete) {
    // Called from inside JS: answer on a clean stack.
    boost::asio::post(io_, [weak = std::weak_ptr<OutboundFetches*>(alive_), id] {
      if (auto owner = weak.lock(); owner && *owner) (*owner)->Deliver(id);
    });
    return;
  }
  if (transfer.paused) {
    transfer.paused = false;
    client().ResumeBody(transfer.client_id);
  }
}

void OutboundFetches::Deliver(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end() || !it->second->pull_pending) return;
  Transfer& transfer = *it->second;
  if (!transfer.buffered.empty()) {
    transfer.pull_pending = false;
    std::string chunk = std::move(transfer.buffered);
    transfer.buffered.clear();
    events_.OnFetchChunk(id, std::move(chunk), false, {});
    return;
  }
  if (!transfer.complete) return;
  std::string error = std::move(transfer.error);
  transfers_.erase(it);
  events_.OnFetchChunk(id, {}, true, std::move(error));
}

void OutboundFetches::Cancel(uint64_t id) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  uint64_t client_id = it->second->client_id;
  bool complete = it->second->complete;
  transfers_.erase(it);
  if (!complete) client().Abort(client_id);
}

bool OutboundFetches::WriteBody(uint64_t id, std::string_view bytes) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return true;  // over: the pump is told by the fetch's failure
  return client().WriteBody(it->second->client_id, bytes);
}

void OutboundFetches::EndBody(uint64_t id) {
  auto it = transfers_.find(id);
  if (it != transfers_.end()) client().EndBody(it->second->client_id);
}

void OutboundFetches::FailBody(uint64_t id, std::string_view reason) {
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return;
  bool head_seen = it->second->head_seen;
  Cancel(id);
  if (!head_seen) {
    boost::asio::post(io_, [weak = std::weak_ptr<OutboundFetches*>(alive_), id, message = std::string(reason)] {
      if (auto owner = weak.lock(); owner && *owner) {
        (*owner)->events_.OnFetchFailed(id, "fetch: the request body stream failed: " + message);
      }
    });
  }
}

}  // namespace mar::node
