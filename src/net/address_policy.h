// Which network addresses fetch() may reach without naming them: the SSRF rules.
//
// Only public unicast addresses are reachable by default. Everything else (loopback, private
// networks, link-local cloud metadata endpoints, ...) is denied unless the bundle's fetch
// allowlist names that exact IP; the caller of Classify decides that.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <string_view>

namespace mar::net {

// Address classes fetch() treats specially: anything not kPublic is denied unless the allowlist
// names that exact IP.
enum class AddressClass {
  kPublic,
  kLoopback,
  kPrivate,
  kLinkLocal,
  kUnspecified,
  kMulticast,
  kReserved
};

// Classifies an address. IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16) are classified by that IPv4 address.
AddressClass Classify(const boost::asio::ip::address& address);

// "loopback address", "private address", ...: for messages such as
// `127.0.0.1 is a loopback address`.
std::string_view AddressClassName(AddressClass address_class);

}  // namespace mar::net
