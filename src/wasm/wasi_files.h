// The files of one WebAssembly actor instance under WASI preview1: its preopened directories and
// everything the guest opens beneath them, numbered as guest file descriptors from 3 (0-2 are the
// standard streams, which 43_wasi.js keeps itself).
//
// Confinement is the kernel's: every path is resolved with openat2(RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS) relative to a descriptor of the instance, so absolute paths, ".." and
// symlinks that would leave the preopen are refused however they are spelled. Operations that
// are not opens (mkdir, unlink, rename, ...) resolve the parent directory that way and then act
// on the last component without following it. A refused escape is WASI `notcapable` (76), the
// errno wasi-libc itself gives for a path outside every preopen.
//
// A read-only preopen refuses, with `rofs`, anything that could change what lies beneath it.
// Operations return WASI errno values and never throw.
#pragma once

#include <sys/uio.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <expected>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace mar::wasm {

static_assert(std::endian::native == std::endian::little, "guest memory is little-endian");

// The preview1 errno values (wasi-libc's <wasi/api.h>, __WASI_ERRNO_*), those this layer uses.
enum class Errno : uint16_t {
  kSuccess = 0,
  k2big = 1,
  kAcces = 2,
  kAgain = 6,
  kBadf = 8,
  kBusy = 10,
  kDquot = 19,
  kExist = 20,
  kFault = 21,
  kFbig = 22,
  kIlseq = 25,
  kIntr = 27,
  kInval = 28,
  kIo = 29,
  kIsdir = 31,
  kLoop = 32,
  kMfile = 33,
  kMlink = 34,
  kNametoolong = 37,
  kNfile = 41,
  kNodev = 43,
  kNoent = 44,
  kNomem = 48,
  kNospc = 51,
  kNosys = 52,
  kNotdir = 54,
  kNotempty = 55,
  kNotsup = 58,
  kNotty = 59,
  kNxio = 60,
  kOverflow = 61,
  kPerm = 63,
  kPipe = 64,
  kRange = 68,
  kRofs = 69,
  kSpipe = 70,
  kTxtbsy = 74,
  kXdev = 75,
  kNotcapable = 76,
};

template <class T>
using WasiResult = std::expected<T, Errno>;

// The WASI errno for a failed host call's errno (EXDEV stays `xdev`; escapes are mapped where a
// path is resolved).
Errno ErrnoFromHost(int host_errno);

// __WASI_FILETYPE_*
enum class FileType : uint8_t {
  kUnknown = 0,
  kBlockDevice = 1,
  kCharacterDevice = 2,
  kDirectory = 3,
  kRegularFile = 4,
  kSocketDgram = 5,
  kSocketStream = 6,
  kSymbolicLink = 7,
};

// __WASI_RIGHTS_*
namespace rights {
inline constexpr uint64_t kFdDatasync = 1 << 0;
inline constexpr uint64_t kFdRead = 1 << 1;
inline constexpr uint64_t kFdSeek = 1 << 2;
inline constexpr uint64_t kFdFdstatSetFlags = 1 << 3;
inline constexpr uint64_t kFdSync = 1 << 4;
inline constexpr uint64_t kFdTell = 1 << 5;
inline constexpr uint64_t kFdWrite = 1 << 6;
inline constexpr uint64_t kFdAdvise = 1 << 7;
inline constexpr uint64_t kFdAllocate = 1 << 8;
inline constexpr uint64_t kPathCreateDirectory = 1 << 9;
inline constexpr uint64_t kPathCreateFile = 1 << 10;
inline constexpr uint64_t kPathLinkSource = 1 << 11;
inline constexpr uint64_t kPathLinkTarget = 1 << 12;
inline constexpr uint64_t kPathOpen = 1 << 13;
inline constexpr uint64_t kFdReaddir = 1 << 14;
inline constexpr uint64_t kPathReadlink = 1 << 15;
inline constexpr uint64_t kPathRenameSource = 1 << 16;
inline constexpr uint64_t kPathRenameTarget = 1 << 17;
inline constexpr uint64_t kPathFilestatGet = 1 << 18;
inline constexpr uint64_t kPathFilestatSetSize = 1 << 19;
inline constexpr uint64_t kPathFilestatSetTimes = 1 << 20;
inline constexpr uint64_t kFdFilestatGet = 1 << 21;
inline constexpr uint64_t kFdFilestatSetSize = 1 << 22;
inline constexpr uint64_t kFdFilestatSetTimes = 1 << 23;
inline constexpr uint64_t kPathSymlink = 1 << 24;
inline constexpr uint64_t kPathRemoveDirectory = 1 << 25;
inline constexpr uint64_t kPathUnlinkFile = 1 << 26;
inline constexpr uint64_t kPollFdReadwrite = 1 << 27;
inline constexpr uint64_t kSockShutdown = 1 << 28;
inline constexpr uint64_t kSockAccept = 1 << 29;
inline constexpr uint64_t kAll = (uint64_t{1} << 30) - 1;
// Rights that let a descriptor change a file's contents: refused beneath a read-only preopen.
inline constexpr uint64_t kWrite = kFdWrite | kFdAllocate | kFdFilestatSetSize;
// What a directory descriptor is reported to have (its base rights): everything but data I/O.
inline constexpr uint64_t kDirectoryBase =
    kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory | kPathCreateFile |
    kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource |
    kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes |
    kFdFilestatGet | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile |
    kPollFdReadwrite;
}  // namespace rights

// __WASI_OFLAGS_*, __WASI_FDFLAGS_*, __WASI_LOOKUPFLAGS_*, __WASI_FSTFLAGS_*, __WASI_WHENCE_*
inline constexpr uint16_t kOflagCreat = 1 << 0;
inline constexpr uint16_t kOflagDirectory = 1 << 1;
inline constexpr uint16_t kOflagExcl = 1 << 2;
inline constexpr uint16_t kOflagTrunc = 1 << 3;
inline constexpr uint16_t kFdflagAppend = 1 << 0;
inline constexpr uint16_t kFdflagDsync = 1 << 1;
inline constexpr uint16_t kFdflagNonblock = 1 << 2;
inline constexpr uint16_t kFdflagRsync = 1 << 3;
inline constexpr uint16_t kFdflagSync = 1 << 4;
inline constexpr uint32_t kLookupSymlinkFollow = 1 << 0;
inline constexpr uint16_t kFstflagAtim = 1 << 0;
inline constexpr uint16_t kFstflagAtimNow = 1 << 1;
inline constexpr uint16_t kFstflagMtim = 1 << 2;
inline constexpr uint16_t kFstflagMtimNow = 1 << 3;
inline constexpr uint8_t kWhenceSet = 0;
inline constexpr uint8_t kWhenceCur = 1;
inline constexpr uint8_t kWhenceEnd = 2;

// __wasi_filestat_t: 64 bytes, fields at 0 dev, 8 ino, 16 filetype, 24 nlink, 32 size, 40 atim,
// 48 mtim, 56 ctim.
struct FileStat {
  uint64_t dev = 0;
  uint64_t ino = 0;
  FileType filetype = FileType::kUnknown;
  uint64_t nlink = 0;
  uint64_t size = 0;
  uint64_t atim = 0;  // ns since the epoch
  uint64_t mtim = 0;
  uint64_t ctim = 0;
};
inline constexpr size_t kFileStatSize = 64;
void EncodeFileStat(const FileStat& stat, std::span<uint8_t, kFileStatSize> out);

// __wasi_fdstat_t: 24 bytes, fields at 0 filetype (u8), 2 flags (u16), 8 rights_base,
// 16 rights_inheriting.
struct FdStat {
  FileType filetype = FileType::kUnknown;
  uint16_t flags = 0;
  uint64_t rights_base = 0;
  uint64_t rights_inheriting = 0;
};
inline constexpr size_t kFdStatSize = 24;
void EncodeFdStat(const FdStat& stat, std::span<uint8_t, kFdStatSize> out);

// __wasi_dirent_t: a 24-byte header (0 d_next, 8 d_ino, 16 d_namlen u32, 20 d_type u8) followed
// by the name, not NUL-terminated.
inline constexpr size_t kDirentSize = 24;

// Little-endian stores into guest memory (the caller has checked the range).
template <class T>
void StoreLE(std::span<uint8_t> out, size_t offset, T value) {
  std::memcpy(out.data() + offset, &value, sizeof value);
}

// One instance's linear memory, bounds-checked: anything outside it is `fault`.
class GuestMemory {
 public:
  explicit GuestMemory(std::span<uint8_t> bytes) : bytes_(bytes) {}

  // The bytes [pointer, pointer + length).
  WasiResult<std::span<uint8_t>> Range(uint32_t pointer, uint64_t length) const;
  // A path argument: `inval` if it contains a NUL byte (an empty one is left to the kernel).
  WasiResult<std::string_view> Path(uint32_t pointer, uint32_t length) const;
  // The (c)iovec array at `pointer` as host iovecs, all checked; buffers past `limit` bytes in
  // total (or past IOV_MAX entries) are left out, so the call transfers less, as a short
  // read/write may.
  WasiResult<std::vector<iovec>> Iovecs(uint32_t pointer, uint32_t count, size_t limit) const;

  size_t size() const { return bytes_.size(); }

 private:
  std::span<uint8_t> bytes_;
};

// An owned host file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  ~UniqueFd();
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

struct PreopenDir {
  std::string host_path;  // an absolute path to a directory
  bool writable = false;
};

class WasiFiles {
 public:
  static constexpr uint32_t kFirstFd = 3;
  // Guest descriptors open at once, preopens included; one more is `mfile`.
  static constexpr size_t kMaxOpenFds = 128;
  // Bytes one read or write moves at most (a larger request is a short read or write).
  static constexpr size_t kMaxTransferBytes = size_t{16} << 20;

  // Opens every preopen (as fds 3, 4, ... in order); fails naming the first that cannot be.
  static Result<std::unique_ptr<WasiFiles>> Open(std::span<const PreopenDir> preopens);
  ~WasiFiles();
  WasiFiles(const WasiFiles&) = delete;
  WasiFiles& operator=(const WasiFiles&) = delete;

  // Guest descriptors currently open.
  size_t open_fds() const;
  // `success` if `fd` is open, else `badf`.
  Errno Check(uint32_t fd) const;
  // The preopen `fd` still is (its index in the list given to Open); `badf` for anything else.
  WasiResult<uint32_t> PreopenIndex(uint32_t fd) const;

  WasiResult<FdStat> FdStatGet(uint32_t fd) const;
  Errno FdStatSetFlags(uint32_t fd, uint16_t fdflags);
  // Narrows the reported rights (widening is `notcapable`).
  Errno FdStatSetRights(uint32_t fd, uint64_t base, uint64_t inheriting);
  WasiResult<FileStat> FileStatGet(uint32_t fd) const;
  Errno FileStatSetSize(uint32_t fd, uint64_t size);
  Errno FileStatSetTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fst_flags);

  WasiResult<size_t> Read(uint32_t fd, std::span<const iovec> buffers);
  WasiResult<size_t> Write(uint32_t fd, std::span<const iovec> buffers);
  WasiResult<size_t> Pread(uint32_t fd, std::span<const iovec> buffers, uint64_t offset);
  WasiResult<size_t> Pwrite(uint32_t fd, std::span<const iovec> buffers, uint64_t offset);
  WasiResult<uint64_t> Seek(uint32_t fd, int64_t offset, uint8_t whence);
  Errno Sync(uint32_t fd);
  Errno Datasync(uint32_t fd);
  Errno Close(uint32_t fd);
  // Moves `from` to `to` (closing what `to` was); both must be open.
  Errno Renumber(uint32_t from, uint32_t to);
  // Fills `out` with dirents from the entry after `cookie` on (0: the start), the last one cut
  // off where `out` ends; returns the bytes used (less than out.size() at the end).
  WasiResult<size_t> ReadDir(uint32_t fd, uint64_t cookie, std::span<uint8_t> out);

  // Opens `path` beneath directory `dirfd`; returns the new guest fd.
  WasiResult<uint32_t> PathOpen(uint32_t dirfd, uint32_t lookupflags, std::string_view path,
                                uint16_t oflags, uint64_t rights_base, uint64_t rights_inheriting,
                                uint16_t fdflags);
  WasiResult<FileStat> PathFileStatGet(uint32_t dirfd, uint32_t lookupflags, std::string_view path);
  Errno PathFileStatSetTimes(uint32_t dirfd, uint32_t lookupflags, std::string_view path,
                             uint64_t atim, uint64_t mtim, uint16_t fst_flags);
  Errno PathCreateDirectory(uint32_t dirfd, std::string_view path);
  Errno PathRemoveDirectory(uint32_t dirfd, std::string_view path);
  Errno PathUnlinkFile(uint32_t dirfd, std::string_view path);
  Errno PathRename(uint32_t old_dirfd, std::string_view old_path, uint32_t new_dirfd,
                   std::string_view new_path);
  // Copies the target of the symlink at `path` into `out` (cut off if longer, as readlink(2));
  // returns the bytes written.
  WasiResult<size_t> PathReadlink(uint32_t dirfd, std::string_view path, std::span<uint8_t> out);

 private:
  struct DirEntry {
    uint64_t ino;
    FileType type;
    std::string name;
  };
  struct OpenFile {
    UniqueFd host;
    bool directory = false;
    bool writable_tree = false;  // beneath a writable preopen
    bool can_read = false;       // the host access mode
    bool can_write = false;
    int preopen = -1;  // index in the preopen list while this is that preopen
    uint16_t fdflags = 0;
    uint64_t rights_base = 0;
    uint64_t rights_inheriting = 0;
    std::vector<DirEntry> entries;  // fd_readdir's snapshot, taken at cookie 0
    bool entries_loaded = false;
  };
  // A parent directory resolved beneath a descriptor, and the last component of the path.
  struct Parent {
    UniqueFd dir;
    std::string name;
    bool trailing_slash = false;
  };

  WasiFiles() = default;
  OpenFile* Find(uint32_t fd);
  const OpenFile* Find(uint32_t fd) const;
  WasiResult<OpenFile*> Directory(uint32_t fd);
  // Directory(fd), refusing with `rofs` if it is beneath a read-only preopen.
  WasiResult<OpenFile*> WritableDirectory(uint32_t fd);
  WasiResult<uint32_t> Insert(std::unique_ptr<OpenFile> file);
  static WasiResult<Parent> ResolveParent(const OpenFile& dir, std::string_view path);
  static Errno LoadEntries(OpenFile& dir);

  std::vector<std::unique_ptr<OpenFile>> files_;  // index fd - kFirstFd; null = free
};

}  // namespace mar::wasm
