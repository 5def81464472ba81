// URL parsing for 27_url.js by Ada (the WHATWG URL parser Node uses), through the C API that
// Debian's libnode exports. JS keeps a URL as its href and the component offsets Ada reports,
// and slices the getters from them; every change goes back through Ada.
#include <cstdint>
#include <cstring>
#include <string>

#include "api/natives.h"

// The subset of ada_c.h (ada 2.x) mar uses, declared here: libnode ships the symbols, not the header.
extern "C" {
struct ada_string {
  const char* data;
  size_t length;
};
struct ada_owned_string {
  const char* data;
  size_t length;
};
struct ada_url_components {
  uint32_t protocol_end;
  uint32_t username_end;
  uint32_t host_start;
  uint32_t host_end;
  uint32_t port;
  uint32_t pathname_start;
  uint32_t search_start;
  uint32_t hash_start;
};
using ada_url = void*;
ada_url ada_parse(const char* input, size_t length);
ada_url ada_parse_with_base(const char* input, size_t input_length, const char* base, size_t base_length);
bool ada_can_parse(const char* input, size_t length);
bool ada_can_parse_with_base(const char* input, size_t input_length, const char* base, size_t base_length);
bool ada_is_valid(ada_url result);
void ada_free(ada_url result);
ada_string ada_get_href(ada_url result);
const ada_url_components* ada_get_components(ada_url result);
ada_owned_string ada_get_origin(ada_url result);
void ada_free_owned_string(ada_owned_string owned);
bool ada_set_href(ada_url result, const char* input, size_t length);
bool ada_set_host(ada_url result, const char* input, size_t length);
bool ada_set_hostname(ada_url result, const char* input, size_t length);
bool ada_set_protocol(ada_url result, const char* input, size_t length);
bool ada_set_username(ada_url result, const char* input, size_t length);
bool ada_set_password(ada_url result, const char* input, size_t length);
bool ada_set_port(ada_url result, const char* input, size_t length);
bool ada_set_pathname(ada_url result, const char* input, size_t length);
void ada_set_search(ada_url result, const char* input, size_t length);
void ada_set_hash(ada_url result, const char* input, size_t length);
void ada_clear_port(ada_url result);
}

namespace mar::api {

namespace {

using engine::Args;

// An Ada result, freed on scope exit (valid or not).
class Parsed {
 public:
  explicit Parsed(ada_url url) : url_(url) {}
  ~Parsed() { ada_free(url_); }
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;
  bool valid() const { return url_ && ada_is_valid(url_); }
  ada_url get() const { return url_; }

 private:
  ada_url url_;
};

Parsed Parse(const std::string& input, const std::string* base) {
  if (!base) return Parsed(ada_parse(input.data(), input.size()));
  return Parsed(ada_parse_with_base(input.data(), input.size(), base->data(), base->size()));
}

// The href as the return value and the offsets into `out` (a Uint32Array of 8).
void Answer(Args& args, const Parsed& url, int out_index) {
  std::span<uint8_t> out = args.Bytes(out_index);
  const ada_url_components* components = ada_get_components(url.get());
  if (out.size() < sizeof *components) args.ThrowArgumentError(out_index, "a Uint32Array of 8");
  std::memcpy(out.data(), components, sizeof *components);
  ada_string href = ada_get_href(url.get());
  args.Return(std::string_view(href.data, href.length));
}

// urlParse(input, base | undefined, out) -> href, or null when the input (or base) is not a URL.
void UrlParse(Args& args) {
  std::string input = args.Utf8(0);
  std::string base;
  bool has_base = !args[1]->IsUndefined();
  if (has_base) base = args.Utf8(1);
  Parsed url = Parse(input, has_base ? &base : nullptr);
  if (!url.valid()) return args.Return(v8::Null(args.isolate()).As<v8::Value>());
  Answer(args, url, 2);
}

// urlCanParse(input, base | undefined) -> boolean
void UrlCanParse(Args& args) {
  std::string input = args.Utf8(0);
  if (args[1]->IsUndefined()) return args.Return(ada_can_parse(input.data(), input.size()));
  std::string base = args.Utf8(1);
  args.Return(ada_can_parse_with_base(input.data(), input.size(), base.data(), base.size()));
}

// urlSet(href, part, value, out) -> the new href (offsets in `out`), or null when the setter
// refused the value (the URL is then unchanged, as the standard's setters leave it). `part`
// numbers follow the kSet* constants of 27_url.js.
void UrlSet(Args& args) {
  std::string href = args.Utf8(0);
  int part = static_cast<int>(args.Number(1));
  std::string value = args.Utf8(2);
  Parsed url = Parse(href, nullptr);
  if (!url.valid()) return args.Return(v8::Null(args.isolate()).As<v8::Value>());
  const char* data = value.data();
  size_t size = value.size();
  bool ok = true;
  switch (part) {
    case 0: ok = ada_set_href(url.get(), data, size); break;
    case 1: ok = ada_set_protocol(url.get(), data, size); break;
    case 2: ok = ada_set_username(url.get(), data, size); break;
    case 3: ok = ada_set_password(url.get(), data, size); break;
    case 4: ok = ada_set_host(url.get(), data, size); break;
    case 5: ok = ada_set_hostname(url.get(), data, size); break;
    case 6:
      if (size == 0) {
        ada_clear_port(url.get());
      } else {
        ok = ada_set_port(url.get(), data, size);
      }
      break;
    case 7: ok = ada_set_pathname(url.get(), data, size); break;
    case 8: ada_set_search(url.get(), data, size); break;
    case 9: ada_set_hash(url.get(), data, size); break;
    default: engine::ThrowRangeError("native.urlSet: no URL part " + std::to_string(part));
  }
  if (!ok) return args.Return(v8::Null(args.isolate()).As<v8::Value>());
  Answer(args, url, 3);
}

// urlOrigin(href) -> the origin's serialization ("null" for opaque origins)
void UrlOrigin(Args& args) {
  std::string href = args.Utf8(0);
  Parsed url = Parse(href, nullptr);
  if (!url.valid()) return args.Return(std::string_view("null"));
  ada_owned_string origin = ada_get_origin(url.get());
  args.Return(std::string_view(origin.data, origin.length));
  ada_free_owned_string(origin);
}

}  // namespace

void AddUrlNatives(engine::NativeObject& natives) {
  natives.Function<UrlParse>("urlParse")
      .Function<UrlCanParse>("urlCanParse")
      .Function<UrlSet>("urlSet")
      .Function<UrlOrigin>("urlOrigin");
}

}  // namespace mar::api
