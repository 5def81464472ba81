#include "caps/manifest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>
#include <unordered_map>

namespace mar::caps {
namespace {

// ordered_json keeps object members in document order, which both the error order and `env`
// promise.
using Json = nlohmann::ordered_json;

constexpr std::string_view kNameRule =
    "^[a-z0-9][a-z0-9_-]{0,62}$ (1 to 63 lower-case letters, digits, '_' or '-', starting with a "
    "letter or digit)";

// A key that appeared again in the same object, remembered with how many distinct keys preceded
// it so the error can be reported at its place in the document.
struct DuplicateKey {
  size_t distinct_keys_before;
  std::string key;
};
using DuplicateIndex = std::unordered_map<const Json::object_t*, std::vector<DuplicateKey>>;

// Builds the document while noting duplicate keys, which nlohmann's own parser silently collapses.
class TreeBuilder final : public nlohmann::json_sax<Json> {
 public:
  // Returns false on a syntax error; syntax_error() then says where and what.
  bool Parse(std::string_view text) {
    text_ = text;
    return Json::sax_parse(text, this);
  }
  const Json& root() const { return root_; }
  const DuplicateIndex& duplicates() const { return duplicates_; }
  const std::string& syntax_error() const { return syntax_error_; }

  bool null() override { return Put(Json(nullptr)) != nullptr; }
  bool boolean(bool value) override { return Put(Json(value)) != nullptr; }
  bool number_integer(number_integer_t value) override { return Put(Json(value)) != nullptr; }
  bool number_unsigned(number_unsigned_t value) override { return Put(Json(value)) != nullptr; }
  bool number_float(number_float_t value, const string_t&) override {
    return Put(Json(value)) != nullptr;
  }
  bool string(string_t& value) override { return Put(Json(std::move(value))) != nullptr; }
  bool binary(binary_t& value) override { return Put(Json::binary(std::move(value))) != nullptr; }
  bool start_object(size_t) override {
    stack_.push_back(Put(Json::object()));
    return true;
  }
  bool key(string_t& key) override {
    Json& object = *stack_.back();
    if (object.contains(key)) {
      duplicates_[object.get_ptr<const Json::object_t*>()].push_back({object.size(), key});
      // The repeated value is parsed into storage nobody validates; a deque keeps its address
      // (and so the identity of objects nested in it) stable.
      pending_value_ = &discarded_.emplace_back();
    } else {
      pending_value_ = &object[key];
    }
    return true;
  }
  bool end_object() override {
    stack_.pop_back();
    return true;
  }
  bool start_array(size_t) override {
    stack_.push_back(Put(Json::array()));
    return true;
  }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(size_t position, const std::string&,
                   const nlohmann::detail::exception& error) override {
    // nlohmann's message starts with "[json.exception.parse_error.101] parse error at line 1,
    // column 7: "; keep only the explanation and give our own position, counted in characters
    // rather than bytes so it matches what an editor shows.
    std::string_view detail = error.what();
    size_t start = detail.find("parse error");
    start = start == std::string_view::npos ? start : detail.find(": ", start);
    detail = start == std::string_view::npos ? detail : detail.substr(start + 2);

    size_t end = std::min(position > 0 ? position - 1 : 0, text_.size());
    size_t line = 1;
    size_t column = 1;
    // A UTF-8 byte order mark is invisible in editors, so it takes no column.
    size_t first = text_.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    for (size_t i = first; i < end; ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    syntax_error_ = "invalid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + ": " + std::string(detail);
    return false;
  }

 private:
  // Places a finished value where the parser is and returns its address. Only the innermost
  // open container ever grows, so the addresses on stack_ stay valid.
  Json* Put(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    *pending_value_ = std::move(value);
    return pending_value_;
  }

  std::string_view text_;
  Json root_;
  std::vector<Json*> stack_;
  Json* pending_value_ = nullptr;
  std::deque<Json> discarded_;
  DuplicateIndex duplicates_;
  std::string syntax_error_;
};

bool IsPlainKey(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || c == '-';
  });
}

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string QuoteJson(std::string_view text) {
  return Dump(Json(std::string(text)));
}

// "capabilities" + "fetch" -> "capabilities.fetch"; keys that would be ambiguous in dotted form
// are written in brackets: env["MY VAR"].
std::string Member(const std::string& path, std::string_view key) {
  if (!IsPlainKey(key)) return path + "[" + QuoteJson(key) + "]";
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Element(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// `text` as a JSON string, cut short with "..." when it would swamp the message.
std::string QuoteShortened(std::string_view text) {
  std::string quoted = QuoteJson(text);
  constexpr size_t kMaxShown = 80;
  if (quoted.size() > kMaxShown) {
    size_t cut = kMaxShown - 4;
    // Never cut a UTF-8 sequence in half: the message must stay valid text.
    while (cut > 0 && (static_cast<unsigned char>(quoted[cut]) & 0xC0) == 0x80) --cut;
    quoted = quoted.substr(0, cut) + "...\"";
  }
  return quoted;
}

// "string \"yes\"", "number 3", "boolean true", "null", "an array", "an object".
std::string Describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean " + Dump(value);
    case Json::value_t::string:
      return "string " + QuoteShortened(value.get_ref<const std::string&>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number " + Dump(value);
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "binary data";
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Folds the usual spellings of one key together: "memory_mb", "MemoryMB" -> "memorymb".
std::string Folded(std::string_view key) {
  std::string folded;
  for (char c : key) {
    if (c == '_' || c == '-') continue;
    folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return folded;
}

using KnownKeys = std::span<const std::string_view>;

std::optional<std::string_view> Suggestion(std::string_view key, KnownKeys known) {
  for (std::string_view candidate : known) {
    if (Folded(candidate) == Folded(key)) return candidate;
  }
  if (key.size() < 4) return std::nullopt;  // short typos would match nearly anything
  for (std::string_view candidate : known) {
    if (EditDistance(candidate, key) <= 2) return candidate;
  }
  return std::nullopt;
}

// Walks a parsed document and collects every problem in document order.
class Checker {
 public:
  Checker(std::string_view file, const DuplicateIndex& duplicates)
      : file_(file), duplicates_(duplicates) {}

  void Error(std::string path, std::string message) {
    errors_.push_back({file_, std::move(path), std::move(message)});
  }
  std::vector<ManifestError> TakeErrors() { return std::move(errors_); }
  bool ok() const { return errors_.empty(); }

  using Visit =
      std::function<void(std::string_view key, const Json& value, const std::string& path)>;

  // Calls `visit` for each member of `object` in document order. Keys not in `known` are
  // reported as unknown (an empty `known` accepts every key); repeated keys are reported where
  // they repeat, and only their first value is visited. `noun` names what the keys are.
  void Members(const Json& object, const std::string& path,
               std::initializer_list<std::string_view> known, std::string_view noun,
               const Visit& visit) {
    Members(object, path, KnownKeys(known.begin(), known.size()), noun, visit);
  }
  void Members(const Json& object, const std::string& path, KnownKeys known, std::string_view noun,
               const Visit& visit) {
    const std::vector<DuplicateKey>* repeats = nullptr;
    if (auto it = duplicates_.find(object.get_ptr<const Json::object_t*>());
        it != duplicates_.end()) {
      repeats = &it->second;
    }
    size_t next_repeat = 0;
    auto report_repeats = [&](size_t keys_seen) {
      while (repeats && next_repeat < repeats->size() &&
             (*repeats)[next_repeat].distinct_keys_before == keys_seen) {
        Error(Member(path, (*repeats)[next_repeat].key),
              "duplicate key; it already appears earlier in this object");
        ++next_repeat;
      }
    };
    size_t keys_seen = 0;
    for (const auto& [key, value] : object.items()) {
      std::string key_path = Member(path, key);
      if (known.size() == 0 || std::find(known.begin(), known.end(), key) != known.end()) {
        visit(key, value, key_path);
      } else {
        std::string message = "unknown " + std::string(noun);
        if (std::optional<std::string_view> suggestion = Suggestion(key, known)) {
          message += " (did you mean \"" + std::string(*suggestion) + "\"?)";
        }
        message += "; allowed here: ";
        for (size_t i = 0; i < known.size(); ++i) {
          message += (i == 0 ? "" : ", ") + std::string(known[i]);
        }
        Error(key_path, std::move(message));
      }
      report_repeats(++keys_seen);
    }
  }

  bool ExpectObject(const Json& value, const std::string& path,
                    std::string_view expected = "an object") {
    if (value.is_object()) return true;
    Error(path, "expected " + std::string(expected) + ", got " + Describe(value));
    return false;
  }

  bool ExpectArray(const Json& value, const std::string& path, std::string_view expected) {
    if (value.is_array()) return true;
    Error(path, "expected " + std::string(expected) + ", got " + Describe(value));
    return false;
  }

  std::optional<std::string> ExpectString(const Json& value, const std::string& path) {
    if (value.is_string()) return value.get<std::string>();
    Error(path, "expected a string, got " + Describe(value));
    return std::nullopt;
  }

  std::optional<bool> ExpectBoolean(const Json& value, const std::string& path) {
    if (value.is_boolean()) return value.get<bool>();
    Error(path, "expected a boolean, got " + Describe(value));
    return std::nullopt;
  }

  // Accepts integral numbers, including ones written as 128.0 or 1e3 (JSON does not tell them
  // apart from integers, and neither does JSON Schema).
  std::optional<uint64_t> ExpectInteger(const Json& value, const std::string& path, uint64_t min,
                                        uint64_t max) {
    std::optional<uint64_t> number;
    if (value.is_number_unsigned()) {
      number = value.get<uint64_t>();
    } else if (value.is_number_float()) {
      double real = value.get<double>();
      if (std::isfinite(real) && real >= 0 && real <= 9007199254740992.0 &&
          std::floor(real) == real) {
        number = static_cast<uint64_t>(real);
      }
    }
    if (number && *number >= min && *number <= max) return number;
    Error(path, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                    ", got " + Describe(value));
    return std::nullopt;
  }

 private:
  std::string file_;
  const DuplicateIndex& duplicates_;
  std::vector<ManifestError> errors_;
};

std::string GotString(std::string_view text) {
  return ", got " + QuoteJson(text);
}

// What a bundle-relative path must name: `main`, a class's `wasm` module, or a granted directory.
enum class PathKind { kMainModule, kWasmModule, kDirectory };

bool IsControl(char c) {
  return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
}

// Returns `text` with "." segments removed ("." itself for the bundle directory), or why it does
// not name a `kind` inside the bundle.
std::expected<std::string, std::string> NormalizeBundlePath(std::string_view text, PathKind kind) {
  std::string_view thing = kind == PathKind::kDirectory ? "directory" : "file";
  if (text.empty()) {
    switch (kind) {
      case PathKind::kMainModule:
        return std::unexpected(
            "expected a relative path to a .js, .mjs or .wasm file inside the bundle");
      case PathKind::kWasmModule:
        return std::unexpected("expected a relative path to a .wasm file inside the bundle");
      case PathKind::kDirectory:
        return std::unexpected(
            "expected a relative path to a directory inside the bundle (\".\" for the bundle "
            "itself)");
    }
  }
  if (std::any_of(text.begin(), text.end(), IsControl)) {
    return std::unexpected("must not contain control characters");
  }
  if (text.find('\\') != std::string_view::npos) {
    return std::unexpected("must use '/' to separate directories, not '\\'");
  }
  if (text.front() == '/') {
    return std::unexpected("must be a path relative to the bundle directory, not an absolute path");
  }
  std::string normalized;
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    std::string_view segment =
        text.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) {
      return std::unexpected("must not contain empty segments (\"//\" or a trailing '/')");
    }
    if (segment == "..") {
      return std::unexpected("must not contain \"..\" segments; the " + std::string(thing) +
                             " must be inside the bundle");
    }
    if (segment != ".") {
      if (!normalized.empty()) normalized += '/';
      normalized += segment;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  switch (kind) {
    case PathKind::kMainModule:
      if (!normalized.ends_with(".js") && !normalized.ends_with(".mjs") &&
          !normalized.ends_with(".wasm")) {
        return std::unexpected("must name a .js, .mjs or .wasm file");
      }
      break;
    case PathKind::kWasmModule:
      if (!normalized.ends_with(".wasm")) return std::unexpected("must name a .wasm file");
      break;
    case PathKind::kDirectory:
      if (normalized.empty()) normalized = ".";
      break;
  }
  return normalized;
}

// Returns the normalised path, or nothing after reporting why it is unusable.
std::optional<std::string> CheckBundlePath(Checker& checker, const std::string& text,
                                           const std::string& path, PathKind kind) {
  std::expected<std::string, std::string> normalized = NormalizeBundlePath(text, kind);
  if (normalized) return *normalized;
  checker.Error(path, normalized.error() + GotString(text));
  return std::nullopt;
}

using ItemCheck = std::function<std::expected<std::string, std::string>(const std::string&)>;

// Reads a non-empty array of strings, checking each with `check` (which returns the value to keep
// or an error message); duplicates are dropped. `capability_path` is what to delete instead of
// writing an empty list.
std::optional<std::vector<std::string>> CheckStringList(Checker& checker, const Json& value,
                                                        const std::string& path,
                                                        std::string_view list_noun,
                                                        std::string_view capability_path,
                                                        const ItemCheck& check) {
  if (!checker.ExpectArray(value, path, "an array of " + std::string(list_noun))) {
    return std::nullopt;
  }
  if (value.empty()) {
    checker.Error(
        path, "an empty list grants nothing; remove " + std::string(capability_path) + " instead");
    return std::nullopt;
  }
  std::vector<std::string> items;
  bool all_valid = true;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string item_path = Element(path, i);
    std::optional<std::string> text = checker.ExpectString(value[i], item_path);
    if (!text) {
      all_valid = false;
      continue;
    }
    std::expected<std::string, std::string> checked = check(*text);
    if (!checked) {
      checker.Error(item_path, checked.error());
      all_valid = false;
      continue;
    }
    if (std::find(items.begin(), items.end(), *checked) == items.end()) items.push_back(*checked);
  }
  if (!all_valid) return std::nullopt;
  return items;
}

// Checks the shape fetch, actors and camera share: an object with one required, non-empty list,
// e.g. {"allow": ["api.example.com"]}. Returns the list if it is entirely valid.
std::optional<std::vector<std::string>> CheckListCapability(
    Checker& checker, const Json& value, const std::string& path, std::string_view list_key,
    std::string_view list_noun, std::string_view example_list, const ItemCheck& check) {
  std::string example_list_text(example_list);
  if (!checker.ExpectObject(
          value, path,
          "an object such as {\"" + std::string(list_key) + "\": " + example_list_text + "}")) {
    return std::nullopt;
  }
  bool has_list = false;
  std::optional<std::vector<std::string>> items;
  checker.Members(value, path, {list_key}, "key",
                  [&](std::string_view, const Json& list, const std::string& list_path) {
                    has_list = true;
                    items = CheckStringList(checker, list, list_path, list_noun, path, check);
                  });
  if (!has_list) {
    checker.Error(Member(path, list_key), "missing required key; expected an array of " +
                                              std::string(list_noun) + " such as " +
                                              example_list_text);
  }
  return items;
}

std::optional<GpuCapability> CheckGpu(Checker& checker, const Json& value,
                                      const std::string& path) {
  if (!checker.ExpectObject(value, path, "an object ({} for the defaults)")) return std::nullopt;
  GpuCapability gpu;
  checker.Members(
      value, path, {"maxBufferBytes", "maxDispatchMs"}, "key",
      [&](std::string_view key, const Json& number, const std::string& number_path) {
        if (key == "maxBufferBytes") {
          gpu.max_buffer_bytes = checker.ExpectInteger(number, number_path, 1, uint64_t{1} << 40)
                                     .value_or(gpu.max_buffer_bytes);
        } else {
          gpu.max_dispatch_ms = static_cast<uint32_t>(
              checker.ExpectInteger(number, number_path, 1, 600000).value_or(gpu.max_dispatch_ms));
        }
      });
  return gpu;
}

constexpr size_t kMaxFileGrants = 16;
constexpr size_t kMaxGuestPathBytes = 256;

// Why `guest` is no usable guest path, or nothing: absolute, '/'-separated, already normalised,
// not the root itself.
std::optional<std::string> GuestPathProblem(std::string_view guest) {
  if (guest.empty() || guest.front() != '/') return "expected an absolute path such as \"/data\"";
  if (guest == "/") return "the root itself cannot be granted; name a directory such as \"/data\"";
  if (guest.size() > kMaxGuestPathBytes) {
    return "expected at most " + std::to_string(kMaxGuestPathBytes) + " bytes, got " +
           std::to_string(guest.size());
  }
  if (std::any_of(guest.begin(), guest.end(), IsControl)) {
    return "must not contain control characters";
  }
  if (guest.find('\\') != std::string_view::npos) {
    return "must use '/' to separate directories, not '\\'";
  }
  size_t start = 1;
  while (true) {
    size_t slash = guest.find('/', start);
    std::string_view segment =
        guest.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (segment.empty()) return "must not contain empty segments (\"//\" or a trailing '/')";
    if (segment == "." || segment == "..") return "must not contain \".\" or \"..\" segments";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

// One grant of a manifest's `files`: {"path": "data", "write": false}.
std::optional<FileGrant> CheckFileGrant(Checker& checker, const Json& value,
                                        const std::string& path, std::string_view guest) {
  if (!value.is_object()) {
    std::string message =
        "expected an object such as {\"path\": \"data\", \"write\": false}, got " + Describe(value);
    if (value.is_string()) message += " (write {\"path\": " + Dump(value) + "})";
    checker.Error(path, std::move(message));
    return std::nullopt;
  }
  FileGrant grant{std::string(guest), "", false};
  bool has_path = false;
  bool valid = true;
  checker.Members(value, path, {"path", "write"}, "key",
                  [&](std::string_view key, const Json& member, const std::string& member_path) {
                    if (key == "path") {
                      has_path = true;
                      std::optional<std::string> text = checker.ExpectString(member, member_path);
                      std::optional<std::string> directory =
                          text ? CheckBundlePath(checker, *text, member_path, PathKind::kDirectory)
                               : std::nullopt;
                      if (directory) {
                        grant.path = *directory;
                      } else {
                        valid = false;
                      }
                    } else {
                      std::optional<bool> write = checker.ExpectBoolean(member, member_path);
                      grant.write = write.value_or(false);
                      valid = valid && write.has_value();
                    }
                  });
  if (!has_path) {
    checker.Error(Member(path, "path"),
                  "missing required key; expected a directory inside the bundle such as \"data\" "
                  "(\".\" for the bundle itself)");
    return std::nullopt;
  }
  if (!valid) return std::nullopt;
  return grant;
}

// A manifest's `files`: guest paths mapped to bundle directories. Returns the grants if they are
// all valid.
std::optional<FilesCapability> CheckFiles(Checker& checker, const Json& value,
                                          const std::string& path) {
  if (!checker.ExpectObject(value, path,
                            "an object mapping guest paths to bundle directories, such as "
                            "{\"/data\": {\"path\": \"data\"}}")) {
    return std::nullopt;
  }
  if (value.empty()) {
    checker.Error(path, "an empty object grants nothing; remove " + path + " instead");
    return std::nullopt;
  }
  if (value.size() > kMaxFileGrants) {
    checker.Error(path, "expected at most " + std::to_string(kMaxFileGrants) +
                            " directories, got " + std::to_string(value.size()));
  }
  FilesCapability files;
  bool all_valid = value.size() <= kMaxFileGrants;
  checker.Members(value, path, {}, "guest path",
                  [&](std::string_view guest, const Json& entry, const std::string& entry_path) {
                    if (std::optional<std::string> problem = GuestPathProblem(guest)) {
                      checker.Error(entry_path, "invalid guest path " + QuoteShortened(guest) +
                                                    ": " + *problem);
                      all_valid = false;
                    }
                    std::optional<FileGrant> grant =
                        CheckFileGrant(checker, entry, entry_path, guest);
                    if (grant) {
                      files.grants.push_back(std::move(*grant));
                    } else {
                      all_valid = false;
                    }
                  });
  if (!all_valid) return std::nullopt;
  return files;
}

// A policy's `files` names no directories: {} keeps the manifest's grants, {"write": false}
// makes them read-only.
FilesCapability CheckPolicyFiles(Checker& checker, const Json& value, const std::string& path) {
  FilesCapability files;
  if (!checker.ExpectObject(value, path,
                            "an object ({} keeps the manifest's grants, {\"write\": false} makes "
                            "them read-only)")) {
    return files;
  }
  checker.Members(value, path, {"write"}, "key",
                  [&](std::string_view, const Json& member, const std::string& member_path) {
                    files.write = checker.ExpectBoolean(member, member_path).value_or(true);
                  });
  return files;
}

CapabilitySet CheckCapabilities(Checker& checker, const Json& value, const std::string& path,
                                bool for_policy) {
  CapabilitySet capabilities;
  if (!checker.ExpectObject(value, path)) return capabilities;
  auto check_host = [](const std::string& text) -> std::expected<std::string, std::string> {
    std::expected<std::string, std::string> normalized = NormalizeHostPattern(text);
    if (normalized) return normalized;
    return std::unexpected("invalid host pattern " + QuoteJson(text) + ": " + normalized.error());
  };
  auto check_actor = [&](const std::string& text) -> std::expected<std::string, std::string> {
    std::expected<std::string, std::string> checked = CheckActorPattern(text, for_policy);
    if (checked) return checked;
    return std::unexpected("invalid actor pattern " + QuoteJson(text) + ": " + checked.error());
  };
  auto check_device = [](const std::string& text) -> std::expected<std::string, std::string> {
    if (!text.empty()) return text;
    return std::unexpected("expected a non-empty device name, got \"\"");
  };
  checker.Members(
      value, path, {"fetch", "timers", "actors", "gpu", "camera", "files"}, "capability",
      [&](std::string_view key, const Json& member, const std::string& member_path) {
        if (key == "fetch") {
          if (auto allow =
                  CheckListCapability(checker, member, member_path, "allow", "host patterns",
                                      "[\"api.example.com\"]", check_host)) {
            capabilities.fetch = FetchCapability{std::move(*allow)};
          }
        } else if (key == "timers") {
          capabilities.timers = checker.ExpectBoolean(member, member_path).value_or(false);
        } else if (key == "actors") {
          if (auto allow =
                  CheckListCapability(checker, member, member_path, "allow", "actor patterns",
                                      "[\"Cart\", \"inventory/*\"]", check_actor)) {
            capabilities.actors = ActorsCapability{std::move(*allow)};
          }
        } else if (key == "gpu") {
          capabilities.gpu = CheckGpu(checker, member, member_path);
        } else if (key == "camera") {
          if (auto devices = CheckListCapability(checker, member, member_path, "devices",
                                                 "device names", "[\"default\"]", check_device)) {
            capabilities.camera = CameraCapability{std::move(*devices)};
          }
        } else if (key == "files") {
          capabilities.files = for_policy ? CheckPolicyFiles(checker, member, member_path)
                                          : CheckFiles(checker, member, member_path);
        }
      });
  return capabilities;
}

// Each limit once: its key under `limits`, its range, and where it lives in Limits and
// PolicyLimits. Parsing, narrowing by a policy and the policy log all walk this table.
struct LimitField {
  std::string_view key;
  uint32_t min;
  uint32_t max;
  uint32_t Limits::*value;
  std::optional<uint32_t> PolicyLimits::*bound;
};

constexpr LimitField kLimitFields[] = {
    {"memoryMb", 16, 16384, &Limits::memory_mb, &PolicyLimits::memory_mb},
    {"cpuMsPerEvent", 1, 600000, &Limits::cpu_ms_per_event, &PolicyLimits::cpu_ms_per_event},
    {"mailbox", 1, 1000000, &Limits::mailbox, &PolicyLimits::mailbox},
    {"messageBytes", 1024, 64 << 20, &Limits::message_bytes, &PolicyLimits::message_bytes},
    {"mailboxWaitMs", 0, 600000, &Limits::mailbox_wait_ms, &PolicyLimits::mailbox_wait_ms},
    {"callTimeoutMs", 1, 3600000, &Limits::call_timeout_ms, &PolicyLimits::call_timeout_ms},
    {"wasmMemoryMb", 1, 4096, &Limits::wasm_memory_mb, &PolicyLimits::wasm_memory_mb},
};

constexpr auto kLimitKeys = [] {
  std::array<std::string_view, std::size(kLimitFields)> keys;
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = kLimitFields[i].key;
  return keys;
}();

// Returns the limits the document names; the others stay absent.
PolicyLimits CheckLimits(Checker& checker, const Json& value, const std::string& path) {
  PolicyLimits limits;
  if (!checker.ExpectObject(value, path)) return limits;
  checker.Members(value, path, kLimitKeys, "key",
                  [&](std::string_view key, const Json& number, const std::string& number_path) {
                    const LimitField& field =
                        *std::find_if(std::begin(kLimitFields), std::end(kLimitFields),
                                      [&](const LimitField& known) { return known.key == key; });
                    std::optional<uint64_t> parsed =
                        checker.ExpectInteger(number, number_path, field.min, field.max);
                    if (parsed) limits.*field.bound = static_cast<uint32_t>(*parsed);
                  });
  return limits;
}

bool IsEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

constexpr size_t kMaxWasiEntries = 256;
constexpr size_t kMaxWasiArgBytes = 4096;

bool HasNul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

// The top-level `env` (for JS), or a Wasm class's `wasi.env` when `for_wasi`: then values must
// be C strings and there are at most kMaxWasiEntries.
std::vector<std::pair<std::string, std::string>> CheckEnv(Checker& checker, const Json& value,
                                                          const std::string& path, bool for_wasi) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!checker.ExpectObject(value, path, "an object of string values")) return env;
  if (for_wasi && value.size() > kMaxWasiEntries) {
    checker.Error(path, "expected at most " + std::to_string(kMaxWasiEntries) + " variables, got " +
                            std::to_string(value.size()));
  }
  checker.Members(value, path, {}, "key",
                  [&](std::string_view key, const Json& text, const std::string& key_path) {
                    bool valid_name = IsEnvName(key);
                    if (!valid_name) {
                      checker.Error(key_path, "invalid variable name " + QuoteJson(key) +
                                                  "; names must match ^[A-Za-z_][A-Za-z0-9_]*$");
                    }
                    if (!text.is_string()) {
                      std::string message = "env values must be strings, got " + Describe(text);
                      if (text.is_number() || text.is_boolean())
                        message += " (write " + QuoteJson(Dump(text)) + ")";
                      checker.Error(key_path, std::move(message));
                      return;
                    }
                    const std::string& string = text.get_ref<const std::string&>();
                    if (for_wasi && HasNul(string)) {
                      checker.Error(key_path,
                                    "must not contain NUL characters (WASI passes the environment "
                                    "as C strings), got " +
                                        Describe(text));
                      return;
                    }
                    if (valid_name) env.emplace_back(std::string(key), string);
                  });
  return env;
}

// `classes.<Class>.wasi`: {"args": [...], "env": {...}}, both optional.
WasiConfig CheckWasi(Checker& checker, const Json& value, const std::string& path) {
  WasiConfig wasi;
  if (!checker.ExpectObject(value, path,
                            "an object such as {\"args\": [\"counter\", \"--verbose\"], \"env\": "
                            "{\"MODE\": \"fast\"}}")) {
    return wasi;
  }
  checker.Members(
      value, path, {"args", "env"}, "key",
      [&](std::string_view key, const Json& member, const std::string& member_path) {
        if (key == "env") {
          wasi.env = CheckEnv(checker, member, member_path, /*for_wasi=*/true);
          return;
        }
        if (!checker.ExpectArray(member, member_path, "an array of strings")) return;
        if (member.size() > kMaxWasiEntries) {
          checker.Error(member_path, "expected at most " + std::to_string(kMaxWasiEntries) +
                                         " arguments, got " + std::to_string(member.size()));
        }
        for (size_t i = 0; i < member.size(); ++i) {
          std::string arg_path = Element(member_path, i);
          std::optional<std::string> arg = checker.ExpectString(member[i], arg_path);
          if (!arg) continue;
          if (arg->size() > kMaxWasiArgBytes) {
            checker.Error(arg_path, "expected at most " + std::to_string(kMaxWasiArgBytes) +
                                        " bytes, got a string of " + std::to_string(arg->size()) +
                                        " bytes");
          } else if (HasNul(*arg)) {
            checker.Error(arg_path,
                          "must not contain NUL characters (WASI passes arguments as C strings), "
                          "got " +
                              Describe(member[i]));
          } else {
            wasi.args.push_back(std::move(*arg));
          }
        }
      });
  return wasi;
}

constexpr size_t kMaxClassNameLength = 128;

constexpr std::string_view kClassNameRule =
    "^[A-Za-z_$][A-Za-z0-9_$]*$ (a JavaScript identifier of at most 128 characters)";

bool IsClassName(std::string_view name) {
  if (name.empty() || name.size() > kMaxClassNameLength || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
  });
}

constexpr RestartPolicy kRestartPolicies[] = {RestartPolicy::kNever, RestartPolicy::kOnFailure,
                                              RestartPolicy::kAlways};

std::optional<RestartPolicy> RestartPolicyNamed(std::string_view name) {
  for (RestartPolicy policy : kRestartPolicies) {
    if (name == RestartPolicyName(policy)) return policy;
  }
  return std::nullopt;
}

void CheckRestart(Checker& checker, const Json& value, const std::string& path,
                  ActorClassConfig& config) {
  if (value.is_string()) {
    const std::string& name = value.get_ref<const std::string&>();
    if (std::optional<RestartPolicy> policy = RestartPolicyNamed(name)) {
      config.restart = *policy;
      return;
    }
  }
  std::string message = "expected \"never\", \"on-failure\" or \"always\", got " + Describe(value);
  if (value.is_string()) {
    std::array<std::string_view, std::size(kRestartPolicies)> names;
    for (size_t i = 0; i < names.size(); ++i) names[i] = RestartPolicyName(kRestartPolicies[i]);
    if (std::optional<std::string_view> suggestion =
            Suggestion(value.get_ref<const std::string&>(), names)) {
      message += " (did you mean \"" + std::string(*suggestion) + "\"?)";
    }
  }
  checker.Error(path, std::move(message));
}

// The one class of a bundle whose main module is a .wasm file.
struct MainWasm {
  std::string class_name;  // WasmClassName(path)
  std::string path;        // `main`, normalised when it is valid
};

// The defaults of the main class of a WebAssembly bundle: it runs `main` and serves HTTP.
ActorClassConfig MainWasmDefaults(const std::string& main) {
  ActorClassConfig config;
  config.http = true;
  config.wasm = main;
  return config;
}

// Reads one `classes` entry; keys that are missing or invalid keep their defaults. `main_wasm` is
// set when the entry configures the main class of a WebAssembly bundle; `in_wasm_bundle` when
// the bundle is one (a missing `wasm` is then reported for the class as a whole).
ActorClassConfig CheckClass(Checker& checker, const Json& value, const std::string& path,
                            const MainWasm* main_wasm, bool in_wasm_bundle) {
  ActorClassConfig config = main_wasm ? MainWasmDefaults(main_wasm->path) : ActorClassConfig{};
  if (!checker.ExpectObject(value, path, "an object ({} for the defaults)")) return config;
  bool backoffs_valid = true;
  bool has_max_backoff = false;
  bool has_wasm = false;
  bool has_wasi = false;
  checker.Members(
      value, path,
      {"restart", "maxRestarts", "restartWindowMs", "backoffMs", "maxBackoffMs", "http", "wasm",
       "wasi"},
      "key", [&](std::string_view key, const Json& member, const std::string& member_path) {
        auto read = [&](uint32_t& field, uint64_t min, uint64_t max) {
          std::optional<uint64_t> parsed = checker.ExpectInteger(member, member_path, min, max);
          if (parsed) field = static_cast<uint32_t>(*parsed);
          return parsed.has_value();
        };
        if (key == "restart") {
          CheckRestart(checker, member, member_path, config);
        } else if (key == "maxRestarts") {
          read(config.max_restarts, 0, 1000000);
        } else if (key == "restartWindowMs") {
          read(config.restart_window_ms, 1, 86400000);
        } else if (key == "backoffMs") {
          backoffs_valid = read(config.backoff_ms, 0, 600000) && backoffs_valid;
        } else if (key == "maxBackoffMs") {
          has_max_backoff = true;
          backoffs_valid = read(config.max_backoff_ms, 0, 3600000) && backoffs_valid;
        } else if (key == "http") {
          config.http = checker.ExpectBoolean(member, member_path).value_or(config.http);
        } else if (key == "wasm") {
          has_wasm = true;
          std::optional<std::string> text = checker.ExpectString(member, member_path);
          std::optional<std::string> module =
              text ? CheckBundlePath(checker, *text, member_path, PathKind::kWasmModule)
                   : std::nullopt;
          if (!module) return;
          if (main_wasm && *module != main_wasm->path) {
            // The main class is the main module; naming another file here is a contradiction.
            checker.Error(member_path, main_wasm->class_name +
                                           " is this bundle's main class, so its module is main (" +
                                           QuoteJson(main_wasm->path) + "); remove wasm here" +
                                           GotString(*text));
            return;
          }
          config.wasm = *module;
        } else if (key == "wasi") {
          has_wasi = true;
          config.wasi = CheckWasi(checker, member, member_path);
        }
      });
  // The backoff doubles up to maxBackoffMs, so a cap below the first delay would be meaningless.
  if (backoffs_valid && config.max_backoff_ms < config.backoff_ms) {
    std::string backoff = std::to_string(config.backoff_ms);
    std::string path_to_max = Member(path, "maxBackoffMs");
    if (has_max_backoff) {
      checker.Error(path_to_max, "expected at least backoffMs (" + backoff + "), got " +
                                     Describe(value.at("maxBackoffMs")));
    } else {
      checker.Error(path_to_max, "its default " + std::to_string(config.max_backoff_ms) +
                                     " is less than backoffMs (" + backoff +
                                     "); set maxBackoffMs to at least " + backoff);
    }
  }
  // argv and environ mean something only to a WASI module.
  if (has_wasi && !has_wasm && !main_wasm && !in_wasm_bundle) {
    checker.Error(Member(path, "wasi"),
                  "wasi applies only to WebAssembly classes; give " + path +
                      " a \"wasm\" module (a .wasm file in the bundle) or remove wasi");
  }
  return config;
}

std::vector<std::pair<std::string, ActorClassConfig>> CheckClasses(
    Checker& checker, const Json& value, const std::string& path,
    const std::optional<MainWasm>& main_wasm) {
  std::vector<std::pair<std::string, ActorClassConfig>> classes;
  if (!checker.ExpectObject(value, path,
                            "an object keyed by class name, such as {\"Cart\": {\"restart\": "
                            "\"always\"}}")) {
    return classes;
  }
  checker.Members(
      value, path, {}, "class",
      [&](std::string_view key, const Json& entry, const std::string& key_path) {
        bool valid_name = IsClassName(key);
        if (!valid_name) {
          checker.Error(key_path, "invalid class name " + QuoteShortened(key) +
                                      "; class names must match " + std::string(kClassNameRule));
        }
        bool is_main = main_wasm && key == main_wasm->class_name;
        // Without a JS module, a class exists only as the main module or its own .wasm file.
        if (valid_name && main_wasm && !is_main && !(entry.is_object() && entry.contains("wasm"))) {
          checker.Error(key_path, "a WebAssembly bundle has one class, " + main_wasm->class_name +
                                      ", named after main (" + QuoteJson(main_wasm->path) +
                                      "); configure it as " + Member(path, main_wasm->class_name) +
                                      ", or give " + std::string(key) +
                                      " a \"wasm\" module of its own");
        }
        // The entry is checked even under a bad name, so all its problems show at once.
        ActorClassConfig config = CheckClass(
            checker, entry, key_path, is_main ? &*main_wasm : nullptr, main_wasm.has_value());
        if (valid_name) classes.emplace_back(std::string(key), config);
      });
  return classes;
}

// The main class when `main` (read ahead of the walk, so that `classes` can be checked against
// it in document order) names a .wasm file.
std::optional<MainWasm> MainWasmOf(const Json& root) {
  auto main = root.find("main");
  if (main == root.end() || !main->is_string()) return std::nullopt;
  const std::string& text = main->get_ref<const std::string&>();
  std::expected<std::string, std::string> normalized =
      NormalizeBundlePath(text, PathKind::kMainModule);
  std::string path = normalized ? *normalized : text;
  if (!path.ends_with(".wasm")) return std::nullopt;
  return MainWasm{WasmClassName(path), path};
}

// Parses `text`, or returns the syntax error as the only problem.
std::expected<const TreeBuilder*, std::vector<ManifestError>> ParseTree(TreeBuilder& builder,
                                                                        std::string_view text,
                                                                        std::string_view file) {
  if (!builder.Parse(text)) {
    return std::unexpected(
        std::vector<ManifestError>{{std::string(file), "", builder.syntax_error()}});
  }
  if (!builder.root().is_object()) {
    return std::unexpected(std::vector<ManifestError>{
        {std::string(file), "",
         "expected a JSON object at the top level, got " + Describe(builder.root())}});
  }
  return &builder;
}

template <typename Number>
Number Smaller(Number manifest_value, const std::optional<Number>& bound) {
  return bound ? std::min(manifest_value, *bound) : manifest_value;
}

}  // namespace

const char* RestartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kNever:
      return "never";
    case RestartPolicy::kOnFailure:
      return "on-failure";
    case RestartPolicy::kAlways:
      return "always";
  }
  std::unreachable();
}

std::optional<std::string> Manifest::MainWasmClass() const {
  if (!main.ends_with(".wasm")) return std::nullopt;
  return WasmClassName(main);
}

ActorClassConfig Manifest::ClassConfig(std::string_view class_name) const {
  auto entry = std::find_if(classes.begin(), classes.end(),
                            [&](const auto& named) { return named.first == class_name; });
  if (std::optional<std::string> main_class = MainWasmClass(); main_class == class_name) {
    ActorClassConfig config = entry == classes.end() ? MainWasmDefaults(main) : entry->second;
    config.wasm = main;
    return config;
  }
  return entry == classes.end() ? ActorClassConfig{} : entry->second;
}

std::vector<std::pair<std::string, ActorClassConfig>> Manifest::WasmClasses() const {
  std::vector<std::pair<std::string, ActorClassConfig>> wasm_classes;
  std::optional<std::string> main_class = MainWasmClass();
  if (main_class) wasm_classes.emplace_back(*main_class, ClassConfig(*main_class));
  for (const auto& [name, config] : classes) {
    if (config.wasm && name != main_class) wasm_classes.emplace_back(name, config);
  }
  return wasm_classes;
}

std::string WasmClassName(std::string_view path) {
  std::string_view file = path.substr(path.rfind('/') + 1);  // npos + 1 == 0: no directory
  if (size_t dot = file.rfind('.'); dot != std::string_view::npos) file = file.substr(0, dot);
  std::string name;
  bool part_start = true;
  for (char c : file) {
    bool upper = c >= 'A' && c <= 'Z';
    bool lower = c >= 'a' && c <= 'z';
    if (!upper && !lower && !(c >= '0' && c <= '9')) {
      part_start = true;
      continue;
    }
    name += part_start && lower ? static_cast<char>(c - 'a' + 'A') : c;
    part_start = false;
  }
  if (name.empty()) return "Main";
  if (name[0] >= '0' && name[0] <= '9') name.insert(0, "_");
  if (name.size() > kMaxClassNameLength) name.resize(kMaxClassNameLength);
  return name;
}

std::string ManifestError::to_string() const {
  if (path.empty()) return file + ": " + message;
  return file + ": " + path + ": " + message;
}

ManifestResult ParseManifest(std::string_view json_text, std::string_view file_name) {
  TreeBuilder builder;
  auto tree = ParseTree(builder, json_text, file_name);
  if (!tree) return std::unexpected(std::move(tree.error()));
  Checker checker(file_name, builder.duplicates());
  Manifest manifest;
  bool has_name = false;
  std::optional<MainWasm> main_wasm = MainWasmOf(builder.root());
  checker.Members(builder.root(), "", {"name", "main", "capabilities", "limits", "env", "classes"},
                  "key", [&](std::string_view key, const Json& value, const std::string& path) {
                    if (key == "name") {
                      has_name = true;
                      std::optional<std::string> name = checker.ExpectString(value, path);
                      if (!name) return;
                      if (!IsValidBundleName(*name)) {
                        checker.Error(path, "expected a name matching " + std::string(kNameRule) +
                                                GotString(*name));
                        return;
                      }
                      manifest.name = *name;
                    } else if (key == "main") {
                      std::optional<std::string> main = checker.ExpectString(value, path);
                      if (!main) return;
                      if (std::optional<std::string> normalized =
                              CheckBundlePath(checker, *main, path, PathKind::kMainModule)) {
                        manifest.main = *normalized;
                      }
                    } else if (key == "capabilities") {
                      manifest.capabilities =
                          CheckCapabilities(checker, value, path, /*for_policy=*/false);
                    } else if (key == "limits") {
                      PolicyLimits named = CheckLimits(checker, value, path);
                      for (const LimitField& field : kLimitFields) {
                        manifest.limits.*field.value =
                            (named.*field.bound).value_or(manifest.limits.*field.value);
                      }
                    } else if (key == "env") {
                      manifest.env = CheckEnv(checker, value, path, /*for_wasi=*/false);
                    } else if (key == "classes") {
                      manifest.classes = CheckClasses(checker, value, path, main_wasm);
                    }
                  });
  if (!has_name) {
    checker.Error("name", "missing required key; expected a bundle name such as \"my-app\"");
  }
  if (!checker.ok()) return std::unexpected(checker.TakeErrors());
  return manifest;
}

Manifest DefaultManifest(std::string name, std::string main) {
  Manifest manifest;
  manifest.name = std::move(name);
  manifest.main = std::move(main);
  manifest.capabilities.timers = true;
  return manifest;
}

PolicyResult ParsePolicy(std::string_view json_text, std::string_view file_name) {
  TreeBuilder builder;
  auto tree = ParseTree(builder, json_text, file_name);
  if (!tree) return std::unexpected(std::move(tree.error()));
  Checker checker(file_name, builder.duplicates());
  NodePolicy policy;
  checker.Members(builder.root(), "", {"capabilities", "limits"}, "key",
                  [&](std::string_view key, const Json& value, const std::string& path) {
                    if (key == "capabilities") {
                      policy.capabilities =
                          CheckCapabilities(checker, value, path, /*for_policy=*/true);
                    } else {
                      policy.limits = CheckLimits(checker, value, path);
                    }
                  });
  if (!checker.ok()) return std::unexpected(checker.TakeErrors());
  return policy;
}

CapabilitySet EffectiveCapabilities(const Manifest& manifest, const NodePolicy* policy) {
  if (policy == nullptr) return manifest.capabilities;
  return manifest.capabilities.narrowed_by(policy->capabilities, manifest.name);
}

Limits EffectiveLimits(const Manifest& manifest, const NodePolicy* policy) {
  Limits limits = manifest.limits;
  if (policy == nullptr) return limits;
  for (const LimitField& field : kLimitFields) {
    limits.*field.value = Smaller(limits.*field.value, policy->limits.*field.bound);
  }
  return limits;
}

std::vector<std::string> DeniedByPolicy(const Manifest& manifest, const NodePolicy* policy) {
  std::vector<std::string> denied;
  if (policy == nullptr) return denied;
  manifest.capabilities.narrowed_by(policy->capabilities, manifest.name, &denied);
  for (const LimitField& field : kLimitFields) {
    uint32_t manifest_value = manifest.limits.*field.value;
    const std::optional<uint32_t>& bound = policy->limits.*field.bound;
    if (bound && *bound < manifest_value) {
      denied.push_back("limits." + std::string(field.key) + ": lowered from " +
                       std::to_string(manifest_value) + " to " + std::to_string(*bound));
    }
  }
  return denied;
}

}  // namespace mar::caps
