#include "net/address_policy.h"

#include <array>
#include <cstdint>

namespace mar::net {

namespace {

struct V4Range {
  uint32_t prefix;
  int length;
  AddressClass address_class;
};

constexpr uint32_t V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d;
}

// IANA's special-purpose registry, the parts that must never be reached by accident. Ranges are
// checked in order, so a narrower range must come before a wider one that contains it.
constexpr std::array kV4Ranges = {
    V4Range{V4(0, 0, 0, 0), 8, AddressClass::kUnspecified},  // "this network"
    V4Range{V4(10, 0, 0, 0), 8, AddressClass::kPrivate},
    V4Range{V4(100, 64, 0, 0), 10, AddressClass::kPrivate},  // carrier-grade NAT: someone's LAN
    V4Range{V4(127, 0, 0, 0), 8, AddressClass::kLoopback},
    V4Range{V4(169, 254, 0, 0), 16, AddressClass::kLinkLocal},  // cloud metadata lives here
    V4Range{V4(172, 16, 0, 0), 12, AddressClass::kPrivate},
    V4Range{V4(192, 0, 0, 0), 24, AddressClass::kReserved},  // IETF protocol assignments
    V4Range{V4(192, 0, 2, 0), 24, AddressClass::kReserved},  // documentation (TEST-NET-1)
    V4Range{V4(192, 168, 0, 0), 16, AddressClass::kPrivate},
    V4Range{V4(198, 18, 0, 0), 15, AddressClass::kReserved},    // benchmarking
    V4Range{V4(198, 51, 100, 0), 24, AddressClass::kReserved},  // documentation (TEST-NET-2)
    V4Range{V4(203, 0, 113, 0), 24, AddressClass::kReserved},   // documentation (TEST-NET-3)
    V4Range{V4(224, 0, 0, 0), 4, AddressClass::kMulticast},
    V4Range{V4(240, 0, 0, 0), 4, AddressClass::kReserved},  // includes 255.255.255.255
};

AddressClass ClassifyV4(uint32_t address) {
  for (const V4Range& range : kV4Ranges) {
    uint32_t mask = ~uint32_t{0} << (32 - range.length);
    if ((address & mask) == range.prefix) return range.address_class;
  }
  return AddressClass::kPublic;
}

uint32_t V4At(const boost::asio::ip::address_v6::bytes_type& bytes, size_t offset) {
  return V4(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]);
}

bool AllZero(const boost::asio::ip::address_v6::bytes_type& bytes, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

AddressClass ClassifyV6(const boost::asio::ip::address_v6& address) {
  const auto bytes = address.to_bytes();
  // Forms that reach an IPv4 host: judged by that host, or "[::ffff:127.0.0.1]" walks past the
  // loopback rule.
  if (address.is_v4_mapped()) return ClassifyV4(V4At(bytes, 12));
  if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b &&
      AllZero(bytes, 4, 12)) {
    return ClassifyV4(V4At(bytes, 12));  // NAT64 well-known prefix 64:ff9b::/96
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x02) return ClassifyV4(V4At(bytes, 2));  // 6to4 2002::/16
  if (AllZero(bytes, 0, 12)) {
    if (address.is_unspecified()) return AddressClass::kUnspecified;
    if (address.is_loopback()) return AddressClass::kLoopback;
    return AddressClass::kReserved;  // deprecated IPv4-compatible ::a.b.c.d
  }
  if (bytes[0] == 0xff) return AddressClass::kMulticast;
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // site-local
  if ((bytes[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;  // unique local fc00::/7
  if (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b &&
      bytes[4] == 0x00 && bytes[5] == 0x01) {
    return AddressClass::kPrivate;  // local-use NAT64 64:ff9b:1::/48 translates to anything
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) {
    return AddressClass::kReserved;  // documentation 2001:db8::/32
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x00 && bytes[3] == 0x00) {
    return AddressClass::kReserved;  // Teredo 2001::/32 tunnels to an obfuscated IPv4 host
  }
  // Every allocated global unicast address is in 2000::/3; the rest is unassigned.
  if ((bytes[0] & 0xe0) != 0x20) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

}  // namespace

AddressClass Classify(const boost::asio::ip::address& address) {
  return address.is_v4() ? ClassifyV4(address.to_v4().to_uint()) : ClassifyV6(address.to_v6());
}

std::string_view AddressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kPublic:
      return "public address";
    case AddressClass::kLoopback:
      return "loopback address";
    case AddressClass::kPrivate:
      return "private address";
    case AddressClass::kLinkLocal:
      return "link-local address";
    case AddressClass::kUnspecified:
      return "unspecified address";
    case AddressClass::kMulticast:
      return "multicast address";
    case AddressClass::kReserved:
      return "reserved address";
  }
  return "address";
}

}  // namespace mar::net
