// WASI preview1 (`wasi_snapshot_preview1`) for WebAssembly actors, so that ordinary toolchain
// output (clang + wasi-libc) runs as an actor. internal.makeWasi(options) makes one instance's
// imports; 44_wasm_actors.js passes them at instantiation, then calls setMemory(exports.memory),
// and close() once the actor is gone.
//
// The standard streams live here: stdin is always at its end, and what the guest writes to
// stdout/stderr becomes log records ("info"/"error"), one per line. Every other descriptor is a
// file or directory beneath a preopen, kept by C++ (src/wasm/wasi_files.h) under a numeric
// handle: those natives take the memory's ArrayBuffer and the guest's own arguments, check every
// pointer, work on guest memory in place and answer with an errno. Layouts and numbers follow
// wasi-libc's <wasi/api.h>; nothing here throws into the guest except proc_exit.

const utf8Encode = native.utf8Encode;
const utf8Decode = native.utf8Decode;
const randomFill = native.randomFill;
const monotonicMs = native.now;
let timeOriginMs;
let table;  // native.wasiTable
internal.onInstance(() => {
  timeOriginMs = native.timeOrigin;
  table = native.wasiTable;
});
const {
  wasiCreate, wasiRelease, wasiPrestat, wasiCheck, wasiFdClose, wasiFdRead, wasiFdWrite, wasiFdPread,
  wasiFdPwrite, wasiFdSeek, wasiFdTell, wasiFdFdstatGet, wasiFdFdstatSetFlags, wasiFdFdstatSetRights,
  wasiFdFilestatGet, wasiFdFilestatSetSize, wasiFdFilestatSetTimes, wasiFdReaddir, wasiFdSync,
  wasiFdDatasync, wasiFdRenumber, wasiPathOpen, wasiPathFilestatGet, wasiPathFilestatSetTimes,
  wasiPathCreateDirectory, wasiPathRemoveDirectory, wasiPathUnlinkFile, wasiPathRename, wasiPathReadlink,
} = native;
// Captured before user code runs (it may patch the prototypes). WebAssembly is only there once
// the context is (not while the start-up snapshot is made): hence the hook.
let WasmMemory;
let memoryBufferOf;
internal.onInstance(() => {
  if (typeof WebAssembly === "undefined") return;  // the build's warm-up context, before the snapshot
  WasmMemory = WebAssembly.Memory;
  memoryBufferOf = Function.prototype.call.bind(Object.getOwnPropertyDescriptor(WasmMemory.prototype, "buffer").get);
});
const NativeUint8Array = Uint8Array;
const NativeDataView = DataView;
const NativeBigInt = BigInt;
const mathFloor = Math.floor;
const mathMin = Math.min;
const objectKeys = Object.keys;
const freeze = Object.freeze;

const SUCCESS = 0, BADF = 8, FAULT = 21, INVAL = 28, IO = 29, NAMETOOLONG = 37, NOSYS = 52, NOTDIR = 54,
  NOTSUP = 58, PERM = 63, SPIPE = 70;
const FILETYPE_CHARACTER_DEVICE = 2;
const RIGHTS_FD_READ = 1n << 1n, RIGHTS_FD_FDSTAT_SET_FLAGS = 1n << 3n, RIGHTS_FD_WRITE = 1n << 6n,
  RIGHTS_FD_FILESTAT_GET = 1n << 21n, RIGHTS_POLL_FD_READWRITE = 1n << 27n;
// The standard streams look like terminals without seek/tell, which makes wasi-libc line-buffer
// stdout (isatty) instead of holding output until exit.
const kStdioRights = RIGHTS_FD_FDSTAT_SET_FLAGS | RIGHTS_FD_FILESTAT_GET | RIGHTS_POLL_FD_READWRITE;
const kStdinRights = kStdioRights | RIGHTS_FD_READ;
const kStdoutRights = kStdioRights | RIGHTS_FD_WRITE;
const kMaxLogLine = 16 * 1024;          // bytes per log record; longer lines are split
const kMaxTransfer = 16 * 1024 * 1024;  // bytes per fd_write to stdout/stderr, as for files
const kRandomChunk = 64 * 1024;
let kNoMemory;
internal.onInstance(() => {
  kNoMemory = new ArrayBuffer(0);
});

// The names this file provides; src/wasm/wasi.h (kPreview1Functions) holds the same list, which
// the node uses to refuse modules importing anything else. Keep the two identical.
internal.wasiFunctionNames = freeze([
  "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
  "fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
  "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
  "fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek",
  "fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get", "path_filestat_set_times",
  "path_link", "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
  "path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise", "sched_yield", "random_get",
]);

// A NUL-terminated UTF-8 copy of `text`, as args_get and environ_get hand strings out.
function cString(text) {
  const bytes = utf8Encode(text);
  const terminated = new NativeUint8Array(bytes.length + 1);
  terminated.set(bytes);
  return terminated;
}

function byteTotal(list) {
  let total = 0;
  for (let i = 0; i < list.length; i++) total += list[i].length;
  return total;
}

// The longest prefix of `bytes` of at most `limit` bytes that does not end inside a UTF-8
// sequence (0 if none does).
function utf8Prefix(bytes, limit) {
  if (limit >= bytes.length) return bytes.length;
  let cut = limit;
  for (let back = 0; back < 3 && cut > 0 && (bytes[cut] & 0xc0) === 0x80; back++) cut--;
  return (bytes[cut] & 0xc0) === 0x80 ? limit : cut;
}

// stdout or stderr: whole lines become log records (without the newline); a line longer than
// kMaxLogLine goes out in pieces of at most that many bytes, cut between characters.
class LineBuffer {
  constructor(level, log) {
    this.level = level;
    this.log = log;
    this.parts = [];  // copies of the current line's bytes so far
    this.size = 0;
    this.split = false;  // part of the current line already went out
  }

  // `bytes` is a view of guest memory: whatever is kept is copied.
  write(bytes) {
    let start = 0;
    const length = bytes.length;
    while (start < length) {
      const newline = bytes.indexOf(10, start);
      if (newline === -1) {
        this.append(bytes.subarray(start));
        return;
      }
      const line = bytes.subarray(start, newline);
      if (this.size === 0 && !this.split && line.length <= kMaxLogLine) {
        this.emit(line);
      } else {
        this.append(line);
        if (this.size > 0 || !this.split) this.emitKept();
      }
      this.split = false;
      start = newline + 1;
    }
  }

  append(segment) {
    while (this.size + segment.length > kMaxLogLine) {
      const cut = utf8Prefix(segment, kMaxLogLine - this.size);
      if (cut > 0) {
        this.parts.push(segment.slice(0, cut));
        this.size += cut;
        segment = segment.subarray(cut);
      }
      this.emitKept();
      this.split = true;
    }
    if (segment.length > 0) {
      this.parts.push(segment.slice());
      this.size += segment.length;
    }
  }

  // The unfinished line, if any (close() and proc_exit).
  flush() {
    if (this.size > 0) this.emitKept();
    this.split = false;
  }

  emitKept() {
    const parts = this.parts;
    let line;
    if (parts.length === 1) {
      line = parts[0];
    } else {
      line = new NativeUint8Array(this.size);
      let at = 0;
      for (let i = 0; i < parts.length; i++) {
        line.set(parts[i], at);
        at += parts[i].length;
      }
    }
    this.parts = [];
    this.size = 0;
    this.emit(line);
  }

  emit(bytes) {
    this.log(this.level, bytes.length === 0 ? "" : utf8Decode(bytes, false));
  }
}

// One instance's WASI: `args` (strings), `env` (name -> value), `preopens` ([{guest, host,
// write}], validated by the node), `log(level, text)`, and `exit(code)`, which throws.
// Returns { imports, setMemory(memory), close() }.
internal.makeWasi = (options) => {
  const { log, exit } = options;
  const args = options.args || [];
  const env = options.env || {};
  const preopens = options.preopens || [];
  const argStrings = [];
  for (let i = 0; i < args.length; i++) argStrings.push(cString(`${args[i]}`));
  const envStrings = [];
  const names = objectKeys(env);
  for (let i = 0; i < names.length; i++) envStrings.push(cString(`${names[i]}=${env[names[i]]}`));
  const guestNames = [];
  const hostPaths = [];
  const writable = [];
  for (let i = 0; i < preopens.length; i++) {
    guestNames.push(utf8Encode(`${preopens[i].guest}`));
    hostPaths.push(`${preopens[i].host}`);
    writable.push(preopens[i].write === true);
  }
  const handle = wasiCreate(table, hostPaths, writable);
  const output = [null, new LineBuffer("info", log), new LineBuffer("error", log)];
  const stdioOpen = [true, true, true];
  let memory = null;
  let closed = false;

  // Guest memory. The ArrayBuffer changes when memory grows, so it is fetched on every call and
  // the DataView remade when it changed.
  let viewBuffer = null;
  let view = null;
  const buffer = () => (memory === null ? kNoMemory : memoryBufferOf(memory));
  const dataView = () => {
    const current = buffer();
    if (current !== viewBuffer) {
      viewBuffer = current;
      view = new NativeDataView(current);
    }
    return view;
  };
  // Whether [pointer, pointer + length) lies in memory (both already unsigned).
  const fits = (dv, pointer, length) => pointer + length <= dv.byteLength;

  const isStdio = (fd) => fd === 0 || fd === 1 || fd === 2;
  const flushOutput = () => {
    output[1].flush();
    output[2].flush();
  };

  function sizesGet(list, countPointer, sizePointer) {
    const dv = dataView();
    countPointer >>>= 0;
    sizePointer >>>= 0;
    if (!fits(dv, countPointer, 4) || !fits(dv, sizePointer, 4)) return FAULT;
    dv.setUint32(countPointer, list.length, true);
    dv.setUint32(sizePointer, byteTotal(list), true);
    return SUCCESS;
  }

  function stringsGet(list, pointersPointer, bytesPointer) {
    const dv = dataView();
    pointersPointer >>>= 0;
    bytesPointer >>>= 0;
    if (!fits(dv, pointersPointer, list.length * 4) || !fits(dv, bytesPointer, byteTotal(list))) return FAULT;
    const bytes = new NativeUint8Array(viewBuffer);
    let at = bytesPointer;
    for (let i = 0; i < list.length; i++) {
      dv.setUint32(pointersPointer + i * 4, at, true);
      bytes.set(list[i], at);
      at += list[i].length;
    }
    return SUCCESS;
  }

  function clockNs(id) {
    if (id === 0) {
      const ms = timeOriginMs + monotonicMs();
      const whole = mathFloor(ms);
      return NativeBigInt(whole) * 1000000n + NativeBigInt(mathFloor((ms - whole) * 1e6));
    }
    // Process and thread CPU time would tell about other actors on the shard: monotonic instead.
    return NativeBigInt(mathFloor(monotonicMs() * 1e6));
  }

  // The stdout/stderr side of fd_write.
  function writeOutput(fd, iovs, count, resultPointer) {
    const dv = dataView();
    iovs >>>= 0;
    count >>>= 0;
    resultPointer >>>= 0;
    if (!fits(dv, resultPointer, 4) || !fits(dv, iovs, count * 8)) return FAULT;
    for (let i = 0; i < count; i++) {
      if (!fits(dv, dv.getUint32(iovs + i * 8, true), dv.getUint32(iovs + i * 8 + 4, true))) return FAULT;
    }
    const memoryBytes = viewBuffer;
    let total = 0;
    for (let i = 0; i < count && total < kMaxTransfer; i++) {
      const length = mathMin(dv.getUint32(iovs + i * 8 + 4, true), kMaxTransfer - total);
      if (length === 0) continue;
      output[fd].write(new NativeUint8Array(memoryBytes, dv.getUint32(iovs + i * 8, true), length));
      total += length;
    }
    dv.setUint32(resultPointer, total, true);
    return SUCCESS;
  }

  function stdioFdstat(fd, pointer) {
    const dv = dataView();
    pointer >>>= 0;
    if (!fits(dv, pointer, 24)) return FAULT;
    new NativeUint8Array(viewBuffer, pointer, 24).fill(0);
    dv.setUint8(pointer, FILETYPE_CHARACTER_DEVICE);
    dv.setBigUint64(pointer + 8, fd === 0 ? kStdinRights : kStdoutRights, true);
    return SUCCESS;
  }

  function stdioFilestat(pointer) {
    const dv = dataView();
    pointer >>>= 0;
    if (!fits(dv, pointer, 64)) return FAULT;
    new NativeUint8Array(viewBuffer, pointer, 64).fill(0);
    dv.setUint8(pointer + 16, FILETYPE_CHARACTER_DEVICE);
    return SUCCESS;
  }

  // success if `fd` is open (a standard stream or a file), else badf.
  const check = (fd) => (isStdio(fd) ? (stdioOpen[fd] ? SUCCESS : BADF) : wasiCheck(table, handle, fd));

  const imports = {
    args_get: (pointers, bytes) => stringsGet(argStrings, pointers, bytes),
    args_sizes_get: (count, size) => sizesGet(argStrings, count, size),
    environ_get: (pointers, bytes) => stringsGet(envStrings, pointers, bytes),
    environ_sizes_get: (count, size) => sizesGet(envStrings, count, size),

    clock_res_get(id, resultPointer) {
      const dv = dataView();
      resultPointer >>>= 0;
      if (id >>> 0 > 3) return INVAL;
      if (!fits(dv, resultPointer, 8)) return FAULT;
      dv.setBigUint64(resultPointer, 1000n, true);
      return SUCCESS;
    },
    clock_time_get(id, precision, resultPointer) {
      const dv = dataView();
      resultPointer >>>= 0;
      if (id >>> 0 > 3) return INVAL;
      if (!fits(dv, resultPointer, 8)) return FAULT;
      dv.setBigUint64(resultPointer, clockNs(id), true);
      return SUCCESS;
    },

    random_get(pointer, length) {
      const dv = dataView();
      pointer >>>= 0;
      length >>>= 0;
      if (!fits(dv, pointer, length)) return FAULT;
      try {
        for (let done = 0; done < length; done += kRandomChunk) {
          randomFill(new NativeUint8Array(viewBuffer, pointer + done, mathMin(kRandomChunk, length - done)));
        }
      } catch {
        return IO;  // the system generator failed (OpenSSL's RAND_bytes)
      }
      return SUCCESS;
    },

    proc_exit(code) {
      flushOutput();
      exit(code >>> 0);
    },
    proc_raise: () => NOSYS,
    sched_yield: () => SUCCESS,
    // Waiting would block the shard: sleeps and polls are refused.
    poll_oneoff: () => NOSYS,

    fd_write(fd, iovs, count, resultPointer) {
      if (fd === 1 || fd === 2) return stdioOpen[fd] ? writeOutput(fd, iovs, count, resultPointer) : BADF;
      if (fd === 0) return BADF;
      return wasiFdWrite(table, handle, buffer(), fd, iovs, count, resultPointer);
    },
    fd_read(fd, iovs, count, resultPointer) {
      if (fd === 0) {
        if (!stdioOpen[0]) return BADF;
        const dv = dataView();
        resultPointer >>>= 0;
        if (!fits(dv, resultPointer, 4) || !fits(dv, iovs >>> 0, (count >>> 0) * 8)) return FAULT;
        dv.setUint32(resultPointer, 0, true);  // stdin is always at its end
        return SUCCESS;
      }
      if (isStdio(fd)) return BADF;
      return wasiFdRead(table, handle, buffer(), fd, iovs, count, resultPointer);
    },
    fd_pread(fd, iovs, count, offset, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? SPIPE : BADF;
      return wasiFdPread(table, handle, buffer(), fd, iovs, count, offset, resultPointer);
    },
    fd_pwrite(fd, iovs, count, offset, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? SPIPE : BADF;
      return wasiFdPwrite(table, handle, buffer(), fd, iovs, count, offset, resultPointer);
    },
    fd_seek(fd, offset, whence, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? SPIPE : BADF;
      return wasiFdSeek(table, handle, buffer(), fd, offset, whence, resultPointer);
    },
    fd_tell(fd, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? SPIPE : BADF;
      return wasiFdTell(table, handle, buffer(), fd, resultPointer);
    },
    fd_close(fd) {
      if (isStdio(fd)) {
        if (!stdioOpen[fd]) return BADF;
        if (fd !== 0) output[fd].flush();
        stdioOpen[fd] = false;
        return SUCCESS;
      }
      return wasiFdClose(table, handle, fd);
    },
    fd_fdstat_get(fd, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? stdioFdstat(fd, resultPointer) : BADF;
      return wasiFdFdstatGet(table, handle, buffer(), fd, resultPointer);
    },
    fd_fdstat_set_flags(fd, flags) {
      if (isStdio(fd)) return stdioOpen[fd] ? SUCCESS : BADF;
      return wasiFdFdstatSetFlags(table, handle, fd, flags);
    },
    fd_fdstat_set_rights(fd, base, inheriting) {
      if (isStdio(fd)) return stdioOpen[fd] ? SUCCESS : BADF;
      return wasiFdFdstatSetRights(table, handle, fd, base, inheriting);
    },
    fd_filestat_get(fd, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? stdioFilestat(resultPointer) : BADF;
      return wasiFdFilestatGet(table, handle, buffer(), fd, resultPointer);
    },
    fd_filestat_set_size(fd, size) {
      if (isStdio(fd)) return stdioOpen[fd] ? INVAL : BADF;
      return wasiFdFilestatSetSize(table, handle, fd, size);
    },
    fd_filestat_set_times(fd, atim, mtim, flags) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTSUP : BADF;
      return wasiFdFilestatSetTimes(table, handle, fd, atim, mtim, flags);
    },
    fd_readdir(fd, bufferPointer, bufferLength, cookie, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiFdReaddir(table, handle, buffer(), fd, bufferPointer, bufferLength, cookie, resultPointer);
    },
    fd_sync(fd) {
      if (isStdio(fd)) return stdioOpen[fd] ? INVAL : BADF;
      return wasiFdSync(table, handle, fd);
    },
    fd_datasync(fd) {
      if (isStdio(fd)) return stdioOpen[fd] ? INVAL : BADF;
      return wasiFdDatasync(table, handle, fd);
    },
    fd_advise(fd, offset, length, advice) {
      const open = check(fd);
      if (open !== SUCCESS) return open;
      return advice >>> 0 > 5 ? INVAL : SUCCESS;  // advice only: nothing to do
    },
    fd_allocate(fd) {
      const open = check(fd);
      return open !== SUCCESS ? open : NOSYS;
    },
    fd_renumber(from, to) {
      if (check(from) !== SUCCESS || check(to) !== SUCCESS) return BADF;
      if (isStdio(from) || isStdio(to)) return from === to ? SUCCESS : NOTSUP;
      return wasiFdRenumber(table, handle, from, to);
    },
    fd_prestat_get(fd, resultPointer) {
      const index = wasiPrestat(table, handle, fd);
      if (index < 0) return -index;
      const dv = dataView();
      resultPointer >>>= 0;
      if (!fits(dv, resultPointer, 8)) return FAULT;
      dv.setUint32(resultPointer, 0, true);  // tag: preopentype dir (and padding)
      dv.setUint32(resultPointer + 4, guestNames[index].length, true);
      return SUCCESS;
    },
    fd_prestat_dir_name(fd, pointer, length) {
      const index = wasiPrestat(table, handle, fd);
      if (index < 0) return -index;
      const name = guestNames[index];
      if (length >>> 0 < name.length) return NAMETOOLONG;
      const dv = dataView();
      pointer >>>= 0;
      if (!fits(dv, pointer, name.length)) return FAULT;
      new NativeUint8Array(viewBuffer, pointer, name.length).set(name);
      return SUCCESS;
    },

    path_open(fd, dirflags, path, pathLength, oflags, rightsBase, rightsInheriting, fdflags, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathOpen(table, handle, buffer(), fd, dirflags, path, pathLength, oflags, rightsBase, rightsInheriting,
        fdflags, resultPointer);
    },
    path_filestat_get(fd, flags, path, pathLength, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathFilestatGet(table, handle, buffer(), fd, flags, path, pathLength, resultPointer);
    },
    path_filestat_set_times(fd, flags, path, pathLength, atim, mtim, fstFlags) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathFilestatSetTimes(table, handle, buffer(), fd, flags, path, pathLength, atim, mtim, fstFlags);
    },
    path_create_directory(fd, path, pathLength) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathCreateDirectory(table, handle, buffer(), fd, path, pathLength);
    },
    path_remove_directory(fd, path, pathLength) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathRemoveDirectory(table, handle, buffer(), fd, path, pathLength);
    },
    path_unlink_file(fd, path, pathLength) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathUnlinkFile(table, handle, buffer(), fd, path, pathLength);
    },
    path_rename(fd, oldPath, oldPathLength, newFd, newPath, newPathLength) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      if (isStdio(newFd)) return stdioOpen[newFd] ? NOTDIR : BADF;
      return wasiPathRename(table, handle, buffer(), fd, oldPath, oldPathLength, newFd, newPath, newPathLength);
    },
    path_readlink(fd, path, pathLength, bufferPointer, bufferLength, resultPointer) {
      if (isStdio(fd)) return stdioOpen[fd] ? NOTDIR : BADF;
      return wasiPathReadlink(table, handle, buffer(), fd, path, pathLength, bufferPointer, bufferLength,
        resultPointer);
    },
    // Links could point outside the preopens or make one file reachable under two names.
    path_symlink: () => PERM,
    path_link: () => PERM,
  };

  return {
    imports: freeze(imports),
    setMemory(value) {
      memory = value instanceof WasmMemory ? value : null;
    },
    // Logs the unfinished output lines and closes every file; calls after it answer badf.
    close() {
      if (closed) return;
      closed = true;
      flushOutput();
      stdioOpen[0] = stdioOpen[1] = stdioOpen[2] = false;
      wasiRelease(table, handle);
    },
  };
};
