// The bundle manifest (`mar.json`) and the node policy that caps it.
//
// Both are parsed strictly: every problem in a document is reported at once, in document order,
// with the file, the JSON path and what was expected, so an author can fix a manifest without
// reading this code. docs/manifest.md is the user-facing reference for the format.
#ifndef MAR_CAPS_MANIFEST_H_
#define MAR_CAPS_MANIFEST_H_

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "caps/capabilities.h"

namespace mar::caps {

// One problem in a manifest or policy file.
struct ManifestError {
  std::string file;     // as given to the parser, e.g. "examples/hello/mar.json"
  std::string path;     // JSON path, e.g. "capabilities.fetch.allow[1]"; "" for the document root
  std::string message;  // what was expected and what was found

  // "FILE: PATH: MESSAGE", or "FILE: MESSAGE" when the path is the root.
  std::string to_string() const;
  bool operator==(const ManifestError&) const = default;
};

struct Limits {
  uint32_t memory_mb = 128;          // V8 heap limit per isolate
  uint32_t cpu_ms_per_event = 100;   // CPU time one event (request, message, timer) may use
  uint32_t mailbox = 1024;           // queued messages per actor before senders see mailbox_full
  uint32_t message_bytes = 1 << 20;  // largest payload one actor may send another (after clone)
  uint32_t mailbox_wait_ms = 1000;   // how long send() to a full mailbox waits before mailbox_full
  uint32_t call_timeout_ms = 30000;  // stub.call()'s timeout when the caller gives none
  uint32_t wasm_memory_mb = 64;      // the most linear memory one Wasm actor instance may have
  bool operator==(const Limits&) const = default;
};

// What supervision does when an actor of a class stops.
enum class RestartPolicy : uint8_t {
  kNever,      // a stopped actor stays stopped
  kOnFailure,  // restart after a crash, not after state.stop()
  kAlways,     // restart after a crash and after state.stop()
};

// "never", "on-failure" or "always": the manifest spelling.
const char* RestartPolicyName(RestartPolicy policy);

// The WASI command line and environment of a WebAssembly class (`classes.<Class>.wasi`).
struct WasiConfig {
  // argv exactly as written: the runtime prepends nothing, so args[0] is the program name only
  // if the manifest writes one there (the convention).
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // environ, in document order
  bool operator==(const WasiConfig&) const = default;
};

// How the node runs the actors of one class (`classes.<Class>`): a class the main JS module
// exports, or a WebAssembly class.
struct ActorClassConfig {
  RestartPolicy restart = RestartPolicy::kOnFailure;
  uint32_t max_restarts = 5;           // restarts allowed per window before supervision gives up
  uint32_t restart_window_ms = 60000;  // the window max_restarts counts in
  uint32_t backoff_ms = 100;           // delay before the first restart in a window; doubles after
  uint32_t max_backoff_ms = 5000;      // the doubling stops here; never less than backoff_ms
  bool http = false;                   // route /actors/<Class>/<name>/... to the actor's fetch()
  // The class's WebAssembly module, bundle-relative with "." segments removed; absent for a class
  // the main JS module exports.
  std::optional<std::string> wasm = std::nullopt;
  WasiConfig wasi = {};  // empty unless the class is a WebAssembly class
  bool operator==(const ActorClassConfig&) const = default;
};

struct Manifest {
  std::string name;
  std::string main = "index.js";  // relative to the bundle directory, "." segments removed
  CapabilitySet capabilities;
  Limits limits;
  std::vector<std::pair<std::string, std::string>> env;           // in document order
  std::vector<std::pair<std::string, ActorClassConfig>> classes;  // in document order

  // The class of a WebAssembly bundle's main module (`main` is a .wasm file):
  // WasmClassName(main). Absent when the main module is JavaScript.
  std::optional<std::string> MainWasmClass() const;

  // The configuration of class `class_name`: its entry in `classes`, or the defaults. For
  // MainWasmClass() `wasm` is `main`, and `http` defaults to true.
  ActorClassConfig ClassConfig(std::string_view class_name) const;

  // Every WebAssembly class with its configuration: MainWasmClass() first if there is one, then
  // each `classes` entry that has a `wasm` module, in document order.
  std::vector<std::pair<std::string, ActorClassConfig>> WasmClasses() const;
  bool operator==(const Manifest&) const = default;
};

using ManifestResult = std::expected<Manifest, std::vector<ManifestError>>;

// Parses and validates `mar.json` text. `file_name` only labels the errors.
ManifestResult ParseManifest(std::string_view json_text, std::string_view file_name);

// The manifest of a bundle that is a single .js/.mjs/.wasm file: timers only, default limits.
// For a .wasm file its one class is MainWasmClass(), reachable over HTTP.
Manifest DefaultManifest(std::string name, std::string main);

// The class name of a WebAssembly bundle: its main module's file name without the extension,
// in PascalCase. Split on anything but [A-Za-z0-9], each part's first letter upper-cased, "_" in
// front of a leading digit, "Main" if nothing is left, at most 128 characters: "counter.wasm" ->
// "Counter", "hello-world.wasm" -> "HelloWorld", "my_actor.v2.wasm" -> "MyActorV2".
std::string WasmClassName(std::string_view path);

// Upper bounds a node operator puts on limits; an absent bound leaves the manifest's value.
struct PolicyLimits {
  std::optional<uint32_t> memory_mb;
  std::optional<uint32_t> cpu_ms_per_event;
  std::optional<uint32_t> mailbox;
  std::optional<uint32_t> message_bytes;
  std::optional<uint32_t> mailbox_wait_ms;
  std::optional<uint32_t> call_timeout_ms;
  std::optional<uint32_t> wasm_memory_mb;
  bool operator==(const PolicyLimits&) const = default;
};

// The most a node grants any bundle. A capability absent from the policy is denied to every
// bundle on the node, whatever their manifests say.
struct NodePolicy {
  CapabilitySet capabilities;
  PolicyLimits limits;
  bool operator==(const NodePolicy&) const = default;
};

using PolicyResult = std::expected<NodePolicy, std::vector<ManifestError>>;

// Parses a policy file: {"capabilities": {...same shape as in mar.json...}, "limits": {...}}.
// Per-class settings (`classes`) belong to the bundle, so a policy has none.
PolicyResult ParsePolicy(std::string_view json_text, std::string_view file_name);

// What a bundle actually gets: its manifest narrowed by the policy (CapabilitySet::narrowed_by,
// bare actor classes resolved to the bundle's own name). A null policy grants the manifest as is.
CapabilitySet EffectiveCapabilities(const Manifest& manifest, const NodePolicy* policy);

// Each limit is the smaller of the manifest's and the policy's.
Limits EffectiveLimits(const Manifest& manifest, const NodePolicy* policy);

// One line per manifest grant the policy removed or lowered, named by manifest key, for the node's
// log, e.g. `capabilities.timers: not granted` or `limits.memoryMb: lowered from 512 to 256`.
std::vector<std::string> DeniedByPolicy(const Manifest& manifest, const NodePolicy* policy);

}  // namespace mar::caps

#endif  // MAR_CAPS_MANIFEST_H_
