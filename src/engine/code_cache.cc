#include "engine/code_cache.h"

#include "base/file.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace mar::engine {

namespace {
constexpr char kMagic[8] = {'M', 'A', 'R', 'C', 'C', '0', '1', '\n'};

void PutU32(std::string& out, uint32_t value) { out.append(reinterpret_cast<const char*>(&value), 4); }
bool GetU32(std::string_view in, size_t& offset, uint32_t& value) {
  if (offset + 4 > in.size()) return false;
  std::memcpy(&value, in.data() + offset, 4);
  offset += 4;
  return true;
}
}  // namespace

std::string DefaultCodeCachePath() {
  if (const char* path = std::getenv("MAR_BUILTIN_CACHE")) return path;
  std::error_code error;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  return (exe.parent_path() / "mar-builtins.ccache").string();
}

Result<std::unique_ptr<CodeCache>> CodeCache::Load(const std::string& path) {
  auto cache = std::make_unique<CodeCache>();
  if (access(path.c_str(), F_OK) != 0) return cache;
  auto file = base::MappedFile::Open(path);
  if (!file) return std::unexpected(file.error());
  std::string_view data = file->bytes();
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(path + ": not a mar built-in code cache");
  }
  size_t offset = sizeof kMagic;
  while (offset < data.size()) {
    uint32_t name_length = 0, bytes_length = 0;
    if (!GetU32(data, offset, name_length) || offset + name_length > data.size()) return Fail(path + ": truncated");
    std::string name(data.substr(offset, name_length));
    offset += name_length;
    if (!GetU32(data, offset, bytes_length) || offset + bytes_length > data.size()) return Fail(path + ": truncated");
    cache->entries_[name] = {reinterpret_cast<const uint8_t*>(data.data()) + offset, bytes_length};
    offset += bytes_length;
  }
  cache->file_ = std::move(*file);
  return cache;
}

std::unique_ptr<v8::ScriptCompiler::CachedData> CodeCache::Find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(name);
  if (it == entries_.end()) return nullptr;
  return std::make_unique<v8::ScriptCompiler::CachedData>(it->second.data(), static_cast<int>(it->second.size()),
                                                          v8::ScriptCompiler::CachedData::BufferNotOwned);
}

void CodeCache::Record(const std::string& name, v8::Local<v8::UnboundScript> script) {
  std::unique_ptr<v8::ScriptCompiler::CachedData> data(v8::ScriptCompiler::CreateCodeCache(script));
  if (!data) return;
  std::lock_guard lock(mutex_);
  std::vector<uint8_t>& bytes = recorded_[name];
  bytes.assign(data->data, data->data + data->length);
  entries_[name] = bytes;
}

Result<void> CodeCache::Save(const std::string& path) const {
  std::string out(kMagic, sizeof kMagic);
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, bytes] : entries_) {
      PutU32(out, static_cast<uint32_t>(name.size()));
      out += name;
      PutU32(out, static_cast<uint32_t>(bytes.size()));
      out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());  // a span of file_ or recorded_
    }
  }
  return base::WriteFileAtomically(path, out);
}

}  // namespace mar::engine
