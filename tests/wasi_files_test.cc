// WASI preview1 files (wasm/wasi_files.h) on real temporary directories: ordinary operations,
// escapes the kernel must refuse, read-only preopens and the descriptor limit. Then 43_wasi.js
// with its natives in a V8 context: the line-buffered standard streams, bounds checks, the
// release of files with the isolate, and a real clang + wasi-libc program (wasi_probe.wasm).
#include "wasm/wasi_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <v8.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "api/js_sources.h"
#include "api/natives.h"
#include "engine/binding.h"
#include "engine/exceptions.h"
#include "engine/isolate.h"
#include "test_engine.h"
#include "wasm/wasi.h"

namespace mar::wasm {
inline std::ostream& operator<<(std::ostream& out, Errno error) {
  return out << "errno " << static_cast<int>(error);
}
}  // namespace mar::wasm

namespace mar {
namespace {

namespace fs = std::filesystem;
using wasm::Errno;
using wasm::WasiFiles;
using wasm::WasiResult;
namespace rights = wasm::rights;

constexpr uint32_t kData = 3;  // the writable preopen
constexpr uint32_t kRo = 4;    // the read-only preopen
constexpr uint32_t kFollow = wasm::kLookupSymlinkFollow;
constexpr uint64_t kReadRights =
    rights::kFdRead | rights::kFdSeek | rights::kFdTell | rights::kFdFilestatGet;
constexpr uint64_t kReadWriteRights = kReadRights | rights::kFdWrite | rights::kFdFilestatSetSize;
constexpr uint64_t kDirRights = rights::kDirectoryBase;

template <class T>
Errno ErrorOf(const WasiResult<T>& result) {
  return result ? Errno::kSuccess : result.error();
}

int CountOpenFds() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++count;
  return count;
}

void HostWrite(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string HostRead(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "mar-wasi-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;  // best effort: a test that failed may leave anything behind
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

class WasiFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = temp_.path() / "data";
    ro_ = temp_.path() / "ro";
    outside_ = temp_.path() / "outside";
    fs::create_directories(data_);
    fs::create_directories(ro_ / "sub");
    fs::create_directories(outside_);
    HostWrite(outside_ / "secret", "secret");
    HostWrite(ro_ / "r.txt", "read only");
    std::vector<wasm::PreopenDir> preopens = {{data_.string(), true}, {ro_.string(), false}};
    auto opened = WasiFiles::Open(preopens);
    ASSERT_TRUE(opened) << opened.error().message;
    files_ = std::move(*opened);
  }

  WasiResult<uint32_t> Open(uint32_t dir, std::string_view path, uint16_t oflags, uint64_t rights,
                            uint16_t fdflags = 0, uint32_t lookup = kFollow) {
    return files_->PathOpen(dir, lookup, path, oflags, rights, rights, fdflags);
  }
  // The errno of opening `path` (closing it again if that succeeded).
  Errno OpenError(uint32_t dir, std::string_view path, uint16_t oflags, uint64_t rights,
                  uint16_t fdflags = 0, uint32_t lookup = kFollow) {
    auto fd = Open(dir, path, oflags, rights, fdflags, lookup);
    if (fd) files_->Close(*fd);
    return ErrorOf(fd);
  }
  WasiResult<size_t> Write(uint32_t fd, std::string text) {
    iovec buffer{text.data(), text.size()};
    return files_->Write(fd, std::span(&buffer, 1));
  }
  std::string ReadToEnd(uint32_t fd) {
    std::string text;
    char chunk[7];  // small, so reads take several calls
    for (;;) {
      iovec buffer{chunk, sizeof chunk};
      auto count = files_->Read(fd, std::span(&buffer, 1));
      EXPECT_TRUE(count) << ErrorOf(count);
      if (!count || *count == 0) return text;
      text.append(chunk, *count);
    }
  }
  // Every name fd_readdir gives for `fd`, read `buffer_size` bytes at a time with cookies.
  std::vector<std::string> List(uint32_t fd, size_t buffer_size) {
    std::vector<std::string> names;
    std::vector<uint8_t> buffer(buffer_size);
    uint64_t cookie = 0;
    for (int calls = 0; calls < 1000; ++calls) {
      auto used = files_->ReadDir(fd, cookie, buffer);
      EXPECT_TRUE(used) << ErrorOf(used);
      if (!used) break;
      size_t at = 0;
      bool progressed = false;
      while (at + wasm::kDirentSize <= *used) {
        uint64_t next;
        uint32_t length;
        std::memcpy(&next, buffer.data() + at, 8);
        std::memcpy(&length, buffer.data() + at + 16, 4);
        if (at + wasm::kDirentSize + length > *used) break;  // cut off: ask again from `cookie`
        names.emplace_back(reinterpret_cast<const char*>(buffer.data() + at + wasm::kDirentSize),
                           length);
        at += wasm::kDirentSize + length;
        cookie = next;
        progressed = true;
      }
      if (*used < buffer.size()) break;  // the end of the directory
      if (!progressed) buffer.resize(buffer.size() * 2);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir temp_;
  fs::path data_;
  fs::path ro_;
  fs::path outside_;
  std::unique_ptr<WasiFiles> files_;
};

TEST_F(WasiFilesTest, PreopensAreDescriptorsThreeOnward) {
  EXPECT_EQ(files_->open_fds(), 2u);
  EXPECT_EQ(files_->PreopenIndex(kData).value_or(99), 0u);
  EXPECT_EQ(files_->PreopenIndex(kRo).value_or(99), 1u);
  EXPECT_EQ(ErrorOf(files_->PreopenIndex(5)), Errno::kBadf);
  EXPECT_EQ(ErrorOf(files_->PreopenIndex(1)), Errno::kBadf);
  auto stat = files_->FdStatGet(kData);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->filetype, wasm::FileType::kDirectory);
  EXPECT_EQ(stat->rights_inheriting, rights::kAll);
  auto missing =
      WasiFiles::Open(std::vector<wasm::PreopenDir>{{(temp_.path() / "nope").string(), true}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos) << missing.error().message;
}

TEST_F(WasiFilesTest, OpenWriteReadSeekStat) {
  auto fd = Open(kData, "hello.txt", wasm::kOflagCreat | wasm::kOflagExcl, kReadWriteRights);
  ASSERT_TRUE(fd) << fd.error();
  EXPECT_EQ(*fd, 5u);
  EXPECT_EQ(Write(*fd, "hello world").value_or(0), 11u);
  EXPECT_EQ(HostRead(data_ / "hello.txt"), "hello world");
  EXPECT_EQ(files_->Seek(*fd, 0, wasm::kWhenceCur).value_or(0), 11u);
  EXPECT_EQ(files_->Seek(*fd, -5, wasm::kWhenceEnd).value_or(0), 6u);
  EXPECT_EQ(ReadToEnd(*fd), "world");
  EXPECT_EQ(files_->Seek(*fd, 0, wasm::kWhenceSet).value_or(99), 0u);
  EXPECT_EQ(ReadToEnd(*fd), "hello world");
  EXPECT_EQ(ErrorOf(files_->Seek(*fd, 0, 7)), Errno::kInval);
  EXPECT_EQ(ErrorOf(files_->Seek(*fd, -100, wasm::kWhenceCur)), Errno::kInval);

  std::string replacement = "WASI!";
  iovec out{replacement.data(), replacement.size()};
  EXPECT_EQ(files_->Pwrite(*fd, std::span(&out, 1), 6).value_or(0), 5u);
  char head[5];
  char tail[6];
  iovec in[2] = {{head, sizeof head}, {tail, sizeof tail}};
  EXPECT_EQ(files_->Pread(*fd, in, 0).value_or(0), 11u);
  EXPECT_EQ(std::string(head, 5) + std::string(tail, 6), "hello WASI!");

  auto stat = files_->FileStatGet(*fd);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->filetype, wasm::FileType::kRegularFile);
  EXPECT_EQ(stat->size, 11u);
  EXPECT_EQ(stat->nlink, 1u);
  EXPECT_GT(stat->mtim, 1'600'000'000'000'000'000u);
  EXPECT_EQ(files_->FileStatSetSize(*fd, 5), Errno::kSuccess);
  EXPECT_EQ(HostRead(data_ / "hello.txt"), "hello");
  EXPECT_EQ(files_->FileStatSetTimes(*fd, 0, 1'000'000'000'000'000'000u, wasm::kFstflagMtim),
            Errno::kSuccess);
  EXPECT_EQ(files_->FileStatGet(*fd)->mtim, 1'000'000'000'000'000'000u);
  EXPECT_EQ(files_->FileStatSetTimes(*fd, 0, 0, wasm::kFstflagMtim | wasm::kFstflagMtimNow),
            Errno::kInval);

  auto fdstat = files_->FdStatGet(*fd);
  ASSERT_TRUE(fdstat);
  EXPECT_EQ(fdstat->filetype, wasm::FileType::kRegularFile);
  EXPECT_EQ(fdstat->rights_base, kReadWriteRights);
  EXPECT_EQ(files_->FdStatSetFlags(*fd, wasm::kFdflagAppend), Errno::kSuccess);
  EXPECT_EQ(Write(*fd, "!").value_or(0), 1u);
  EXPECT_EQ(HostRead(data_ / "hello.txt"), "hello!");
  EXPECT_EQ(files_->FdStatGet(*fd)->flags, wasm::kFdflagAppend);
  EXPECT_EQ(files_->FdStatSetFlags(*fd, wasm::kFdflagSync), Errno::kNotsup);
  EXPECT_EQ(files_->FdStatSetRights(*fd, rights::kFdRead, 0), Errno::kSuccess);
  EXPECT_EQ(files_->FdStatSetRights(*fd, kReadWriteRights, 0), Errno::kNotcapable);
  EXPECT_EQ(files_->Sync(*fd), Errno::kSuccess);
  EXPECT_EQ(files_->Datasync(*fd), Errno::kSuccess);

  EXPECT_EQ(OpenError(kData, "hello.txt", wasm::kOflagCreat | wasm::kOflagExcl, kReadWriteRights),
            Errno::kExist);
  EXPECT_EQ(OpenError(kData, "missing.txt", 0, kReadRights), Errno::kNoent);
  EXPECT_EQ(OpenError(kData, "hello.txt", wasm::kOflagDirectory, kReadRights), Errno::kNotdir);
  EXPECT_EQ(OpenError(kData, "", 0, kReadRights), Errno::kNoent);
  EXPECT_EQ(OpenError(*fd, "x", 0, kReadRights), Errno::kNotdir);

  EXPECT_EQ(files_->Close(*fd), Errno::kSuccess);
  EXPECT_EQ(files_->Close(*fd), Errno::kBadf);
  EXPECT_EQ(ErrorOf(Write(*fd, "x")), Errno::kBadf);
  EXPECT_EQ(ErrorOf(files_->FileStatGet(42)), Errno::kBadf);
}

TEST_F(WasiFilesTest, ReadOnlyAndWriteOnlyDescriptors) {
  HostWrite(data_ / "f", "contents");
  auto reader = Open(kData, "f", 0, kReadRights);
  ASSERT_TRUE(reader);
  EXPECT_EQ(ErrorOf(Write(*reader, "x")), Errno::kBadf);
  EXPECT_EQ(files_->FileStatSetSize(*reader, 0), Errno::kBadf);
  auto writer = Open(kData, "f", 0, rights::kFdWrite);
  ASSERT_TRUE(writer);
  char byte;
  iovec in{&byte, 1};
  EXPECT_EQ(ErrorOf(files_->Read(*writer, std::span(&in, 1))), Errno::kBadf);
  EXPECT_EQ(Write(*writer, "C").value_or(0), 1u);
  EXPECT_EQ(ReadToEnd(*reader), "Contents");
  // A directory is no file to read or seek.
  auto dir = Open(kData, ".", wasm::kOflagDirectory, kDirRights);
  ASSERT_TRUE(dir);
  EXPECT_EQ(ErrorOf(files_->Read(*dir, std::span(&in, 1))), Errno::kIsdir);
  EXPECT_EQ(ErrorOf(files_->Seek(*dir, 0, wasm::kWhenceSet)), Errno::kBadf);
  EXPECT_EQ(OpenError(kData, ".", wasm::kOflagDirectory, rights::kFdWrite), Errno::kIsdir);
}

TEST_F(WasiFilesTest, DirectoriesListCreateAndRemove) {
  EXPECT_EQ(files_->PathCreateDirectory(kData, "sub"), Errno::kSuccess);
  EXPECT_EQ(files_->PathCreateDirectory(kData, "sub"), Errno::kExist);
  EXPECT_EQ(files_->PathCreateDirectory(kData, "sub/inner/"), Errno::kSuccess);
  EXPECT_TRUE(fs::is_directory(data_ / "sub/inner"));
  EXPECT_EQ(files_->PathCreateDirectory(kData, "missing/inner"), Errno::kNoent);
  for (const char* name :
       {"alpha", "beta", "a-much-longer-name-than-the-others-to-cross-buffer-edges"}) {
    HostWrite(data_ / "sub" / name, name);
  }
  auto dir = Open(kData, "sub", wasm::kOflagDirectory, kDirRights);
  ASSERT_TRUE(dir);
  std::vector<std::string> expected = {
      ".",     "..",   "a-much-longer-name-than-the-others-to-cross-buffer-edges",
      "alpha", "beta", "inner"};
  EXPECT_EQ(List(*dir, 4096), expected);
  EXPECT_EQ(List(*dir, 30), expected);  // every entry cut off: cookies resume where it stopped
  EXPECT_EQ(List(kData, 4096), (std::vector<std::string>{".", "..", "sub"}));

  // Entry types: the header's d_type.
  std::vector<uint8_t> buffer(4096);
  auto used = files_->ReadDir(*dir, 0, buffer);
  ASSERT_TRUE(used);
  for (size_t at = 0; at + wasm::kDirentSize <= *used;) {
    uint32_t length;
    std::memcpy(&length, buffer.data() + at + 16, 4);
    std::string name(reinterpret_cast<const char*>(buffer.data() + at + wasm::kDirentSize), length);
    auto type = static_cast<wasm::FileType>(buffer[at + 20]);
    bool is_dir = name == "." || name == ".." || name == "inner";
    EXPECT_EQ(type, is_dir ? wasm::FileType::kDirectory : wasm::FileType::kRegularFile) << name;
    at += wasm::kDirentSize + length;
  }
  EXPECT_EQ(ErrorOf(files_->ReadDir(5000, 0, buffer)), Errno::kBadf);
  auto file = Open(kData, "sub/alpha", 0, kReadRights);
  ASSERT_TRUE(file);
  EXPECT_EQ(ErrorOf(files_->ReadDir(*file, 0, buffer)), Errno::kNotdir);

  auto stat = files_->PathFileStatGet(kData, kFollow, "sub/alpha");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->size, 5u);
  EXPECT_EQ(files_->PathFileStatGet(kData, kFollow, ".")->filetype, wasm::FileType::kDirectory);
  EXPECT_EQ(ErrorOf(files_->PathFileStatGet(kData, kFollow, "sub/nothing")), Errno::kNoent);

  EXPECT_EQ(files_->PathRemoveDirectory(kData, "sub"), Errno::kNotempty);
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "sub/alpha"), Errno::kNotdir);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "sub/inner"), Errno::kIsdir);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "sub/alpha/"), Errno::kNotdir);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "sub/alpha"), Errno::kSuccess);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "sub/alpha"), Errno::kNoent);
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "sub/inner/"), Errno::kSuccess);
  EXPECT_FALSE(fs::exists(data_ / "sub/inner"));
  // "." and ".." are never the last component of a change.
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "."), Errno::kInval);
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "sub/.."), Errno::kNotempty);
  EXPECT_EQ(files_->PathCreateDirectory(kData, ".."), Errno::kExist);
  EXPECT_EQ(files_->PathUnlinkFile(kData, ".."), Errno::kIsdir);
  EXPECT_TRUE(fs::exists(data_));
}

TEST_F(WasiFilesTest, RenameAndReadlink) {
  HostWrite(data_ / "a", "A");
  HostWrite(data_ / "b", "B");
  fs::create_directories(data_ / "d");
  EXPECT_EQ(files_->PathRename(kData, "a", kData, "d/moved"), Errno::kSuccess);
  EXPECT_EQ(HostRead(data_ / "d/moved"), "A");
  EXPECT_EQ(files_->PathRename(kData, "d/moved", kData, "b"), Errno::kSuccess);  // replaces b
  EXPECT_EQ(HostRead(data_ / "b"), "A");
  EXPECT_EQ(files_->PathRename(kData, "missing", kData, "c"), Errno::kNoent);
  EXPECT_EQ(files_->PathRename(kData, "b/", kData, "c"), Errno::kNotdir);
  EXPECT_EQ(files_->PathRename(kData, "d/", kData, "e"), Errno::kSuccess);
  EXPECT_TRUE(fs::is_directory(data_ / "e"));
  EXPECT_EQ(files_->PathRename(kData, "..", kData, "x"), Errno::kInval);

  fs::create_symlink("b", data_ / "link");
  uint8_t target[16];
  EXPECT_EQ(files_->PathReadlink(kData, "link", target).value_or(0), 1u);
  EXPECT_EQ(target[0], 'b');
  uint8_t tiny[0];
  EXPECT_EQ(files_->PathReadlink(kData, "link", std::span(tiny, 0)).value_or(99), 0u);
  EXPECT_EQ(ErrorOf(files_->PathReadlink(kData, "b", target)), Errno::kInval);
  // Symlinks that stay inside are followed; the link itself is seen without following.
  auto fd = Open(kData, "link", 0, kReadRights);
  ASSERT_TRUE(fd);
  EXPECT_EQ(ReadToEnd(*fd), "A");
  EXPECT_EQ(OpenError(kData, "link", 0, kReadRights, 0, 0), Errno::kLoop);
  EXPECT_EQ(files_->PathFileStatGet(kData, 0, "link")->filetype, wasm::FileType::kSymbolicLink);
  EXPECT_EQ(files_->PathFileStatGet(kData, kFollow, "link")->filetype,
            wasm::FileType::kRegularFile);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "link"), Errno::kSuccess);
  EXPECT_TRUE(fs::exists(data_ / "b"));
}

TEST_F(WasiFilesTest, EscapesAreRefused) {
  fs::create_directories(data_ / "a");
  fs::create_symlink("/etc", data_ / "etc_link");
  fs::create_symlink("..", data_ / "up");
  fs::create_symlink("../outside", data_ / "dir_link");
  fs::create_symlink("../outside/secret", data_ / "chain2");
  fs::create_symlink("chain2", data_ / "chain1");
  fs::create_symlink("../outside/new_file", data_ / "dangling");
  fs::create_symlink("/proc/self/cwd", data_ / "magic");
  HostWrite(data_ / "inside", "inside");
  fs::create_symlink("inside", data_ / "ok2");
  fs::create_symlink("a/../ok2", data_ / "ok1");

  for (const char* path : {"../outside/secret", "a/../../outside/secret", "/etc/passwd",
                           "etc_link/passwd", "up/outside/secret", "chain1", "dir_link/secret",
                           "dir_link", "magic", "a/../..", "..", "up"}) {
    EXPECT_EQ(OpenError(kData, path, 0, kReadRights), Errno::kNotcapable) << path;
    EXPECT_EQ(ErrorOf(files_->PathFileStatGet(kData, kFollow, path)), Errno::kNotcapable) << path;
  }
  EXPECT_EQ(OpenError(kData, "../outside/secret", 0, kReadRights), Errno::kNotcapable);
  // Creating through a link that points out creates nothing out there.
  EXPECT_EQ(OpenError(kData, "dangling", wasm::kOflagCreat, kReadWriteRights), Errno::kNotcapable);
  EXPECT_FALSE(fs::exists(outside_ / "new_file"));
  EXPECT_EQ(OpenError(kData, "dir_link/created", wasm::kOflagCreat, kReadWriteRights),
            Errno::kNotcapable);
  EXPECT_FALSE(fs::exists(outside_ / "created"));
  // A chain that stays inside is fine.
  EXPECT_EQ(OpenError(kData, "ok1", 0, kReadRights), Errno::kSuccess);

  // Changes whose parent lies outside.
  EXPECT_EQ(files_->PathCreateDirectory(kData, "dir_link/new"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathCreateDirectory(kData, "../new"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathCreateDirectory(kData, "/tmp/new"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "dir_link/secret"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "../outside/secret"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "up/outside/secret"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "../outside"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRemoveDirectory(kData, "a/../../outside"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRename(kData, "inside", kData, "dir_link/stolen"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRename(kData, "inside", kData, "../stolen"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRename(kData, "../outside/secret", kData, "stolen"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathRename(kData, "dir_link/secret", kData, "stolen"), Errno::kNotcapable);
  EXPECT_EQ(files_->PathFileStatSetTimes(kData, kFollow, "etc_link", 0, 0, wasm::kFstflagMtimNow),
            Errno::kNotcapable);
  EXPECT_EQ(files_->PathFileStatSetTimes(kData, kFollow, "../outside/secret", 0, 0,
                                         wasm::kFstflagMtimNow),
            Errno::kNotcapable);
  uint8_t target[64];
  EXPECT_EQ(ErrorOf(files_->PathReadlink(kData, "../outside/secret", target)), Errno::kNotcapable);
  EXPECT_EQ(ErrorOf(files_->PathReadlink(kData, "dir_link/x", target)), Errno::kNotcapable);

  // A link's own entry is inside: unlinking or renaming it touches nothing it points to.
  EXPECT_EQ(files_->PathFileStatGet(kData, 0, "etc_link")->filetype, wasm::FileType::kSymbolicLink);
  EXPECT_EQ(files_->PathRename(kData, "dir_link", kData, "renamed_link"), Errno::kSuccess);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "renamed_link"), Errno::kSuccess);
  EXPECT_EQ(files_->PathUnlinkFile(kData, "etc_link"), Errno::kSuccess);
  EXPECT_TRUE(fs::exists("/etc/passwd"));
  EXPECT_EQ(HostRead(outside_ / "secret"), "secret");
  EXPECT_EQ(std::distance(fs::directory_iterator(outside_), fs::directory_iterator()), 1);
}

TEST_F(WasiFilesTest, ReadOnlyPreopenRefusesChanges) {
  auto reader = Open(kRo, "r.txt", 0, kReadRights);
  ASSERT_TRUE(reader);
  EXPECT_EQ(ReadToEnd(*reader), "read only");
  EXPECT_EQ(ErrorOf(Write(*reader, "x")), Errno::kBadf);
  EXPECT_EQ(files_->FileStatSetSize(*reader, 0), Errno::kRofs);
  EXPECT_EQ(files_->FileStatSetTimes(*reader, 0, 0, wasm::kFstflagMtimNow), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "r.txt", 0, kReadWriteRights), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "r.txt", 0, rights::kFdWrite), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "r.txt", wasm::kOflagTrunc, kReadRights), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "r.txt", 0, kReadRights, wasm::kFdflagAppend), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "new.txt", wasm::kOflagCreat, kReadRights), Errno::kRofs);
  EXPECT_EQ(OpenError(kRo, "new.txt", wasm::kOflagCreat | wasm::kOflagExcl, kReadRights),
            Errno::kRofs);
  EXPECT_EQ(files_->PathCreateDirectory(kRo, "newdir"), Errno::kRofs);
  EXPECT_EQ(files_->PathUnlinkFile(kRo, "r.txt"), Errno::kRofs);
  EXPECT_EQ(files_->PathRemoveDirectory(kRo, "sub"), Errno::kRofs);
  EXPECT_EQ(files_->PathRename(kRo, "r.txt", kRo, "s.txt"), Errno::kRofs);
  EXPECT_EQ(files_->PathRename(kRo, "r.txt", kData, "s.txt"), Errno::kRofs);
  HostWrite(data_ / "w", "w");
  EXPECT_EQ(files_->PathRename(kData, "w", kRo, "w"), Errno::kRofs);
  EXPECT_EQ(files_->PathFileStatSetTimes(kRo, kFollow, "r.txt", 0, 0, wasm::kFstflagMtimNow),
            Errno::kRofs);
  // Directories opened beneath a read-only preopen are read-only too.
  auto sub = Open(kRo, "sub", wasm::kOflagDirectory, kDirRights);
  ASSERT_TRUE(sub);
  EXPECT_EQ(OpenError(*sub, "x", wasm::kOflagCreat, kReadWriteRights), Errno::kRofs);
  EXPECT_EQ(files_->PathCreateDirectory(*sub, "x"), Errno::kRofs);
  // Reading is fine.
  EXPECT_EQ(files_->PathFileStatGet(kRo, kFollow, "r.txt")->size, 9u);
  EXPECT_EQ(List(kRo, 4096), (std::vector<std::string>{".", "..", "r.txt", "sub"}));
  EXPECT_EQ(HostRead(ro_ / "r.txt"), "read only");
  EXPECT_FALSE(fs::exists(ro_ / "new.txt"));
}

TEST_F(WasiFilesTest, SpecialFilesAreRefused) {
  ASSERT_EQ(mkfifo((data_ / "fifo").c_str(), 0600), 0);
  // Opening a FIFO with no writer would block the shard; it is refused at once instead.
  EXPECT_EQ(OpenError(kData, "fifo", 0, kReadRights), Errno::kNotsup);
  EXPECT_EQ(files_->PathFileStatGet(kData, 0, "fifo")->filetype, wasm::FileType::kUnknown);
}

TEST_F(WasiFilesTest, DescriptorLimitAndRenumber) {
  HostWrite(data_ / "f", "f");
  std::vector<uint32_t> fds;
  for (;;) {
    auto fd = Open(kData, "f", 0, kReadRights);
    if (!fd) {
      EXPECT_EQ(fd.error(), Errno::kMfile);
      break;
    }
    fds.push_back(*fd);
    ASSERT_LT(fds.size(), 1000u);
  }
  EXPECT_EQ(fds.size(), WasiFiles::kMaxOpenFds - 2);
  EXPECT_EQ(files_->open_fds(), WasiFiles::kMaxOpenFds);
  EXPECT_EQ(fds.back(), WasiFiles::kFirstFd + WasiFiles::kMaxOpenFds - 1);
  EXPECT_EQ(files_->Close(fds[10]), Errno::kSuccess);
  auto reused = Open(kData, "f", 0, kReadRights);
  ASSERT_TRUE(reused);
  EXPECT_EQ(*reused, fds[10]);  // the lowest free number
  EXPECT_EQ(files_->PathCreateDirectory(kData, "still-works"), Errno::kSuccess);
  for (uint32_t fd : fds) files_->Close(fd);
  EXPECT_EQ(files_->open_fds(), 2u);

  HostWrite(data_ / "g", "g");
  auto f = Open(kData, "f", 0, kReadRights);
  auto g = Open(kData, "g", 0, kReadRights);
  ASSERT_TRUE(f && g);
  EXPECT_EQ(files_->Renumber(*f, *g), Errno::kSuccess);
  EXPECT_EQ(ReadToEnd(*g), "f");
  EXPECT_EQ(files_->Check(*f), Errno::kBadf);
  EXPECT_EQ(files_->Renumber(*f, *g), Errno::kBadf);
  EXPECT_EQ(files_->Renumber(*g, 1), Errno::kBadf);
  // A preopen may be renumbered too: its number moves with it.
  EXPECT_EQ(files_->Renumber(kRo, *g), Errno::kSuccess);
  EXPECT_EQ(files_->PreopenIndex(*g).value_or(99), 1u);
  EXPECT_EQ(ErrorOf(files_->PreopenIndex(kRo)), Errno::kBadf);
}

TEST_F(WasiFilesTest, EverythingIsClosedWithTheInstance) {
  int before = CountOpenFds();
  HostWrite(data_ / "f", "f");
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(Open(kData, "f", 0, kReadRights));
  EXPECT_EQ(CountOpenFds(), before + 20);
  files_.reset();
  EXPECT_EQ(CountOpenFds(), before - 2);
}

TEST(GuestMemoryTest, BoundsAndIovecs) {
  std::vector<uint8_t> bytes(64);
  wasm::GuestMemory memory(bytes);
  EXPECT_TRUE(memory.Range(0, 64));
  EXPECT_TRUE(memory.Range(64, 0));
  EXPECT_EQ(ErrorOf(memory.Range(60, 5)), Errno::kFault);
  EXPECT_EQ(ErrorOf(memory.Range(65, 0)), Errno::kFault);
  EXPECT_EQ(ErrorOf(memory.Range(0xffffffff, 2)), Errno::kFault);
  EXPECT_EQ(ErrorOf(memory.Range(8, 0xfffffffc)), Errno::kFault);

  auto put = [&](size_t at, uint32_t value) { std::memcpy(bytes.data() + at, &value, 4); };
  put(0, 32);  // iovec 0: [32, 40)
  put(4, 8);
  put(8, 48);  // iovec 1: [48, 64)
  put(12, 16);
  auto buffers = memory.Iovecs(0, 2, 1000);
  ASSERT_TRUE(buffers);
  ASSERT_EQ(buffers->size(), 2u);
  EXPECT_EQ((*buffers)[0].iov_base, bytes.data() + 32);
  EXPECT_EQ((*buffers)[1].iov_len, 16u);
  buffers = memory.Iovecs(0, 2, 10);  // capped: 8 + 2 bytes
  ASSERT_TRUE(buffers);
  ASSERT_EQ(buffers->size(), 2u);
  EXPECT_EQ((*buffers)[1].iov_len, 2u);
  put(12, 17);  // one byte past the end
  EXPECT_EQ(ErrorOf(memory.Iovecs(0, 2, 1000)), Errno::kFault);
  EXPECT_EQ(ErrorOf(memory.Iovecs(60, 1, 1000)), Errno::kFault);
  EXPECT_EQ(ErrorOf(memory.Iovecs(0, 0x20000000, 1000)), Errno::kFault);

  std::memcpy(bytes.data() + 40, "a\0b", 3);
  EXPECT_EQ(ErrorOf(memory.Path(40, 3)), Errno::kInval);
  EXPECT_EQ(memory.Path(40, 1).value_or(""), "a");
}

TEST(WasiLayoutTest, StructuresMatchWasiLibc) {
  // Offsets from wasi-libc's <wasi/api.h> (its _Static_asserts).
  uint8_t filestat[wasm::kFileStatSize];
  std::memset(filestat, 0xee, sizeof filestat);
  wasm::EncodeFileStat({1, 2, wasm::FileType::kDirectory, 4, 5, 6, 7, 8}, filestat);
  auto u64 = [](const uint8_t* at) {
    uint64_t value;
    std::memcpy(&value, at, 8);
    return value;
  };
  EXPECT_EQ(u64(filestat + 0), 1u);
  EXPECT_EQ(u64(filestat + 8), 2u);
  EXPECT_EQ(filestat[16], 3);
  for (int pad = 17; pad < 24; ++pad) EXPECT_EQ(filestat[pad], 0) << pad;
  EXPECT_EQ(u64(filestat + 24), 4u);
  EXPECT_EQ(u64(filestat + 32), 5u);
  EXPECT_EQ(u64(filestat + 40), 6u);
  EXPECT_EQ(u64(filestat + 48), 7u);
  EXPECT_EQ(u64(filestat + 56), 8u);

  uint8_t fdstat[wasm::kFdStatSize];
  std::memset(fdstat, 0xee, sizeof fdstat);
  wasm::EncodeFdStat({wasm::FileType::kRegularFile, 0x0102, 0x1122334455667788u, 0x99}, fdstat);
  EXPECT_EQ(fdstat[0], 4);
  EXPECT_EQ(fdstat[1], 0);
  EXPECT_EQ(fdstat[2], 0x02);
  EXPECT_EQ(fdstat[3], 0x01);
  EXPECT_EQ(u64(fdstat + 8), 0x1122334455667788u);
  EXPECT_EQ(u64(fdstat + 16), 0x99u);
  EXPECT_EQ(rights::kAll, (uint64_t{1} << 30) - 1);
  EXPECT_TRUE(wasm::IsPreview1Function("fd_write"));
  EXPECT_FALSE(wasm::IsPreview1Function("fd_wrote"));
  EXPECT_FALSE(wasm::IsPreview1Function("sock_accept"));  // actors have no sockets
}

// ---- 43_wasi.js with its natives ------------------------------------------------------------

void TestNow(engine::Args& args) {
  static const auto origin = std::chrono::steady_clock::now();
  args.Return(
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - origin).count());
}

// A context with the natives and built-in JS that 43_wasi.js needs, and its `internal` object.
// (A full Realm keeps `internal` to itself; this runs the same file the same way.)
class WasiJs {
 public:
  explicit WasiJs(v8::Isolate* isolate) : isolate_(isolate) {}

  using MakeArgs = std::function<std::vector<v8::Local<v8::Value>>()>;
  // Runs 43_wasi.js; then `script` (a function expression) is called with (internal, ...args),
  // the args made inside the context.
  std::string Run(const std::string& script, const MakeArgs& make_args,
                  v8::Local<v8::Value>* result) {
    v8::Local<v8::Context> context = v8::Context::New(isolate_);
    v8::Context::Scope context_scope(context);
    v8::TryCatch try_catch(isolate_);
    engine::NativeObject natives(isolate_, context);
    api::AddEncodingNatives(natives);
    api::AddCryptoNatives(natives);
    api::AddWasiNatives(natives);
    natives.Function<TestNow>("now").Value(
        "timeOrigin",
        v8::Number::New(isolate_, std::chrono::duration<double, std::milli>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()));
    natives.Value("wasiTable", api::NewWasiTable(context));
    v8::Local<v8::Object> internal = v8::Object::New(isolate_);
    // 00_prelude.js's instance hooks, which 43_wasi.js registers with; run after the file.
    v8::Local<v8::Value> hooks, attach;
    v8::Local<v8::Value> hooks_args[] = {internal};
    if (!Evaluate(context,
                  "(function (internal) { const hooks = []; internal.onInstance = (hook) => { hooks.push(hook); };"
                  " return () => { for (const hook of hooks) hook(); }; })",
                  &hooks) ||
        !hooks.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 1, hooks_args).ToLocal(&attach)) {
      return engine::DescribeException(isolate_, context, try_catch).Full();
    }
    std::string_view source;
    for (const api::JsSource& builtin : api::BuiltinJsSources()) {
      if (builtin.name == "43_wasi.js") source = builtin.source;
    }
    if (source.empty()) return "43_wasi.js is not embedded";
    std::string wrapped =
        "(function (native, internal, global) { \"use strict\";\n" + std::string(source) + "\n})";
    v8::Local<v8::Value> file;
    v8::Local<v8::Value> file_args[] = {natives.object(), internal, context->Global()};
    if (!Evaluate(context, wrapped, &file) ||
        file.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 3, file_args).IsEmpty() ||
        attach.As<v8::Function>()->Call(context, v8::Undefined(isolate_), 0, nullptr).IsEmpty()) {
      return engine::DescribeException(isolate_, context, try_catch).Full();
    }
    v8::Local<v8::Value> test;
    std::vector<v8::Local<v8::Value>> args = {internal};
    if (make_args) std::ranges::copy(make_args(), std::back_inserter(args));
    if (!Evaluate(context, script, &test) ||
        !test.As<v8::Function>()
             ->Call(context, v8::Undefined(isolate_), static_cast<int>(args.size()), args.data())
             .ToLocal(result)) {
      return engine::DescribeException(isolate_, context, try_catch).Full();
    }
    return {};
  }

  std::string Get(v8::Local<v8::Value> object, const char* key) {
    v8::Local<v8::Context> context = isolate_->GetCurrentContext();
    return engine::ToUtf8(
        isolate_,
        object.As<v8::Object>()->Get(context, engine::ToV8(isolate_, key)).ToLocalChecked());
  }

 private:
  bool Evaluate(v8::Local<v8::Context> context, const std::string& code,
                v8::Local<v8::Value>* value) {
    v8::Local<v8::Script> script;
    return v8::Script::Compile(context, engine::ToV8(isolate_, code)).ToLocal(&script) &&
           script->Run(context).ToLocal(value);
  }

  v8::Isolate* isolate_;
};

class WasiJsTest : public ::testing::Test {
 protected:
  WasiJsTest()
      : isolate_(testing::SharedEngine(), {}),
        isolate_scope_(isolate_.get()),
        handle_scope_(isolate_.get()) {}

  v8::Local<v8::String> Text(std::string_view text) { return engine::ToV8(isolate_.get(), text); }

  engine::Isolate isolate_;
  v8::Isolate::Scope isolate_scope_;
  v8::HandleScope handle_scope_;
  TempDir temp_;
};

// The JS tests report "ok" or what went wrong (the first mismatch).
constexpr const char* kStdioScript = R"JS((function (internal) {
  const logs = [];
  const problems = [];
  const expect = (what, actual, expected) => {
    if (actual !== expected) problems.push(`${what}: ${JSON.stringify(actual)} !== ${JSON.stringify(expected)}`);
  };
  const wasi = internal.makeWasi({ args: ["prog"], env: {}, preopens: [], log: (level, text) => logs.push(`${level}:${text}`),
    exit: (code) => { throw new Error(`exit ${code}`); } });
  const imports = wasi.imports;
  const names = Object.keys(imports).sort().join();
  expect("names", names, [...internal.wasiFunctionNames].sort().join());
  // Before setMemory every pointer is out of range.
  expect("no memory", imports.args_sizes_get(0, 4), 21);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
  wasi.setMemory(memory);
  const encoder = (text) => { const out = []; for (const c of unescape(encodeURIComponent(text))) out.push(c.charCodeAt(0)); return out; };
  // Writes `chunks` (arrays of bytes) as one fd_write with one iovec each; returns [errno, nwritten].
  const write = (fd, chunks) => {
    const bytes = new Uint8Array(memory.buffer);
    const view = new DataView(memory.buffer);
    let data = 1024;
    chunks.forEach((chunk, i) => {
      bytes.set(chunk, data);
      view.setUint32(16 + i * 8, data, true);
      view.setUint32(20 + i * 8, chunk.length, true);
      data += chunk.length;
    });
    const errno = imports.fd_write(fd, 16, chunks.length, 8);
    return [errno, new DataView(memory.buffer).getUint32(8, true)];
  };
  expect("write", write(1, [encoder("abc"), encoder("def\nxyz\n")]).join(), "0,11");
  expect("lines", logs.join("|"), "info:abcdef|info:xyz");
  logs.length = 0;
  write(2, [encoder("\n\nerr"), encoder("or\n")]);
  expect("blank lines", logs.join("|"), "error:|error:|error:error");
  logs.length = 0;
  write(1, [[0x66, 0xff, 0x6f, 0x0a]]);
  expect("invalid utf-8", logs.join("|"), "info:f\uFFFDo");
  logs.length = 0;
  // 20,000 bytes of "é" (2 bytes each) then a newline: split at 16 KiB, between characters.
  const long = [];
  for (let i = 0; i < 10000; i++) long.push(0xc3, 0xa9);
  write(1, [long, [0x0a]]);
  expect("long pieces", logs.length, 2);
  expect("long first", logs[0], "info:" + "é".repeat(8192));
  expect("long second", logs[1], "info:" + "é".repeat(1808));
  logs.length = 0;
  // Exactly 16 KiB: one record, no empty one after it.
  write(1, [new Array(16384).fill(0x61), [0x0a]]);
  expect("exact", logs.length === 1 && logs[0].length === 5 + 16384, true);
  logs.length = 0;
  // A partial line stays until a newline or close().
  write(1, [encoder("partial")]);
  expect("kept", logs.length, 0);

  expect("write fault", imports.fd_write(1, 65530, 1, 8), 21);
  expect("iovec fault", (() => { const v = new DataView(memory.buffer); v.setUint32(16, 65530, true); v.setUint32(20, 10, true); return imports.fd_write(1, 16, 1, 8); })(), 21);
  expect("result fault", imports.fd_write(1, 16, 0, -1), 21);
  expect("stdin eof", imports.fd_read(0, 16, 1, 8), 0);
  expect("stdin count", new DataView(memory.buffer).getUint32(8, true), 0);
  expect("read stdout", imports.fd_read(1, 16, 1, 8), 8);
  expect("write stdin", imports.fd_write(0, 16, 0, 8), 8);
  expect("bad fd", imports.fd_write(77, 16, 0, 8), 8);
  expect("negative fd", imports.fd_write(-1, 16, 0, 8), 8);
  expect("seek stdout", imports.fd_seek(1, 0n, 0, 8), 70);
  expect("prestat none", imports.fd_prestat_get(3, 8), 8);
  expect("fdstat", imports.fd_fdstat_get(1, 64), 0);
  const stat = new DataView(memory.buffer);
  expect("fdstat type", stat.getUint8(64), 2);
  expect("fdstat rights", stat.getBigUint64(72, true) & 0x24n, 0n);  // no seek/tell: a tty to wasi-libc
  expect("fdstat fault", imports.fd_fdstat_get(1, 65536 - 23), 21);
  expect("args sizes", imports.args_sizes_get(0, 4), 0);
  expect("argc", new DataView(memory.buffer).getUint32(0, true), 1);
  expect("argv bytes", new DataView(memory.buffer).getUint32(4, true), 5);
  expect("args", imports.args_get(100, 200), 0);
  expect("argv[0]", new DataView(memory.buffer).getUint32(100, true), 200);
  expect("argv text", String.fromCharCode(...new Uint8Array(memory.buffer, 200, 5)), "prog\0");
  expect("args fault", imports.args_get(100, 65535), 21);
  expect("clock", imports.clock_time_get(0, 0n, 8), 0);
  const now = new DataView(memory.buffer).getBigUint64(8, true);
  expect("realtime", now > 1600000000n * 1000000000n && now < 4000000000n * 1000000000n, true);
  expect("bad clock", imports.clock_time_get(9, 0n, 8), 28);
  expect("random", imports.random_get(1000, 200000), 21);
  expect("random ok", imports.random_get(1000, 1000), 0);
  expect("poll", imports.poll_oneoff(0, 0, 0, 0), 52);
  expect("symlink", imports.path_symlink(0, 0, 3, 0, 0), 63);
  // Memory grows: the next call sees the new buffer.
  memory.grow(1);
  expect("after grow", imports.clock_time_get(1, 0n, 65536 + 8), 0);
  write(1, [encoder(" line\n")]);
  expect("partial joined", logs.join("|"), "info:partial line");
  logs.length = 0;
  write(2, [encoder("unfinished")]);
  wasi.close();
  expect("flushed at close", logs.join("|"), "error:unfinished");
  expect("after close", imports.fd_write(1, 16, 0, 8), 8);
  wasi.close();
  return problems.length === 0 ? "ok" : problems.join("\n");
}))JS";

TEST_F(WasiJsTest, StandardStreamsAndBounds) {
  WasiJs js(isolate_.get());
  v8::Local<v8::Value> result;
  ASSERT_EQ(js.Run(kStdioScript, nullptr, &result), "");
  EXPECT_EQ(engine::ToUtf8(isolate_.get(), result), "ok");
}

TEST_F(WasiJsTest, FunctionListsAgree) {
  WasiJs js(isolate_.get());
  v8::Local<v8::Value> result;
  ASSERT_EQ(js.Run("(function (internal) { return internal.wasiFunctionNames.join(); })", nullptr,
                   &result),
            "");
  std::string native_list;
  for (std::string_view name : wasm::Preview1Functions()) {
    if (!native_list.empty()) native_list += ",";
    native_list += name;
  }
  EXPECT_EQ(engine::ToUtf8(isolate_.get(), result), native_list);
}

TEST_F(WasiJsTest, FilesAreReleasedWithTheIsolate) {
  int before = CountOpenFds();
  {
    engine::Isolate other(testing::SharedEngine(), {});
    v8::Isolate::Scope scope(other.get());
    v8::HandleScope handles(other.get());
    WasiJs js(other.get());
    v8::Local<v8::Value> result;
    // Ten instances that are never closed, one with a file open.
    std::string script = R"JS((function (internal, dir) {
      for (let i = 0; i < 10; i++) {
        internal.makeWasi({ args: [], env: {}, preopens: [{ guest: "/d", host: dir, write: true }], log() {}, exit() {} });
      }
      const wasi = internal.makeWasi({ args: [], env: {}, preopens: [{ guest: "/d", host: dir, write: true }], log() {}, exit() {} });
      const memory = new WebAssembly.Memory({ initial: 1 });
      wasi.setMemory(memory);
      new Uint8Array(memory.buffer).set([102], 100);  // "f"
      return wasi.imports.path_open(3, 1, 100, 1, 1, 0x7fn, 0x7fn, 0, 200);
    }))JS";
    ASSERT_EQ(js.Run(
                  script,
                  [&] {
                    return std::vector<v8::Local<v8::Value>>{
                        engine::ToV8(other.get(), temp_.path().string())};
                  },
                  &result),
              "");
    EXPECT_EQ(result->Int32Value(other.get()->GetCurrentContext()).FromMaybe(-1), 0);
    EXPECT_TRUE(fs::exists(temp_.path() / "f"));
    EXPECT_EQ(CountOpenFds(), before + 12);
  }
  EXPECT_EQ(CountOpenFds(), before);
}

TEST_F(WasiJsTest, RunsAClangWasiLibcProgram) {
  fs::path module_path = fs::path(MAR_BINARY).parent_path() / "wasm" / "wasi_probe.wasm";
  if (!fs::exists(module_path))
    GTEST_SKIP() << module_path << " is not built (the wasm_modules target)";
  std::string bytes = HostRead(module_path);
  fs::path data = temp_.path() / "data";
  fs::path ro = temp_.path() / "ro";
  fs::create_directories(data);
  fs::create_directories(ro);
  fs::create_symlink("/etc", data / "etc_link");

  WasiJs js(isolate_.get());
  v8::Local<v8::Value> result;
  std::string script = R"JS((function (internal, bytes, data, ro) {
    const logs = [];
    class Exit { constructor(code) { this.code = code; } }
    const wasi = internal.makeWasi({
      args: ["probe", "partial", "ünï"],
      env: { PROBE_ENV: "hello env" },
      preopens: [{ guest: "/data", host: data, write: true }, { guest: "/ro", host: ro, write: false }],
      log: (level, text) => logs.push(`${level} ${text}`),
      exit: (code) => { throw new Exit(code); },
    });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { wasi_snapshot_preview1: wasi.imports });
    wasi.setMemory(instance.exports.memory);
    let exit = "returned";
    try {
      instance.exports._start();
    } catch (error) {
      if (!(error instanceof Exit)) throw error;
      exit = `exit ${error.code}`;
    }
    wasi.close();
    logs.push(exit);
    return logs.join("\n");
  }))JS";
  ASSERT_EQ(js.Run(
                script,
                [&] {
                  auto buffer = v8::ArrayBuffer::New(isolate_.get(), bytes.size());
                  std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
                  return std::vector<v8::Local<v8::Value>>{buffer, Text(data.string()),
                                                           Text(ro.string())};
                },
                &result),
            "");
  std::string expected =
      "info hello from wasi\n"
      "error to stderr\n"
      "info argc=3\n"
      "info argv[0]=probe\n"
      "info argv[1]=partial\n"
      "info argv[2]=ünï\n"
      "info env:PROBE_ENV=hello env\n"
      "info clock:ok\n"
      "info monotonic:ok\n"
      "info random:ok\n"
      "info stdin:eof\n"
      "info file:ok\n"
      "info grow:ok\n"
      "info stat:size=15\n"
      "info seek:ok\n"
      "info readdir:a,b,c\n"
      "info rename:ok\n"
      "info unlink:ok\n"
      "info rmdir:ok\n"
      "info escape:abs:76\n"
      "info escape:dotdot:76\n"
      "info escape:deep:76\n"
      "info escape:symlink:76\n"
      "info symlink:63\n"
      "info ro:create:69\n"
      "info ro:mkdir:69\n"
      "info done failures=0\n"
      "info tail\n"
      "returned";
  EXPECT_EQ(engine::ToUtf8(isolate_.get(), result), expected);
  // What the program made it removed again; nothing appeared in the read-only preopen.
  EXPECT_EQ(std::distance(fs::directory_iterator(data), fs::directory_iterator()), 1);
  EXPECT_EQ(std::distance(fs::directory_iterator(ro), fs::directory_iterator()), 0);
}

}  // namespace
}  // namespace mar
