#include "engine/snapshot.h"

#include "base/file.h"

#include <cstring>

namespace mar::engine {

namespace {
constexpr char kMagic[8] = {'M', 'A', 'R', 'S', 'N', 'P', '0', '1'};
}  // namespace

std::string DefaultSnapshotPath() { return base::PathBesideBinary("MAR_SNAPSHOT", "mar-snapshot.bin"); }

Result<std::unique_ptr<Snapshot>> Snapshot::Load(const std::string& path, std::string_view identity) {
  auto file = base::MappedFile::Open(path);
  if (!file) return std::unexpected(file.error());
  std::string_view data = file->bytes();
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(path + ": not a mar snapshot");
  }
  size_t offset = sizeof kMagic;
  uint32_t identity_length = 0;
  if (!base::ReadRaw(data, offset, identity_length) || offset + identity_length > data.size()) return Fail(path + ": truncated");
  if (data.substr(offset, identity_length) != identity) {
    return Fail(path + ": made by another build of mar (its built-in JS, natives or V8 differ)");
  }
  offset += identity_length;
  uint64_t hash = 0;
  uint32_t blob_size = 0;
  if (!base::ReadRaw(data, offset, hash) || !base::ReadRaw(data, offset, blob_size) || data.size() - offset != blob_size) {
    return Fail(path + ": truncated");
  }
  std::string_view blob = data.substr(offset);
  if (base::ContentHash(blob) != hash) return Fail(path + ": damaged (its hash does not match)");
  std::unique_ptr<Snapshot> snapshot(new Snapshot(std::move(*file)));
  snapshot->blob_ = {blob.data(), static_cast<int>(blob.size())};
  if (!snapshot->blob_.IsValid()) return Fail(path + ": V8 does not accept it");
  return snapshot;
}

Result<void> Snapshot::Save(const std::string& path, std::string_view identity, const v8::StartupData& blob) {
  std::string_view bytes(blob.data, static_cast<size_t>(blob.raw_size));
  std::string out(kMagic, sizeof kMagic);
  base::AppendRaw(out, static_cast<uint32_t>(identity.size()));
  out.append(identity);
  base::AppendRaw(out, base::ContentHash(bytes));
  base::AppendRaw(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
  return base::WriteFileAtomically(path, out);
}

}  // namespace mar::engine
