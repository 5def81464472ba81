#include "wasm/actor_module.h"

#include <algorithm>
#include <array>

#include "wasm/wasi.h"

namespace mar::wasm {

namespace {

// The "mar" imports of ABI version 1: name, type, and the capability that grants it ("" = any).
struct HostFunction {
  std::string_view name;
  std::string_view type;
  std::string_view capability;
};
constexpr std::array kHostFunctions = {
    HostFunction{"log", "(i32, i32, i32) -> ()", ""},
    HostFunction{"send", "(i32, i32, i32, i32) -> i32", "actors"},
    HostFunction{"call", "(i32, i32, i32, i32, i32) -> i32", "actors"},
    HostFunction{"reply", "(i32, i32, i32) -> i32", ""},
    HostFunction{"fail", "(i32, i32, i32) -> i32", ""},
    HostFunction{"self", "(i32, i32) -> i32", ""},
    HostFunction{"caller", "(i32, i32) -> i32", ""},
    HostFunction{"timer", "(i32) -> i32", "timers"},
    HostFunction{"stop", "() -> ()", ""},
};

// Exports the runtime calls, with the types it calls them with.
struct Entry {
  std::string_view name;
  std::string_view type;
};
constexpr std::array kEntries = {
    Entry{"mar_dispatch", "(i32, i32, i32, i32, i32) -> i32"}, Entry{"mar_alloc", "(i32) -> i32"},
    Entry{"mar_on_start", "() -> ()"}, Entry{"mar_on_stop", "() -> ()"},
    Entry{"_initialize", "() -> ()"}, Entry{"_start", "() -> ()"},
};

bool Granted(const caps::CapabilitySet& granted, std::string_view capability) {
  if (capability.empty()) return true;
  if (capability == "actors") return granted.actors.has_value();
  if (capability == "timers") return granted.timers;
  return false;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const auto& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

}  // namespace

Result<ActorModule> PrepareActorModule(std::span<const uint8_t> bytes, const std::string& file,
                                       const caps::CapabilitySet& granted, uint32_t memory_limit_mb) {
  auto inspected = Inspect(bytes);
  if (!inspected) return Fail(file + ": " + inspected.error().message);
  ActorModule module;
  const ModuleInfo& info = *inspected;
  std::vector<std::string> problems;

  // Imports: the ABI's functions with their exact types, WASI functions mar implements, nothing else.
  std::vector<std::string> unknown, ungranted;
  for (const Import& import : info.imports) {
    std::string qualified = import.module + "." + import.name;
    if (import.kind != ExternKind::kFunction) {
      problems.push_back("imports " + qualified + ", which is not a function; a Wasm actor defines its own memory, "
                         "tables and globals");
      continue;
    }
    if (import.module == "mar") {
      auto known = std::ranges::find(kHostFunctions, import.name, &HostFunction::name);
      if (known == kHostFunctions.end()) {
        unknown.push_back(qualified);
      } else if (TypeText(import.type) != known->type) {
        problems.push_back("imports " + qualified + " as " + TypeText(import.type) + "; ABI version 1 defines it as " +
                           std::string(known->type));
      } else if (!Granted(granted, known->capability)) {
        ungranted.push_back(qualified + " (needs capabilities." + std::string(known->capability) + ")");
      }
    } else if (import.module == "wasi_snapshot_preview1") {
      if (std::ranges::find(kPreview1Functions, std::string_view(import.name)) == kPreview1Functions.end()) {
        unknown.push_back(qualified);
      }
    } else {
      unknown.push_back(qualified);
    }
  }
  if (!unknown.empty()) {
    problems.push_back("imports what mar does not provide: " + Join(unknown, ", ") +
                       " (see docs/wasm-abi.md for the \"mar\" and \"wasi_snapshot_preview1\" functions)");
  }
  if (!ungranted.empty()) {
    problems.push_back("imports capabilities the manifest does not grant: " + Join(ungranted, ", "));
  }

  // Exports: a dispatch entry (or a WASI command's _start) with the types the runtime calls.
  auto find_export = [&](std::string_view name) -> const Export* {
    for (const Export& entry : info.exports) {
      if (entry.name == name) return &entry;
    }
    return nullptr;
  };
  for (const Entry& entry : kEntries) {
    const Export* found = find_export(entry.name);
    if (!found) continue;
    if (found->kind != ExternKind::kFunction) {
      problems.push_back("exports " + std::string(entry.name) + " but it is not a function");
    } else if (TypeText(found->type) != entry.type) {
      problems.push_back("exports " + std::string(entry.name) + " as " + TypeText(found->type) + "; the ABI calls it as " +
                         std::string(entry.type));
    }
  }
  bool dispatch = find_export("mar_dispatch") != nullptr;
  if (!dispatch && find_export("_start") == nullptr) {
    problems.push_back("exports no mar_dispatch (an actor's entry point, see docs/wasm-abi.md) and no _start "
                       "(a WASI command)");
  }
  const Export* memory_export = find_export("memory");
  if (info.memory && (!memory_export || memory_export->kind != ExternKind::kMemory)) {
    problems.push_back("does not export its memory as \"memory\"");
  }

  // Memory policy (docs/wasm-abi.md, "Memory"): initial == maximum is kept and costs one mapping;
  // anything else is capped at limits.wasmMemoryMb and counted as growable.
  const uint64_t limit_pages = uint64_t{memory_limit_mb} * (1024 * 1024 / kPageBytes);
  std::vector<uint8_t> rewritten;
  if (info.memory) {
    const Limits& limits = *info.memory;
    if (limits.shared || limits.is64) {
      problems.push_back("declares a shared or 64-bit memory, which Wasm actors do not support");
    } else if (limits.initial > limit_pages) {
      problems.push_back("needs " + std::to_string(limits.initial * kPageBytes / 1024) + " KiB of memory at start, more "
                         "than limits.wasmMemoryMb (" + std::to_string(memory_limit_mb) + " MiB)");
    } else if (!limits.maximum || *limits.maximum != limits.initial) {
      uint64_t maximum = std::min(limits.maximum.value_or(limit_pages), limit_pages);
      module.growable = maximum > limits.initial;
      if (!limits.maximum || *limits.maximum != maximum) {
        auto changed = SetMemoryLimits(bytes, limits.initial, maximum);
        if (!changed) return Fail(file + ": " + changed.error().message);
        rewritten = std::move(*changed);
      }
    }
  }
  if (!problems.empty()) return Fail(file + ": " + Join(problems, "; "));
  module.bytes = rewritten.empty() ? std::vector<uint8_t>(bytes.begin(), bytes.end()) : std::move(rewritten);
  return module;
}

}  // namespace mar::wasm
