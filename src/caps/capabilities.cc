#include "caps/capabilities.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace mar::caps {
namespace {

bool IsAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsAsciiLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool IsAsciiAlpha(char c) {
  return IsAsciiLower(c) || (c >= 'A' && c <= 'Z');
}

std::string ToLowerAscii(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string Quote(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool IsIdentifier(std::string_view text) {
  if (text.empty()) return false;
  auto is_start = [](char c) { return IsAsciiAlpha(c) || c == '_' || c == '$'; };
  if (!is_start(text[0])) return false;
  return std::all_of(text.begin() + 1, text.end(),
                     [&](char c) { return is_start(c) || IsAsciiDigit(c); });
}

// True if `host` is a proper subdomain of `suffix` ("a.b.example.com" of "example.com").
bool IsSubdomainOf(std::string_view host, std::string_view suffix) {
  return host.size() > suffix.size() && host.ends_with(suffix) &&
         host[host.size() - suffix.size() - 1] == '.';
}

// Strict dotted quad: leading zeros are refused because some resolvers read them as octal, which
// would let "010.0.0.1" mean something other than what the author saw.
bool IsIpv4Literal(std::string_view text) {
  int parts = 0;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), IsAsciiDigit)) {
      return false;
    }
    if (part.size() > 1 && part[0] == '0') return false;
    int value = 0;
    std::from_chars(part.data(), part.data() + part.size(), value);
    if (value > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

std::optional<std::string> CanonicalIpv6(std::string_view text) {
  std::string copy(text);  // inet_pton needs a NUL-terminated string
  in6_addr address;
  if (inet_pton(AF_INET6, copy.c_str(), &address) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> buffer;
  if (inet_ntop(AF_INET6, &address, buffer.data(), buffer.size()) == nullptr) return std::nullopt;
  return std::string(buffer.data());
}

// The last label decides whether a name is read as an IPv4 address (WHATWG URL does the same), so
// a name like "1.2.3" is refused rather than silently meaning 1.2.0.3 to some resolver.
bool LastLabelIsNumeric(std::string_view host) {
  size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  return !last.empty() && std::all_of(last.begin(), last.end(), IsAsciiDigit);
}

// Checks a lower-cased host name against RFC 1123; returns why it is invalid, or nothing.
std::optional<std::string> HostNameProblem(std::string_view host) {
  if (!std::all_of(host.begin(), host.end(), [](char c) {
        return IsAsciiLower(c) || IsAsciiDigit(c) || c == '-' || c == '.';
      })) {
    return "host names may contain only letters, digits, '-' and '.'";
  }
  if (host.size() > 253) return "the host name is longer than 253 characters";
  size_t start = 0;
  while (true) {
    size_t dot = host.find('.', start);
    std::string_view label = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty()) return "empty label (two dots in a row, or a leading or trailing dot)";
    if (label.size() > 63) return "label " + Quote(label) + " is longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') {
      return "label " + Quote(label) + " starts or ends with '-'";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

struct HostPattern {
  enum class Kind { kAnyHost, kSubdomains, kHostName, kIpv4, kIpv6 };
  Kind kind = Kind::kAnyHost;
  std::string host;  // name, suffix after "*.", dotted quad, or IPv6 without brackets
  std::optional<uint16_t> port;

  std::string ToString() const {
    std::string text;
    switch (kind) {
      case Kind::kAnyHost:
        text = "*";
        break;
      case Kind::kSubdomains:
        text = "*." + host;
        break;
      case Kind::kHostName:
      case Kind::kIpv4:
        text = host;
        break;
      case Kind::kIpv6:
        text = "[" + host + "]";
        break;
    }
    if (port) text += ":" + std::to_string(*port);
    return text;
  }
};

std::optional<uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), IsAsciiDigit)) {
    return std::nullopt;
  }
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value < 1 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// Returns the parsed pattern, or the reason it is invalid (without the pattern itself).
std::expected<HostPattern, std::string> ParseHostPattern(std::string_view text) {
  constexpr std::string_view kPortProblem = "the port must be a number from 1 to 65535";
  if (text.empty()) return std::unexpected("it is empty; write a host such as \"api.example.com\"");
  if (text.find("://") != std::string_view::npos) {
    return std::unexpected("write only the host and port, without a scheme such as \"https://\"");
  }
  if (text.find_first_of("/?#") != std::string_view::npos) {
    return std::unexpected("write only the host and port, without a path");
  }
  if (text.find('@') != std::string_view::npos) {
    return std::unexpected("write only the host and port, without user info");
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    return std::unexpected("international names must be written in their ASCII \"xn--\" form");
  }

  HostPattern pattern;
  std::string_view host = text;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos)
      return std::unexpected("missing ']' after the IPv6 address");
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::unexpected("expected ':' and a port after ']'");
      pattern.port = ParsePort(rest.substr(1));
      if (!pattern.port) return std::unexpected(std::string(kPortProblem));
    }
    std::optional<std::string> canonical = CanonicalIpv6(ToLowerAscii(text.substr(1, close - 1)));
    if (!canonical) {
      return std::unexpected("not a valid IPv6 address");
    }
    pattern.kind = HostPattern::Kind::kIpv6;
    pattern.host = *canonical;
    return pattern;
  }

  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return std::unexpected("IPv6 addresses must be in brackets, as in \"[::1]:8080\"");
    }
    host = text.substr(0, colon);
    pattern.port = ParsePort(text.substr(colon + 1));
    if (!pattern.port) return std::unexpected(std::string(kPortProblem));
  }

  std::string lower = ToLowerAscii(host);
  if (lower == "*") {
    pattern.kind = HostPattern::Kind::kAnyHost;
    return pattern;
  }
  std::string_view name = lower;
  if (name.starts_with("*.")) {
    name.remove_prefix(2);
    pattern.kind = HostPattern::Kind::kSubdomains;
  } else {
    pattern.kind = HostPattern::Kind::kHostName;
  }
  if (name.find('*') != std::string_view::npos) {
    return std::unexpected(
        "'*' may only be the whole pattern (\"*\") or the whole first label (\"*.example.com\")");
  }
  if (name.empty()) return std::unexpected("empty host name");
  if (LastLabelIsNumeric(name)) {
    if (pattern.kind == HostPattern::Kind::kSubdomains) {
      return std::unexpected("a wildcard must be followed by a host name, not an IP address");
    }
    if (!IsIpv4Literal(name)) {
      bool looks_numeric =
          std::all_of(name.begin(), name.end(), [](char c) { return IsAsciiDigit(c) || c == '.'; });
      if (looks_numeric) {
        return std::unexpected(
            "not a valid IPv4 address (four numbers from 0 to 255, no leading zeros)");
      }
      if (std::optional<std::string> problem = HostNameProblem(name)) {
        return std::unexpected(*problem);
      }
      // "foo.123" would be read as an IPv4 address by URL parsers, never as this name.
      return std::unexpected("the last label is all digits, which only an IPv4 address may have");
    }
    pattern.kind = HostPattern::Kind::kIpv4;
  } else if (std::optional<std::string> problem = HostNameProblem(name)) {
    return std::unexpected(*problem);
  }
  pattern.host = std::string(name);
  return pattern;
}

// A requested host, normalized the way patterns are; nothing if it is no valid host at all.
std::optional<HostPattern> ParseRequestedHost(std::string_view host) {
  std::string lower = ToLowerAscii(host);
  std::string_view name = lower;
  HostPattern requested;
  if (name.size() >= 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.find(':') != std::string_view::npos) {
    std::optional<std::string> canonical = CanonicalIpv6(name);
    if (!canonical) return std::nullopt;
    requested.kind = HostPattern::Kind::kIpv6;
    requested.host = *canonical;
    return requested;
  }
  if (name.ends_with('.')) name.remove_suffix(1);  // "example.com." is the same host
  if (name.empty()) return std::nullopt;
  if (LastLabelIsNumeric(name)) {
    if (!IsIpv4Literal(name)) return std::nullopt;
    requested.kind = HostPattern::Kind::kIpv4;
  } else if (HostNameProblem(name)) {
    return std::nullopt;
  } else {
    requested.kind = HostPattern::Kind::kHostName;
  }
  requested.host = std::string(name);
  return requested;
}

bool PatternMatches(const HostPattern& pattern, const HostPattern& requested, uint16_t port) {
  if (pattern.port && *pattern.port != port) return false;
  switch (pattern.kind) {
    case HostPattern::Kind::kAnyHost:
      return true;
    case HostPattern::Kind::kSubdomains:
      return requested.kind == HostPattern::Kind::kHostName &&
             IsSubdomainOf(requested.host, pattern.host);
    default:
      return requested.kind == pattern.kind && requested.host == pattern.host;
  }
}

// True if every (host, port) that `inner` matches is also matched by `outer`.
bool PatternCovers(const HostPattern& outer, const HostPattern& inner) {
  if (outer.port && outer.port != inner.port) return false;
  switch (outer.kind) {
    case HostPattern::Kind::kAnyHost:
      return true;
    case HostPattern::Kind::kSubdomains:
      if (inner.kind == HostPattern::Kind::kHostName) return IsSubdomainOf(inner.host, outer.host);
      if (inner.kind == HostPattern::Kind::kSubdomains) {
        return inner.host == outer.host || IsSubdomainOf(inner.host, outer.host);
      }
      return false;
    default:
      return inner.kind == outer.kind && inner.host == outer.host;
  }
}

struct ActorPattern {
  std::string bundle;      // "" = the bundle itself (not yet resolved), "*" = any bundle
  std::string class_name;  // "*" = any class
};

std::expected<ActorPattern, std::string> ParseActorPattern(std::string_view text,
                                                           bool require_bundle) {
  constexpr std::string_view kForms = "expected \"Class\", \"bundle/Class\", \"bundle/*\" or \"*\"";
  if (text == "*") return ActorPattern{"*", "*"};
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    if (!IsIdentifier(text)) {
      if (text.empty()) return std::unexpected("it is empty; " + std::string(kForms));
      return std::unexpected("class names must match [A-Za-z_$][A-Za-z0-9_$]*; " +
                             std::string(kForms));
    }
    if (require_bundle) {
      return std::unexpected(
          "a node policy has no bundle of its own, so it must name one: \"bundle/" +
          std::string(text) + "\", \"bundle/*\" or \"*\"");
    }
    return ActorPattern{"", std::string(text)};
  }
  std::string_view bundle = text.substr(0, slash);
  std::string_view class_name = text.substr(slash + 1);
  if (class_name.find('/') != std::string_view::npos) {
    return std::unexpected("too many '/'; " + std::string(kForms) +
                           " (an actor's own name is not part of the pattern)");
  }
  if (!IsValidBundleName(bundle)) {
    return std::unexpected("bundle names must match ^[a-z0-9][a-z0-9_-]{0,62}$; " +
                           std::string(kForms));
  }
  if (class_name != "*" && !IsIdentifier(class_name)) {
    return std::unexpected("class names must match [A-Za-z_$][A-Za-z0-9_$]*; " +
                           std::string(kForms));
  }
  return ActorPattern{std::string(bundle), std::string(class_name)};
}

ActorPattern Resolved(ActorPattern pattern, std::string_view self_bundle) {
  if (pattern.bundle.empty()) pattern.bundle = std::string(self_bundle);
  return pattern;
}

bool ActorCovers(const ActorPattern& outer, const ActorPattern& inner) {
  if (outer.bundle == "*") return true;
  if (inner.bundle == "*" || inner.bundle != outer.bundle) return false;
  return outer.class_name == "*" || outer.class_name == inner.class_name;
}

template <typename Pattern, typename Parse, typename Covers>
std::vector<std::string> KeepCovered(const std::vector<std::string>& mine,
                                     const std::vector<std::string>& limit, Parse parse,
                                     Covers covers, std::string_view key,
                                     std::vector<std::string>* removed) {
  std::vector<Pattern> limit_patterns;
  for (const std::string& text : limit) {
    if (std::optional<Pattern> pattern = parse(text)) limit_patterns.push_back(*pattern);
  }
  std::vector<std::string> kept;
  for (const std::string& text : mine) {
    std::optional<Pattern> pattern = parse(text);
    bool covered =
        pattern && std::any_of(limit_patterns.begin(), limit_patterns.end(),
                               [&](const Pattern& outer) { return covers(outer, *pattern); });
    if (covered) {
      kept.push_back(text);
    } else if (removed) {
      removed->push_back(std::string(key) + ": " + Quote(text) +
                         " is not covered by the allowed patterns");
    }
  }
  return kept;
}

// `key` as the member of `path` it is in a JSON path: capabilities.files["/data"].
std::string MemberPath(std::string_view path, std::string_view key) {
  std::string quoted = "\"";
  for (char c : key) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return std::string(path) + "[" + quoted + "\"]";
}

template <typename Number>
Number Lowered(Number mine, Number limit, std::string_view key, std::vector<std::string>* removed) {
  if (limit >= mine) return mine;
  if (removed) {
    removed->push_back(std::string(key) + ": lowered from " + std::to_string(mine) + " to " +
                       std::to_string(limit));
  }
  return limit;
}

}  // namespace

bool IsValidBundleName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!IsAsciiLower(name[0]) && !IsAsciiDigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return IsAsciiLower(c) || IsAsciiDigit(c) || c == '_' || c == '-';
  });
}

std::expected<std::string, std::string> NormalizeHostPattern(std::string_view pattern) {
  std::expected<HostPattern, std::string> parsed = ParseHostPattern(pattern);
  if (!parsed) return std::unexpected(parsed.error());
  return parsed->ToString();
}

std::expected<std::string, std::string> CheckActorPattern(std::string_view pattern,
                                                          bool require_bundle) {
  std::expected<ActorPattern, std::string> parsed = ParseActorPattern(pattern, require_bundle);
  if (!parsed) return std::unexpected(parsed.error());
  return std::string(pattern);
}

CapabilitySet CapabilitySet::narrowed_by(const CapabilitySet& other, std::string_view self_bundle,
                                         std::vector<std::string>* removed) const {
  auto note = [&](std::string text) {
    if (removed) removed->push_back(std::move(text));
  };
  CapabilitySet result;

  if (fetch && !other.fetch) {
    note("capabilities.fetch: not granted");
  } else if (fetch) {
    auto parse = [](const std::string& text) -> std::optional<HostPattern> {
      std::expected<HostPattern, std::string> pattern = ParseHostPattern(text);
      if (!pattern) return std::nullopt;
      return *pattern;
    };
    std::vector<std::string> kept =
        KeepCovered<HostPattern>(fetch->allow, other.fetch->allow, parse, PatternCovers,
                                 "capabilities.fetch.allow", removed);
    if (!kept.empty()) result.fetch = FetchCapability{std::move(kept)};
  }

  if (timers && !other.timers) note("capabilities.timers: not granted");
  result.timers = timers && other.timers;

  if (actors && !other.actors) {
    note("capabilities.actors: not granted");
  } else if (actors) {
    auto parse = [&](const std::string& text) -> std::optional<ActorPattern> {
      std::expected<ActorPattern, std::string> pattern = ParseActorPattern(text, false);
      if (!pattern) return std::nullopt;
      return Resolved(*pattern, self_bundle);
    };
    std::vector<std::string> kept =
        KeepCovered<ActorPattern>(actors->allow, other.actors->allow, parse, ActorCovers,
                                  "capabilities.actors.allow", removed);
    if (!kept.empty()) result.actors = ActorsCapability{std::move(kept)};
  }

  if (gpu && !other.gpu) {
    note("capabilities.gpu: not granted");
  } else if (gpu) {
    result.gpu = GpuCapability{Lowered(gpu->max_buffer_bytes, other.gpu->max_buffer_bytes,
                                       "capabilities.gpu.maxBufferBytes", removed),
                               Lowered(gpu->max_dispatch_ms, other.gpu->max_dispatch_ms,
                                       "capabilities.gpu.maxDispatchMs", removed)};
  }

  if (camera && !other.camera) {
    note("capabilities.camera: not granted");
  } else if (camera) {
    CameraCapability kept;
    for (const std::string& device : camera->devices) {
      const std::vector<std::string>& allowed = other.camera->devices;
      if (std::find(allowed.begin(), allowed.end(), device) != allowed.end()) {
        kept.devices.push_back(device);
      } else {
        note("capabilities.camera.devices: " + Quote(device) + " is not among the allowed devices");
      }
    }
    if (!kept.devices.empty()) result.camera = std::move(kept);
  }

  if (files && !other.files) {
    note("capabilities.files: not granted");
  } else if (files) {
    FilesCapability kept{{}, files->write && other.files->write};
    for (const FileGrant& grant : files->grants) {
      std::string grant_path = MemberPath("capabilities.files", grant.guest);
      bool write_allowed = other.files->write;
      if (!other.files->grants.empty()) {
        auto same = std::find_if(other.files->grants.begin(), other.files->grants.end(),
                                 [&](const FileGrant& theirs) {
                                   return theirs.guest == grant.guest && theirs.path == grant.path;
                                 });
        if (same == other.files->grants.end()) {
          note(grant_path + ": not among the allowed directories");
          continue;
        }
        write_allowed = write_allowed && same->write;
      }
      if (grant.write && !write_allowed) {
        note(grant_path + ".write: not granted; the directory is read-only");
      }
      kept.grants.push_back({grant.guest, grant.path, grant.write && write_allowed});
    }
    if (!kept.grants.empty()) result.files = std::move(kept);
  }
  return result;
}

bool CapabilitySet::allows_fetch_to(std::string_view host, uint16_t port) const {
  if (!fetch) return false;
  std::optional<HostPattern> requested = ParseRequestedHost(host);
  if (!requested) return false;
  for (const std::string& text : fetch->allow) {
    std::expected<HostPattern, std::string> pattern = ParseHostPattern(text);
    if (pattern && PatternMatches(*pattern, *requested, port)) return true;
  }
  return false;
}

bool CapabilitySet::allows_actor(std::string_view self_bundle, std::string_view target_bundle,
                                 std::string_view target_class) const {
  if (!actors) return false;
  ActorPattern target{std::string(target_bundle), std::string(target_class)};
  for (const std::string& text : actors->allow) {
    std::expected<ActorPattern, std::string> pattern = ParseActorPattern(text, false);
    if (pattern && ActorCovers(Resolved(*pattern, self_bundle), target)) return true;
  }
  return false;
}

std::string FetchDeniedMessage(std::string_view host, uint16_t port) {
  std::string shown(host);
  if (shown.find(':') != std::string::npos && !shown.starts_with('[')) shown = "[" + shown + "]";
  return "fetch to " + shown + ":" + std::to_string(port) + " is denied; grant it by adding " +
         Quote(shown) + " to capabilities.fetch.allow in mar.json";
}

std::string ActorDeniedMessage(std::string_view target_bundle, std::string_view target_class) {
  std::string qualified = std::string(target_bundle) + "/" + std::string(target_class);
  return "messaging actors of class " + qualified + " is denied; grant it by adding " +
         Quote(qualified) + " or " + Quote(std::string(target_bundle) + "/*") +
         " to capabilities.actors.allow in mar.json";
}

std::string CapabilityDeniedMessage(std::string_view capability) {
  if (capability == "timers") {
    return "timers are denied; grant them by setting capabilities.timers to true in mar.json";
  }
  if (capability == "gpu") {
    return "the GPU is denied; grant it by adding capabilities.gpu to mar.json";
  }
  if (capability == "camera") {
    return "the camera is denied; grant it by adding capabilities.camera with its devices to "
           "mar.json";
  }
  if (capability == "files") {
    return "files are denied; grant a directory by adding it to capabilities.files in mar.json, "
           "such as \"files\": {\"/data\": {\"path\": \"data\"}}";
  }
  return std::string(capability) + " is denied; grant it with capabilities." +
         std::string(capability) + " in mar.json";
}

}  // namespace mar::caps
