// A .wasm file checked against the actor ABI (docs/wasm-abi.md) and the bundle's grants, with the
// node's memory policy applied. Done once per bundle, before any isolate compiles it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "caps/manifest.h"
#include "wasm/module.h"

namespace mar::wasm {

struct ActorModule {
  std::vector<uint8_t> bytes;  // what V8 compiles: the file, memory limits possibly rewritten
  bool growable = false;       // its memory's maximum exceeds its initial size
};

// `file` names the module in messages. `memory_limit_mb` is limits.wasmMemoryMb.
Result<ActorModule> PrepareActorModule(std::span<const uint8_t> bytes, const std::string& file,
                                       const caps::CapabilitySet& granted, uint32_t memory_limit_mb);

}  // namespace mar::wasm
