// Capability sets: what a bundle, or one actor inside it, may reach outside its own isolate.
//
// An actor gets nothing by default. A capability that is absent here is denied, and the runtime
// simply does not put the matching object into the actor's `env`. Manifests (manifest.h) and node
// policies produce these sets; spawning an actor with fewer rights narrows them.
#ifndef MAR_CAPS_CAPABILITIES_H_
#define MAR_CAPS_CAPABILITIES_H_

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mar::caps {

// Outbound fetch. Each entry is a canonical host pattern as NormalizeHostPattern returns it:
// "api.example.com", "api.example.com:8443", "*.example.com", "*", "10.0.0.1:9000", "[::1]:8080".
struct FetchCapability {
  std::vector<std::string> allow;
  bool operator==(const FetchCapability&) const = default;
};

// Talking to actors of other bundles: "Class" (a class of the bundle itself), "bundle/Class",
// "bundle/*", or "*" (any actor anywhere).
struct ActorsCapability {
  std::vector<std::string> allow;
  bool operator==(const ActorsCapability&) const = default;
};

struct GpuCapability {
  uint64_t max_buffer_bytes = uint64_t{64} << 20;
  uint32_t max_dispatch_ms = 2000;
  bool operator==(const GpuCapability&) const = default;
};

struct CameraCapability {
  std::vector<std::string> devices;  // device names as the camera backend knows them
  bool operator==(const CameraCapability&) const = default;
};

// One bundle directory granted to WASI code: the guest sees `path` at `guest`, read-only unless
// `write`.
struct FileGrant {
  std::string guest;  // absolute, normalised, at least one segment: "/data"
  std::string path;   // bundle-relative directory, "." segments removed; "." is the bundle itself
  bool write = false;
  bool operator==(const FileGrant&) const = default;
};

// Directories WebAssembly actors may open through WASI (`capabilities.files`). A manifest lists
// its grants; a node policy (or a spawn's request) names no directories, so its `grants` is empty
// and it only says whether the grants may stay writable.
struct FilesCapability {
  std::vector<FileGrant> grants;  // in document order
  bool write = true;              // false makes every grant read-only ({"write": false})
  bool operator==(const FilesCapability&) const = default;
};

// What a bundle (or one actor) may use; an absent capability is denied.
struct CapabilitySet {
  std::optional<FetchCapability> fetch;
  bool timers = false;
  std::optional<ActorsCapability> actors;
  std::optional<GpuCapability> gpu;
  std::optional<CameraCapability> camera;
  std::optional<FilesCapability> files;

  // Returns what both sets grant. A fetch or actor pattern survives only if some pattern of
  // `other` covers it entirely (a broader pattern is dropped, never cut down); GPU limits take the
  // minimum; camera devices intersect. File grants stay as declared when `other.files` names no
  // directories (a policy), and otherwise only those `other` grants too (same guest path and
  // directory); a grant stays writable only if both sides allow writing. A capability left with
  // nothing becomes absent.
  // `self_bundle` resolves bare "Class" actor patterns on both sides to "self_bundle/Class"; empty
  // means bare classes match only the same bare class. Each grant that does not survive is
  // described in `removed` (if given) by its manifest key, e.g.
  // `capabilities.fetch.allow: "evil.com" is not covered by the allowed patterns`.
  CapabilitySet narrowed_by(const CapabilitySet& other, std::string_view self_bundle = {},
                            std::vector<std::string>* removed = nullptr) const;

  // True if some fetch pattern matches. `host` is a name (compared case-insensitively, one
  // trailing dot ignored), an IPv4 literal or an IPv6 literal with or without brackets. A pattern
  // without a port matches any port. Private-address (SSRF) rules are enforced by the fetch layer.
  bool allows_fetch_to(std::string_view host, uint16_t port) const;

  // True if an actor of bundle `self_bundle` may address actors of `target_class` in
  // `target_bundle`. This only consults capabilities.actors; whether a bundle may always reach its
  // own classes is the actor layer's decision.
  bool allows_actor(std::string_view self_bundle, std::string_view target_bundle,
                    std::string_view target_class) const;

  bool operator==(const CapabilitySet&) const = default;
};

// True for names matching ^[a-z0-9][a-z0-9_-]{0,62}$ (bundle names).
bool IsValidBundleName(std::string_view name);

// Validates a fetch host pattern and returns its canonical form (host lower-cased, IPv6 in the
// form inet_ntop prints, port without leading zeros), or a message saying what is wrong with it.
std::expected<std::string, std::string> NormalizeHostPattern(std::string_view pattern);

// Validates an actor pattern ("Class", "bundle/Class", "bundle/*", "*") and returns it unchanged,
// or a message saying what is wrong. With `require_bundle` (node policies, which have no bundle
// of their own) a bare "Class" is an error.
std::expected<std::string, std::string> CheckActorPattern(std::string_view pattern,
                                                          bool require_bundle);

// Messages for the JS error thrown when an actor uses a capability it was not granted. Each names
// the mar.json key that would grant it, so the author can fix it from the message alone.
std::string FetchDeniedMessage(std::string_view host, uint16_t port);
std::string ActorDeniedMessage(std::string_view target_bundle, std::string_view target_class);
// `capability` is "timers", "gpu", "camera" or "files".
std::string CapabilityDeniedMessage(std::string_view capability);

}  // namespace mar::caps

#endif  // MAR_CAPS_CAPABILITIES_H_
