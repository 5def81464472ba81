#include "actor/address.h"

#include "caps/capabilities.h"

namespace mar::actor {

bool IsClassName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  auto head = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$'; };
  if (!head(name.front())) return false;
  for (char c : name) {
    if (!head(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

Result<void> CheckName(std::string_view name) {
  if (name.empty()) return Fail("the actor name is empty");
  if (name.size() > kMaxNameBytes) {
    return Fail("the actor name is " + std::to_string(name.size()) + " bytes long; the limit is " +
                std::to_string(kMaxNameBytes));
  }
  for (unsigned char c : name) {
    if (c == '/') return Fail("an actor name cannot contain '/'");
    if (c < 0x20 || c == 0x7f) return Fail("an actor name cannot contain control characters");
  }
  return {};
}

Result<Address> ParseAddress(std::string_view text, std::string_view self_bundle) {
  auto expected = [&](std::string_view why) {
    return Fail("invalid actor address \"" + std::string(text.substr(0, 300)) + "\": " + std::string(why) +
                " (expected \"Class/name\" or \"bundle/Class/name\")");
  };
  size_t first = text.find('/');
  if (first == std::string_view::npos) return expected("no '/' between class and name");
  Address address;
  std::string_view rest = text.substr(first + 1);
  size_t second = rest.find('/');
  if (second == std::string_view::npos) {
    address.bundle = self_bundle;
    address.cls = text.substr(0, first);
    address.name = rest;
  } else {
    address.bundle = text.substr(0, first);
    address.cls = rest.substr(0, second);
    address.name = rest.substr(second + 1);
    if (!caps::IsValidBundleName(address.bundle)) {
      return expected("\"" + address.bundle + "\" is not a bundle name");
    }
  }
  if (!IsClassName(address.cls)) {
    return expected("\"" + address.cls.substr(0, 200) + "\" is not a class name (a JavaScript identifier)");
  }
  if (auto checked = CheckName(address.name); !checked) return expected(checked.error().message);
  return address;
}

}  // namespace mar::actor
