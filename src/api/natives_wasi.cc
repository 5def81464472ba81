// The natives behind 43_wasi.js: the files of WASI instances (wasm/wasi_files.h).
//
// Each instance's WasiFiles sits in a per-realm table under a numeric handle. The table is found
// through `native.wasiTable`, an object whose first internal field points at it; its second holds
// a one-byte ArrayBuffer whose backing store owns the table, so V8 deletes the table (closing
// every file still open) when the context is collected or, at the latest, when the isolate is
// disposed, which is when a Realm goes away. No state outside the realm.
//
// Every file operation takes (table, handle, ...) and, where the guest passes pointers, the
// instance's memory (its ArrayBuffer) followed by the guest's own arguments in preview1 order.
// It checks every pointer against that memory, works on the guest bytes in place, writes its
// results into guest memory and returns a WASI errno; it never throws for anything the guest
// does. 64-bit arguments may be BigInts (as Wasm passes them) or Numbers.
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "api/natives.h"
#include "engine/binding.h"
#include "wasm/wasi_files.h"

namespace mar::api {

namespace {

using engine::Args;
using wasm::Errno;
using wasm::GuestMemory;
using wasm::StoreLE;
using wasm::WasiFiles;

class WasiTable {
 public:
  uint32_t Add(std::unique_ptr<WasiFiles> files) {
    while (next_handle_ == 0 || files_.contains(next_handle_)) ++next_handle_;
    uint32_t handle = next_handle_++;
    files_.emplace(handle, std::move(files));
    return handle;
  }
  WasiFiles* Find(uint32_t handle) const {
    auto found = files_.find(handle);
    return found == files_.end() ? nullptr : found->second.get();
  }
  void Remove(uint32_t handle) { files_.erase(handle); }
  // The byte the owning ArrayBuffer spans (a backing store needs some memory; JS never views it).
  uint8_t* anchor() { return &anchor_; }

 private:
  std::unordered_map<uint32_t, std::unique_ptr<WasiFiles>> files_;
  uint32_t next_handle_ = 1;
  uint8_t anchor_ = 0;
};

constexpr int kTableField = 0;
constexpr int kOwnerField = 1;
constexpr int kTableFields = 2;

void DeleteTable(void* data, size_t length, void* table) {
  delete static_cast<WasiTable*>(table);
}

WasiTable& TableOf(Args& args) {
  v8::Local<v8::Value> value = args[0];
  if (!value->IsObject() || value.As<v8::Object>()->InternalFieldCount() != kTableFields) {
    args.ThrowArgumentError(0, "native.wasiTable");
  }
  return *static_cast<WasiTable*>(
      value.As<v8::Object>()->GetAlignedPointerFromInternalField(kTableField));
}

// ToUint32, as a Wasm i32 argument arrives (a signed Number).
uint32_t U32(Args& args, int index) {
  v8::Local<v8::Value> value = args[index];
  if (value->IsInt32()) return static_cast<uint32_t>(value.As<v8::Int32>()->Value());
  return value->Uint32Value(args.context()).FromMaybe(0);
}

// A Wasm i64 argument (a BigInt), as its two's complement bits.
uint64_t U64(Args& args, int index) {
  v8::Local<v8::Value> value = args[index];
  if (value->IsBigInt()) return value.As<v8::BigInt>()->Uint64Value();
  // A Number (from the built-in JS only): saturated, so the conversion is always defined.
  double number = args.Number(index);
  if (!(number > -9.2e18)) return number < 0 ? static_cast<uint64_t>(INT64_MIN) : 0;  // NaN: 0
  if (number < 0) return static_cast<uint64_t>(static_cast<int64_t>(number));
  return number < 1.8e19 ? static_cast<uint64_t>(number) : UINT64_MAX;
}

GuestMemory MemoryAt(Args& args, int index) {
  return GuestMemory(args.Bytes(index));
}

// Runs `body` with the WasiFiles of handle args[1] and returns its errno; a handle already
// released answers `badf`, as every descriptor of a closed instance is.
template <class Body>
void WithFiles(Args& args, Body body) {
  WasiFiles* files = TableOf(args).Find(U32(args, 1));
  Errno result = files ? body(*files) : Errno::kBadf;
  args.Return(static_cast<double>(static_cast<uint16_t>(result)));
}

// Stores a 32- or 64-bit result at a range checked before the operation ran.
template <class T>
Errno Stored(const wasm::WasiResult<std::span<uint8_t>>& out, const wasm::WasiResult<T>& value) {
  if (!value) return value.error();
  StoreLE(*out, 0, *value);
  return Errno::kSuccess;
}

// A byte count (at most a transfer's cap, so it fits the guest's u32 size).
Errno StoredCount(const wasm::WasiResult<std::span<uint8_t>>& out,
                  const wasm::WasiResult<size_t>& count) {
  if (!count) return count.error();
  StoreLE(*out, 0, static_cast<uint32_t>(*count));
  return Errno::kSuccess;
}

// wasiCreate(table, hostPaths, writable) -> handle; throws if a preopen cannot be opened.
void Create(Args& args) {
  WasiTable& table = TableOf(args);
  v8::Local<v8::Context> context = args.context();
  v8::Local<v8::Object> hosts = args.Object(1);
  v8::Local<v8::Object> writable = args.Object(2);
  if (!hosts->IsArray() || !writable->IsArray())
    engine::ThrowTypeError("native.wasiCreate: expected two arrays");
  uint32_t count = hosts.As<v8::Array>()->Length();
  std::vector<wasm::PreopenDir> preopens;
  preopens.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    v8::Local<v8::Value> host;
    v8::Local<v8::Value> write;
    if (!hosts->Get(context, i).ToLocal(&host) || !writable->Get(context, i).ToLocal(&write)) {
      throw engine::PendingJsException{};
    }
    preopens.push_back({engine::ToUtf8(args.isolate(), host), write->BooleanValue(args.isolate())});
  }
  auto files = WasiFiles::Open(preopens);
  if (!files) engine::ThrowError(files.error().message);
  args.Return(static_cast<double>(table.Add(std::move(*files))));
}

// wasiRelease(table, handle): closes every file of the instance.
void Release(Args& args) {
  TableOf(args).Remove(U32(args, 1));
}

// wasiPrestat(table, handle, fd) -> the index of the preopen `fd` is, or -errno.
void Prestat(Args& args) {
  WasiFiles* files = TableOf(args).Find(U32(args, 1));
  wasm::WasiResult<uint32_t> index = std::unexpected(Errno::kBadf);
  if (files) index = files->PreopenIndex(U32(args, 2));
  args.Return(index ? static_cast<double>(*index)
                    : -static_cast<double>(static_cast<uint16_t>(index.error())));
}

// wasiCheck(table, handle, fd) -> success if fd is open, else badf.
void Check(Args& args) {
  WithFiles(args, [&](WasiFiles& files) { return files.Check(U32(args, 2)); });
}

// wasiFdClose(table, handle, fd)
void FdClose(Args& args) {
  WithFiles(args, [&](WasiFiles& files) { return files.Close(U32(args, 2)); });
}

// wasiFdRead / wasiFdWrite(table, handle, memory, fd, iovs, iovsLen, retptr)
template <bool kWrite>
void FdTransfer(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 6), 4);
    if (!out) return out.error();
    auto buffers = memory.Iovecs(U32(args, 4), U32(args, 5), WasiFiles::kMaxTransferBytes);
    if (!buffers) return buffers.error();
    auto count = kWrite ? files.Write(U32(args, 3), *buffers) : files.Read(U32(args, 3), *buffers);
    return StoredCount(out, count);
  });
}

// wasiFdPread / wasiFdPwrite(table, handle, memory, fd, iovs, iovsLen, offset, retptr)
template <bool kWrite>
void FdPositionalTransfer(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 7), 4);
    if (!out) return out.error();
    auto buffers = memory.Iovecs(U32(args, 4), U32(args, 5), WasiFiles::kMaxTransferBytes);
    if (!buffers) return buffers.error();
    uint64_t offset = U64(args, 6);
    auto count = kWrite ? files.Pwrite(U32(args, 3), *buffers, offset)
                        : files.Pread(U32(args, 3), *buffers, offset);
    return StoredCount(out, count);
  });
}

// wasiFdSeek(table, handle, memory, fd, offset, whence, retptr)
void FdSeek(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 6), 8);
    if (!out) return out.error();
    return Stored(out, files.Seek(U32(args, 3), static_cast<int64_t>(U64(args, 4)),
                                  static_cast<uint8_t>(U32(args, 5))));
  });
}

// wasiFdTell(table, handle, memory, fd, retptr)
void FdTell(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 4), 8);
    if (!out) return out.error();
    return Stored(out, files.Seek(U32(args, 3), 0, wasm::kWhenceCur));
  });
}

// wasiFdFdstatGet(table, handle, memory, fd, retptr)
void FdFdstatGet(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 4), wasm::kFdStatSize);
    if (!out) return out.error();
    auto stat = files.FdStatGet(U32(args, 3));
    if (!stat) return stat.error();
    wasm::EncodeFdStat(*stat, out->first<wasm::kFdStatSize>());
    return Errno::kSuccess;
  });
}

// wasiFdFdstatSetFlags(table, handle, fd, flags)
void FdFdstatSetFlags(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    return files.FdStatSetFlags(U32(args, 2), static_cast<uint16_t>(U32(args, 3)));
  });
}

// wasiFdFdstatSetRights(table, handle, fd, base, inheriting)
void FdFdstatSetRights(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    return files.FdStatSetRights(U32(args, 2), U64(args, 3), U64(args, 4));
  });
}

// wasiFdFilestatGet(table, handle, memory, fd, retptr)
void FdFilestatGet(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 4), wasm::kFileStatSize);
    if (!out) return out.error();
    auto stat = files.FileStatGet(U32(args, 3));
    if (!stat) return stat.error();
    wasm::EncodeFileStat(*stat, out->first<wasm::kFileStatSize>());
    return Errno::kSuccess;
  });
}

// wasiFdFilestatSetSize(table, handle, fd, size)
void FdFilestatSetSize(Args& args) {
  WithFiles(args,
            [&](WasiFiles& files) { return files.FileStatSetSize(U32(args, 2), U64(args, 3)); });
}

// wasiFdFilestatSetTimes(table, handle, fd, atim, mtim, fstFlags)
void FdFilestatSetTimes(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    return files.FileStatSetTimes(U32(args, 2), U64(args, 3), U64(args, 4),
                                  static_cast<uint16_t>(U32(args, 5)));
  });
}

// wasiFdReaddir(table, handle, memory, fd, buf, bufLen, cookie, retptr)
void FdReaddir(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 7), 4);
    if (!out) return out.error();
    auto buffer = memory.Range(U32(args, 4), U32(args, 5));
    if (!buffer) return buffer.error();
    auto used = files.ReadDir(U32(args, 3), U64(args, 6), *buffer);
    return StoredCount(out, used);
  });
}

// wasiFdSync / wasiFdDatasync(table, handle, fd)
void FdSync(Args& args) {
  WithFiles(args, [&](WasiFiles& files) { return files.Sync(U32(args, 2)); });
}
void FdDatasync(Args& args) {
  WithFiles(args, [&](WasiFiles& files) { return files.Datasync(U32(args, 2)); });
}

// wasiFdRenumber(table, handle, from, to)
void FdRenumber(Args& args) {
  WithFiles(args, [&](WasiFiles& files) { return files.Renumber(U32(args, 2), U32(args, 3)); });
}

// wasiPathOpen(table, handle, memory, fd, dirflags, path, pathLen, oflags, rightsBase,
//              rightsInheriting, fdflags, retptr)
void PathOpen(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 11), 4);
    if (!out) return out.error();
    auto path = memory.Path(U32(args, 5), U32(args, 6));
    if (!path) return path.error();
    return Stored(
        out, files.PathOpen(U32(args, 3), U32(args, 4), *path, static_cast<uint16_t>(U32(args, 7)),
                            U64(args, 8), U64(args, 9), static_cast<uint16_t>(U32(args, 10))));
  });
}

// wasiPathFilestatGet(table, handle, memory, fd, flags, path, pathLen, retptr)
void PathFilestatGet(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 7), wasm::kFileStatSize);
    if (!out) return out.error();
    auto path = memory.Path(U32(args, 5), U32(args, 6));
    if (!path) return path.error();
    auto stat = files.PathFileStatGet(U32(args, 3), U32(args, 4), *path);
    if (!stat) return stat.error();
    wasm::EncodeFileStat(*stat, out->first<wasm::kFileStatSize>());
    return Errno::kSuccess;
  });
}

// wasiPathFilestatSetTimes(table, handle, memory, fd, flags, path, pathLen, atim, mtim, fstFlags)
void PathFilestatSetTimes(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto path = memory.Path(U32(args, 5), U32(args, 6));
    if (!path) return path.error();
    return files.PathFileStatSetTimes(U32(args, 3), U32(args, 4), *path, U64(args, 7), U64(args, 8),
                                      static_cast<uint16_t>(U32(args, 9)));
  });
}

// wasiPathCreateDirectory / wasiPathRemoveDirectory / wasiPathUnlinkFile(table, handle, memory,
// fd, path, pathLen)
template <Errno (WasiFiles::*kOperation)(uint32_t, std::string_view)>
void PathOperation(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto path = memory.Path(U32(args, 4), U32(args, 5));
    if (!path) return path.error();
    return (files.*kOperation)(U32(args, 3), *path);
  });
}

// wasiPathRename(table, handle, memory, fd, oldPath, oldPathLen, newFd, newPath, newPathLen)
void PathRename(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto old_path = memory.Path(U32(args, 4), U32(args, 5));
    if (!old_path) return old_path.error();
    auto new_path = memory.Path(U32(args, 7), U32(args, 8));
    if (!new_path) return new_path.error();
    return files.PathRename(U32(args, 3), *old_path, U32(args, 6), *new_path);
  });
}

// wasiPathReadlink(table, handle, memory, fd, path, pathLen, buf, bufLen, retptr)
void PathReadlink(Args& args) {
  WithFiles(args, [&](WasiFiles& files) {
    GuestMemory memory = MemoryAt(args, 2);
    auto out = memory.Range(U32(args, 8), 4);
    if (!out) return out.error();
    auto path = memory.Path(U32(args, 4), U32(args, 5));
    if (!path) return path.error();
    auto buffer = memory.Range(U32(args, 6), U32(args, 7));
    if (!buffer) return buffer.error();
    auto copied = files.PathReadlink(U32(args, 3), *path, *buffer);
    return StoredCount(out, copied);
  });
}

}  // namespace

v8::Local<v8::Object> NewWasiTable(v8::Local<v8::Context> context) {
  v8::Isolate* isolate = context->GetIsolate();
  auto owned = std::make_unique<WasiTable>();
  WasiTable* table = owned.get();
  auto store = v8::ArrayBuffer::NewBackingStore(table->anchor(), 1, &DeleteTable, owned.release());
  v8::Local<v8::ArrayBuffer> owner = v8::ArrayBuffer::New(isolate, std::move(store));
  v8::Local<v8::ObjectTemplate> shape = v8::ObjectTemplate::New(isolate);
  shape->SetInternalFieldCount(kTableFields);
  v8::Local<v8::Object> handle = shape->NewInstance(context).ToLocalChecked();
  handle->SetAlignedPointerInInternalField(kTableField, table);
  handle->SetInternalField(kOwnerField, owner);
  return handle;
}

void AddWasiNatives(engine::NativeObject& natives) {
  natives.Function<Create>("wasiCreate")
      .Function<Release>("wasiRelease")
      .Function<Prestat>("wasiPrestat")
      .Function<Check>("wasiCheck")
      .Function<FdClose>("wasiFdClose")
      .Function<FdTransfer<false>>("wasiFdRead")
      .Function<FdTransfer<true>>("wasiFdWrite")
      .Function<FdPositionalTransfer<false>>("wasiFdPread")
      .Function<FdPositionalTransfer<true>>("wasiFdPwrite")
      .Function<FdSeek>("wasiFdSeek")
      .Function<FdTell>("wasiFdTell")
      .Function<FdFdstatGet>("wasiFdFdstatGet")
      .Function<FdFdstatSetFlags>("wasiFdFdstatSetFlags")
      .Function<FdFdstatSetRights>("wasiFdFdstatSetRights")
      .Function<FdFilestatGet>("wasiFdFilestatGet")
      .Function<FdFilestatSetSize>("wasiFdFilestatSetSize")
      .Function<FdFilestatSetTimes>("wasiFdFilestatSetTimes")
      .Function<FdReaddir>("wasiFdReaddir")
      .Function<FdSync>("wasiFdSync")
      .Function<FdDatasync>("wasiFdDatasync")
      .Function<FdRenumber>("wasiFdRenumber")
      .Function<PathOpen>("wasiPathOpen")
      .Function<PathFilestatGet>("wasiPathFilestatGet")
      .Function<PathFilestatSetTimes>("wasiPathFilestatSetTimes")
      .Function<PathOperation<&WasiFiles::PathCreateDirectory>>("wasiPathCreateDirectory")
      .Function<PathOperation<&WasiFiles::PathRemoveDirectory>>("wasiPathRemoveDirectory")
      .Function<PathOperation<&WasiFiles::PathUnlinkFile>>("wasiPathUnlinkFile")
      .Function<PathRename>("wasiPathRename")
      .Function<PathReadlink>("wasiPathReadlink");
}

}  // namespace mar::api
