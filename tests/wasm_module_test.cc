// Tests for src/wasm/module: reading a module's structure from hand-built binaries, the errors for
// broken and hostile files, SetMemoryLimits, and the text, JSON and YAML output of `mar inspect`.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "wasm/module.h"

namespace mar::wasm {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------
// A tiny module builder: LEB128, names, vectors and sections, as the binary format writes them.

constexpr uint8_t kI32 = 0x7F, kI64 = 0x7E, kF32 = 0x7D, kF64 = 0x7C, kV128 = 0x7B;
constexpr uint8_t kFuncRef = 0x70, kExternRef = 0x6F;
enum Section : uint8_t {
  kCustom = 0,
  kType,
  kImport,
  kFunction,
  kTable,
  kMemory,
  kGlobal,
  kExport,
  kStart,
  kElement,
  kCode,
  kData,
  kDataCount,
  kTag
};

Bytes Leb(uint64_t value) {
  Bytes out;
  do {
    out.push_back((value & 0x7F) | (value >= 0x80 ? 0x80 : 0));
    value >>= 7;
  } while (value);
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes Name(std::string_view text) {
  return Cat({Leb(text.size()), Bytes(text.begin(), text.end())});
}

Bytes Vec(std::initializer_list<Bytes> entries) {
  Bytes out = Leb(entries.size());
  for (const Bytes& entry : entries) out.insert(out.end(), entry.begin(), entry.end());
  return out;
}

Bytes Func(Bytes params, Bytes results) {
  return Cat({{0x60}, Leb(params.size()), params, Leb(results.size()), results});
}

struct Module {
  Bytes bytes = {0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00};
  std::vector<size_t> ends = {8};      // where the header and each section end
  std::vector<size_t> section_starts;  // in the order added

  Module& Add(uint8_t id, const Bytes& payload) {
    section_starts.push_back(bytes.size());
    bytes = Cat({bytes, {id}, Leb(payload.size()), payload});
    ends.push_back(bytes.size());
    return *this;
  }
  // A section whose size is written in the padded 5-byte form some toolchains emit.
  Module& AddPadded(uint8_t id, const Bytes& payload) {
    section_starts.push_back(bytes.size());
    uint32_t size = static_cast<uint32_t>(payload.size());
    bytes = Cat({bytes, {id, static_cast<uint8_t>(size | 0x80), 0x80, 0x80, 0x80, 0x00}, payload});
    ends.push_back(bytes.size());
    return *this;
  }
};

// Every kind of import and export, every value type, both data segment kinds, custom sections at
// both ends.
Module FullModule() {
  Module module;
  module.Add(kCustom, Cat({Name("name"), {0x01, 0x02}}));
  module.Add(kType, Vec({Func({kI32, kI32}, {kI32}), Func({}, {}),
                         Func({kV128, kFuncRef, kExternRef}, {kI64, kF32, kF64})}));
  module.Add(kImport, Vec({Cat({Name("env"), Name("log"), {0x00, 0x01}}),
                           Cat({Name("env"), Name("table"), {0x01, kFuncRef, 0x01, 0x01, 0x0A}}),
                           Cat({Name("env"), Name("g"), {0x03, kI32, 0x01}}),
                           Cat({Name("env"), Name("oops"), {0x04, 0x00, 0x01}})}));
  module.Add(kFunction, Vec({{0x00}, {0x01}, {0x02}}));
  module.Add(kMemory, Vec({{0x01, 0x02, 0x10}}));
  module.Add(kTag, Vec({{0x00, 0x01}}));
  Bytes v128_const = {0xFD, 0x0C};
  v128_const.resize(18, 0x07);
  module.Add(kGlobal, Vec({{kI64, 0x00, 0x42, 0x7F, 0x0B},
                           Cat({{kV128, 0x01}, v128_const, {0x0B}}),
                           {kI32, 0x00, 0x23, 0x00, 0x41, 0x01, 0x6A, 0x0B}}));
  module.Add(kExport, Vec({Cat({Name("add"), {0x00, 0x01}}), Cat({Name("memory"), {0x02, 0x00}}),
                           Cat({Name("g"), {0x03, 0x00}}), Cat({Name("counter"), {0x03, 0x01}}),
                           Cat({Name("vec"), {0x03, 0x02}}), Cat({Name("table"), {0x01, 0x00}}),
                           Cat({Name("oops"), {0x04, 0x01}}), Cat({Name("wide"), {0x00, 0x03}})}));
  module.Add(kStart, {0x02});
  module.Add(kElement, Vec({{0x00, 0x41, 0x00, 0x0B, 0x01, 0x01}}));
  module.Add(kDataCount, {0x02});
  module.Add(kCode, Vec({{0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B},
                         {0x02, 0x00, 0x0B},
                         {0x02, 0x00, 0x0B}}));
  module.Add(kData,
             Vec({Cat({{0x00, 0x41, 0x10, 0x0B}, Name("hello")}), Cat({{0x01}, Name("abc")})}));
  module.Add(kCustom, Name("producers"));
  return module;
}

// A module with nothing but a memory section of these entries.
Module MemoryModule(std::initializer_list<Bytes> memories) {
  Module module;
  module.Add(kMemory, Vec(memories));
  return module;
}

// The whole text on failure, which EXPECT_TRUE(text.find(...)) would not show.
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  " << text << "\ndoes not contain\n  " << part;
}
::testing::AssertionResult BeginsWith(const std::string& text, const std::string& part) {
  if (text.starts_with(part)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\n  " << text << "\ndoes not begin with\n  " << part;
}

std::string ErrorOf(const Bytes& bytes) {
  auto info = Inspect(bytes);
  return info ? "(no error)" : info.error().message;
}

const Export& FindExport(const ModuleInfo& info, std::string_view name) {
  auto found = std::ranges::find(info.exports, name, &Export::name);
  EXPECT_NE(found, info.exports.end()) << name;
  return *found;
}

// ---------------------------------------------------------------------------------------------
// Reading a module.

TEST(WasmModuleTest, ReadsTypesImportsExportsMemoryAndData) {
  auto info = Inspect(FullModule().bytes);
  ASSERT_TRUE(info) << info.error().message;
  ASSERT_EQ(info->types.size(), 3u);
  EXPECT_EQ(TypeText(info->types[2]), "(v128, funcref, externref) -> (i64, f32, f64)");

  ASSERT_EQ(info->imports.size(), 4u);
  const Import& log = info->imports[0];
  EXPECT_EQ(log.module, "env");
  EXPECT_EQ(log.name, "log");
  EXPECT_EQ(log.kind, ExternKind::kFunction);
  EXPECT_EQ(TypeText(log.type), "() -> ()");
  const Import& table = info->imports[1];
  EXPECT_EQ(table.kind, ExternKind::kTable);
  EXPECT_EQ(table.value, ValueType::kFuncRef);
  EXPECT_EQ(table.limits, (Limits{.initial = 1, .maximum = 10, .shared = false, .is64 = false}));
  EXPECT_EQ(info->imports[2].kind, ExternKind::kGlobal);
  EXPECT_EQ(info->imports[2].value, ValueType::kI32);
  EXPECT_TRUE(info->imports[2].is_mutable);
  EXPECT_EQ(info->imports[3].kind, ExternKind::kTag);
  EXPECT_EQ(TypeText(info->imports[3].type), "() -> ()");

  // Function indices count the imported function first: "add" is function 1, of type 0.
  ASSERT_EQ(info->exports.size(), 8u);
  EXPECT_EQ(FindExport(*info, "add").index, 1u);
  EXPECT_EQ(FindExport(*info, "add").type,
            (FuncType{{ValueType::kI32, ValueType::kI32}, {ValueType::kI32}}));
  EXPECT_EQ(TypeText(FindExport(*info, "wide").type),
            "(v128, funcref, externref) -> (i64, f32, f64)");
  EXPECT_EQ(FindExport(*info, "memory").kind, ExternKind::kMemory);
  EXPECT_EQ(FindExport(*info, "memory").limits.maximum, 16u);
  EXPECT_TRUE(FindExport(*info, "g").is_mutable);  // the imported global
  EXPECT_EQ(FindExport(*info, "counter").value, ValueType::kI64);
  EXPECT_FALSE(FindExport(*info, "counter").is_mutable);
  EXPECT_EQ(FindExport(*info, "vec").value, ValueType::kV128);
  EXPECT_EQ(FindExport(*info, "table").limits.initial, 1u);
  EXPECT_EQ(FindExport(*info, "oops").kind, ExternKind::kTag);

  EXPECT_EQ(info->memory, (Limits{.initial = 2, .maximum = 16, .shared = false, .is64 = false}));
  EXPECT_FALSE(info->memory_imported);
  EXPECT_EQ(info->defined_memories, 1u);
  EXPECT_EQ(info->imported_functions, 1u);
  EXPECT_EQ(info->defined_functions, 3u);
  EXPECT_EQ(info->data_segments, 2u);
  EXPECT_EQ(info->data_bytes, 8u);
  EXPECT_EQ(info->start_function, 2u);
  EXPECT_EQ(info->custom_sections, (std::vector<std::string>{"name", "producers"}));
}

TEST(WasmModuleTest, EmptyModuleAndImportedSharedMemory64) {
  auto empty = Inspect(Module().bytes);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_FALSE(empty->memory);
  EXPECT_FALSE(empty->start_function);

  Module module;
  module.Add(kImport, Vec({Cat({Name("env"), Name("mem"), {0x02, 0x07, 0x01, 0x80, 0x80, 0x04}})}));
  auto info = Inspect(module.bytes);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->memory_imported);
  EXPECT_FALSE(info->memory);
  EXPECT_EQ(info->imports[0].limits,
            (Limits{.initial = 1, .maximum = 65536, .shared = true, .is64 = true}));
}

TEST(WasmModuleTest, TypeText) {
  EXPECT_EQ(TypeText({}), "() -> ()");
  EXPECT_EQ(TypeText({{ValueType::kI32, ValueType::kI32}, {ValueType::kI32}}), "(i32, i32) -> i32");
  EXPECT_EQ(TypeText({{ValueType::kF64}, {ValueType::kI32, ValueType::kI64}}),
            "(f64) -> (i32, i64)");
}

// ---------------------------------------------------------------------------------------------
// Errors: each class, with its exact message where the offsets are easy to see.

struct BadModule {
  std::string label;
  Bytes bytes;
  std::string error;  // exact, or a part of it when `partial`
  bool partial = false;
};

Bytes With(std::initializer_list<std::pair<uint8_t, Bytes>> sections) {
  Module module;
  for (const auto& [id, payload] : sections) module.Add(id, payload);
  return module.bytes;
}

std::vector<BadModule> BadModules() {
  const Bytes header = Module().bytes;
  const Bytes one_type = Vec({Func({}, {})});
  return {
      {"empty file", {}, "not a WebAssembly module (the file is empty)"},
      {"text",
       {'h', 'e', 'l', 'l', 'o', '!', '!', '!'},
       "not a WebAssembly module (the file does not start with \\0asm)"},
      {"cut header",
       {0x00, 'a', 's', 'm', 0x01, 0x00},
       "truncated: the file ends at byte 6 in the middle of the module header (\\0asm and a 4-byte "
       "version)"},
      {"version 2",
       {0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00},
       "unsupported WebAssembly version 2 (mar reads version 1)"},
      {"component",
       {0x00, 'a', 's', 'm', 0x0D, 0x00, 0x01, 0x00},
       "a WebAssembly component, not a core module (mar reads core modules, version 1)"},
      {"unknown section", With({{14, {}}}),
       "malformed: unknown section id 14 at byte 8 (section header)"},
      {"section past the end", Cat({header, {kImport, 0x20, 0x01}}),
       "truncated: the import section ends at byte 42, but the file ends at byte 11"},
      {"cut section size", Cat({header, {kImport, 0x80}}),
       "truncated: the file ends at byte 10 in the middle of the header of the import section"},
      {"LEB128 too long", With({{kType, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}}}),
       "malformed: LEB128 integer too long at byte 10 (type section)"},
      {"LEB128 over 32 bits", With({{kType, {0xFF, 0xFF, 0xFF, 0xFF, 0x1F}}}),
       "malformed: LEB128 integer does not fit in 32 bits at byte 10 (type section)"},
      {"huge count", With({{kType, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}}}),
       "malformed: a count of 4294967295 entries with only 0 bytes left at byte 10 (type section)"},
      {"duplicate section", With({{kType, {0x00}}, {kType, {0x00}}}),
       "malformed: a second type section at byte 11 (a module has at most one)"},
      {"out of order", With({{kFunction, {0x00}}, {kType, {0x00}}}),
       "malformed: the type section at byte 11 comes after the function section (sections must "
       "come in "
       "the order type, import, function, table, memory, tag, global, export, start, element, data "
       "count, code, data)"},
      {"left-over bytes", With({{kType, {0x00, 0xAA}}}),
       "malformed: the type section has 1 byte left over after its last entry, at byte 11"},
      {"contents beyond the section", With({{kType, {0x01, 0x60}}}),
       "malformed: the type section ends at byte 12 in the middle of an entry (its size is smaller "
       "than its contents)"},
      {"unknown value type", With({{kType, {0x01, 0x60, 0x01, 0x40, 0x00}}}),
       "malformed: unknown value type 0x40 at byte 13 (type section)"},
      {"type form", With({{kType, {0x01, 0x5F, 0x00, 0x00}}}),
       "malformed: type form 0x5f (mar reads function types, 0x60) at byte 11 (type section)"},
      {"type index", With({{kFunction, {0x01, 0x05}}}),
       "malformed: type index 5 out of range (the module has 0 types) at byte 11 (function "
       "section)"},
      {"bad UTF-8", With({{kImport, Vec({Cat({{0x02, 0xC0, 0x80}, Name("f"), {0x00, 0x00}})})}}),
       "malformed: invalid UTF-8 in a name at byte 12 (import section)"},
      {"import kind", With({{kImport, Vec({Cat({Name("m"), Name("f"), {0x05}})})}}),
       "malformed: unknown import kind 0x05 at byte 15 (import section)"},
      {"table element type",
       With({{kImport, Vec({Cat({Name("m"), Name("t"), {0x01, kI32, 0x00, 0x01}})})}}),
       "malformed: unknown reference type 0x7f at byte 16 (import section)"},
      {"limits flags", With({{kMemory, {0x01, 0x08, 0x01}}}),
       "malformed: unknown limits flags 0x08 at byte 11 (memory section)"},
      {"shared without maximum", With({{kMemory, {0x01, 0x02, 0x01}}}),
       "malformed: shared memory without a maximum size at byte 11 (memory section)"},
      {"memory too large", With({{kMemory, {0x01, 0x00, 0x81, 0x80, 0x04}}}),
       "malformed: memory size of 65537 pages, more than the 65536 pages of a 32-bit memory at "
       "byte 11 "
       "(memory section)"},
      {"maximum below initial", With({{kMemory, {0x01, 0x01, 0x02, 0x01}}}),
       "malformed: maximum size 1 below the initial size 2 at byte 11 (memory section)"},
      {"global mutability", With({{kGlobal, {0x01, kI32, 0x02, 0x41, 0x00, 0x0B}}}),
       "malformed: global mutability 0x02 (0 or 1) at byte 12 (global section)"},
      {"constant expression", With({{kGlobal, {0x01, kI32, 0x00, 0x20, 0x00, 0x0B}}}),
       "malformed: instruction 0x20 in a constant expression at byte 13 (global section)"},
      {"export index",
       With({{kType, one_type},
             {kFunction, {0x01, 0x00}},
             {kExport, Vec({Cat({Name("f"), {0x00, 0x03}})})}}),
       "export \"f\" of function 3 out of range (the module has 1 functions)", true},
      {"duplicate export",
       With({{kType, one_type},
             {kFunction, {0x01, 0x00}},
             {kExport, Vec({Cat({Name("f"), {0x00, 0x00}}), Cat({Name("f"), {0x00, 0x00}})})}}),
       "duplicate export name \"f\"", true},
      {"start index", With({{kStart, {0x00}}}),
       "malformed: start function 0 out of range (the module has 0 functions) at byte 10 (start "
       "section)"},
      {"functions without code", With({{kType, one_type}, {kFunction, {0x01, 0x00}}}),
       "malformed: the function section declares 1 functions, but the code section has 0 bodies"},
      {"data count", With({{kMemory, {0x01, 0x00, 0x01}}, {kDataCount, {0x02}}, {kData, {0x00}}}),
       "malformed: the data count section says 2 segments, but the data section has 0"},
      {"data without memory", With({{kData, {0x01, 0x00, 0x41, 0x00, 0x0B, 0x00}}}),
       "malformed: data segment for memory 0, but the module has no memory at byte 11 (data "
       "section)"},
      {"data segment mode", With({{kData, {0x01, 0x03}}}),
       "malformed: unknown data segment mode 3 at byte 11 (data section)"},
  };
}

TEST(WasmModuleTest, ErrorsSayWhatAndWhere) {
  for (const BadModule& bad : BadModules()) {
    if (bad.partial) {
      EXPECT_TRUE(Contains(ErrorOf(bad.bytes), bad.error)) << bad.label;
    } else {
      EXPECT_EQ(ErrorOf(bad.bytes), bad.error) << bad.label;
    }
  }
}

TEST(WasmModuleTest, CountsAboveTheEntryLimitAreRefusedBeforeAllocating) {
  Bytes payload = Leb(2'000'000);
  payload.resize(payload.size() + 2'000'000, 0x00);
  EXPECT_EQ(ErrorOf(With({{kFunction, payload}})),
            "malformed: a count of 2000000 entries, more than the 1000000 mar reads at byte 12 "
            "(function section)");
}

TEST(WasmModuleTest, EveryPrefixIsAnErrorUnlessItEndsAtASectionBoundary) {
  Module module = FullModule();
  for (size_t length = 0; length < module.bytes.size(); ++length) {
    auto info = Inspect(std::span(module.bytes).first(length));
    if (std::ranges::find(module.ends, length) != module.ends.end()) continue;  // a shorter module
    ASSERT_FALSE(info) << "prefix of " << length << " bytes";
    const std::string& message = info.error().message;
    EXPECT_TRUE(message.starts_with("truncated: ") || message.starts_with("not a WebAssembly"))
        << message;
  }
}

TEST(WasmModuleTest, CorruptedBytesNeverCrash) {
  const Bytes original = FullModule().bytes;
  for (size_t at = 0; at < original.size(); ++at) {
    for (uint8_t value : {0x00, 0x01, 0x7F, 0x80, 0xFF}) {
      Bytes corrupted = original;
      corrupted[at] = value;
      auto info = Inspect(corrupted);
      if (info) FormatYaml(*info);  // what parses must also format
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SetMemoryLimits.

TEST(WasmModuleTest, SetMemoryLimitsRewritesOnlyTheMemorySection) {
  Module module = FullModule();
  const size_t memory_index = 4;  // custom, type, import, function, memory
  const size_t section_start = module.section_starts[memory_index],
               section_end = module.ends[memory_index + 1];
  ASSERT_EQ(module.bytes[section_start], kMemory);

  for (auto [initial, maximum] :
       {std::pair<uint64_t, std::optional<uint64_t>>{4, 4}, {300, 65536}, {7, std::nullopt}}) {
    auto rewritten = SetMemoryLimits(module.bytes, initial, maximum);
    ASSERT_TRUE(rewritten) << rewritten.error().message;
    auto info = Inspect(*rewritten);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->memory,
              (Limits{.initial = initial, .maximum = maximum, .shared = false, .is64 = false}));
    EXPECT_EQ(FindExport(*info, "memory").limits, info->memory);
    EXPECT_EQ(info->exports.size(), 8u);
    EXPECT_EQ(info->data_bytes, 8u);
    // Byte-identical outside the memory section.
    const Bytes& out = *rewritten;
    EXPECT_TRUE(
        std::equal(module.bytes.begin(), module.bytes.begin() + section_start, out.begin()));
    size_t tail = module.bytes.size() - section_end;
    EXPECT_TRUE(std::equal(module.bytes.end() - tail, module.bytes.end(), out.end() - tail));
  }
}

TEST(WasmModuleTest, SetMemoryLimitsKeepsFlagsAndLaterMemories) {
  // A padded section size, a 64-bit first memory and a second memory that must survive unchanged.
  Module module;
  module.AddPadded(kMemory, Vec({{0x04, 0x01}, {0x01, 0x00, 0x03}}));
  auto rewritten = SetMemoryLimits(module.bytes, uint64_t{1} << 40, uint64_t{1} << 41);
  ASSERT_TRUE(rewritten) << rewritten.error().message;
  auto info = Inspect(*rewritten);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->memory, (Limits{.initial = uint64_t{1} << 40,
                                  .maximum = uint64_t{1} << 41,
                                  .shared = false,
                                  .is64 = true}));
  EXPECT_EQ(info->defined_memories, 2u);
  EXPECT_TRUE(std::equal(rewritten->end() - 3, rewritten->end(), Bytes{0x01, 0x00, 0x03}.begin()));

  auto shared = SetMemoryLimits(MemoryModule({{0x03, 0x01, 0x02}}).bytes, 2, 2);
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_TRUE(Inspect(*shared)->memory->shared);
}

TEST(WasmModuleTest, SetMemoryLimitsErrors) {
  EXPECT_EQ(SetMemoryLimits(Module().bytes, 1, 1).error().message, "the module defines no memory");
  Module imported;
  imported.Add(kImport, Vec({Cat({Name("env"), Name("memory"), {0x02, 0x00, 0x01}})}));
  EXPECT_EQ(SetMemoryLimits(imported.bytes, 1, 1).error().message,
            "the module imports its memory, so its limits are set where it is created");
  const Bytes memory = MemoryModule({{0x00, 0x01}}).bytes;
  EXPECT_EQ(SetMemoryLimits(memory, 2, 1).error().message,
            "cannot set the memory limits: maximum size 1 below the initial size 2");
  EXPECT_EQ(
      SetMemoryLimits(memory, 1, 70000).error().message,
      "cannot set the memory limits: memory size of 70000 pages, more than the 65536 pages of a "
      "32-bit memory");
  EXPECT_EQ(
      SetMemoryLimits(MemoryModule({{0x03, 0x01, 0x02}}).bytes, 1, std::nullopt).error().message,
      "cannot set the memory limits: shared memory without a maximum size");
  EXPECT_EQ(SetMemoryLimits(Bytes{0x00}, 1, 1).error().message,
            "not a WebAssembly module (the file does not start with \\0asm)");
}

// ---------------------------------------------------------------------------------------------
// Output for `mar inspect`.

TEST(WasmModuleTest, FormatText) {
  std::string text = FormatText(*Inspect(FullModule().bytes));
  EXPECT_TRUE(BeginsWith(text,
                         "memory: 2 pages (128 KiB), maximum 16 pages (1 MiB)\n"
                         "functions: 1 imported, 3 defined\n"
                         "data: 2 segments, 8 bytes\n"
                         "start function: 2\n"
                         "custom sections: name, producers\n"
                         "imports (4):\n"
                         "  function env.log  () -> ()\n"
                         "  table    env.table  funcref, initial 1, maximum 10\n"
                         "  global   env.g  mut i32\n"
                         "  tag      env.oops  () -> ()\n"
                         "exports (8):\n"
                         "  function add  (i32, i32) -> i32\n"
                         "  memory   memory  2 pages (128 KiB), maximum 16 pages (1 MiB)\n"));
  EXPECT_TRUE(Contains(text, "  global   counter  i64\n"));

  ModuleInfo large;
  large.memory = Limits{.initial = 65536, .maximum = std::nullopt, .shared = true, .is64 = true};
  EXPECT_TRUE(
      BeginsWith(FormatText(large), "memory: 65536 pages (4 GiB), no maximum, shared, 64-bit\n"));
  large.memory = std::nullopt;
  large.memory_imported = true;
  EXPECT_TRUE(BeginsWith(FormatText(large), "memory: imported\n"));
}

TEST(WasmModuleTest, FormatJson) {
  auto json = nlohmann::json::parse(FormatJson(*Inspect(FullModule().bytes)));
  EXPECT_EQ(json["memory"]["initial_pages"], 2);
  EXPECT_EQ(json["memory"]["initial_bytes"], 131072);
  EXPECT_EQ(json["memory"]["maximum_bytes"], 1048576);
  EXPECT_EQ(json["functions"]["defined"], 3);
  EXPECT_EQ(json["data"]["bytes"], 8);
  EXPECT_EQ(json["start_function"], 2);
  EXPECT_EQ(json["imports"][0]["module"], "env");
  EXPECT_EQ(json["imports"][1]["element"], "funcref");
  EXPECT_EQ(json["exports"][0]["name"], "add");
  EXPECT_EQ(json["exports"][0]["type"], "(i32, i32) -> i32");
  EXPECT_EQ(json["exports"][0]["params"], nlohmann::json({"i32", "i32"}));
  EXPECT_EQ(json["exports"][2]["mutable"], true);
  EXPECT_EQ(json["types"].size(), 3u);

  ModuleInfo huge;  // 2^48 pages is 2^64 bytes: more than an unsigned 64-bit integer holds
  huge.memory = Limits{.initial = 1, .maximum = uint64_t{1} << 48, .shared = false, .is64 = true};
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(FormatJson(huge))["memory"]["maximum_bytes"].get<double>(),
                   0x1p64);
  EXPECT_TRUE(nlohmann::json::parse(FormatJson(ModuleInfo{}))["memory"].is_null());
}

TEST(WasmModuleTest, FormatYaml) {
  std::string yaml = FormatYaml(*Inspect(FullModule().bytes));
  EXPECT_TRUE(BeginsWith(
      yaml, "memory:\n  initial_pages: 2\n  initial_bytes: 131072\n  maximum_pages: 16\n"));
  EXPECT_TRUE(
      Contains(yaml,
               "\nimports:\n  - module: \"env\"\n    name: \"log\"\n    kind: \"function\"\n"
               "    type: \"() -> ()\"\n    params: []\n    results: []\n"));
  EXPECT_TRUE(Contains(yaml, "\n    params:\n      - \"i32\"\n      - \"i32\"\n"));
  EXPECT_TRUE(
      Contains(yaml, "\nstart_function: 2\ncustom_sections:\n  - \"name\"\n  - \"producers\"\n"));
  EXPECT_TRUE(Contains(FormatYaml(ModuleInfo{}), "memory: null\n"));
}

TEST(WasmModuleTest, HostileNamesAreQuotedAndEscaped) {
  // Quotes, a colon, a newline, a terminal escape, a C1 control and a line separator.
  const std::string name = "a\"b: c\n\x1b[31m\xc2\x85\xe2\x80\xa8\\ \xc3\xa9";
  Module module;
  module.Add(kType, Vec({Func({}, {})}));
  module.Add(kFunction, Vec({{0x00}}));
  module.Add(kExport, Vec({Cat({Name(name), {0x00, 0x00}}), Cat({Name("plain-é"), {0x00, 0x00}})}));
  module.Add(kCode, Vec({{0x02, 0x00, 0x0B}}));
  auto info = Inspect(module.bytes);
  ASSERT_TRUE(info) << info.error().message;
  const std::string escaped = R"("a\"b: c\n\x1b[31m\u0085\u2028\\ é")";
  EXPECT_TRUE(Contains(FormatYaml(*info), "  - name: " + escaped + "\n"));
  EXPECT_TRUE(Contains(FormatText(*info), "  function " + escaped + "  () -> ()\n"));
  EXPECT_TRUE(Contains(FormatText(*info), "  function plain-é  () -> ()\n"));
  EXPECT_EQ(nlohmann::json::parse(FormatJson(*info))["exports"][0]["name"], name);
}

}  // namespace
}  // namespace mar::wasm
