#include "net/curl_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>

namespace mar::net {

namespace {

// The soname Debian's libcurl4 (OpenSSL flavour, whose headers we build against) installs;
// MAR_CURL_LIBRARY names another file (a libcurl elsewhere, or none to see fetch() refuse).
constexpr const char* kLibrary = "libcurl.so.4";

struct Loaded {
  CurlLibrary library;
  Result<const CurlLibrary*> result = Fail("libcurl was not loaded");
};

Loaded& State() {
  static Loaded loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* chosen = std::getenv("MAR_CURL_LIBRARY");
    const std::string library = chosen && *chosen ? chosen : kLibrary;
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      loaded.result = Fail("fetch() is unavailable: " + library + " could not be loaded (" +
                           (why ? why : "unknown error") + "); install Debian's libcurl4 or set MAR_CURL_LIBRARY");
      return;
    }
#define MAR_CURL_RESOLVE(member, symbol)                                                              \
  loaded.library.member = reinterpret_cast<decltype(&::symbol)>(dlsym(handle, #symbol));              \
  if (!loaded.library.member) {                                                                       \
    loaded.result = Fail("fetch() is unavailable: " + library + " has no " #symbol                    \
                         " (libcurl 7.88 or later is needed)");                                       \
    return;                                                                                           \
  }
    MAR_CURL_FUNCTIONS(MAR_CURL_RESOLVE)
#undef MAR_CURL_RESOLVE
    // Before the first handle, once per process; the handle stays open for the process's life.
    if (CURLcode code = loaded.library.global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
      loaded.result = Fail(std::string("fetch() is unavailable: curl_global_init failed (") +
                           loaded.library.easy_strerror(code) + ")");
      return;
    }
    loaded.result = &loaded.library;
  });
  return loaded;
}

}  // namespace

Result<const CurlLibrary*> LoadCurl() { return State().result; }

const CurlLibrary& Curl() { return State().library; }

}  // namespace mar::net
