// V8 code caches for the built-in JavaScript, so a new context does not re-parse and re-compile
// ~250 KB of built-ins. Written at build time by `mar --write-builtin-cache FILE` (a file next to
// the binary) and read at start-up; a missing, stale, damaged or rejected cache only costs speed.
#pragma once

#include <v8.h>

#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/result.h"

namespace mar::engine {

class CodeCache {
 public:
  // Reads a cache file; an empty cache if the file does not exist.
  static Result<std::unique_ptr<CodeCache>> Load(const std::string& path);
  CodeCache() = default;

  // Cached data for the script named `name`, or null. The returned object does not own the
  // bytes: keep this CodeCache alive while compiling.
  std::unique_ptr<v8::ScriptCompiler::CachedData> Find(const std::string& name) const;
  // Records (or replaces) the cache of a compiled script, after it ran.
  void Record(const std::string& name, v8::Local<v8::UnboundScript> script);
  Result<void> Save(const std::string& path) const;
  bool empty() const { return entries_.empty(); }

 private:
  mutable std::mutex mutex_;
  base::MappedFile file_;  // a loaded cache's entries point into it: only what is used gets read
  std::map<std::string, std::vector<uint8_t>> recorded_;
  std::map<std::string, std::span<const uint8_t>> entries_;
};

// Where the binary looks for its cache: $MAR_BUILTIN_CACHE, else mar-builtins.ccache next to it.
std::string DefaultCodeCachePath();

}  // namespace mar::engine
