#include "engine/code_cache.h"

#include "base/file.h"

#include <unistd.h>

#include <cstring>

namespace mar::engine {

namespace {
// Version 2 adds the payload's hash: V8's own code-cache checksum is off with
// --no-verify-snapshot-checksum (engine.cc), and a damaged cache must be refused, not run.
constexpr char kMagic[8] = {'M', 'A', 'R', 'C', 'C', '0', '2', '\n'};
}  // namespace

std::string DefaultCodeCachePath() { return base::PathBesideBinary("MAR_BUILTIN_CACHE", "mar-builtins.ccache"); }

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
  uint64_t hash = 0;
  if (!base::ReadRaw(data, offset, hash)) return Fail(path + ": truncated");
  if (base::ContentHash(data.substr(offset)) != hash) return Fail(path + ": damaged (its hash does not match)");
  while (offset < data.size()) {
    uint32_t name_length = 0, bytes_length = 0;
    if (!base::ReadRaw(data, offset, name_length) || offset + name_length > data.size()) return Fail(path + ": truncated");
    std::string name(data.substr(offset, name_length));
    offset += name_length;
    if (!base::ReadRaw(data, offset, bytes_length) || offset + bytes_length > data.size()) return Fail(path + ": truncated");
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
  std::string payload;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, bytes] : entries_) {
      base::AppendRaw(payload, static_cast<uint32_t>(name.size()));
      payload += name;
      base::AppendRaw(payload, static_cast<uint32_t>(bytes.size()));
      payload.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());  // a span of file_ or recorded_
    }
  }
  std::string out(kMagic, sizeof kMagic);
  base::AppendRaw(out, base::ContentHash(payload));
  return base::WriteFileAtomically(path, out + payload);
}

}  // namespace mar::engine
