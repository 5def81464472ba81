// A bundle on disk: its directory, manifest and the effective capabilities. Immutable once
// loaded and shared by every shard that runs it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "caps/manifest.h"

namespace mar::node {

// A capability set in mar.json's shape, bare actor classes qualified with `bundle`: what the
// built-in JS reads (it only tests which capabilities exist) and what a narrowed set of a spawned
// actor travels as (parsed again by the node).
std::string CapabilitiesJson(const caps::CapabilitySet& capabilities, std::string_view bundle);

// A WebAssembly actor class of the bundle (docs/wasm-abi.md): its module as checked and prepared
// at load time, and the code compiled from it, shared by every shard's isolate.
struct WasmClass {
  std::string name;
  std::string file;            // bundle-relative path, for messages
  std::vector<uint8_t> bytes;  // after the memory policy (wasm::PrepareActorModule)
  bool growable = false;
  // v8::CompiledWasmModule, set by the first isolate that compiles it (under `mutex`).
  mutable std::mutex mutex;
  mutable std::shared_ptr<void> compiled;
};

struct Bundle {
  std::filesystem::path root;   // the bundle directory
  std::string display_root;     // how the user named it (for messages)
  std::string main;             // bundle-relative path of the main module
  caps::Manifest manifest;
  caps::CapabilitySet capabilities;  // after node policy
  caps::Limits limits;
  std::string realm_config_json;  // {"env":..., "capabilities":...} for the built-in JS
  std::vector<std::unique_ptr<WasmClass>> wasm_classes;
  bool wasm_only = false;  // main is a .wasm module: no JS module, one Wasm class

  const WasmClass* FindWasmClass(std::string_view name) const;

  // PATH is a directory with mar.json, or a single .js/.mjs/.wasm file (default manifest).
  static Result<Bundle> Load(const std::string& path, const caps::NodePolicy* policy);
};

}  // namespace mar::node
