// A bundle's outbound fetch() transfers: the capability checks (allowlist by host, SSRF rules by
// resolved address) and the flow control between the HTTP client and the JS streams.
//
// The response body is read from the network only as JS pulls it: up to kBufferBytes are kept
// while nobody pulls, then the transfer is paused (libcurl stops reading the socket), so a slow
// consumer slows the server down instead of filling memory.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/realm.h"
#include "base/result.h"
#include "caps/capabilities.h"
#include "net/http_client.h"

namespace mar::node {

// What the owner hears about its transfers; always on the shard thread, on a clean stack.
class OutboundEvents {
 public:
  virtual ~OutboundEvents() = default;
  virtual void OnFetchHead(uint64_t id, net::FetchHead head) = 0;
  // The transfer failed before its head arrived.
  virtual void OnFetchFailed(uint64_t id, std::string message) = 0;
  // The answer to a Pull: a chunk, the end (done), or an error (non-empty).
  virtual void OnFetchChunk(uint64_t id, std::string chunk, bool done, std::string error) = 0;
  // A streamed upload may go on.
  virtual void OnFetchUploadDrained(uint64_t id) = 0;
};

class OutboundFetches {
 public:
  OutboundFetches(boost::asio::io_context& io, const caps::CapabilitySet& capabilities, OutboundEvents& events);
  ~OutboundFetches();

  // Checks the request against the allowlist and starts it; a refusal is the TypeError's message.
  // `narrower`: an actor's own capability set, checked as well as the bundle's (may be null).
  Result<void> Start(uint64_t id, api::OutboundRequest request, const caps::CapabilitySet* narrower = nullptr);
  bool Owns(uint64_t id) const { return transfers_.contains(id); }
  void Pull(uint64_t id);
  // The response (or its body) is not wanted any more; the transfer stops.
  void Cancel(uint64_t id);
  bool WriteBody(uint64_t id, std::string_view bytes);
  void EndBody(uint64_t id);
  // The request body stream failed: the fetch fails with `reason`.
  void FailBody(uint64_t id, std::string_view reason);

  static constexpr size_t kBufferBytes = 64 * 1024;

 private:
  struct Transfer;
  class Observer;
  // The SSRF rule: a non-public address must be named in the allowlist.
  std::optional<std::string> CheckAddress(std::string_view host, const boost::asio::ip::address& address,
                                          uint16_t port) const;
  void Deliver(uint64_t id);
  net::HttpClient& client();

  boost::asio::io_context& io_;
  const caps::CapabilitySet& capabilities_;
  OutboundEvents& events_;
  std::unique_ptr<net::HttpClient> client_;  // made on first use
  std::unordered_map<uint64_t, std::unique_ptr<Transfer>> transfers_;
  std::shared_ptr<OutboundFetches*> alive_;
};

}  // namespace mar::node
