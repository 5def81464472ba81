#include "wasm/module.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

namespace mar::wasm {

namespace {

using std::to_string;

// V8's largest per-module limit (functions, types, globals): a hostile count beyond it must not
// make us allocate, whatever the file's size.
constexpr uint32_t kMaxEntries = 1'000'000;

constexpr std::array<std::string_view, 14> kSectionNames = {
    "custom", "type",  "import",  "function", "table", "memory",     "global",
    "export", "start", "element", "code",     "data",  "data count", "tag"};
// Where each known section id may appear: tag (13) sits between memory and global, data count
// (12) between element and code.
constexpr std::array<int, 14> kSectionRank = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
constexpr std::string_view kSectionOrder =
    "type, import, function, table, memory, tag, global, export, start, element, data count, code, "
    "data";

std::string Hex(uint8_t byte) {
  constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[byte >> 4] + kDigits[byte & 15];
}

// The length of the valid UTF-8 sequence at `text[at]` (and its code point), or 0 if invalid:
// overlong forms, surrogates and code points above U+10FFFF are invalid, as Wasm names require.
size_t DecodeUtf8(std::string_view text, size_t at, char32_t& code_point) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byte(at);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || at + length > text.size()) return 0;
  code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(at + i) & 0x3F);
  }
  constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  return code_point < kSmallest[length] || surrogate || code_point > 0x10FFFF ? 0 : length;
}

// A double-quoted string that is valid YAML and safe on a terminal: quotes, backslashes, control
// characters (C0, DEL, C1), line and paragraph separators and invalid UTF-8 are escaped.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  char32_t code_point = 0;
  for (size_t i = 0, length; i < text.size(); i += length) {
    length = DecodeUtf8(text, i, code_point);
    if (length == 0) {
      out += "\\uFFFD";
      length = 1;
    } else if (code_point == '"' || code_point == '\\') {
      out += {'\\', static_cast<char>(code_point)};
    } else if (code_point == '\n') {
      out += "\\n";
    } else if (code_point == '\t') {
      out += "\\t";
    } else if (code_point < 0x20 || code_point == 0x7F) {
      out += "\\x" + Hex(static_cast<uint8_t>(code_point)).substr(2);
    } else if ((code_point >= 0x80 && code_point <= 0x9F) || code_point == 0x2028 ||
               code_point == 0x2029 || code_point == 0xFFFE || code_point == 0xFFFF) {
      out += "\\u" + Hex(static_cast<uint8_t>(code_point >> 8)).substr(2) +
             Hex(static_cast<uint8_t>(code_point)).substr(2);
    } else {
      out.append(text.substr(i, length));
    }
  }
  return out + "\"";
}

std::string Plural(ExternKind kind) {
  return kind == ExternKind::kMemory ? "memories" : std::string(KindName(kind)) + "s";
}

// Reads the binary format with a sticky error, as V8's decoder does: the first problem is kept,
// every later read returns zero without touching the bytes, and callers check ok() where a wrong
// value would matter. Every read is bounded by the current section, never by a claimed count.
class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> file) : file_(file), end_(file.size()) {}

  bool ok() const { return !error_; }
  const std::string& error() const { return *error_; }
  size_t pos() const { return pos_; }
  size_t left() const { return end_ - pos_; }

  // Reads [pos, end) next; `where` names that part of the file in messages. Running out of
  // bytes in a header means the file is cut short; in a section, that the section is too small.
  void Enter(size_t pos, size_t end, std::string where, bool header = false) {
    if (!ok()) return;
    pos_ = pos;
    end_ = end;
    where_ = std::move(where);
    header_ = header;
  }

  void Fail(std::string message) {
    if (!error_) error_ = std::move(message);
    pos_ = end_;
  }
  void Malformed(const std::string& what, size_t at) {
    Fail("malformed: " + what + " at byte " + to_string(at) + " (" + where_ + ")");
  }

  uint8_t U8() {
    if (pos_ >= end_) return OutOfBytes(), 0;
    return file_[pos_++];
  }

  // An LEB128 integer of at most `bits` bits; the unused bits of its last byte must be zero (or,
  // for a signed one, copies of its sign bit).
  uint64_t Leb(unsigned bits, bool is_signed = false) {
    size_t at = pos_;
    const unsigned max_bytes = (bits + 6) / 7;
    uint64_t value = 0;
    for (unsigned i = 0; i < max_bytes && ok(); ++i) {
      uint8_t byte = U8();
      value |= uint64_t{byte & 0x7Fu} << (7 * i);
      if (i == max_bytes - 1) {
        if (byte & 0x80) return Malformed("LEB128 integer too long", at), 0;
        unsigned used = bits - 7 * i;
        unsigned unused = (byte & 0x7F) >> used;
        bool negative = is_signed && (byte >> (used - 1) & 1);
        if (unused != (negative ? 0x7Fu >> used : 0)) {
          return Malformed("LEB128 integer does not fit in " + to_string(bits) + " bits", at), 0;
        }
      }
      if (!(byte & 0x80)) return ok() ? value : 0;
    }
    return 0;
  }
  uint32_t U32() { return static_cast<uint32_t>(Leb(32)); }

  std::span<const uint8_t> Bytes(uint64_t count) {
    if (count > left()) return OutOfBytes(), std::span<const uint8_t>();
    pos_ += count;
    return file_.subspan(pos_ - count, count);
  }

  // A name: a length and that many bytes of UTF-8.
  std::string Name() {
    auto bytes = Bytes(U32());
    std::string name(bytes.begin(), bytes.end());
    char32_t code_point;
    for (size_t i = 0, length; i < name.size(); i += length) {
      if ((length = DecodeUtf8(name, i, code_point)) == 0) {
        Malformed("invalid UTF-8 in a name", pos_ - name.size() + i);
        return {};
      }
    }
    return name;
  }

  // The length of a vector whose entries take at least a byte each, so that it cannot claim more
  // entries than the bytes left.
  uint32_t Count() {
    size_t at = pos_;
    uint32_t count = U32();
    if (ok() && count > left()) {
      Malformed("a count of " + to_string(count) + " entries with only " + to_string(left()) +
                    " bytes left",
                at);
    } else if (ok() && count > kMaxEntries) {
      Malformed("a count of " + to_string(count) + " entries, more than the " +
                    to_string(kMaxEntries) + " mar reads",
                at);
    }
    return ok() ? count : 0;
  }

 private:
  void OutOfBytes() {
    if (header_) {
      Fail("truncated: the file ends at byte " + to_string(end_) + " in the middle of the " +
           where_);
    } else {
      Fail("malformed: the " + where_ + " ends at byte " + to_string(end_) +
           " in the middle of an entry (its size is smaller than its contents)");
    }
  }

  std::span<const uint8_t> file_;
  size_t pos_ = 0;
  size_t end_;
  std::string where_;
  bool header_ = false;
  std::optional<std::string> error_;
};

// Why these limits are not valid for a memory (in pages) or a table, if they are not.
std::optional<std::string> LimitsProblem(const Limits& limits, bool memory) {
  if (limits.maximum && *limits.maximum < limits.initial) {
    return "maximum size " + to_string(*limits.maximum) + " below the initial size " +
           to_string(limits.initial);
  }
  if (!memory) return std::nullopt;
  const uint64_t most_pages = limits.is64 ? uint64_t{1} << 48 : uint64_t{1} << 16;
  if (std::max(limits.initial, limits.maximum.value_or(0)) > most_pages) {
    return "memory size of " + to_string(std::max(limits.initial, limits.maximum.value_or(0))) +
           " pages, more than the " + to_string(most_pages) + " pages of a " +
           (limits.is64 ? "64" : "32") + "-bit memory";
  }
  if (limits.shared && !limits.maximum) return std::string("shared memory without a maximum size");
  return std::nullopt;
}

ValueType ReadValueType(Decoder& d, bool reference_only = false) {
  size_t at = d.pos();
  uint8_t byte = d.U8();
  if (byte == 0x70) return ValueType::kFuncRef;
  if (byte == 0x6F) return ValueType::kExternRef;
  if (byte >= 0x7B && byte <= 0x7F && !reference_only) return ValueType(0x7F - byte);  // i32..v128
  d.Malformed((reference_only ? "unknown reference type " : "unknown value type ") + Hex(byte), at);
  return ValueType::kI32;
}

// Limits of a table (flags: 1 = has a maximum) or a memory (also 2 = shared, 4 = 64-bit).
Limits ReadLimits(Decoder& d, bool memory) {
  size_t at = d.pos();
  uint8_t flags = d.U8();
  if (flags > (memory ? 7 : 1)) d.Malformed("unknown limits flags " + Hex(flags), at);
  Limits limits;
  limits.shared = flags & 2;
  limits.is64 = flags & 4;
  limits.initial = d.Leb(limits.is64 ? 64 : 32);
  if (flags & 1) limits.maximum = d.Leb(limits.is64 ? 64 : 32);
  if (auto problem = LimitsProblem(limits, memory); problem && d.ok()) d.Malformed(*problem, at);
  return limits;
}

// Skips a constant expression (a global's initializer, a data segment's offset) through its end.
void SkipConstantExpression(Decoder& d) {
  while (d.ok()) {
    size_t at = d.pos();
    uint8_t opcode = d.U8();
    bool arithmetic = (opcode >= 0x6A && opcode <= 0x6C) || (opcode >= 0x7C && opcode <= 0x7E);
    if (opcode == 0x0B) return;  // end
    if (opcode == 0x41 || opcode == 0x42) {
      d.Leb(opcode == 0x41 ? 32 : 64, true);  // i32.const, i64.const
    } else if (opcode == 0x43 || opcode == 0x44) {
      d.Bytes(opcode == 0x43 ? 4 : 8);  // f32.const, f64.const
    } else if (opcode == 0x23 || opcode == 0xD2) {
      d.U32();  // global.get, ref.func
    } else if (opcode == 0xD0) {
      ReadValueType(d, true);  // ref.null
    } else if (opcode == 0xFD && d.U32() == 12) {
      d.Bytes(16);             // v128.const
    } else if (!arithmetic) {  // add, sub, mul of i32 and i64 are "extended constant expressions"
      d.Malformed("instruction " + Hex(opcode) + " in a constant expression", at);
    }
  }
}

// One entry of an index space (functions, tables, memories, globals, tags), imported or defined.
struct Entity {
  uint32_t type_index = 0;  // function, tag
  Limits limits;            // table, memory
  ValueType value = ValueType::kI32;
  bool is_mutable = false;
};

struct Parsed {
  ModuleInfo info;
  // The memory section, and where the first memory's limits end, for SetMemoryLimits.
  size_t memory_section = 0, memory_end = 0, first_memory_end = 0;
};

class ModuleReader {
 public:
  explicit ModuleReader(std::span<const uint8_t> bytes) : bytes_(bytes), d_(bytes) {}

  Result<Parsed> Read() {
    if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "\0asm", 4) != 0) {
      return mar::Fail(bytes_.empty()
                           ? "not a WebAssembly module (the file is empty)"
                           : "not a WebAssembly module (the file does not start with \\0asm)");
    }
    if (bytes_.size() < 8) {
      return mar::Fail("truncated: the file ends at byte " + to_string(bytes_.size()) +
                       " in the middle of the module header (\\0asm and a 4-byte version)");
    }
    uint32_t version = bytes_[4] | bytes_[5] << 8 | bytes_[6] << 16 | uint32_t{bytes_[7]} << 24;
    if (version >> 16 == 1) {
      return mar::Fail(
          "a WebAssembly component, not a core module (mar reads core modules, version 1)");
    }
    if (version != 1) {
      return mar::Fail("unsupported WebAssembly version " + to_string(version) +
                       " (mar reads version 1)");
    }
    for (size_t start = 8; start < bytes_.size() && d_.ok(); start = d_.pos()) {
      d_.Enter(start, bytes_.size(), "section header", true);
      uint8_t id = d_.U8();
      if (id >= kSectionNames.size()) {
        d_.Malformed("unknown section id " + to_string(id), start);
        break;
      }
      std::string name = std::string(kSectionNames[id]) + " section";
      d_.Enter(d_.pos(), bytes_.size(), "header of the " + name, true);
      uint64_t size = d_.U32();
      uint64_t end = d_.pos() + size;
      if (d_.ok() && end > bytes_.size()) {
        return mar::Fail("truncated: the " + name + " ends at byte " + to_string(end) +
                         ", but the file ends at byte " + to_string(bytes_.size()));
      }
      CheckOrder(id, name, start);
      d_.Enter(d_.pos(), end, name);
      ReadSection(id, start, end);
      if (d_.ok() && d_.pos() != end) {
        d_.Fail("malformed: the " + name + " has " + to_string(end - d_.pos()) +
                (end - d_.pos() == 1 ? " byte" : " bytes") +
                " left over after its last entry, at byte " + to_string(d_.pos()));
      }
      d_.Enter(end, end, name);
    }
    if (d_.ok() && declared_functions_ != code_bodies_) {
      d_.Fail("malformed: the function section declares " + to_string(declared_functions_) +
              " functions, but the code section has " + to_string(code_bodies_) + " bodies");
    }
    if (d_.ok() && data_count_ && *data_count_ != info().data_segments) {
      d_.Fail("malformed: the data count section says " + to_string(*data_count_) +
              " segments, but the data section has " + to_string(info().data_segments));
    }
    if (!d_.ok()) return mar::Fail(d_.error());
    return std::move(parsed_);
  }

 private:
  ModuleInfo& info() { return parsed_.info; }
  std::vector<Entity>& space(ExternKind kind) { return spaces_[static_cast<size_t>(kind)]; }

  // Custom sections go anywhere; the others once each, in the order of kSectionRank.
  void CheckOrder(uint8_t id, const std::string& name, size_t start) {
    if (id == 0) return;
    if (kSectionRank[id] == kSectionRank[last_id_]) {
      d_.Fail("malformed: a second " + name + " at byte " + to_string(start) +
              " (a module has at most one)");
    } else if (kSectionRank[id] < kSectionRank[last_id_]) {
      d_.Fail("malformed: the " + name + " at byte " + to_string(start) + " comes after the " +
              std::string(kSectionNames[last_id_]) + " section (sections must come in the order " +
              std::string(kSectionOrder) + ")");
    }
    last_id_ = id;
  }

  void ReadSection(uint8_t id, size_t start, size_t end) {
    switch (id) {
      case 0:
        info().custom_sections.push_back(d_.Name());
        d_.Bytes(end - d_.pos());
        break;
      case 1:
        for (uint32_t count = d_.Count(), i = 0; i < count && d_.ok(); ++i) ReadFuncType();
        break;
      case 2:
        for (uint32_t count = d_.Count(), i = 0; i < count && d_.ok(); ++i) ReadImport();
        break;
      case 3:
        declared_functions_ = info().defined_functions = d_.Count();
        for (uint32_t i = 0; i < declared_functions_ && d_.ok(); ++i) Define(ExternKind::kFunction);
        break;
      case 4:
      case 5:
      case 13:
        for (uint32_t count = d_.Count(), i = 0; i < count && d_.ok(); ++i) {
          Define(id == 4 ? ExternKind::kTable : id == 5 ? ExternKind::kMemory : ExternKind::kTag);
          if (id == 5 && d_.ok() && info().defined_memories++ == 0) {
            info().memory = space(ExternKind::kMemory).back().limits;
            parsed_.memory_section = start;
            parsed_.memory_end = end;
            parsed_.first_memory_end = d_.pos();
          }
        }
        break;
      case 6:
        for (uint32_t count = d_.Count(), i = 0; i < count && d_.ok(); ++i) {
          Define(ExternKind::kGlobal);
          SkipConstantExpression(d_);
        }
        break;
      case 7:
        for (uint32_t count = d_.Count(), i = 0; i < count && d_.ok(); ++i) ReadExport();
        break;
      case 8:
        info().start_function = Index(ExternKind::kFunction, "start function");
        break;
      case 9:  // elements: nothing `inspect` reports
        d_.Bytes(end - d_.pos());
        break;
      case 10:
        code_bodies_ = d_.Count();
        for (uint32_t i = 0; i < code_bodies_ && d_.ok(); ++i) d_.Bytes(d_.U32());
        break;
      case 11:
        info().data_segments = d_.Count();
        for (uint32_t i = 0; i < info().data_segments && d_.ok(); ++i) ReadDataSegment();
        break;
      case 12:
        data_count_ = d_.U32();
        break;
    }
  }

  void ReadFuncType() {
    size_t at = d_.pos();
    if (uint8_t form = d_.U8(); form != 0x60) {
      d_.Malformed("type form " + Hex(form) + " (mar reads function types, 0x60)", at);
    }
    FuncType type;
    for (uint32_t n = d_.Count(), i = 0; i < n && d_.ok(); ++i)
      type.params.push_back(ReadValueType(d_));
    for (uint32_t n = d_.Count(), i = 0; i < n && d_.ok(); ++i)
      type.results.push_back(ReadValueType(d_));
    info().types.push_back(std::move(type));
  }

  ExternKind ReadKind(std::string_view what) {
    size_t at = d_.pos();
    uint8_t kind = d_.U8();
    if (kind > static_cast<uint8_t>(ExternKind::kTag))
      d_.Malformed("unknown " + std::string(what) + " kind " + Hex(kind), at);
    return d_.ok() ? ExternKind(kind) : ExternKind::kFunction;
  }

  // An index into the type section or into `kind`'s index space, checked against its size.
  uint32_t Index(std::optional<ExternKind> kind, std::string_view what) {
    size_t at = d_.pos();
    uint32_t index = d_.U32();
    size_t size = kind ? space(*kind).size() : info().types.size();
    if (d_.ok() && index >= size) {
      d_.Malformed(std::string(what) + " " + to_string(index) + " out of range (the module has " +
                       to_string(size) + " " + (kind ? Plural(*kind) : "types") + ")",
                   at);
    }
    return index;
  }

  // Reads the type of an imported or defined entity and adds it to its index space.
  const Entity& Define(ExternKind kind) {
    Entity& entity = space(kind).emplace_back();
    if (kind == ExternKind::kFunction) entity.type_index = Index(std::nullopt, "type index");
    if (kind == ExternKind::kTable) entity.value = ReadValueType(d_, true);
    if (kind == ExternKind::kTable || kind == ExternKind::kMemory)
      entity.limits = ReadLimits(d_, kind == ExternKind::kMemory);
    if (kind == ExternKind::kGlobal) {
      entity.value = ReadValueType(d_);
      size_t at = d_.pos();
      uint8_t mutability = d_.U8();
      if (mutability > 1) d_.Malformed("global mutability " + Hex(mutability) + " (0 or 1)", at);
      entity.is_mutable = mutability == 1;
    }
    if (kind == ExternKind::kTag) {
      size_t at = d_.pos();
      if (uint8_t attribute = d_.U8(); attribute != 0)
        d_.Malformed("tag attribute " + Hex(attribute), at);
      entity.type_index = Index(std::nullopt, "type index");
    }
    return entity;
  }

  // Call only while ok(): the entity's type index is then valid.
  Extern Describe(ExternKind kind, const Entity& entity) const {
    Extern described{kind, {}, entity.limits, entity.value, entity.is_mutable};
    if (kind == ExternKind::kFunction || kind == ExternKind::kTag) {
      described.type = parsed_.info.types[entity.type_index];
    }
    return described;
  }

  void ReadImport() {
    Import import;
    import.module = d_.Name();
    import.name = d_.Name();
    ExternKind kind = ReadKind("import");
    if (!d_.ok()) return;
    const Entity& entity = Define(kind);
    if (!d_.ok()) return;
    static_cast<Extern&>(import) = Describe(kind, entity);
    if (kind == ExternKind::kFunction) ++info().imported_functions;
    if (kind == ExternKind::kMemory) info().memory_imported = true;
    info().imports.push_back(std::move(import));
  }

  void ReadExport() {
    size_t at = d_.pos();
    Export entry;
    entry.name = d_.Name();
    ExternKind kind = ReadKind("export");
    entry.index =
        Index(kind, "export " + Quoted(entry.name) + " of " + std::string(KindName(kind)));
    if (!d_.ok()) return;
    if (!export_names_.insert(entry.name).second) {
      return d_.Malformed("duplicate export name " + Quoted(entry.name), at);
    }
    static_cast<Extern&>(entry) = Describe(kind, space(kind)[entry.index]);
    info().exports.push_back(std::move(entry));
  }

  void ReadDataSegment() {
    size_t at = d_.pos();
    // 0: active in memory 0, 1: passive, 2: active in the memory whose index follows.
    uint32_t mode = d_.U32();
    if (mode > 2) d_.Malformed("unknown data segment mode " + to_string(mode), at);
    if (mode == 0 && d_.ok() && space(ExternKind::kMemory).empty()) {
      d_.Malformed("data segment for memory 0, but the module has no memory", at);
    }
    if (mode == 2) Index(ExternKind::kMemory, "data segment for memory");
    if (mode != 1) SkipConstantExpression(d_);
    info().data_bytes += d_.Bytes(d_.U32()).size();
  }

  std::span<const uint8_t> bytes_;
  Decoder d_;
  Parsed parsed_;
  std::array<std::vector<Entity>, 5> spaces_;  // by ExternKind
  std::set<std::string> export_names_;
  int last_id_ = 0;
  uint32_t declared_functions_ = 0, code_bodies_ = 0;
  std::optional<uint32_t> data_count_;
};

void PutLeb(std::vector<uint8_t>& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7F;
    value >>= 7;
    out.push_back(value ? byte | 0x80 : byte);
  } while (value);
}

// ---- Formatting ----

// A name as the text format shows it: bare when that is unambiguous, else quoted.
std::string Shown(std::string_view name) {
  std::string quoted = Quoted(name);
  bool bare = !name.empty() && quoted.size() == name.size() + 2 &&
              name.find_first_of(" '\"") == std::string::npos;
  return bare ? std::string(name) : quoted;
}

// "2 pages (128 KiB)": a page count and its exact size in the largest unit that divides it.
std::string PagesText(uint64_t pages) {
  uint64_t size = pages * (kPageBytes / 1024);  // KiB; pages are at most 2^48, so this fits
  std::string_view units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  size_t unit = 0;
  while (size != 0 && size % 1024 == 0 && unit + 1 < std::size(units)) size /= 1024, ++unit;
  return to_string(pages) + (pages == 1 ? " page (" : " pages (") + to_string(size) + " " +
         std::string(units[unit]) + ")";
}

std::string LimitsText(const Limits& limits, bool memory) {
  auto amount = [&](uint64_t value) { return memory ? PagesText(value) : to_string(value); };
  std::string text = (memory ? "" : "initial ") + amount(limits.initial) +
                     (limits.maximum ? ", maximum " + amount(*limits.maximum) : ", no maximum");
  return text + (limits.shared ? ", shared" : "") + (limits.is64 ? ", 64-bit" : "");
}

std::string ExternText(const Extern& entity) {
  switch (entity.kind) {
    case ExternKind::kFunction:
    case ExternKind::kTag:
      return TypeText(entity.type);
    case ExternKind::kTable:
      return std::string(ValueTypeName(entity.value)) + ", " + LimitsText(entity.limits, false);
    case ExternKind::kMemory:
      return LimitsText(entity.limits, true);
    case ExternKind::kGlobal:
      return (entity.is_mutable ? "mut " : "") + std::string(ValueTypeName(entity.value));
  }
  return {};
}

using Json = nlohmann::ordered_json;

// Bytes of a page count; 2^48 pages (the most a 64-bit memory may declare) is 2^64 bytes, which
// only a floating-point number can hold.
Json BytesJson(uint64_t pages) {
  return pages < uint64_t{1} << 48 ? Json(pages * kPageBytes)
                                   : Json(static_cast<double>(pages) * kPageBytes);
}

Json MemoryJson(const Limits& limits) {
  return {{"initial_pages", limits.initial},
          {"initial_bytes", BytesJson(limits.initial)},
          {"maximum_pages", limits.maximum ? Json(*limits.maximum) : Json(nullptr)},
          {"maximum_bytes", limits.maximum ? BytesJson(*limits.maximum) : Json(nullptr)},
          {"shared", limits.shared},
          {"memory64", limits.is64}};
}

void AddExternJson(Json& out, const Extern& entity) {
  out["kind"] = KindName(entity.kind);
  auto names = [](const std::vector<ValueType>& types) {
    Json list = Json::array();
    for (ValueType type : types) list.push_back(ValueTypeName(type));
    return list;
  };
  switch (entity.kind) {
    case ExternKind::kFunction:
    case ExternKind::kTag:
      out["type"] = TypeText(entity.type);
      out["params"] = names(entity.type.params);
      out["results"] = names(entity.type.results);
      break;
    case ExternKind::kTable:
      out["element"] = ValueTypeName(entity.value);
      out["initial"] = entity.limits.initial;
      out["maximum"] = entity.limits.maximum ? Json(*entity.limits.maximum) : Json(nullptr);
      break;
    case ExternKind::kMemory:
      out.update(MemoryJson(entity.limits));
      break;
    case ExternKind::kGlobal:
      out["value_type"] = ValueTypeName(entity.value);
      out["mutable"] = entity.is_mutable;
      break;
  }
}

Json ToJson(const ModuleInfo& info) {
  Json out;
  out["memory"] = info.memory ? MemoryJson(*info.memory) : Json(nullptr);
  out["memory_imported"] = info.memory_imported;
  out["defined_memories"] = info.defined_memories;
  out["functions"] = {{"imported", info.imported_functions}, {"defined", info.defined_functions}};
  out["data"] = {{"segments", info.data_segments}, {"bytes", info.data_bytes}};
  out["start_function"] = info.start_function ? Json(*info.start_function) : Json(nullptr);
  out["custom_sections"] = info.custom_sections;
  out["imports"] = Json::array();
  for (const Import& import : info.imports) {
    Json entry = {{"module", import.module}, {"name", import.name}};
    AddExternJson(entry, import);
    out["imports"].push_back(std::move(entry));
  }
  out["exports"] = Json::array();
  for (const Export& entry : info.exports) {
    Json json_entry = {{"name", entry.name}, {"index", entry.index}};
    AddExternJson(json_entry, entry);
    out["exports"].push_back(std::move(json_entry));
  }
  out["types"] = Json::array();
  for (const FuncType& type : info.types) out["types"].push_back(TypeText(type));
  return out;
}

bool IsYamlBlock(const Json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

std::string YamlScalar(const Json& value) {
  if (value.is_string()) return Quoted(value.get_ref<const std::string&>());
  if (value.is_array()) return "[]";
  if (value.is_object()) return "{}";
  return value.dump();  // numbers, true/false, null: the same words in YAML
}

// Block-style YAML of `value` at `indent`; an array item's first line takes its "- " in place of
// the indentation, so items of any shape render the same way.
void EmitYaml(const Json& value, size_t indent, std::string& out) {
  std::string pad(indent, ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + key + ":";
      if (IsYamlBlock(item)) {
        out += "\n";
        EmitYaml(item, indent + 2, out);
      } else {
        out += " " + YamlScalar(item) + "\n";
      }
    }
    return;
  }
  for (const Json& item : value) {
    if (!IsYamlBlock(item)) {
      out += pad + "- " + YamlScalar(item) + "\n";
      continue;
    }
    std::string nested;
    EmitYaml(item, indent + 2, nested);
    out += pad + "- " + nested.substr(indent + 2);
  }
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  constexpr std::array<std::string_view, 7> kNames = {"i32",  "i64",     "f32",      "f64",
                                                      "v128", "funcref", "externref"};
  return kNames[static_cast<size_t>(type)];
}

std::string_view KindName(ExternKind kind) {
  constexpr std::array<std::string_view, 5> kNames = {"function", "table", "memory", "global",
                                                      "tag"};
  return kNames[static_cast<size_t>(kind)];
}

std::string TypeText(const FuncType& type) {
  auto list = [](const std::vector<ValueType>& types, bool parenthesize) {
    std::string text;
    for (ValueType value : types)
      text += (text.empty() ? "" : ", ") + std::string(ValueTypeName(value));
    return parenthesize ? "(" + text + ")" : text;
  };
  return list(type.params, true) + " -> " + list(type.results, type.results.size() != 1);
}

Result<std::vector<uint8_t>> ReadModuleFile(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  constexpr uintmax_t kMaxBytes = 256u << 20;
  std::error_code error;
  auto status = fs::status(path, error);
  if (status.type() == fs::file_type::not_found) return Fail("no such file or directory");
  if (error) return Fail("cannot read: " + error.message());
  if (fs::is_directory(status)) return Fail("is a directory, not a WebAssembly module");
  if (!fs::is_regular_file(status)) return Fail("not a regular file");
  auto size = fs::file_size(path, error);
  if (error) return Fail("cannot read: " + error.message());
  if (size > kMaxBytes) return Fail(std::to_string(size) + " bytes; mar reads WebAssembly modules of at most 256 MiB");
  std::vector<uint8_t> bytes(size);
  std::ifstream file(path, std::ios::binary);
  if (!file || !file.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size))) {
    return Fail("cannot read");
  }
  return bytes;
}

Result<ModuleInfo> Inspect(std::span<const uint8_t> bytes) {
  auto parsed = ModuleReader(bytes).Read();
  if (!parsed) return std::unexpected(parsed.error());
  return std::move(parsed->info);
}

Result<std::vector<uint8_t>> SetMemoryLimits(std::span<const uint8_t> bytes, uint64_t initial_pages,
                                             std::optional<uint64_t> maximum_pages) {
  auto parsed = ModuleReader(bytes).Read();
  if (!parsed) return std::unexpected(parsed.error());
  const ModuleInfo& info = parsed->info;
  if (!info.memory) {
    return Fail(info.memory_imported
                    ? "the module imports its memory, so its limits are set where it is created"
                    : "the module defines no memory");
  }
  Limits limits = *info.memory;
  limits.initial = initial_pages;
  limits.maximum = maximum_pages;
  if (auto problem = LimitsProblem(limits, true))
    return Fail("cannot set the memory limits: " + *problem);

  std::vector<uint8_t> payload;
  PutLeb(payload, info.defined_memories);
  payload.push_back((limits.maximum ? 1 : 0) | (limits.shared ? 2 : 0) | (limits.is64 ? 4 : 0));
  PutLeb(payload, limits.initial);
  if (limits.maximum) PutLeb(payload, *limits.maximum);
  payload.insert(payload.end(), bytes.begin() + parsed->first_memory_end,
                 bytes.begin() + parsed->memory_end);

  std::vector<uint8_t> out(bytes.begin(), bytes.begin() + parsed->memory_section);
  out.push_back(5);
  PutLeb(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), bytes.begin() + parsed->memory_end, bytes.end());
  return out;
}

std::string FormatText(const ModuleInfo& info) {
  std::string out = "memory: ";
  if (info.memory) {
    out += LimitsText(*info.memory, true);
    if (info.defined_memories > 1)
      out += " (the first of " + to_string(info.defined_memories) + ")";
  } else {
    out += info.memory_imported ? "imported" : "none";
  }
  out += "\nfunctions: " + to_string(info.imported_functions) + " imported, " +
         to_string(info.defined_functions) + " defined\n";
  out += "data: " + to_string(info.data_segments) +
         (info.data_segments == 1 ? " segment, " : " segments, ") + to_string(info.data_bytes) +
         " bytes\n";
  out +=
      "start function: " + (info.start_function ? to_string(*info.start_function) : "none") + "\n";
  std::string customs;
  for (const auto& name : info.custom_sections)
    customs += (customs.empty() ? "" : ", ") + Shown(name);
  out += "custom sections: " + (customs.empty() ? "none" : customs) + "\n";
  auto kind = [](ExternKind value) {
    std::string name(KindName(value));
    return name + std::string(9 - name.size(), ' ');
  };
  out += "imports (" + to_string(info.imports.size()) + "):\n";
  for (const Import& import : info.imports) {
    out += "  " + kind(import.kind) + Shown(import.module) + "." + Shown(import.name) + "  " +
           ExternText(import) + "\n";
  }
  out += "exports (" + to_string(info.exports.size()) + "):\n";
  for (const Export& entry : info.exports) {
    out += "  " + kind(entry.kind) + Shown(entry.name) + "  " + ExternText(entry) + "\n";
  }
  return out;
}

std::string FormatJson(const ModuleInfo& info) {
  // Names are UTF-8 when Inspect produced them; a hand-made ModuleInfo gets U+FFFD, not an
  // exception.
  return ToJson(info).dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string FormatYaml(const ModuleInfo& info) {
  std::string out;
  EmitYaml(ToJson(info), 0, out);
  return out;
}

}  // namespace mar::wasm
