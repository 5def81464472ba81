#include "gpu/service.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <list>
#include <map>

namespace mar::gpu {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHotSpin = std::chrono::microseconds(300);  // see Service::Run
constexpr uint64_t kWaitNs = 30ull * 1000 * 1000 * 1000;  // bound on waiting for an immediate future

uint64_t Align4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

std::string Mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

std::string Refusal(std::string_view code, std::string_view message) {
  return std::string(code) + ":" + std::string(message);
}

// What requestAdapter / requestDevice answer, and the callback that writes it.
template <class Handle>
struct Requested {
  uint32_t status = 0;
  Handle handle = nullptr;
  std::string message;
};
template <class Handle>
wgpu::CallbackInfo RequestCallback(Requested<Handle>* out) {
  auto callback = +[](uint32_t status, Handle handle, wgpu::StringView message, void* into, void*) {
    auto* result = static_cast<Requested<Handle>*>(into);
    result->status = status;
    result->handle = handle;
    result->message = std::string(message.view());
  };
  return {nullptr, wgpu::kCallbackModeWaitAnyOnly, reinterpret_cast<void*>(callback), out, nullptr};
}

}  // namespace

// ---- the GPU thread's state -----------------------------------------------------------------

class Service::Gpu {
 public:
  explicit Gpu(Service& service) : service_(service), p_() {}
  ~Gpu() { Close(); }

  Result<std::string> Open();
  void Close();
  bool busy() const { return !pending_.empty(); }
  std::chrono::microseconds PollInterval() const;
  void Poll();
  void FailAll(const std::string& code, const std::string& message);

  void Create(uint64_t id, uint64_t size, bool uniform);
  void Write(uint64_t id, uint64_t offset, const std::vector<uint8_t>& bytes);
  void Destroy(const std::vector<uint64_t>& ids);
  void Read(uint64_t id, uint64_t offset, uint64_t size, Callback done);
  void Dispatch(const DispatchRequest& request, uint32_t max_ms, Callback done);

 private:
  struct Buffer {
    wgpu::Buffer handle = nullptr;
    uint64_t aligned = 0;
    wgpu::Flags usage = 0;
    std::string error;  // "code:message" when unusable (creation failed, device lost)
  };
  struct Pipeline {
    std::string key;
    wgpu::ShaderModule module = nullptr;
    wgpu::ComputePipeline pipeline = nullptr;
  };
  struct Pending {
    enum Kind { kRead, kDispatch } kind;
    Callback done;
    Clock::time_point start;
    Clock::time_point running_since{};  // kDispatch: when the work before it had finished
    uint32_t max_ms = 0;
    wgpu::Buffer staging = nullptr;  // kRead
    uint64_t staging_size = 0, skip = 0, size = 0;
  };
  struct ScopeResult {
    bool done = false;
    uint32_t type = wgpu::kErrorTypeNoError;
    std::string message;
  };

  Result<void> OpenDevice();
  void LoseDevice(const std::string& reason);
  void ReleaseDevice();
  bool Wait(wgpu::Future future);
  void PushScope(uint32_t filter) { p_.DevicePushErrorScope(device_, filter); }
  ScopeResult PopScope();
  const Buffer* Usable(uint64_t id, Outcome& failure) const;
  Result<const Pipeline*> GetPipeline(const std::string& code, const std::string& entry, Outcome& failure);
  wgpu::Buffer TakePooled(std::multimap<std::pair<uint64_t, wgpu::Flags>, wgpu::Buffer>& pool, uint64_t& bytes,
                          uint64_t size, wgpu::Flags usage);
  void Submit(wgpu::CommandEncoder encoder);
  void Answer(uint64_t pending_id, Outcome outcome);

  static void OnDeviceLost(const wgpu::Device*, uint32_t reason, wgpu::StringView message, void* self, void* generation);
  static void OnUncapturedError(const wgpu::Device*, uint32_t type, wgpu::StringView message, void* self, void*);
  static void OnLog(uint32_t type, wgpu::StringView message, void* self, void*);
  static void OnMapped(uint32_t status, wgpu::StringView message, void* self, void* id);
  static void OnWorkDone(uint32_t status, wgpu::StringView message, void* self, void* id);

  Service& service_;
  std::unique_ptr<Library> library_;
  wgpu::Procs p_;
  wgpu::Instance instance_ = nullptr;
  wgpu::Adapter adapter_ = nullptr;
  wgpu::Device device_ = nullptr;
  wgpu::Queue queue_ = nullptr;
  uintptr_t generation_ = 0;  // bumped per device; callbacks of older devices are ignored
  std::string lost_reason_;   // set by the device-lost callback of the current device
  std::string adapter_name_;

  std::unordered_map<uint64_t, Buffer> buffers_;
  std::list<Pipeline> pipelines_;  // most recently used first
  std::unordered_map<std::string, std::list<Pipeline>::iterator> pipeline_index_;
  std::multimap<std::pair<uint64_t, wgpu::Flags>, wgpu::Buffer> pool_, staging_pool_;
  uint64_t pool_bytes_ = 0, staging_pool_bytes_ = 0;
  std::map<uint64_t, Pending> pending_;
  uint64_t next_pending_ = 1;
  Clock::time_point last_dispatch_done_{};
};

Result<std::string> Service::Gpu::Open() {
  auto library = Library::Load(service_.options_);
  if (!library) return std::unexpected(library.error());
  library_ = std::move(*library);
  p_ = library_->procs();

  wgpu::InstanceDescriptor descriptor;
  descriptor.capabilities.timed_wait_any_enable = 1;
  descriptor.capabilities.timed_wait_any_max_count = 1;
  instance_ = p_.CreateInstance(&descriptor);
  if (!instance_) return Fail(library_->path() + ": wgpuCreateInstance failed");

  auto backend_wanted = BackendFromName(service_.options_.backend);
  if (!backend_wanted) return std::unexpected(backend_wanted.error());
  wgpu::RequestAdapterOptions options;
  options.power_preference = wgpu::kPowerPreferenceHighPerformance;
  // Asked for by name: with no backend requested, Dawn silently falls back to its Null adapter.
  options.backend_type = *backend_wanted;
  auto result = std::make_unique<Requested<wgpu::Adapter>>();
  if (!Wait(p_.InstanceRequestAdapter(instance_, &options, RequestCallback(result.get())))) {
    result.release();  // the library may still answer into it: leaked, not freed
    return Fail("the WebGPU library did not answer the adapter request");
  }
  const auto& got = *result;
  if (got.status != wgpu::kStatusSuccess || !got.handle) {
    return Fail(std::string("no ") + (*backend_wanted ? BackendName(*backend_wanted) : "GPU") + " adapter" +
                (got.message.empty() ? std::string() : ": " + got.message) +
                " (is a Vulkan driver installed? --gpu-driver lavapipe selects the CPU one)");
  }
  adapter_ = got.handle;
  wgpu::AdapterInfo info;
  p_.AdapterGetInfo(adapter_, &info);
  uint32_t backend = info.backend_type, type = info.adapter_type;
  std::string name(info.device.view());
  if (name.empty()) name = std::string(info.description.view());
  std::string description(info.description.view());
  p_.AdapterInfoFreeMembers(info);
  if (backend == wgpu::kBackendNull) {
    return Fail("the library offered only its Null adapter, which runs nothing (no working GPU driver); refused");
  }
  adapter_name_ = "\"" + name + "\" (" + AdapterTypeName(type) + ", " + BackendName(backend) + ")";
  if (type == wgpu::kAdapterCPU) {
    uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    std::lock_guard lock(service_.mutex_);
    service_.node_limit_ = ram / 2;
  }
  auto opened = OpenDevice();
  if (!opened) return std::unexpected(opened.error());
  return "library " + library_->path() + ", backend " + BackendName(backend) + ", adapter " + adapter_name_ +
         (description.empty() || description == name ? "" : ", " + description);
}

Result<void> Service::Gpu::OpenDevice() {
  wgpu::Limits limits{};
  if (p_.AdapterGetLimits(adapter_, &limits) != wgpu::kStatusSuccess) return Fail("could not read the adapter's limits");
  wgpu::DeviceDescriptor descriptor;
  descriptor.label = wgpu::Str("mar");
  descriptor.required_limits = &limits;  // everything the adapter offers: big buffers on big GPUs
  ++generation_;
  descriptor.device_lost = {nullptr, wgpu::kCallbackModeAllowProcessEvents, reinterpret_cast<void*>(&OnDeviceLost),
                            this, reinterpret_cast<void*>(generation_)};
  descriptor.uncaptured_error = {nullptr, reinterpret_cast<void*>(&OnUncapturedError), this, nullptr};
  auto result = std::make_unique<Requested<wgpu::Device>>();
  if (!Wait(p_.AdapterRequestDevice(adapter_, &descriptor, RequestCallback(result.get())))) {
    result.release();  // the library may still answer into it: leaked, not freed
    return Fail("the adapter " + adapter_name_ + " did not answer the device request");
  }
  const auto& got = *result;
  if (got.status != wgpu::kStatusSuccess || !got.handle) {
    return Fail("the adapter " + adapter_name_ + " refused a device: " + got.message);
  }
  device_ = got.handle;
  lost_reason_.clear();
  p_.DeviceSetLoggingCallback(device_, {nullptr, reinterpret_cast<void*>(&OnLog), this, nullptr});
  queue_ = p_.DeviceGetQueue(device_);
  wgpu::Limits granted{};
  p_.DeviceGetLimits(device_, &granted);
  std::lock_guard lock(service_.mutex_);
  service_.max_buffer_size_ = granted.max_buffer_size;
  service_.max_binding_size_ = granted.max_storage_buffer_binding_size;
  service_.max_workgroups_ = granted.max_compute_workgroups_per_dimension;
  service_.stats_.devices_created++;
  return {};
}

bool Service::Gpu::Wait(wgpu::Future future) {
  wgpu::FutureWaitInfo info{future, 0};
  return p_.InstanceWaitAny(instance_, 1, &info, kWaitNs) == wgpu::kWaitStatusSuccess && info.completed;
}

Service::Gpu::ScopeResult Service::Gpu::PopScope() {
  auto result = std::make_unique<ScopeResult>();
  wgpu::CallbackInfo callback{nullptr, wgpu::kCallbackModeWaitAnyOnly, nullptr, result.get(), nullptr};
  callback.callback = reinterpret_cast<void*>(
      +[](uint32_t status, uint32_t type, wgpu::StringView message, void* out, void*) {
        auto* scope = static_cast<ScopeResult*>(out);
        scope->done = true;
        scope->type = status == wgpu::kStatusSuccess ? type : wgpu::kErrorTypeInternal;
        scope->message = std::string(message.view());
      });
  if (!Wait(p_.DevicePopErrorScope(device_, callback))) {
    result.release();  // the library may still answer into it: leaked, not freed
    return ScopeResult{true, wgpu::kErrorTypeInternal, "the GPU did not report the outcome in time"};
  }
  return *result;
}

void Service::Gpu::OnDeviceLost(const wgpu::Device*, uint32_t reason, wgpu::StringView message, void* self,
                                void* generation) {
  auto* gpu = static_cast<Gpu*>(self);
  if (reinterpret_cast<uintptr_t>(generation) != gpu->generation_ || reason == wgpu::kDeviceLostDestroyed) return;
  gpu->lost_reason_ = message.view().empty() ? "the device was lost" : std::string(message.view());
}

void Service::Gpu::OnUncapturedError(const wgpu::Device*, uint32_t type, wgpu::StringView message, void* self, void*) {
  static_cast<Gpu*>(self)->service_.logger_->Warn("gpu", "uncaptured WebGPU error: " + std::string(message.view()));
}

void Service::Gpu::OnLog(uint32_t type, wgpu::StringView message, void* self, void*) {
  // Dawn's own diagnostics, into our log instead of stderr.
  obs::Level level = type >= wgpu::kLoggingError ? obs::Level::kError
                     : type == wgpu::kLoggingWarning ? obs::Level::kWarn
                                                     : obs::Level::kDebug;
  static_cast<Gpu*>(self)->service_.logger_->Write(level, "gpu", std::string(message.view()));
}

void Service::Gpu::ReleaseDevice() {
  auto release_pool = [&](auto& pool, uint64_t& bytes) {
    for (auto& [key, buffer] : pool) {
      p_.BufferDestroy(buffer);
      p_.BufferRelease(buffer);
    }
    pool.clear();
    bytes = 0;
  };
  release_pool(pool_, pool_bytes_);
  release_pool(staging_pool_, staging_pool_bytes_);
  for (auto& pipeline : pipelines_) {
    p_.ComputePipelineRelease(pipeline.pipeline);
    p_.ShaderModuleRelease(pipeline.module);
  }
  pipelines_.clear();
  pipeline_index_.clear();
  {
    std::lock_guard lock(service_.mutex_);
    service_.stats_.pipelines = 0;
    service_.stats_.pooled_bytes = 0;
  }
  for (auto& [id, buffer] : buffers_) {
    if (buffer.handle) {
      p_.BufferDestroy(buffer.handle);
      p_.BufferRelease(buffer.handle);
      buffer.handle = nullptr;
    }
  }
  for (auto& [id, pending] : pending_) {
    if (pending.staging) {
      p_.BufferRelease(pending.staging);
      pending.staging = nullptr;
    }
  }
  if (queue_) p_.QueueRelease(queue_);
  queue_ = nullptr;
  if (device_) {
    ++generation_;  // its lost callback (reason Destroyed) is ours, not news
    p_.DeviceDestroy(device_);
    p_.DeviceRelease(device_);
  }
  device_ = nullptr;
}

void Service::Gpu::LoseDevice(const std::string& reason) {
  service_.logger_->Warn("gpu", "device lost (" + reason + "); every buffer is gone, opening a new device");
  FailAll("device_lost", "the GPU device was lost (" + reason + "); buffers made before are gone");
  for (auto& [id, buffer] : buffers_) buffer.error = Refusal("device_lost", "the GPU device was lost (" + reason + "); this buffer is gone");
  ReleaseDevice();
  auto opened = OpenDevice();
  if (!opened) {
    service_.logger_->Error("gpu", "no new device: " + opened.error().message);
    std::lock_guard lock(service_.mutex_);
    service_.unavailable_ = "the GPU device was lost and no new one could be opened: " + opened.error().message;
  }
}

void Service::Gpu::FailAll(const std::string& code, const std::string& message) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, entry] : pending) {
    if (entry.staging) p_.BufferRelease(entry.staging);
    entry.done(Outcome::Failed(code, message));
  }
}

void Service::Gpu::Close() {
  FailAll("unavailable", "the node is shutting down");
  if (!library_) return;
  ReleaseDevice();
  if (adapter_) p_.AdapterRelease(adapter_);
  adapter_ = nullptr;
  if (instance_) {
    p_.InstanceProcessEvents(instance_);
    p_.InstanceRelease(instance_);
  }
  instance_ = nullptr;
}

std::chrono::microseconds Service::Gpu::PollInterval() const {
  // Short work is answered fast (spin with yields for the first few hundred microseconds); long
  // kernels are polled gently.
  auto age = Clock::now() - pending_.begin()->second.start;
  if (age < std::chrono::microseconds(300)) return std::chrono::microseconds(0);
  if (age < std::chrono::milliseconds(5)) return std::chrono::microseconds(50);
  return std::chrono::microseconds(500);
}

void Service::Gpu::Poll() {
  if (!instance_) return;
  if (!pending_.empty()) p_.InstanceProcessEvents(instance_);
  if (device_ && !lost_reason_.empty()) return LoseDevice(lost_reason_);
  // The GPU runs submissions one after another, so only the oldest dispatch is running; its clock
  // starts when the one before it finished (time spent waiting behind others is not its own).
  auto now = Clock::now();
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    Pending& oldest = it->second;
    if (oldest.kind != Pending::kDispatch) continue;
    if (oldest.running_since == Clock::time_point{}) oldest.running_since = std::max(oldest.start, last_dispatch_done_);
    if (now - oldest.running_since <= std::chrono::milliseconds(oldest.max_ms)) return;
    uint32_t max_ms = oldest.max_ms;
    Answer(it->first, Outcome::Failed("timeout", "the dispatch ran longer than capabilities.gpu.maxDispatchMs (" +
                                             std::to_string(max_ms) + " ms); the GPU device was reset"));
    // WebGPU cannot cancel submitted work: like a GPU watchdog, replace the device.
    return LoseDevice("a dispatch exceeded its time limit of " + std::to_string(max_ms) + " ms");
  }
}

void Service::Gpu::Answer(uint64_t pending_id, Outcome outcome) {
  auto it = pending_.find(pending_id);
  if (it == pending_.end()) return;
  Callback done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(outcome));
}

const Service::Gpu::Buffer* Service::Gpu::Usable(uint64_t id, Outcome& failure) const {
  auto it = buffers_.find(id);
  std::string error = it == buffers_.end() ? Refusal("invalid_argument", "no such buffer") : it->second.error;
  if (error.empty() && !it->second.handle) error = Refusal("unavailable", "the GPU is not available");
  if (error.empty()) return &it->second;
  size_t colon = error.find(':');
  failure = Outcome::Failed(error.substr(0, colon), error.substr(colon + 1));
  return nullptr;
}

wgpu::Buffer Service::Gpu::TakePooled(std::multimap<std::pair<uint64_t, wgpu::Flags>, wgpu::Buffer>& pool,
                                      uint64_t& bytes, uint64_t size, wgpu::Flags usage) {
  auto it = pool.find({size, usage});
  if (it == pool.end()) return nullptr;
  wgpu::Buffer buffer = it->second;
  pool.erase(it);
  bytes -= size;
  return buffer;
}

void Service::Gpu::Submit(wgpu::CommandEncoder encoder) {
  wgpu::CommandBufferDescriptor descriptor;
  wgpu::CommandBuffer commands = p_.CommandEncoderFinish(encoder, &descriptor);
  p_.QueueSubmit(queue_, 1, &commands);
  p_.CommandBufferRelease(commands);
  p_.CommandEncoderRelease(encoder);
}

void Service::Gpu::Create(uint64_t id, uint64_t size, bool uniform) {
  Buffer& buffer = buffers_[id];
  if (!device_) {
    buffer.error = Refusal("unavailable", service_.unavailable());
    return;
  }
  buffer.aligned = std::max<uint64_t>(4, Align4(size));
  buffer.usage = (uniform ? wgpu::kBufferUsageUniform : wgpu::kBufferUsageStorage) | wgpu::kBufferUsageCopySrc |
                 wgpu::kBufferUsageCopyDst;
  if (wgpu::Buffer reused = TakePooled(pool_, pool_bytes_, buffer.aligned, buffer.usage)) {
    {
      std::lock_guard lock(service_.mutex_);
      service_.stats_.pooled_bytes = pool_bytes_;
    }
    // Another owner's bytes must not show through: cleared on the queue, before any later write.
    buffer.handle = reused;
    wgpu::CommandEncoderDescriptor descriptor;
    wgpu::CommandEncoder encoder = p_.DeviceCreateCommandEncoder(device_, &descriptor);
    p_.CommandEncoderClearBuffer(encoder, reused, 0, buffer.aligned);
    Submit(encoder);
    return;
  }
  PushScope(wgpu::kErrorFilterOutOfMemory);
  PushScope(wgpu::kErrorFilterValidation);
  wgpu::BufferDescriptor descriptor;
  descriptor.usage = buffer.usage;
  descriptor.size = buffer.aligned;
  buffer.handle = p_.DeviceCreateBuffer(device_, &descriptor);
  ScopeResult invalid = PopScope();
  ScopeResult oom = PopScope();
  if (oom.type != wgpu::kErrorTypeNoError) buffer.error = Refusal("out_of_memory", "the GPU is out of memory: " + oom.message);
  else if (invalid.type != wgpu::kErrorTypeNoError) buffer.error = Refusal("validation", invalid.message);
}

void Service::Gpu::Write(uint64_t id, uint64_t offset, const std::vector<uint8_t>& bytes) {
  Outcome failure;
  const Buffer* buffer = Usable(id, failure);
  if (!buffer) return;  // the next read or dispatch reports it
  p_.QueueWriteBuffer(queue_, buffer->handle, offset, bytes.data(), bytes.size());
}

void Service::Gpu::Destroy(const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) {
    auto it = buffers_.find(id);
    if (it == buffers_.end()) continue;
    Buffer buffer = it->second;
    buffers_.erase(it);
    if (!buffer.handle) continue;
    if (buffer.error.empty() && device_ && pool_bytes_ + buffer.aligned <= kPoolBytes) {
      pool_.emplace(std::make_pair(buffer.aligned, buffer.usage), buffer.handle);
      pool_bytes_ += buffer.aligned;
      continue;
    }
    p_.BufferDestroy(buffer.handle);
    p_.BufferRelease(buffer.handle);
  }
  std::lock_guard lock(service_.mutex_);
  service_.stats_.pooled_bytes = pool_bytes_;
}

void Service::Gpu::Read(uint64_t id, uint64_t offset, uint64_t size, Callback done) {
  Outcome failure;
  const Buffer* buffer = Usable(id, failure);
  if (!buffer) return done(std::move(failure));
  // Copies and mappings work in 4-byte units: read the aligned span around what was asked for.
  uint64_t first = offset & ~uint64_t{3};
  uint64_t end = std::min(buffer->aligned, Align4(offset + size));
  uint64_t span = std::max<uint64_t>(4, end - first);
  wgpu::Flags usage = wgpu::kBufferUsageMapRead | wgpu::kBufferUsageCopyDst;
  wgpu::Buffer staging = TakePooled(staging_pool_, staging_pool_bytes_, span, usage);
  if (!staging) {
    PushScope(wgpu::kErrorFilterOutOfMemory);
    wgpu::BufferDescriptor descriptor;
    descriptor.usage = usage;
    descriptor.size = span;
    staging = p_.DeviceCreateBuffer(device_, &descriptor);
    ScopeResult oom = PopScope();
    if (oom.type != wgpu::kErrorTypeNoError) {
      p_.BufferRelease(staging);
      return done(Outcome::Failed("out_of_memory", "no GPU memory for the read-back copy: " + oom.message));
    }
  }
  wgpu::CommandEncoderDescriptor descriptor;
  wgpu::CommandEncoder encoder = p_.DeviceCreateCommandEncoder(device_, &descriptor);
  p_.CommandEncoderCopyBufferToBuffer(encoder, buffer->handle, first, staging, 0, span);
  Submit(encoder);
  uint64_t pending_id = next_pending_++;
  Pending& pending = pending_[pending_id];
  pending.kind = Pending::kRead;
  pending.done = std::move(done);
  pending.start = Clock::now();
  pending.staging = staging;
  pending.staging_size = span;
  pending.skip = offset - first;
  pending.size = size;
  p_.BufferMapAsync(staging, wgpu::kMapModeRead, 0, span,
                    {nullptr, wgpu::kCallbackModeAllowProcessEvents, reinterpret_cast<void*>(&OnMapped), this,
                     reinterpret_cast<void*>(pending_id)});
}

void Service::Gpu::OnMapped(uint32_t status, wgpu::StringView message, void* self, void* id) {
  auto* gpu = static_cast<Gpu*>(self);
  auto it = gpu->pending_.find(reinterpret_cast<uintptr_t>(id));
  if (it == gpu->pending_.end()) return;  // answered already (device lost)
  Pending& pending = it->second;
  Outcome outcome;
  if (status == wgpu::kStatusSuccess) {
    const auto* mapped = static_cast<const uint8_t*>(
        gpu->p_.BufferGetConstMappedRange(pending.staging, 0, pending.staging_size));
    if (mapped) {
      outcome.bytes.assign(mapped + pending.skip, mapped + pending.skip + pending.size);
    } else {
      outcome = Outcome::Failed("internal", "the read-back buffer could not be mapped");
    }
    gpu->p_.BufferUnmap(pending.staging);
    if (gpu->staging_pool_bytes_ + pending.staging_size <= kPoolBytes / 4) {
      gpu->staging_pool_.emplace(std::make_pair(pending.staging_size, wgpu::kBufferUsageMapRead | wgpu::kBufferUsageCopyDst),
                                 pending.staging);
      gpu->staging_pool_bytes_ += pending.staging_size;
    } else {
      gpu->p_.BufferDestroy(pending.staging);
      gpu->p_.BufferRelease(pending.staging);
    }
  } else {
    outcome = Outcome::Failed("device_lost", "reading the buffer failed: " + std::string(message.view()));
    gpu->p_.BufferRelease(pending.staging);
  }
  pending.staging = nullptr;
  gpu->Answer(it->first, std::move(outcome));
}

Result<const Service::Gpu::Pipeline*> Service::Gpu::GetPipeline(const std::string& code, const std::string& entry,
                                                                Outcome& failure) {
  std::string key = entry + '\n' + code;
  if (auto it = pipeline_index_.find(key); it != pipeline_index_.end()) {
    pipelines_.splice(pipelines_.begin(), pipelines_, it->second);
    return &*it->second;
  }
  PushScope(wgpu::kErrorFilterValidation);
  wgpu::ShaderSourceWGSL source;
  source.code = wgpu::Str(code);
  wgpu::ShaderModuleDescriptor descriptor;
  descriptor.next = &source.chain;
  wgpu::ShaderModule module = p_.DeviceCreateShaderModule(device_, &descriptor);
  auto diagnostics = std::make_unique<std::vector<CompileMessage>>();
  wgpu::CallbackInfo callback{nullptr, wgpu::kCallbackModeWaitAnyOnly, nullptr, diagnostics.get(), nullptr};
  callback.callback = reinterpret_cast<void*>(
      +[](uint32_t status, const wgpu::CompilationInfo* info, void* out, void*) {
        if (status != wgpu::kStatusSuccess || !info) return;
        auto* list = static_cast<std::vector<CompileMessage>*>(out);
        for (size_t i = 0; i < info->message_count; ++i) {
          const auto& message = info->messages[i];
          list->push_back({message.type == wgpu::kCompilationMessageError     ? "error"
                           : message.type == wgpu::kCompilationMessageWarning ? "warning"
                                                                              : "info",
                           message.line_num, message.line_pos, std::string(message.message.view())});
        }
      });
  if (!Wait(p_.ShaderModuleGetCompilationInfo(module, callback))) {
    diagnostics.release();  // the library may still answer into it: leaked, not freed
    PopScope();
    p_.ShaderModuleRelease(module);
    failure = Outcome::Failed("internal", "the shader compiler did not answer in time");
    return Fail("");
  }
  std::vector<CompileMessage> messages = std::move(*diagnostics);
  ScopeResult compiled = PopScope();
  auto first_error = std::find_if(messages.begin(), messages.end(), [](const auto& m) { return m.type == "error"; });
  if (first_error != messages.end() || compiled.type != wgpu::kErrorTypeNoError) {
    p_.ShaderModuleRelease(module);
    if (first_error != messages.end()) {
      failure = Outcome::Failed("wgsl_error", "WGSL error at line " + std::to_string(first_error->line) + ", column " +
                                          std::to_string(first_error->column) + ": " + first_error->message);
      failure.messages = std::move(messages);
    } else {
      failure = Outcome::Failed("wgsl_error", compiled.message);
    }
    return Fail("");
  }
  PushScope(wgpu::kErrorFilterValidation);
  wgpu::ComputePipelineDescriptor pipeline_descriptor;
  pipeline_descriptor.compute.module = module;
  pipeline_descriptor.compute.entry_point = wgpu::Str(entry);
  wgpu::ComputePipeline pipeline = p_.DeviceCreateComputePipeline(device_, &pipeline_descriptor);
  ScopeResult created = PopScope();
  if (created.type != wgpu::kErrorTypeNoError) {
    p_.ComputePipelineRelease(pipeline);
    p_.ShaderModuleRelease(module);
    failure = Outcome::Failed("validation", created.message);
    return Fail("");
  }
  pipelines_.push_front(Pipeline{key, module, pipeline});
  pipeline_index_[key] = pipelines_.begin();
  if (pipelines_.size() > kPipelineCacheSize) {
    Pipeline& oldest = pipelines_.back();
    pipeline_index_.erase(oldest.key);
    p_.ComputePipelineRelease(oldest.pipeline);
    p_.ShaderModuleRelease(oldest.module);
    pipelines_.pop_back();
  }
  std::lock_guard lock(service_.mutex_);
  service_.stats_.pipelines = pipelines_.size();
  return &pipelines_.front();
}

void Service::Gpu::Dispatch(const DispatchRequest& request, uint32_t max_ms, Callback done) {
  if (!device_) return done(Outcome::Failed("unavailable", service_.unavailable()));
  std::map<uint32_t, std::vector<wgpu::BindGroupEntry>> groups;
  for (const auto& binding : request.bindings) {
    Outcome failure;
    const Buffer* buffer = Usable(binding.buffer, failure);
    if (!buffer) return done(std::move(failure));
    wgpu::BindGroupEntry entry;
    entry.binding = binding.binding;
    entry.buffer = buffer->handle;
    entry.offset = binding.offset;
    if (binding.size) entry.size = binding.size;
    groups[binding.group].push_back(entry);
  }
  Outcome failure;
  auto pipeline = GetPipeline(request.code, request.entry_point, failure);
  if (!pipeline) return done(std::move(failure));

  PushScope(wgpu::kErrorFilterValidation);
  std::vector<wgpu::BindGroup> bind_groups;
  wgpu::CommandEncoderDescriptor encoder_descriptor;
  wgpu::CommandEncoder encoder = p_.DeviceCreateCommandEncoder(device_, &encoder_descriptor);
  wgpu::ComputePassDescriptor pass_descriptor;
  wgpu::ComputePassEncoder pass = p_.CommandEncoderBeginComputePass(encoder, &pass_descriptor);
  p_.ComputePassEncoderSetPipeline(pass, (*pipeline)->pipeline);
  for (const auto& [group, entries] : groups) {
    wgpu::BindGroupLayout layout = p_.ComputePipelineGetBindGroupLayout((*pipeline)->pipeline, group);
    wgpu::BindGroupDescriptor descriptor;
    descriptor.layout = layout;
    descriptor.entry_count = entries.size();
    descriptor.entries = entries.data();
    wgpu::BindGroup bind_group = p_.DeviceCreateBindGroup(device_, &descriptor);
    p_.BindGroupLayoutRelease(layout);
    p_.ComputePassEncoderSetBindGroup(pass, group, bind_group, 0, nullptr);
    bind_groups.push_back(bind_group);
  }
  p_.ComputePassEncoderDispatchWorkgroups(pass, request.workgroups[0], request.workgroups[1], request.workgroups[2]);
  p_.ComputePassEncoderEnd(pass);
  p_.ComputePassEncoderRelease(pass);
  Submit(encoder);
  for (auto bind_group : bind_groups) p_.BindGroupRelease(bind_group);
  ScopeResult submitted = PopScope();
  if (submitted.type != wgpu::kErrorTypeNoError) return done(Outcome::Failed("validation", submitted.message));

  uint64_t pending_id = next_pending_++;
  Pending& pending = pending_[pending_id];
  pending.kind = Pending::kDispatch;
  pending.done = std::move(done);
  pending.start = Clock::now();
  pending.max_ms = max_ms;
  p_.QueueOnSubmittedWorkDone(queue_, {nullptr, wgpu::kCallbackModeAllowProcessEvents,
                                       reinterpret_cast<void*>(&OnWorkDone), this, reinterpret_cast<void*>(pending_id)});
  std::lock_guard lock(service_.mutex_);
  service_.stats_.dispatches++;
}

void Service::Gpu::OnWorkDone(uint32_t status, wgpu::StringView message, void* self, void* id) {
    auto* gpu = static_cast<Gpu*>(self);
  auto it = gpu->pending_.find(reinterpret_cast<uintptr_t>(id));
  if (it == gpu->pending_.end()) return;
  Outcome outcome;
  gpu->last_dispatch_done_ = Clock::now();
  if (status == wgpu::kStatusSuccess) {
    outcome.gpu_ms = std::chrono::duration<double, std::milli>(Clock::now() - it->second.start).count();
  } else {
    outcome = Outcome::Failed("device_lost", "the dispatch did not complete: " + std::string(message.view()));
  }
  gpu->Answer(it->first, std::move(outcome));
}

// ---- the service ----------------------------------------------------------------------------

Service::Service(ProviderOptions options, std::shared_ptr<obs::Logger> logger)
    : options_(std::move(options)), logger_(std::move(logger)) {}

std::unique_ptr<Service> Service::Start(ProviderOptions options, std::shared_ptr<obs::Logger> logger) {
  std::unique_ptr<Service> service(new Service(std::move(options), std::move(logger)));
  service->thread_ = std::thread([raw = service.get()] { raw->Run(); });
  return service;
}

Service::~Service() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Service::Run() {
  pthread_setname_np(pthread_self(), "mar-gpu");
  prctl(PR_SET_TIMERSLACK, 1000UL);  // its short polls are meant to be short (default slack: 50 us)
  auto gpu = std::make_unique<Gpu>(*this);
  auto opened = gpu->Open();
  {
    std::lock_guard lock(mutex_);
    started_ = true;
    if (!opened) unavailable_ = opened.error().message;
  }
  ready_cv_.notify_all();
  if (opened) logger_->Info("gpu", "GPU ready: " + *opened);
  else logger_->Warn("gpu", "no GPU: " + opened.error().message + "; env.GPU calls will fail with this reason");

  std::deque<std::function<void(Gpu&)>> tasks;
  auto last_work = Clock::now();
  while (true) {
    {
      std::unique_lock lock(mutex_);
      if (!gpu->busy()) {
        // Stay awake a moment after work: whoever awaited the last answer usually sends the next
        // request right away, and a sleeping thread takes tens of microseconds to wake.
        auto hot_until = last_work + kHotSpin;
        while (queue_.empty() && !stop_ && Clock::now() < hot_until) {
          lock.unlock();
          std::this_thread::yield();
          lock.lock();
        }
        wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      } else if (queue_.empty() && !stop_) {
        auto interval = gpu->PollInterval();
        if (interval.count() == 0) {
          lock.unlock();
          std::this_thread::yield();
          lock.lock();
        } else {
          wake_.wait_for(lock, interval, [&] { return stop_ || !queue_.empty(); });
        }
      }
      if (stop_) break;
      tasks.swap(queue_);
    }
    for (auto& task : tasks) task(*gpu);
    bool worked = !tasks.empty() || gpu->busy();
    tasks.clear();
    gpu->Poll();
    if (worked) last_work = Clock::now();
  }
  gpu.reset();
}

std::string Service::WaitReady() {
  std::unique_lock lock(mutex_);
  ready_cv_.wait(lock, [&] { return started_; });
  return unavailable_;
}

std::string Service::unavailable() const {
  std::lock_guard lock(mutex_);
  return unavailable_;
}

void Service::Post(std::function<void(Gpu&)> task) {
  queue_.push_back(std::move(task));  // under mutex_
  wake_.notify_one();
}

uint64_t Service::NewGroup() {
  std::lock_guard lock(mutex_);
  return next_group_++;
}

uint64_t Service::NewOwner(uint64_t group, Quota quota, std::string label) {
  std::lock_guard lock(mutex_);
  uint64_t id = next_owner_++;
  owners_.emplace(id, Owner{group, quota, std::move(label), 0, 0, {}});
  return id;
}

void Service::ReleaseLocked(std::unique_lock<std::mutex>& lock, uint64_t owner_id) {
  auto it = owners_.find(owner_id);
  if (it == owners_.end()) return;
  Owner owner = std::move(it->second);
  owners_.erase(it);
  if (owner.buffers.empty()) return;
  std::vector<uint64_t> ids(owner.buffers.begin(), owner.buffers.end());
  for (uint64_t id : ids) buffers_.erase(id);
  stats_.buffers -= ids.size();
  stats_.buffer_bytes -= owner.bytes;
  Post([ids](Gpu& gpu) { gpu.Destroy(ids); });
  if (logger_->Enabled(obs::Level::kDebug)) {
    logger_->Write(obs::Level::kDebug, "gpu",
                   "released " + std::to_string(ids.size()) + " buffer(s), " + Mib(owner.bytes) + ", of " + owner.label);
  }
}

void Service::ReleaseOwner(uint64_t owner) {
  std::unique_lock lock(mutex_);
  ReleaseLocked(lock, owner);
}

void Service::ReleaseGroup(uint64_t group) {
  std::unique_lock lock(mutex_);
  std::vector<uint64_t> ids;
  for (const auto& [id, owner] : owners_) {
    if (owner.group == group) ids.push_back(id);
  }
  for (uint64_t id : ids) ReleaseLocked(lock, id);
}

Result<const Service::BufferInfo*> Service::OwnedBuffer(uint64_t owner, uint64_t buffer) const {
  auto it = buffers_.find(buffer);
  if (it == buffers_.end()) return Fail(Refusal("invalid_argument", "the buffer was destroyed"));
  if (it->second.owner != owner) return Fail(Refusal("invalid_argument", "the buffer belongs to another actor"));
  return &it->second;
}

Result<void> Service::Queue(uint64_t owner_id, uint64_t bytes, const char* what) {
  auto owner = owners_.find(owner_id);
  if (owner == owners_.end()) return Fail(Refusal("invalid_argument", "this GPU binding was released"));
  Owner& o = owner->second;
  if (o.queued_bytes + bytes > o.quota.max_buffer_bytes) {
    return Fail(Refusal("quota_exceeded", std::string(what) + " of " + std::to_string(o.queued_bytes) +
                                              " bytes are still queued for the GPU, and capabilities.gpu.maxBufferBytes (" +
                                              std::to_string(o.quota.max_buffer_bytes) +
                                              ") bounds them too: await a readBuffer or dispatch first"));
  }
  o.queued_bytes += bytes;
  return {};
}

void Service::Unqueue(uint64_t owner_id, uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (auto owner = owners_.find(owner_id); owner != owners_.end()) owner->second.queued_bytes -= std::min(bytes, owner->second.queued_bytes);
}

Result<uint64_t> Service::CreateBuffer(uint64_t owner_id, uint64_t size, bool uniform) {
  std::lock_guard lock(mutex_);
  if (!unavailable_.empty()) return Fail(Refusal("unavailable", unavailable_));
  auto owner = owners_.find(owner_id);
  if (owner == owners_.end()) return Fail(Refusal("invalid_argument", "this GPU binding was released"));
  if (size == 0) return Fail(Refusal("invalid_argument", "a buffer needs a size of at least 1 byte"));
  if (max_buffer_size_ && size > max_buffer_size_) {
    return Fail(Refusal("invalid_argument", "a buffer of " + std::to_string(size) + " bytes is larger than the device's maxBufferSize (" +
                                                std::to_string(max_buffer_size_) + ")"));
  }
  Owner& o = owner->second;
  if (o.bytes + size > o.quota.max_buffer_bytes) {
    return Fail(Refusal("quota_exceeded", "a buffer of " + std::to_string(size) + " bytes would exceed capabilities.gpu.maxBufferBytes (" +
                                              std::to_string(o.quota.max_buffer_bytes) + "): " + std::to_string(o.bytes) +
                                              " bytes are held in " + std::to_string(o.buffers.size()) + " buffer(s)"));
  }
  if (node_limit_ && stats_.buffer_bytes + size > node_limit_) {
    return Fail(Refusal("out_of_memory", "the node's GPU memory is used up: its CPU adapter may hold " + Mib(node_limit_) +
                                             " of buffers (half the machine's memory) and " + Mib(stats_.buffer_bytes) +
                                             " are held"));
  }
  uint64_t id = next_buffer_++;
  buffers_.emplace(id, BufferInfo{owner_id, size, uniform});
  o.buffers.insert(id);
  o.bytes += size;
  stats_.buffers++;
  stats_.buffer_bytes += size;
  Post([id, size, uniform](Gpu& gpu) { gpu.Create(id, size, uniform); });
  return id;
}

Result<void> Service::WriteBuffer(uint64_t owner, uint64_t buffer, uint64_t offset, std::span<const uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  auto info = OwnedBuffer(owner, buffer);
  if (!info) return std::unexpected(info.error());
  uint64_t size = (*info)->size;
  if (offset > size || bytes.size() > size - offset) {
    return Fail(Refusal("invalid_argument", "writing " + std::to_string(bytes.size()) + " bytes at offset " + std::to_string(offset) +
                                                " overruns the buffer's " + std::to_string(size) + " bytes"));
  }
  bool to_end = offset + bytes.size() == size;
  if (offset % 4 != 0 || (bytes.size() % 4 != 0 && !to_end)) {
    return Fail(Refusal("invalid_argument", "writeBuffer offset and length must be multiples of 4 bytes (a write may end "
                                            "unaligned only at the end of the buffer)"));
  }
  if (bytes.empty()) return {};
  if (auto queued = Queue(owner, bytes.size(), "writes"); !queued) return queued;
  // Copied now, as WebGPU's writeBuffer does: the caller may change its bytes right after.
  std::vector<uint8_t> copy(Align4(bytes.size()), 0);
  std::memcpy(copy.data(), bytes.data(), bytes.size());
  Post([this, owner, buffer, offset, reserved = bytes.size(), copy = std::move(copy)](Gpu& gpu) {
    gpu.Write(buffer, offset, copy);
    Unqueue(owner, reserved);
  });
  return {};
}

Result<void> Service::DestroyBuffer(uint64_t owner_id, uint64_t buffer) {
  std::lock_guard lock(mutex_);
  auto info = OwnedBuffer(owner_id, buffer);
  if (!info) return std::unexpected(info.error());
  uint64_t size = (*info)->size;
  buffers_.erase(buffer);
  if (auto owner = owners_.find(owner_id); owner != owners_.end()) {
    owner->second.buffers.erase(buffer);
    owner->second.bytes -= size;
  }
  stats_.buffers--;
  stats_.buffer_bytes -= size;
  Post([buffer](Gpu& gpu) { gpu.Destroy({buffer}); });
  return {};
}

Result<void> Service::ReadBuffer(uint64_t owner, uint64_t buffer, uint64_t offset, uint64_t size, Callback done) {
  std::lock_guard lock(mutex_);
  if (!unavailable_.empty()) return Fail(Refusal("unavailable", unavailable_));
  auto info = OwnedBuffer(owner, buffer);
  if (!info) return std::unexpected(info.error());
  uint64_t total = (*info)->size;
  if (offset > total || size > total - offset) {
    return Fail(Refusal("invalid_argument", "reading " + std::to_string(size) + " bytes at offset " + std::to_string(offset) +
                                                " overruns the buffer's " + std::to_string(total) + " bytes"));
  }
  if (size == 0) {
    done(Outcome{});
    return {};
  }
  if (auto queued = Queue(owner, size, "read-backs"); !queued) return queued;
  Callback answer = [this, owner, size, done = std::move(done)](Outcome outcome) {
    Unqueue(owner, size);
    done(std::move(outcome));
  };
  Post([buffer, offset, size, answer = std::move(answer)](Gpu& gpu) mutable { gpu.Read(buffer, offset, size, std::move(answer)); });
  return {};
}

Result<void> Service::Dispatch(uint64_t owner_id, DispatchRequest request, Callback done) {
  std::lock_guard lock(mutex_);
  if (!unavailable_.empty()) return Fail(Refusal("unavailable", unavailable_));
  auto owner = owners_.find(owner_id);
  if (owner == owners_.end()) return Fail(Refusal("invalid_argument", "this GPU binding was released"));
  if (request.code.size() > kMaxShaderBytes) {
    return Fail(Refusal("invalid_argument", "the WGSL source is " + std::to_string(request.code.size()) +
                                                " bytes; at most " + std::to_string(kMaxShaderBytes) + " are accepted"));
  }
  for (const auto& binding : request.bindings) {
    auto info = OwnedBuffer(owner_id, binding.buffer);
    if (!info) return std::unexpected(info.error());
  }
  for (uint32_t count : request.workgroups) {
    if (count == 0 || (max_workgroups_ && count > max_workgroups_)) {
      return Fail(Refusal("invalid_argument", "workgroup counts must be between 1 and the device's maxComputeWorkgroupsPerDimension (" +
                                                  std::to_string(max_workgroups_) + ")"));
    }
  }
  uint32_t max_ms = owner->second.quota.max_dispatch_ms;
  // What a queued dispatch holds (its source, its bindings) counts like queued writes.
  uint64_t reserved = request.code.size() + request.entry_point.size() + request.bindings.size() * sizeof(Binding) + 256;
  if (auto queued = Queue(owner_id, reserved, "dispatches"); !queued) return queued;
  Callback answer = [this, owner_id, reserved, done = std::move(done)](Outcome outcome) {
    Unqueue(owner_id, reserved);
    done(std::move(outcome));
  };
  Post([request = std::move(request), max_ms, answer = std::move(answer)](Gpu& gpu) mutable {
    gpu.Dispatch(request, max_ms, std::move(answer));
  });
  return {};
}

ServiceStats Service::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace mar::gpu
