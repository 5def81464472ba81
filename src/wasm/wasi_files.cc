#include "wasm/wasi_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstring>

namespace mar::wasm {

namespace {

constexpr uint64_t kMaxOffset = static_cast<uint64_t>(INT64_MAX);

// Opens `path` beneath `dirfd`: the kernel refuses absolute paths, ".." above dirfd and symlinks
// that lead out of it (EXDEV, reported as `notcapable`), and /proc-style magic links.
WasiResult<UniqueFd> OpenBeneath(int dirfd, std::string_view path, uint64_t flags,
                                 uint64_t mode = 0) {
  if (path.find('\0') != std::string_view::npos) return std::unexpected(Errno::kInval);
  std::string c_path(path);
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0;; ++attempt) {
    long fd = syscall(SYS_openat2, dirfd, c_path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    int error = errno;
    // EAGAIN: a concurrent rename raced the beneath check; the lookup is safe to repeat.
    if (error == EINTR || (error == EAGAIN && attempt < 16)) continue;
    if (error == EXDEV) return std::unexpected(Errno::kNotcapable);
    return std::unexpected(ErrnoFromHost(error));
  }
}

FileType TypeOfMode(mode_t mode) {
  if (S_ISREG(mode)) return FileType::kRegularFile;
  if (S_ISDIR(mode)) return FileType::kDirectory;
  if (S_ISLNK(mode)) return FileType::kSymbolicLink;
  if (S_ISCHR(mode)) return FileType::kCharacterDevice;
  if (S_ISBLK(mode)) return FileType::kBlockDevice;
  if (S_ISSOCK(mode)) return FileType::kSocketStream;
  return FileType::kUnknown;  // FIFOs have no preview1 type
}

FileType TypeOfDirent(unsigned char type) {
  switch (type) {
    case DT_REG:
      return FileType::kRegularFile;
    case DT_DIR:
      return FileType::kDirectory;
    case DT_LNK:
      return FileType::kSymbolicLink;
    case DT_CHR:
      return FileType::kCharacterDevice;
    case DT_BLK:
      return FileType::kBlockDevice;
    case DT_SOCK:
      return FileType::kSocketStream;
    default:
      return FileType::kUnknown;
  }
}

uint64_t Nanoseconds(const timespec& time) {
  if (time.tv_sec < 0) return 0;
  return static_cast<uint64_t>(time.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(time.tv_nsec);
}

FileStat ToFileStat(const struct stat& st) {
  FileStat stat;
  stat.dev = st.st_dev;
  stat.ino = st.st_ino;
  stat.filetype = TypeOfMode(st.st_mode);
  stat.nlink = st.st_nlink;
  stat.size = static_cast<uint64_t>(st.st_size);
  stat.atim = Nanoseconds(st.st_atim);
  stat.mtim = Nanoseconds(st.st_mtim);
  stat.ctim = Nanoseconds(st.st_ctim);
  return stat;
}

WasiResult<FileStat> StatFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return std::unexpected(ErrnoFromHost(errno));
  return ToFileStat(st);
}

// The two timespecs of utimensat for fd_filestat_set_times' arguments.
WasiResult<std::array<timespec, 2>> Times(uint64_t atim, uint64_t mtim, uint16_t fst_flags) {
  if ((fst_flags & ~(kFstflagAtim | kFstflagAtimNow | kFstflagMtim | kFstflagMtimNow)) != 0 ||
      ((fst_flags & kFstflagAtim) && (fst_flags & kFstflagAtimNow)) ||
      ((fst_flags & kFstflagMtim) && (fst_flags & kFstflagMtimNow))) {
    return std::unexpected(Errno::kInval);
  }
  auto one = [](uint64_t ns, bool set, bool now) {
    timespec time{};
    if (now) {
      time.tv_nsec = UTIME_NOW;
    } else if (set) {
      time.tv_sec = static_cast<time_t>(ns / 1'000'000'000u);
      time.tv_nsec = static_cast<long>(ns % 1'000'000'000u);
    } else {
      time.tv_nsec = UTIME_OMIT;
    }
    return time;
  };
  return std::array<timespec, 2>{one(atim, fst_flags & kFstflagAtim, fst_flags & kFstflagAtimNow),
                                 one(mtim, fst_flags & kFstflagMtim, fst_flags & kFstflagMtimNow)};
}

template <class F>
Errno Retry(F call) {
  for (;;) {
    if (call() == 0) return Errno::kSuccess;
    if (errno != EINTR) return ErrnoFromHost(errno);
  }
}

template <class F>
WasiResult<size_t> RetryCount(F call) {
  for (;;) {
    ssize_t count = call();
    if (count >= 0) return static_cast<size_t>(count);
    if (errno != EINTR) return std::unexpected(ErrnoFromHost(errno));
  }
}

int IovCount(std::span<const iovec> buffers) {
  return static_cast<int>(std::min<size_t>(buffers.size(), IOV_MAX));
}

bool IsDotOrDotDot(std::string_view name) {
  return name == "." || name == "..";
}

// The record getdents64(2) fills in.
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

}  // namespace

Errno ErrnoFromHost(int host_errno) {
  switch (host_errno) {
    case 0:
      return Errno::kSuccess;
    case E2BIG:
      return Errno::k2big;
    case EACCES:
      return Errno::kAcces;
    case EAGAIN:
      return Errno::kAgain;
    case EBADF:
      return Errno::kBadf;
    case EBUSY:
      return Errno::kBusy;
    case EDQUOT:
      return Errno::kDquot;
    case EEXIST:
      return Errno::kExist;
    case EFAULT:
      return Errno::kFault;
    case EFBIG:
      return Errno::kFbig;
    case EILSEQ:
      return Errno::kIlseq;
    case EINTR:
      return Errno::kIntr;
    case EINVAL:
      return Errno::kInval;
    case EIO:
      return Errno::kIo;
    case EISDIR:
      return Errno::kIsdir;
    case ELOOP:
      return Errno::kLoop;
    case EMFILE:
      return Errno::kMfile;
    case EMLINK:
      return Errno::kMlink;
    case ENAMETOOLONG:
      return Errno::kNametoolong;
    case ENFILE:
      return Errno::kNfile;
    case ENODEV:
      return Errno::kNodev;
    case ENOENT:
      return Errno::kNoent;
    case ENOMEM:
      return Errno::kNomem;
    case ENOSPC:
      return Errno::kNospc;
    case ENOSYS:
      return Errno::kNosys;
    case ENOTDIR:
      return Errno::kNotdir;
    case ENOTEMPTY:
      return Errno::kNotempty;
    case EOPNOTSUPP:
      return Errno::kNotsup;
    case ENOTTY:
      return Errno::kNotty;
    case ENXIO:
      return Errno::kNxio;
    case EOVERFLOW:
      return Errno::kOverflow;
    case EPERM:
      return Errno::kPerm;
    case EPIPE:
      return Errno::kPipe;
    case ERANGE:
      return Errno::kRange;
    case EROFS:
      return Errno::kRofs;
    case ESPIPE:
      return Errno::kSpipe;
    case ETXTBSY:
      return Errno::kTxtbsy;
    case EXDEV:
      return Errno::kXdev;
    default:
      return Errno::kIo;
  }
}

void EncodeFileStat(const FileStat& stat, std::span<uint8_t, kFileStatSize> out) {
  std::memset(out.data(), 0, out.size());
  StoreLE<uint64_t>(out, 0, stat.dev);
  StoreLE<uint64_t>(out, 8, stat.ino);
  StoreLE<uint8_t>(out, 16, static_cast<uint8_t>(stat.filetype));
  StoreLE<uint64_t>(out, 24, stat.nlink);
  StoreLE<uint64_t>(out, 32, stat.size);
  StoreLE<uint64_t>(out, 40, stat.atim);
  StoreLE<uint64_t>(out, 48, stat.mtim);
  StoreLE<uint64_t>(out, 56, stat.ctim);
}

void EncodeFdStat(const FdStat& stat, std::span<uint8_t, kFdStatSize> out) {
  std::memset(out.data(), 0, out.size());
  StoreLE<uint8_t>(out, 0, static_cast<uint8_t>(stat.filetype));
  StoreLE<uint16_t>(out, 2, stat.flags);
  StoreLE<uint64_t>(out, 8, stat.rights_base);
  StoreLE<uint64_t>(out, 16, stat.rights_inheriting);
}

WasiResult<std::span<uint8_t>> GuestMemory::Range(uint32_t pointer, uint64_t length) const {
  if (pointer > bytes_.size() || length > bytes_.size() - pointer)
    return std::unexpected(Errno::kFault);
  return bytes_.subspan(pointer, static_cast<size_t>(length));
}

WasiResult<std::string_view> GuestMemory::Path(uint32_t pointer, uint32_t length) const {
  auto bytes = Range(pointer, length);
  if (!bytes) return std::unexpected(bytes.error());
  std::string_view path(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (path.find('\0') != std::string_view::npos) return std::unexpected(Errno::kInval);
  return path;
}

WasiResult<std::vector<iovec>> GuestMemory::Iovecs(uint32_t pointer, uint32_t count,
                                                   size_t limit) const {
  auto array = Range(pointer, uint64_t{count} * 8);
  if (!array) return std::unexpected(array.error());
  std::vector<iovec> buffers;
  buffers.reserve(std::min<size_t>(count, IOV_MAX));
  size_t total = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t base;
    uint32_t length;
    std::memcpy(&base, array->data() + i * 8, 4);
    std::memcpy(&length, array->data() + i * 8 + 4, 4);
    auto buffer = Range(base, length);
    if (!buffer) return std::unexpected(buffer.error());
    if (total >= limit || buffers.size() >= IOV_MAX) continue;  // still checked, not used
    size_t used = std::min<size_t>(length, limit - total);
    total += used;
    buffers.push_back(iovec{buffer->data(), used});
  }
  return buffers;
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<WasiFiles>> WasiFiles::Open(std::span<const PreopenDir> preopens) {
  if (preopens.size() > kMaxOpenFds) {
    return Fail(std::to_string(preopens.size()) + " preopened directories; at most " +
                std::to_string(kMaxOpenFds) + " are allowed");
  }
  std::unique_ptr<WasiFiles> files(new WasiFiles());
  for (size_t i = 0; i < preopens.size(); ++i) {
    const PreopenDir& preopen = preopens[i];
    int fd = ::open(preopen.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return Fail("cannot open the preopened directory " + preopen.host_path + ": " +
                  std::strerror(errno));
    }
    auto file = std::make_unique<OpenFile>();
    file->host = UniqueFd(fd);
    file->directory = true;
    file->writable_tree = preopen.writable;
    file->can_read = true;
    file->preopen = static_cast<int>(i);
    file->rights_base = rights::kDirectoryBase;
    file->rights_inheriting = rights::kAll;
    files->files_.push_back(std::move(file));
  }
  return files;
}

WasiFiles::~WasiFiles() = default;

size_t WasiFiles::open_fds() const {
  size_t count = 0;
  for (const auto& file : files_) count += file != nullptr;
  return count;
}

WasiFiles::OpenFile* WasiFiles::Find(uint32_t fd) {
  if (fd < kFirstFd || fd - kFirstFd >= files_.size()) return nullptr;
  return files_[fd - kFirstFd].get();
}

const WasiFiles::OpenFile* WasiFiles::Find(uint32_t fd) const {
  if (fd < kFirstFd || fd - kFirstFd >= files_.size()) return nullptr;
  return files_[fd - kFirstFd].get();
}

WasiResult<WasiFiles::OpenFile*> WasiFiles::Directory(uint32_t fd) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (!file->directory) return std::unexpected(Errno::kNotdir);
  return file;
}

WasiResult<WasiFiles::OpenFile*> WasiFiles::WritableDirectory(uint32_t fd) {
  auto dir = Directory(fd);
  if (dir && !(*dir)->writable_tree) return std::unexpected(Errno::kRofs);
  return dir;
}

WasiResult<uint32_t> WasiFiles::Insert(std::unique_ptr<OpenFile> file) {
  for (size_t i = 0; i < files_.size(); ++i) {
    if (!files_[i]) {
      files_[i] = std::move(file);
      return static_cast<uint32_t>(i + kFirstFd);
    }
  }
  if (files_.size() >= kMaxOpenFds) return std::unexpected(Errno::kMfile);
  files_.push_back(std::move(file));
  return static_cast<uint32_t>(files_.size() - 1 + kFirstFd);
}

Errno WasiFiles::Check(uint32_t fd) const {
  return Find(fd) ? Errno::kSuccess : Errno::kBadf;
}

WasiResult<uint32_t> WasiFiles::PreopenIndex(uint32_t fd) const {
  const OpenFile* file = Find(fd);
  if (!file || file->preopen < 0) return std::unexpected(Errno::kBadf);
  return static_cast<uint32_t>(file->preopen);
}

WasiResult<FdStat> WasiFiles::FdStatGet(uint32_t fd) const {
  const OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  return FdStat{file->directory ? FileType::kDirectory : FileType::kRegularFile, file->fdflags,
                file->rights_base, file->rights_inheriting};
}

Errno WasiFiles::FdStatSetFlags(uint32_t fd, uint16_t fdflags) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  constexpr uint16_t kKnown =
      kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync;
  constexpr uint16_t kSyncFlags = kFdflagDsync | kFdflagRsync | kFdflagSync;
  if ((fdflags & ~kKnown) != 0) return Errno::kInval;
  // Linux cannot change the synchronisation mode of an open file.
  if ((fdflags & kSyncFlags) != (file->fdflags & kSyncFlags)) return Errno::kNotsup;
  int host_flags = fcntl(file->host.get(), F_GETFL);
  if (host_flags < 0) return ErrnoFromHost(errno);
  host_flags &= ~(O_APPEND | O_NONBLOCK);
  if (fdflags & kFdflagAppend) host_flags |= O_APPEND;
  if (fdflags & kFdflagNonblock) host_flags |= O_NONBLOCK;
  if (fcntl(file->host.get(), F_SETFL, host_flags) != 0) return ErrnoFromHost(errno);
  file->fdflags = fdflags;
  return Errno::kSuccess;
}

Errno WasiFiles::FdStatSetRights(uint32_t fd, uint64_t base, uint64_t inheriting) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  if ((base & ~file->rights_base) != 0 || (inheriting & ~file->rights_inheriting) != 0) {
    return Errno::kNotcapable;
  }
  file->rights_base = base;
  file->rights_inheriting = inheriting;
  return Errno::kSuccess;
}

WasiResult<FileStat> WasiFiles::FileStatGet(uint32_t fd) const {
  const OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  return StatFd(file->host.get());
}

Errno WasiFiles::FileStatSetSize(uint32_t fd, uint64_t size) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  if (file->directory) return Errno::kIsdir;
  if (!file->writable_tree) return Errno::kRofs;
  if (!file->can_write) return Errno::kBadf;
  if (size > kMaxOffset) return Errno::kFbig;
  return Retry([&] { return ftruncate(file->host.get(), static_cast<off_t>(size)); });
}

Errno WasiFiles::FileStatSetTimes(uint32_t fd, uint64_t atim, uint64_t mtim, uint16_t fst_flags) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  auto times = Times(atim, mtim, fst_flags);
  if (!times) return times.error();
  if (!file->writable_tree) return Errno::kRofs;
  return Retry([&] { return futimens(file->host.get(), times->data()); });
}

WasiResult<size_t> WasiFiles::Read(uint32_t fd, std::span<const iovec> buffers) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (file->directory) return std::unexpected(Errno::kIsdir);
  if (!file->can_read) return std::unexpected(Errno::kBadf);
  return RetryCount([&] { return readv(file->host.get(), buffers.data(), IovCount(buffers)); });
}

WasiResult<size_t> WasiFiles::Write(uint32_t fd, std::span<const iovec> buffers) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (file->directory) return std::unexpected(Errno::kIsdir);
  if (!file->can_write) return std::unexpected(Errno::kBadf);
  return RetryCount([&] { return writev(file->host.get(), buffers.data(), IovCount(buffers)); });
}

WasiResult<size_t> WasiFiles::Pread(uint32_t fd, std::span<const iovec> buffers, uint64_t offset) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (file->directory) return std::unexpected(Errno::kIsdir);
  if (!file->can_read) return std::unexpected(Errno::kBadf);
  if (offset > kMaxOffset) return std::unexpected(Errno::kInval);
  return RetryCount([&] {
    return preadv(file->host.get(), buffers.data(), IovCount(buffers), static_cast<off_t>(offset));
  });
}

WasiResult<size_t> WasiFiles::Pwrite(uint32_t fd, std::span<const iovec> buffers, uint64_t offset) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (file->directory) return std::unexpected(Errno::kIsdir);
  if (!file->can_write) return std::unexpected(Errno::kBadf);
  if (offset > kMaxOffset) return std::unexpected(Errno::kInval);
  return RetryCount([&] {
    return pwritev(file->host.get(), buffers.data(), IovCount(buffers), static_cast<off_t>(offset));
  });
}

WasiResult<uint64_t> WasiFiles::Seek(uint32_t fd, int64_t offset, uint8_t whence) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  // A directory's position is fd_readdir's cookie, not a seek offset.
  if (file->directory) return std::unexpected(Errno::kBadf);
  int host_whence;
  switch (whence) {
    case kWhenceSet:
      host_whence = SEEK_SET;
      break;
    case kWhenceCur:
      host_whence = SEEK_CUR;
      break;
    case kWhenceEnd:
      host_whence = SEEK_END;
      break;
    default:
      return std::unexpected(Errno::kInval);
  }
  off_t position = lseek(file->host.get(), static_cast<off_t>(offset), host_whence);
  if (position < 0) return std::unexpected(ErrnoFromHost(errno));
  return static_cast<uint64_t>(position);
}

Errno WasiFiles::Sync(uint32_t fd) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  return Retry([&] { return fsync(file->host.get()); });
}

Errno WasiFiles::Datasync(uint32_t fd) {
  OpenFile* file = Find(fd);
  if (!file) return Errno::kBadf;
  return Retry([&] { return fdatasync(file->host.get()); });
}

Errno WasiFiles::Close(uint32_t fd) {
  if (!Find(fd)) return Errno::kBadf;
  files_[fd - kFirstFd].reset();
  while (!files_.empty() && !files_.back()) files_.pop_back();
  return Errno::kSuccess;
}

Errno WasiFiles::Renumber(uint32_t from, uint32_t to) {
  if (!Find(from) || !Find(to)) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  files_[to - kFirstFd] = std::move(files_[from - kFirstFd]);
  while (!files_.empty() && !files_.back()) files_.pop_back();
  return Errno::kSuccess;
}

WasiResult<size_t> WasiFiles::ReadDir(uint32_t fd, uint64_t cookie, std::span<uint8_t> out) {
  OpenFile* file = Find(fd);
  if (!file) return std::unexpected(Errno::kBadf);
  if (!file->directory) return std::unexpected(Errno::kNotdir);
  if (cookie > kMaxOffset) return std::unexpected(Errno::kInval);
  int host = file->host.get();
  // Cookies are the kernel's own directory offsets (d_off), as seekdir(3) uses them: reading
  // resumes where the guest stopped without this side keeping any listing.
  if (lseek(host, static_cast<off_t>(cookie), SEEK_SET) < 0)
    return std::unexpected(ErrnoFromHost(errno));
  alignas(8) char buffer[32 * 1024];
  size_t used = 0;
  while (used < out.size()) {
    long length = syscall(SYS_getdents64, host, buffer, sizeof buffer);
    if (length < 0) {
      if (errno == EINTR) continue;
      return std::unexpected(ErrnoFromHost(errno));
    }
    if (length == 0) break;
    for (long position = 0; position < length && used < out.size();) {
      const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + position);
      position += entry->d_reclen;
      std::string_view name(entry->d_name);
      FileType type = TypeOfDirent(entry->d_type);
      if (entry->d_type == DT_UNKNOWN && !IsDotOrDotDot(name)) {
        struct stat st;
        if (fstatat(host, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
          type = TypeOfMode(st.st_mode);
      }
      uint8_t header[kDirentSize] = {};
      StoreLE<uint64_t>(header, 0, static_cast<uint64_t>(entry->d_off));
      StoreLE<uint64_t>(header, 8, entry->d_ino);
      StoreLE<uint32_t>(header, 16, static_cast<uint32_t>(name.size()));
      StoreLE<uint8_t>(header, 20, static_cast<uint8_t>(type));
      size_t take = std::min(kDirentSize, out.size() - used);
      std::memcpy(out.data() + used, header, take);
      used += take;
      take = std::min(name.size(), out.size() - used);
      std::memcpy(out.data() + used, name.data(), take);
      used += take;
    }
  }
  return used;
}

WasiResult<uint32_t> WasiFiles::PathOpen(uint32_t dirfd, uint32_t lookupflags,
                                         std::string_view path, uint16_t oflags,
                                         uint64_t rights_base, uint64_t rights_inheriting,
                                         uint16_t fdflags) {
  auto dir = Directory(dirfd);
  if (!dir) return std::unexpected(dir.error());
  bool changes = (rights_base & rights::kWrite) != 0 ||
                 (oflags & (kOflagCreat | kOflagTrunc | kOflagExcl)) != 0 ||
                 (fdflags & kFdflagAppend) != 0;
  if (changes && !(*dir)->writable_tree) return std::unexpected(Errno::kRofs);
  if (open_fds() >= kMaxOpenFds) return std::unexpected(Errno::kMfile);

  bool read = (rights_base & (rights::kFdRead | rights::kFdReaddir)) != 0;
  bool write = (rights_base & rights::kWrite) != 0;
  uint64_t flags = write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  // O_NONBLOCK: opening a FIFO must not block the shard; it is refused below anyway.
  flags |= O_NOCTTY | O_NONBLOCK;
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (oflags & kOflagDirectory) flags |= O_DIRECTORY;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  if (fdflags & kFdflagDsync) flags |= O_DSYNC;
  if (fdflags & (kFdflagSync | kFdflagRsync)) flags |= O_SYNC;
  if (!(lookupflags & kLookupSymlinkFollow)) flags |= O_NOFOLLOW;
  auto host = OpenBeneath((*dir)->host.get(), path, flags, 0666);
  if (!host) return std::unexpected(host.error());

  struct stat st;
  if (fstat(host->get(), &st) != 0) return std::unexpected(ErrnoFromHost(errno));
  // Only files and directories: devices, FIFOs and sockets inside a preopen stay out of reach.
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return std::unexpected(Errno::kNotsup);
  if (!(fdflags & kFdflagNonblock)) {
    int host_flags = fcntl(host->get(), F_GETFL);
    if (host_flags >= 0) fcntl(host->get(), F_SETFL, host_flags & ~O_NONBLOCK);
  }
  auto file = std::make_unique<OpenFile>();
  file->host = std::move(*host);
  file->directory = S_ISDIR(st.st_mode);
  file->writable_tree = (*dir)->writable_tree;
  file->can_read = !write || read;
  file->can_write = write;
  file->fdflags =
      fdflags & (kFdflagAppend | kFdflagDsync | kFdflagNonblock | kFdflagRsync | kFdflagSync);
  file->rights_base = rights_base & rights::kAll;
  file->rights_inheriting = rights_inheriting & rights::kAll;
  return Insert(std::move(file));
}

WasiResult<FileStat> WasiFiles::PathFileStatGet(uint32_t dirfd, uint32_t lookupflags,
                                                std::string_view path) {
  auto dir = Directory(dirfd);
  if (!dir) return std::unexpected(dir.error());
  uint64_t flags = O_PATH | ((lookupflags & kLookupSymlinkFollow) ? 0 : O_NOFOLLOW);
  auto target = OpenBeneath((*dir)->host.get(), path, flags);
  if (!target) return std::unexpected(target.error());
  return StatFd(target->get());
}

Errno WasiFiles::PathFileStatSetTimes(uint32_t dirfd, uint32_t lookupflags, std::string_view path,
                                      uint64_t atim, uint64_t mtim, uint16_t fst_flags) {
  auto dir = WritableDirectory(dirfd);
  if (!dir) return dir.error();
  auto times = Times(atim, mtim, fst_flags);
  if (!times) return times.error();
  bool follow = (lookupflags & kLookupSymlinkFollow) != 0;
  auto target = OpenBeneath((*dir)->host.get(), path, O_PATH | (follow ? 0 : O_NOFOLLOW));
  if (!target) return target.error();
  Errno result = Retry([&] { return utimensat(target->get(), "", times->data(), AT_EMPTY_PATH); });
  if (result != Errno::kInval || !follow) return result;
  // Kernels without AT_EMPTY_PATH for utimensat: through a readable descriptor instead.
  auto readable = OpenBeneath((*dir)->host.get(), path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (!readable) return readable.error();
  return Retry([&] { return futimens(readable->get(), times->data()); });
}

WasiResult<WasiFiles::Parent> WasiFiles::ResolveParent(const OpenFile& dir, std::string_view path) {
  if (path.empty()) return std::unexpected(Errno::kNoent);
  if (path.front() == '/') return std::unexpected(Errno::kNotcapable);
  size_t end = path.find_last_not_of('/');  // not npos: the path does not start with '/'
  Parent parent;
  parent.trailing_slash = end + 1 < path.size();
  std::string_view trimmed = path.substr(0, end + 1);
  size_t slash = trimmed.rfind('/');
  std::string_view directory = slash == std::string_view::npos ? "." : trimmed.substr(0, slash);
  parent.name = std::string(slash == std::string_view::npos ? trimmed : trimmed.substr(slash + 1));
  if (parent.name.find('\0') != std::string::npos) return std::unexpected(Errno::kInval);
  auto fd = OpenBeneath(dir.host.get(), directory, O_PATH | O_DIRECTORY);
  if (!fd) return std::unexpected(fd.error());
  parent.dir = std::move(*fd);
  return parent;
}

Errno WasiFiles::PathCreateDirectory(uint32_t dirfd, std::string_view path) {
  auto dir = WritableDirectory(dirfd);
  if (!dir) return dir.error();
  auto parent = ResolveParent(**dir, path);
  if (!parent) return parent.error();
  if (IsDotOrDotDot(parent->name)) return Errno::kExist;
  return Retry([&] { return mkdirat(parent->dir.get(), parent->name.c_str(), 0777); });
}

Errno WasiFiles::PathRemoveDirectory(uint32_t dirfd, std::string_view path) {
  auto dir = WritableDirectory(dirfd);
  if (!dir) return dir.error();
  auto parent = ResolveParent(**dir, path);
  if (!parent) return parent.error();
  if (parent->name == ".") return Errno::kInval;
  if (parent->name == "..") return Errno::kNotempty;
  return Retry([&] { return unlinkat(parent->dir.get(), parent->name.c_str(), AT_REMOVEDIR); });
}

Errno WasiFiles::PathUnlinkFile(uint32_t dirfd, std::string_view path) {
  auto dir = WritableDirectory(dirfd);
  if (!dir) return dir.error();
  auto parent = ResolveParent(**dir, path);
  if (!parent) return parent.error();
  if (IsDotOrDotDot(parent->name)) return Errno::kIsdir;
  if (parent->trailing_slash) {
    // "name/" names a directory, which unlink_file never removes.
    struct stat st;
    if (fstatat(parent->dir.get(), parent->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return ErrnoFromHost(errno);
    return S_ISDIR(st.st_mode) ? Errno::kIsdir : Errno::kNotdir;
  }
  return Retry([&] { return unlinkat(parent->dir.get(), parent->name.c_str(), 0); });
}

Errno WasiFiles::PathRename(uint32_t old_dirfd, std::string_view old_path, uint32_t new_dirfd,
                            std::string_view new_path) {
  auto old_dir = WritableDirectory(old_dirfd);
  if (!old_dir) return old_dir.error();
  auto new_dir = WritableDirectory(new_dirfd);
  if (!new_dir) return new_dir.error();
  auto from = ResolveParent(**old_dir, old_path);
  if (!from) return from.error();
  auto to = ResolveParent(**new_dir, new_path);
  if (!to) return to.error();
  if (IsDotOrDotDot(from->name) || IsDotOrDotDot(to->name)) return Errno::kInval;
  if (from->trailing_slash || to->trailing_slash) {
    struct stat st;
    if (fstatat(from->dir.get(), from->name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      return ErrnoFromHost(errno);
    if (!S_ISDIR(st.st_mode)) return Errno::kNotdir;
  }
  return Retry([&] {
    return renameat(from->dir.get(), from->name.c_str(), to->dir.get(), to->name.c_str());
  });
}

WasiResult<size_t> WasiFiles::PathReadlink(uint32_t dirfd, std::string_view path,
                                           std::span<uint8_t> out) {
  auto dir = Directory(dirfd);
  if (!dir) return std::unexpected(dir.error());
  auto link = OpenBeneath((*dir)->host.get(), path, O_PATH | O_NOFOLLOW);
  if (!link) return std::unexpected(link.error());
  struct stat st;
  if (fstat(link->get(), &st) != 0) return std::unexpected(ErrnoFromHost(errno));
  if (!S_ISLNK(st.st_mode)) return std::unexpected(Errno::kInval);
  char target[PATH_MAX];
  ssize_t length = readlinkat(link->get(), "", target, sizeof target);
  if (length < 0) return std::unexpected(ErrnoFromHost(errno));
  size_t copied = std::min(static_cast<size_t>(length), out.size());
  std::memcpy(out.data(), target, copied);
  return copied;
}

}  // namespace mar::wasm
