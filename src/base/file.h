// Whole-file reads for the files mar loads at start-up (code cache, snapshot): one read(2) into a
// buffer of the file's size, or a read-only mapping for data V8 reads in place.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/result.h"

namespace mar::base {

// The file's bytes; a missing file is an error whose message starts with the path.
Result<std::string> ReadFile(const std::string& path);

// $`env_var` if set, else `file_name` in the directory of the running binary (build products the
// binary reads at start-up: its code cache and snapshot).
std::string PathBesideBinary(const char* env_var, std::string_view file_name);

// A word-at-a-time 64-bit hash, for checking that a file the build wrote came back whole.
uint64_t ContentHash(std::string_view bytes);

// Fixed-size values in the files mar writes for itself (host byte order: read by the same build).
template <class T>
void AppendRaw(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
template <class T>
bool ReadRaw(std::string_view in, size_t& offset, T& value) {
  if (offset + sizeof value > in.size()) return false;
  std::memcpy(&value, in.data() + offset, sizeof value);
  offset += sizeof value;
  return true;
}

// Writes `bytes` to `path` through a temporary file and a rename: readers see the old file or the
// whole new one, never a part.
Result<void> WriteFileAtomically(const std::string& path, std::string_view bytes);

// A whole file mapped read-only: its pages come from the page cache on first touch and are
// shared with every process that maps it, instead of being copied into this one's heap.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::string& path);
  MappedFile() = default;  // empty
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile(void* data, size_t size) : data_(data), size_(size) {}
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace mar::base
