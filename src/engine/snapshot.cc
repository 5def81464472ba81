#include "engine/snapshot.h"

#include "base/file.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace mar::engine {

namespace {

constexpr char kMagic[8] = {'M', 'A', 'R', 'S', 'N', 'P', '0', '1'};

// A word-at-a-time hash of the blob: catches a truncated or damaged file once per process, which
// lets every isolate skip V8's own byte-wise checksum (--no-verify-snapshot-checksum).
uint64_t HashBytes(std::string_view bytes) {
  uint64_t hash = 0x9E3779B97F4A7C15ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    hash = (hash ^ word) * 0xFF51AFD7ED558CCDull;
    hash ^= hash >> 32;
  }
  for (; i < bytes.size(); ++i) hash = (hash ^ static_cast<uint8_t>(bytes[i])) * 0x100000001B3ull;
  return hash;
}

template <class T>
void Put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
bool Get(std::string_view in, size_t& offset, T& value) {
  if (offset + sizeof value > in.size()) return false;
  std::memcpy(&value, in.data() + offset, sizeof value);
  offset += sizeof value;
  return true;
}

}  // namespace

std::string DefaultSnapshotPath() {
  if (const char* path = std::getenv("MAR_SNAPSHOT")) return path;
  std::error_code error;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  return (exe.parent_path() / "mar-snapshot.bin").string();
}

Result<std::unique_ptr<Snapshot>> Snapshot::Load(const std::string& path, std::string_view identity) {
  auto file = base::MappedFile::Open(path);
  if (!file) return std::unexpected(file.error());
  std::string_view data = file->bytes();
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(path + ": not a mar snapshot");
  }
  size_t offset = sizeof kMagic;
  uint32_t identity_length = 0;
  if (!Get(data, offset, identity_length) || offset + identity_length > data.size()) return Fail(path + ": truncated");
  if (data.substr(offset, identity_length) != identity) {
    return Fail(path + ": made by another build of mar (its built-in JS, natives or V8 differ)");
  }
  offset += identity_length;
  uint64_t hash = 0;
  uint32_t blob_size = 0;
  if (!Get(data, offset, hash) || !Get(data, offset, blob_size) || data.size() - offset != blob_size) {
    return Fail(path + ": truncated");
  }
  std::string_view blob = data.substr(offset);
  if (HashBytes(blob) != hash) return Fail(path + ": damaged (its hash does not match)");
  std::unique_ptr<Snapshot> snapshot(new Snapshot(std::move(*file)));
  snapshot->blob_ = {blob.data(), static_cast<int>(blob.size())};
  if (!snapshot->blob_.IsValid()) return Fail(path + ": V8 does not accept it");
  return snapshot;
}

Result<void> Snapshot::Save(const std::string& path, std::string_view identity, const v8::StartupData& blob) {
  std::string_view bytes(blob.data, static_cast<size_t>(blob.raw_size));
  std::string out(kMagic, sizeof kMagic);
  Put(out, static_cast<uint32_t>(identity.size()));
  out.append(identity);
  Put(out, HashBytes(bytes));
  Put(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
  return base::WriteFileAtomically(path, out);
}

}  // namespace mar::engine
