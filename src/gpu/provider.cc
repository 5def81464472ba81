#include "gpu/provider.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <system_error>

namespace mar::gpu {

namespace fs = std::filesystem;

namespace {

#ifndef MAR_WEBGPU_DEFAULT
#define MAR_WEBGPU_DEFAULT ""
#endif
#ifndef MAR_LAVAPIPE_ICD
#define MAR_LAVAPIPE_ICD ""
#endif

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

bool IsFile(const std::string& path) {
  std::error_code error;
  return !path.empty() && fs::is_regular_file(path, error);
}

// The names a webgpu.h library goes by on each platform, most specific first.
std::vector<std::string> UsualNames() {
#if defined(__APPLE__)
  return {"libwebgpu_dawn.dylib", "libwgpu_native.dylib", "libwebgpu.dylib"};
#elif defined(_WIN32)
  return {"webgpu_dawn.dll", "wgpu_native.dll", "webgpu.dll"};
#else
  return {"libwebgpu_dawn.so", "libwgpu_native.so", "libwebgpu.so"};
#endif
}

// ICD manifests of CPU drivers: never taken for "a GPU's driver".
bool IsCpuDriver(const fs::path& manifest) {
  std::ifstream in(manifest);
  auto json = nlohmann::json::parse(in, nullptr, false);
  std::string library;
  if (json.is_object() && json.contains("ICD") && json["ICD"].is_object() && json["ICD"].contains("library_path") &&
      json["ICD"]["library_path"].is_string()) {
    library = json["ICD"]["library_path"].get<std::string>();
  }
  for (const char* cpu : {"lvp", "lavapipe", "swiftshader", "vk_swiftshader"}) {
    if (library.find(cpu) != std::string::npos || manifest.filename().string().find(cpu) != std::string::npos) return true;
  }
  return false;
}

// The directories the Vulkan loader reads ICD manifests from (Linux).
std::vector<fs::path> IcdDirectories() {
  std::vector<fs::path> dirs;
  auto add_list = [&](const std::string& list, const std::string& fallback) {
    std::string value = list.empty() ? fallback : list;
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find(':', start);
      if (end == std::string::npos) end = value.size();
      if (end > start) dirs.emplace_back(fs::path(value.substr(start, end - start)) / "vulkan" / "icd.d");
      start = end + 1;
    }
  };
  std::string home = Env("HOME");
  add_list(Env("XDG_CONFIG_HOME"), home.empty() ? "" : home + "/.config");
  add_list(Env("XDG_CONFIG_DIRS"), "/etc/xdg");
  dirs.emplace_back("/etc/vulkan/icd.d");
  add_list(Env("XDG_DATA_HOME"), home.empty() ? "" : home + "/.local/share");
  add_list(Env("XDG_DATA_DIRS"), "/usr/local/share:/usr/share");
  return dirs;
}

void UseIcd(const std::string& manifest) {
  // VK_DRIVER_FILES is the current name; loaders before 1.3.234 read only VK_ICD_FILENAMES.
  setenv("VK_DRIVER_FILES", manifest.c_str(), 1);
  setenv("VK_ICD_FILENAMES", manifest.c_str(), 1);
}

}  // namespace

std::string BundledLavapipeIcd() { return IsFile(MAR_LAVAPIPE_ICD) ? MAR_LAVAPIPE_ICD : ""; }
std::string BundledWebgpuLibrary() { return IsFile(MAR_WEBGPU_DEFAULT) ? MAR_WEBGPU_DEFAULT : ""; }

Result<DriverChoice> ChooseDriver(const ProviderOptions& options) {
  std::string driver = options.driver;
  if (driver.empty() || driver == "auto") {
    for (const char* name : {"VK_DRIVER_FILES", "VK_ICD_FILENAMES"}) {
      if (!Env(name).empty()) return DriverChoice{"the Vulkan driver named by " + std::string(name) + " (" + Env(name) + ")"};
    }
    std::vector<std::string> gpu_drivers;
    for (const auto& dir : IcdDirectories()) {
      std::error_code error;
      for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
        if (it->path().extension() == ".json" && !IsCpuDriver(it->path())) gpu_drivers.push_back(it->path().string());
      }
    }
    if (!gpu_drivers.empty()) {
      std::string list;
      for (const auto& path : gpu_drivers) list += (list.empty() ? "" : ", ") + path;
      return DriverChoice{"the machine's Vulkan drivers (" + list + ")"};
    }
    std::string icd = BundledLavapipeIcd();
    if (icd.empty()) {
      return DriverChoice{"no Vulkan driver for a GPU on this machine, and no bundled lavapipe (run scripts/setup.sh)"};
    }
    UseIcd(icd);
    return DriverChoice{"no Vulkan driver for a GPU on this machine: using the CPU driver Mesa lavapipe (" + icd + ")",
                        true};
  }
  if (driver == "system") return DriverChoice{"the Vulkan loader's own choice of drivers (--gpu-driver system)"};
  if (driver == "lavapipe") {
    std::string icd = BundledLavapipeIcd();
    if (icd.empty()) return Fail("--gpu-driver lavapipe: the bundled lavapipe is not installed (run scripts/setup.sh)");
    UseIcd(icd);
    return DriverChoice{"the CPU driver Mesa lavapipe, as asked (" + icd + ")", true};
  }
  if (!IsFile(driver)) return Fail("--gpu-driver " + driver + ": no such ICD manifest (expected a .json file, \"auto\", \"lavapipe\" or \"system\")");
  UseIcd(driver);
  return DriverChoice{"the Vulkan driver " + driver + ", as asked", IsCpuDriver(driver)};
}

Result<std::unique_ptr<Library>> Library::Load(const ProviderOptions& options) {
  std::vector<std::string> candidates;
  if (!options.library.empty()) {
    candidates.push_back(options.library);  // explicit: nothing else is tried
  } else {
    candidates = UsualNames();
    if (std::string bundled = BundledWebgpuLibrary(); !bundled.empty()) candidates.push_back(bundled);
  }
  std::string tried;
  for (const auto& candidate : candidates) {
    // RTLD_LOCAL: Dawn's library exports its abseil and SPIRV-Tools symbols too.
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      tried += "\n  " + candidate + ": " + (why ? why : "not loadable");
      continue;
    }
    std::unique_ptr<Library> library(new Library(handle, candidate));
    std::string missing;
#define MAR_WGPU_RESOLVE(name, ret, ...)                                                     \
  library->procs_.name = reinterpret_cast<decltype(library->procs_.name)>(dlsym(handle, "wgpu" #name)); \
  if (!library->procs_.name) missing += std::string(missing.empty() ? "" : ", ") + "wgpu" #name;
    MAR_WGPU_PROCS(MAR_WGPU_RESOLVE)
#undef MAR_WGPU_RESOLVE
    if (!missing.empty()) {
      tried += "\n  " + candidate + ": not a usable webgpu.h library (missing " + missing + ")";
      dlclose(handle);
      continue;
    }
    return library;
  }
  return Fail("no WebGPU library could be loaded; tried:" + tried +
              "\n  (set --gpu-library or MAR_GPU_LIBRARY to a webgpu.h library, or run scripts/setup.sh)");
}

// Never dlclose'd: Dawn keeps threads and thread-local state that must outlive any unload, and
// a second node in the process reuses the loaded copy.
Library::~Library() = default;

Result<uint32_t> BackendFromName(const std::string& name) {
  if (name.empty()) {
#if defined(__APPLE__)
    return wgpu::kBackendMetal;
#else
    return wgpu::kBackendVulkan;
#endif
  }
  if (name == "auto") return 0u;
  for (uint32_t backend = wgpu::kBackendNull; backend <= wgpu::kBackendOpenGLES; ++backend) {
    std::string known = BackendName(backend);
    std::erase(known, ' ');
    std::transform(known.begin(), known.end(), known.begin(), [](unsigned char c) { return std::tolower(c); });
    if (known == name) return backend;
  }
  return Fail("--gpu-backend " + name + ": unknown backend (expected auto, vulkan, metal, d3d12, d3d11, opengl, opengles or null)");
}

const char* BackendName(uint32_t backend) {
  switch (backend) {
    case wgpu::kBackendNull: return "Null";
    case wgpu::kBackendWebGPU: return "WebGPU";
    case wgpu::kBackendD3D11: return "D3D11";
    case wgpu::kBackendD3D12: return "D3D12";
    case wgpu::kBackendMetal: return "Metal";
    case wgpu::kBackendVulkan: return "Vulkan";
    case wgpu::kBackendOpenGL: return "OpenGL";
    case wgpu::kBackendOpenGLES: return "OpenGL ES";
    default: return "unknown";
  }
}

const char* AdapterTypeName(uint32_t type) {
  switch (type) {
    case wgpu::kAdapterDiscreteGPU: return "discrete GPU";
    case wgpu::kAdapterIntegratedGPU: return "integrated GPU";
    case wgpu::kAdapterCPU: return "CPU";
    default: return "unknown type";
  }
}

}  // namespace mar::gpu
