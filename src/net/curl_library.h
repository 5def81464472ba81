// libcurl, opened with dlopen when the first fetch() needs it instead of by the dynamic loader at
// start-up. libcurl and the libraries it pulls in (GnuTLS, Kerberos, LDAP, libssh2, librtmp,
// nghttp2, ...) cost every node start ~10 ms on our 2-core machine (hyperfine: a program linked
// with libnode alone starts in 47 ms, with libnode and libcurl in 57 ms) and their pages of RSS,
// while most bundles never call fetch().
//
// Types and constants come from <curl/curl.h>; functions only from this table, so no call can
// reach libcurl before it is loaded.
#pragma once

#define CURL_DISABLE_TYPECHECK  // its macros would wrap our member calls, which share their names
#include <curl/curl.h>

#include "base/result.h"

namespace mar::net {

#define MAR_CURL_FUNCTIONS(X)                          \
  X(global_init, curl_global_init)                     \
  X(easy_init, curl_easy_init)                         \
  X(easy_cleanup, curl_easy_cleanup)                   \
  X(easy_setopt, curl_easy_setopt)                     \
  X(easy_getinfo, curl_easy_getinfo)                   \
  X(easy_pause, curl_easy_pause)                       \
  X(easy_strerror, curl_easy_strerror)                 \
  X(multi_init, curl_multi_init)                       \
  X(multi_cleanup, curl_multi_cleanup)                 \
  X(multi_setopt, curl_multi_setopt)                   \
  X(multi_add_handle, curl_multi_add_handle)           \
  X(multi_remove_handle, curl_multi_remove_handle)     \
  X(multi_socket_action, curl_multi_socket_action)     \
  X(multi_info_read, curl_multi_info_read)             \
  X(slist_append, curl_slist_append)                   \
  X(slist_free_all, curl_slist_free_all)               \
  X(url, curl_url)                                     \
  X(url_cleanup, curl_url_cleanup)                     \
  X(url_get, curl_url_get)                             \
  X(url_set, curl_url_set)                             \
  X(free, curl_free)

struct CurlLibrary {
#define MAR_CURL_MEMBER(member, symbol) decltype(&::symbol) member = nullptr;
  MAR_CURL_FUNCTIONS(MAR_CURL_MEMBER)
#undef MAR_CURL_MEMBER
};

// Loads libcurl and runs curl_global_init, once per process (safe from any thread). Fails, every
// time, with a message naming the library when it or one of its functions is missing.
Result<const CurlLibrary*> LoadCurl();
// The loaded library: only after LoadCurl succeeded.
const CurlLibrary& Curl();

}  // namespace mar::net
