// The WASI preview1 functions (module `wasi_snapshot_preview1`) that WebAssembly actors may
// import. The node refuses a module that imports anything else from that module at load time,
// naming the function. The implementations are in src/api/js/43_wasi.js, whose
// internal.wasiFunctionNames is this same list: keep the two identical (wasi_files_test checks).
#pragma once

#include <algorithm>
#include <array>
#include <span>
#include <string_view>

namespace mar::wasm {

inline constexpr std::string_view kPreview1Module = "wasi_snapshot_preview1";

// The preview1 witx, in its order, but for the socket functions (sock_*): actors have no sockets,
// so a module using them is refused when it loads rather than failing later. The few others this
// runtime cannot honour (poll_oneoff, proc_raise, ...) answer with an errno (see 43_wasi.js).
inline constexpr std::array<std::string_view, 42> kPreview1Functions = {
    "args_get",
    "args_sizes_get",
    "environ_get",
    "environ_sizes_get",
    "clock_res_get",
    "clock_time_get",
    "fd_advise",
    "fd_allocate",
    "fd_close",
    "fd_datasync",
    "fd_fdstat_get",
    "fd_fdstat_set_flags",
    "fd_fdstat_set_rights",
    "fd_filestat_get",
    "fd_filestat_set_size",
    "fd_filestat_set_times",
    "fd_pread",
    "fd_prestat_get",
    "fd_prestat_dir_name",
    "fd_pwrite",
    "fd_read",
    "fd_readdir",
    "fd_renumber",
    "fd_seek",
    "fd_sync",
    "fd_tell",
    "fd_write",
    "path_create_directory",
    "path_filestat_get",
    "path_filestat_set_times",
    "path_link",
    "path_open",
    "path_readlink",
    "path_remove_directory",
    "path_rename",
    "path_symlink",
    "path_unlink_file",
    "poll_oneoff",
    "proc_exit",
    "proc_raise",
    "sched_yield",
    "random_get",
};

inline std::span<const std::string_view> Preview1Functions() {
  return kPreview1Functions;
}

// Whether `name`, imported from kPreview1Module, is provided.
inline bool IsPreview1Function(std::string_view name) {
  return std::find(kPreview1Functions.begin(), kPreview1Functions.end(), name) !=
         kPreview1Functions.end();
}

}  // namespace mar::wasm
