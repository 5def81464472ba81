// Finding a webgpu.h library and a Vulkan driver, and loading the library.
//
// The library is chosen in this order: an explicit path (--gpu-library, MAR_GPU_LIBRARY), the
// platform's usual names on the loader's search path (libwebgpu_dawn, libwgpu_native, libwebgpu;
// .so, .dylib or .dll), then the copy the setup script installed (.deps/webgpu). The Vulkan driver
// (ICD) must be chosen before anything loads libvulkan, which reads the choice from the
// environment once: ChooseDriver runs in main() before any thread starts.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "gpu/webgpu.h"

namespace mar::gpu {

struct ProviderOptions {
  std::string library;  // "" = search
  // "" or "auto": a GPU's driver when the machine has one, else the bundled lavapipe;
  // "lavapipe": the bundled CPU driver; "system": whatever the Vulkan loader finds;
  // anything else: the path of an ICD manifest (.json).
  std::string driver;
  // "" = Vulkan (Metal on macOS); "auto" lets the library choose; or vulkan, metal, d3d12, d3d11,
  // opengl, opengles, null (the library's do-nothing adapter: refused, useful to test that).
  std::string backend;
};

// The BackendType to request for a --gpu-backend name (0: the library's choice), or an error.
Result<uint32_t> BackendFromName(const std::string& name);

// What ChooseDriver decided, for the start-up log.
struct DriverChoice {
  std::string description;
  bool cpu_chosen = false;  // lavapipe because it was asked for or nothing else exists
};

// Reads --gpu-driver / MAR_GPU_DRIVER and the machine's ICD manifests; may set VK_ICD_FILENAMES
// (and VK_DRIVER_FILES). Not thread-safe: call before starting threads.
Result<DriverChoice> ChooseDriver(const ProviderOptions& options);

// The bundled driver's ICD manifest and library, as the build knows them ("" when absent).
std::string BundledLavapipeIcd();
std::string BundledWebgpuLibrary();

class Library {
 public:
  // Loads the library and resolves every function mar calls; the error lists what was tried.
  static Result<std::unique_ptr<Library>> Load(const ProviderOptions& options);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const wgpu::Procs& procs() const { return procs_; }
  const std::string& path() const { return path_; }

 private:
  Library(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  void* handle_;
  std::string path_;
  wgpu::Procs procs_;
};

// Readable names for the log and for errors.
const char* BackendName(uint32_t backend);
const char* AdapterTypeName(uint32_t type);

}  // namespace mar::gpu
