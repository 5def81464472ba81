// The built-in JavaScript embedded at build time (src/api/js/*.js and the bundled
// web-streams-polyfill).
#pragma once

#include <span>
#include <string_view>

namespace mar::api {

struct JsSource {
  std::string_view name;    // file name, e.g. "05_timers.js"; "streams_bundle.js" for the npm bundle
  std::string_view source;
};

std::span<const JsSource> BuiltinJsSources();
// A digest of every source above (names and contents), computed when they were embedded.
std::string_view BuiltinJsDigest();

}  // namespace mar::api
