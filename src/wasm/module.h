// The structure of a WebAssembly module read from its binary form: types, imports, exports,
// memory and data. Not a validator of function bodies (V8 does that when it compiles); it reads
// untrusted files and reports what is wrong with them by byte offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mar::wasm {

inline constexpr uint64_t kPageBytes = 64 * 1024;

enum class ValueType : uint8_t { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef };
enum class ExternKind : uint8_t { kFunction, kTable, kMemory, kGlobal, kTag };

std::string_view ValueTypeName(ValueType type);  // "i32", "funcref", ...
std::string_view KindName(ExternKind kind);      // "function", "memory", ...

struct FuncType {
  std::vector<ValueType> params;
  std::vector<ValueType> results;
  bool operator==(const FuncType&) const = default;
};

// "(i32, i32) -> i32"; no results is "()", several are "(i32, i64)": "() -> ()".
std::string TypeText(const FuncType& type);

// Sizes of a memory (in 64 KiB pages) or a table (in elements).
struct Limits {
  uint64_t initial = 0;
  std::optional<uint64_t> maximum;
  bool shared = false;  // memory only
  bool is64 = false;    // memory64: an i64-indexed memory
  bool operator==(const Limits&) const = default;
};

// What an import or export is; which fields apply depends on `kind`.
struct Extern {
  ExternKind kind = ExternKind::kFunction;
  FuncType type;                      // function, tag: the signature
  Limits limits;                      // table, memory
  ValueType value = ValueType::kI32;  // global: its type; table: the element type
  bool is_mutable = false;            // global
};

struct Import : Extern {
  std::string module;
  std::string name;
};

struct Export : Extern {
  std::string name;
  uint32_t index = 0;  // in the kind's index space, where imports come first
};

struct ModuleInfo {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::optional<Limits> memory;  // the first memory the module defines itself
  bool memory_imported = false;
  uint32_t defined_memories = 0;
  uint32_t imported_functions = 0;
  uint32_t defined_functions = 0;
  uint32_t data_segments = 0;
  uint64_t data_bytes = 0;  // the bytes of all data segments together
  std::optional<uint32_t> start_function;
  std::vector<std::string> custom_sections;  // names, in file order
};

// The bytes of a module file: refuses what is not a regular file, and files over 256 MiB. The
// error says what is wrong without naming the file (the caller does).
Result<std::vector<uint8_t>> ReadModuleFile(const std::filesystem::path& path);

// Reads the module's structure; the error says what is wrong and at which byte.
Result<ModuleInfo> Inspect(std::span<const uint8_t> bytes);

// A copy of the module whose first defined memory has these limits (its shared and 64-bit flags
// are kept); every byte outside the memory section is unchanged. Fails if the module defines no
// memory or the limits are not valid for it.
Result<std::vector<uint8_t>> SetMemoryLimits(std::span<const uint8_t> bytes, uint64_t initial_pages,
                                             std::optional<uint64_t> maximum_pages);

// For `mar inspect`: a human summary, and the same facts as JSON or YAML (one schema for both).
std::string FormatText(const ModuleInfo& info);
std::string FormatJson(const ModuleInfo& info);
std::string FormatYaml(const ModuleInfo& info);

}  // namespace mar::wasm
