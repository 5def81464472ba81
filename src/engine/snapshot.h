// A V8 start-up snapshot: a heap image in which the built-in JavaScript has already run, so a new
// context is deserialized (a few ms) instead of built by running ~7,000 lines of JS (10-20 ms
// here). Written at build time by `mar --write-snapshot FILE` next to the binary and read at
// start-up; a missing or stale snapshot only costs speed (contexts are built from source).
//
// V8 trusts a blob completely: one made by another build would crash the process, not fail. So
// the file carries an identity (the built-in JS, the natives' names in order, the V8 version;
// see api::SnapshotIdentity) and a hash of the blob, both checked once when it is loaded.
#pragma once

#include <v8.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/file.h"
#include "base/result.h"

namespace mar::engine {

class Snapshot {
 public:
  // Reads a snapshot file made for `identity`; an error says why it cannot be used.
  static Result<std::unique_ptr<Snapshot>> Load(const std::string& path, std::string_view identity);
  static Result<void> Save(const std::string& path, std::string_view identity, const v8::StartupData& blob);

  // For CreateParams::snapshot_blob; valid while this object lives.
  v8::StartupData* blob() { return &blob_; }

 private:
  explicit Snapshot(base::MappedFile file) : file_(std::move(file)) {}
  base::MappedFile file_;  // read in place by every isolate made from it
  v8::StartupData blob_{nullptr, 0};
};

// Where the binary looks for its snapshot: $MAR_SNAPSHOT, else mar-snapshot.bin next to it.
std::string DefaultSnapshotPath();

}  // namespace mar::engine
