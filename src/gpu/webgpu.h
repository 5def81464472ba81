// The subset of the WebGPU C API (webgpu.h) that mar uses, declared here rather than included:
// the library is loaded at run time (dlopen) and the default one, Dawn from npm
// bun-webgpu-linux-x64@0.1.7, ships no header. Its ABI is webgpu-headers from just before the
// May-2025 InstanceDescriptor change (two-userdata *CallbackInfo structs, WGPUStringView strings);
// a current webgpu.h does not match it. Every struct below is checked against the layouts dumped
// from that library's debug info (shared/notes/webgpu/struct_layouts.txt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace mar::gpu::wgpu {

// Opaque handles.
using Instance = struct InstanceImpl*;
using Adapter = struct AdapterImpl*;
using Device = struct DeviceImpl*;
using Queue = struct QueueImpl*;
using Buffer = struct BufferImpl*;
using ShaderModule = struct ShaderModuleImpl*;
using ComputePipeline = struct ComputePipelineImpl*;
using BindGroupLayout = struct BindGroupLayoutImpl*;
using BindGroup = struct BindGroupImpl*;
using CommandEncoder = struct CommandEncoderImpl*;
using CommandBuffer = struct CommandBufferImpl*;
using ComputePassEncoder = struct ComputePassEncoderImpl*;
using PipelineLayout = struct PipelineLayoutImpl*;

using Bool = uint32_t;
using Flags = uint64_t;

inline constexpr size_t kStrlen = SIZE_MAX;  // WGPU_STRLEN: a NUL-terminated string

struct StringView {
  const char* data = nullptr;
  size_t length = kStrlen;
  std::string_view view() const {
    if (!data) return {};
    return length == kStrlen ? std::string_view(data) : std::string_view(data, length);
  }
};
inline StringView Str(std::string_view text) { return {text.data(), text.size()}; }

struct ChainedStruct {
  const ChainedStruct* next = nullptr;
  uint32_t s_type = 0;
};

// Enum values of this ABI (they changed across webgpu.h revisions; these are the library's).
enum : uint32_t {
  kSTypeShaderSourceWGSL = 2,
  kCallbackModeWaitAnyOnly = 1,
  kCallbackModeAllowProcessEvents = 2,
  kCallbackModeAllowSpontaneous = 3,
  kBackendNull = 1,
  kBackendWebGPU = 2,
  kBackendD3D11 = 3,
  kBackendD3D12 = 4,
  kBackendMetal = 5,
  kBackendVulkan = 6,
  kBackendOpenGL = 7,
  kBackendOpenGLES = 8,
  kAdapterDiscreteGPU = 1,
  kAdapterIntegratedGPU = 2,
  kAdapterCPU = 3,
  kAdapterUnknown = 4,
  kFeatureLevelCompatibility = 1,
  kFeatureLevelCore = 2,
  kPowerPreferenceHighPerformance = 2,
  kStatusSuccess = 1,  // every *Status enum: Success = 1
  kWaitStatusSuccess = 1,
  kWaitStatusTimedOut = 2,
  kErrorFilterValidation = 1,
  kErrorFilterOutOfMemory = 2,
  kErrorFilterInternal = 3,
  kErrorTypeNoError = 1,
  kErrorTypeValidation = 2,
  kErrorTypeOutOfMemory = 3,
  kErrorTypeInternal = 4,
  kCompilationMessageError = 1,
  kCompilationMessageWarning = 2,
  kDeviceLostDestroyed = 2,
  kLoggingVerbose = 1,
  kLoggingInfo = 2,
  kLoggingWarning = 3,
  kLoggingError = 4,
};

inline constexpr Flags kBufferUsageMapRead = 0x1;
inline constexpr Flags kBufferUsageCopySrc = 0x4;
inline constexpr Flags kBufferUsageCopyDst = 0x8;
inline constexpr Flags kBufferUsageUniform = 0x40;
inline constexpr Flags kBufferUsageStorage = 0x80;
inline constexpr Flags kMapModeRead = 0x1;

struct Future {
  uint64_t id = 0;
};
struct FutureWaitInfo {
  Future future;
  Bool completed = 0;
};

// Every asynchronous call takes one of these by value; the callback's type depends on the call.
struct CallbackInfo {
  const ChainedStruct* next = nullptr;
  uint32_t mode = kCallbackModeAllowProcessEvents;
  void* callback = nullptr;
  void* userdata1 = nullptr;
  void* userdata2 = nullptr;
};

struct InstanceCapabilities {
  const ChainedStruct* next = nullptr;
  Bool timed_wait_any_enable = 0;
  size_t timed_wait_any_max_count = 0;
};
struct InstanceDescriptor {
  const ChainedStruct* next = nullptr;
  InstanceCapabilities capabilities;
};

struct RequestAdapterOptions {
  const ChainedStruct* next = nullptr;
  uint32_t feature_level = kFeatureLevelCore;
  uint32_t power_preference = 0;
  Bool force_fallback_adapter = 0;
  uint32_t backend_type = 0;
  void* compatible_surface = nullptr;
};

struct AdapterInfo {
  const ChainedStruct* next = nullptr;
  StringView vendor, architecture, device, description;
  uint32_t backend_type = 0;
  uint32_t adapter_type = 0;
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  uint32_t subgroup_min_size = 0;
  uint32_t subgroup_max_size = 0;
};

struct Limits {
  const ChainedStruct* next = nullptr;
  uint32_t max_texture_dimension_1d, max_texture_dimension_2d, max_texture_dimension_3d, max_texture_array_layers;
  uint32_t max_bind_groups, max_bind_groups_plus_vertex_buffers, max_bindings_per_bind_group;
  uint32_t max_dynamic_uniform_buffers_per_pipeline_layout, max_dynamic_storage_buffers_per_pipeline_layout;
  uint32_t max_sampled_textures_per_shader_stage, max_samplers_per_shader_stage;
  uint32_t max_storage_buffers_per_shader_stage, max_storage_textures_per_shader_stage;
  uint32_t max_uniform_buffers_per_shader_stage;
  uint64_t max_uniform_buffer_binding_size, max_storage_buffer_binding_size;
  uint32_t min_uniform_buffer_offset_alignment, min_storage_buffer_offset_alignment;
  uint32_t max_vertex_buffers;
  uint64_t max_buffer_size;
  uint32_t max_vertex_attributes, max_vertex_buffer_array_stride, max_inter_stage_shader_variables;
  uint32_t max_color_attachments, max_color_attachment_bytes_per_sample;
  uint32_t max_compute_workgroup_storage_size, max_compute_invocations_per_workgroup;
  uint32_t max_compute_workgroup_size_x, max_compute_workgroup_size_y, max_compute_workgroup_size_z;
  uint32_t max_compute_workgroups_per_dimension;
  uint32_t max_immediate_size;
};

// The descriptors that carry nothing but a label (and extensions) share one shape.
struct LabelDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
};
using QueueDescriptor = LabelDescriptor;
using ShaderModuleDescriptor = LabelDescriptor;  // the source goes in `next` (ShaderSourceWGSL)
using CommandEncoderDescriptor = LabelDescriptor;
using CommandBufferDescriptor = LabelDescriptor;
struct UncapturedErrorCallbackInfo {
  const ChainedStruct* next = nullptr;
  void* callback = nullptr;
  void* userdata1 = nullptr;
  void* userdata2 = nullptr;
};
using LoggingCallbackInfo = UncapturedErrorCallbackInfo;  // same shape: {next, callback, userdata1, userdata2}

struct DeviceDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
  size_t required_feature_count = 0;
  const uint32_t* required_features = nullptr;
  const Limits* required_limits = nullptr;
  QueueDescriptor default_queue;
  CallbackInfo device_lost;
  UncapturedErrorCallbackInfo uncaptured_error;
};

struct BufferDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
  Flags usage = 0;
  uint64_t size = 0;
  Bool mapped_at_creation = 0;
};

struct ShaderSourceWGSL {
  ChainedStruct chain{nullptr, kSTypeShaderSourceWGSL};
  StringView code;
};

struct CompilationMessage {
  const ChainedStruct* next = nullptr;
  StringView message;
  uint32_t type = 0;
  uint64_t line_num = 0;
  uint64_t line_pos = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
};
struct CompilationInfo {
  const ChainedStruct* next = nullptr;
  size_t message_count = 0;
  const CompilationMessage* messages = nullptr;
};

struct ConstantEntry;
struct ComputeState {
  const ChainedStruct* next = nullptr;
  ShaderModule module = nullptr;
  StringView entry_point;
  size_t constant_count = 0;
  const ConstantEntry* constants = nullptr;
};
struct ComputePipelineDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
  PipelineLayout layout = nullptr;  // null: "auto"
  ComputeState compute;
};

struct BindGroupEntry {
  const ChainedStruct* next = nullptr;
  uint32_t binding = 0;
  Buffer buffer = nullptr;
  uint64_t offset = 0;
  uint64_t size = UINT64_MAX;  // WGPU_WHOLE_SIZE
  void* sampler = nullptr;
  void* texture_view = nullptr;
};
struct BindGroupDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
  BindGroupLayout layout = nullptr;
  size_t entry_count = 0;
  const BindGroupEntry* entries = nullptr;
};

struct ComputePassDescriptor {
  const ChainedStruct* next = nullptr;
  StringView label;
  const void* timestamp_writes = nullptr;
};

// Callback signatures of this ABI (userdata1/2 last).
using RequestAdapterCallback = void (*)(uint32_t status, Adapter adapter, StringView message, void* u1, void* u2);
using RequestDeviceCallback = void (*)(uint32_t status, Device device, StringView message, void* u1, void* u2);
using DeviceLostCallback = void (*)(const Device* device, uint32_t reason, StringView message, void* u1, void* u2);
using UncapturedErrorCallback = void (*)(const Device* device, uint32_t type, StringView message, void* u1, void* u2);
using LoggingCallback = void (*)(uint32_t type, StringView message, void* u1, void* u2);
using BufferMapCallback = void (*)(uint32_t status, StringView message, void* u1, void* u2);
using CompilationInfoCallback = void (*)(uint32_t status, const CompilationInfo* info, void* u1, void* u2);
using PopErrorScopeCallback = void (*)(uint32_t status, uint32_t type, StringView message, void* u1, void* u2);
using QueueWorkDoneCallback = void (*)(uint32_t status, StringView message, void* u1, void* u2);

// The functions mar calls, resolved by name from the library (provider.cc lists them once).
#define MAR_WGPU_PROCS(X)                                                                                    \
  X(CreateInstance, Instance, const InstanceDescriptor*)                                                     \
  X(InstanceRequestAdapter, Future, Instance, const RequestAdapterOptions*, CallbackInfo)                    \
  X(InstanceWaitAny, uint32_t, Instance, size_t, FutureWaitInfo*, uint64_t)                                  \
  X(InstanceProcessEvents, void, Instance)                                                                   \
  X(InstanceRelease, void, Instance)                                                                         \
  X(AdapterGetInfo, uint32_t, Adapter, AdapterInfo*)                                                         \
  X(AdapterInfoFreeMembers, void, AdapterInfo)                                                               \
  X(AdapterGetLimits, uint32_t, Adapter, Limits*)                                                            \
  X(AdapterRequestDevice, Future, Adapter, const DeviceDescriptor*, CallbackInfo)                            \
  X(AdapterRelease, void, Adapter)                                                                           \
  X(DeviceGetQueue, Queue, Device)                                                                           \
  X(DeviceGetLimits, uint32_t, Device, Limits*)                                                              \
  X(DeviceSetLoggingCallback, void, Device, LoggingCallbackInfo)                                             \
  X(DeviceCreateBuffer, Buffer, Device, const BufferDescriptor*)                                             \
  X(DeviceCreateShaderModule, ShaderModule, Device, const ShaderModuleDescriptor*)                           \
  X(DeviceCreateComputePipeline, ComputePipeline, Device, const ComputePipelineDescriptor*)                  \
  X(DeviceCreateBindGroup, BindGroup, Device, const BindGroupDescriptor*)                                    \
  X(DeviceCreateCommandEncoder, CommandEncoder, Device, const CommandEncoderDescriptor*)                     \
  X(DevicePushErrorScope, void, Device, uint32_t)                                                            \
  X(DevicePopErrorScope, Future, Device, CallbackInfo)                                                       \
  X(DeviceDestroy, void, Device)                                                                             \
  X(DeviceRelease, void, Device)                                                                             \
  X(QueueSubmit, void, Queue, size_t, const CommandBuffer*)                                                  \
  X(QueueWriteBuffer, void, Queue, Buffer, uint64_t, const void*, size_t)                                    \
  X(QueueOnSubmittedWorkDone, Future, Queue, CallbackInfo)                                                   \
  X(QueueRelease, void, Queue)                                                                               \
  X(BufferMapAsync, Future, Buffer, Flags, size_t, size_t, CallbackInfo)                                     \
  X(BufferGetConstMappedRange, const void*, Buffer, size_t, size_t)                                          \
  X(BufferUnmap, void, Buffer)                                                                               \
  X(BufferDestroy, void, Buffer)                                                                             \
  X(BufferRelease, void, Buffer)                                                                             \
  X(ShaderModuleGetCompilationInfo, Future, ShaderModule, CallbackInfo)                                      \
  X(ShaderModuleRelease, void, ShaderModule)                                                                 \
  X(ComputePipelineGetBindGroupLayout, BindGroupLayout, ComputePipeline, uint32_t)                           \
  X(ComputePipelineRelease, void, ComputePipeline)                                                           \
  X(BindGroupLayoutRelease, void, BindGroupLayout)                                                           \
  X(BindGroupRelease, void, BindGroup)                                                                       \
  X(CommandEncoderBeginComputePass, ComputePassEncoder, CommandEncoder, const ComputePassDescriptor*)        \
  X(CommandEncoderCopyBufferToBuffer, void, CommandEncoder, Buffer, uint64_t, Buffer, uint64_t, uint64_t)    \
  X(CommandEncoderClearBuffer, void, CommandEncoder, Buffer, uint64_t, uint64_t)                             \
  X(CommandEncoderFinish, CommandBuffer, CommandEncoder, const CommandBufferDescriptor*)                     \
  X(CommandEncoderRelease, void, CommandEncoder)                                                             \
  X(CommandBufferRelease, void, CommandBuffer)                                                               \
  X(ComputePassEncoderSetPipeline, void, ComputePassEncoder, ComputePipeline)                                \
  X(ComputePassEncoderSetBindGroup, void, ComputePassEncoder, uint32_t, BindGroup, size_t, const uint32_t*)  \
  X(ComputePassEncoderDispatchWorkgroups, void, ComputePassEncoder, uint32_t, uint32_t, uint32_t)            \
  X(ComputePassEncoderEnd, void, ComputePassEncoder)                                                         \
  X(ComputePassEncoderRelease, void, ComputePassEncoder)

struct Procs {
#define MAR_WGPU_FIELD(name, ret, ...) ret (*name)(__VA_ARGS__) = nullptr;
  MAR_WGPU_PROCS(MAR_WGPU_FIELD)
#undef MAR_WGPU_FIELD
};

// The layouts of shared/notes/webgpu/struct_layouts.txt (x86-64 / aarch64 LP64).
static_assert(sizeof(StringView) == 16);
static_assert(sizeof(ChainedStruct) == 16 && offsetof(ChainedStruct, s_type) == 8);
static_assert(sizeof(Future) == 8 && sizeof(FutureWaitInfo) == 16 && offsetof(FutureWaitInfo, completed) == 8);
static_assert(sizeof(CallbackInfo) == 40 && offsetof(CallbackInfo, mode) == 8 && offsetof(CallbackInfo, callback) == 16 &&
              offsetof(CallbackInfo, userdata1) == 24 && offsetof(CallbackInfo, userdata2) == 32);
static_assert(sizeof(InstanceCapabilities) == 24 && offsetof(InstanceCapabilities, timed_wait_any_enable) == 8 &&
              offsetof(InstanceCapabilities, timed_wait_any_max_count) == 16);
static_assert(sizeof(InstanceDescriptor) == 32 && offsetof(InstanceDescriptor, capabilities) == 8);
static_assert(sizeof(RequestAdapterOptions) == 32 && offsetof(RequestAdapterOptions, feature_level) == 8 &&
              offsetof(RequestAdapterOptions, power_preference) == 12 &&
              offsetof(RequestAdapterOptions, force_fallback_adapter) == 16 &&
              offsetof(RequestAdapterOptions, backend_type) == 20 &&
              offsetof(RequestAdapterOptions, compatible_surface) == 24);
static_assert(sizeof(AdapterInfo) == 96 && offsetof(AdapterInfo, vendor) == 8 && offsetof(AdapterInfo, architecture) == 24 &&
              offsetof(AdapterInfo, device) == 40 && offsetof(AdapterInfo, description) == 56 &&
              offsetof(AdapterInfo, backend_type) == 72 && offsetof(AdapterInfo, adapter_type) == 76 &&
              offsetof(AdapterInfo, vendor_id) == 80 && offsetof(AdapterInfo, device_id) == 84 &&
              offsetof(AdapterInfo, subgroup_max_size) == 92);
static_assert(sizeof(Limits) == 152 && offsetof(Limits, max_bind_groups) == 24 &&
              offsetof(Limits, max_storage_buffers_per_shader_stage) == 52 &&
              offsetof(Limits, max_uniform_buffer_binding_size) == 64 &&
              offsetof(Limits, max_storage_buffer_binding_size) == 72 &&
              offsetof(Limits, min_storage_buffer_offset_alignment) == 84 && offsetof(Limits, max_vertex_buffers) == 88 &&
              offsetof(Limits, max_buffer_size) == 96 && offsetof(Limits, max_compute_workgroup_storage_size) == 124 &&
              offsetof(Limits, max_compute_invocations_per_workgroup) == 128 &&
              offsetof(Limits, max_compute_workgroup_size_x) == 132 &&
              offsetof(Limits, max_compute_workgroups_per_dimension) == 144 && offsetof(Limits, max_immediate_size) == 148);
static_assert(sizeof(LabelDescriptor) == 24 && offsetof(LabelDescriptor, label) == 8);  // Queue, ShaderModule, CommandEncoder, CommandBuffer
static_assert(sizeof(UncapturedErrorCallbackInfo) == 32 && offsetof(UncapturedErrorCallbackInfo, callback) == 8 &&
              offsetof(UncapturedErrorCallbackInfo, userdata2) == 24);
static_assert(sizeof(DeviceDescriptor) == 144 && offsetof(DeviceDescriptor, required_feature_count) == 24 &&
              offsetof(DeviceDescriptor, required_features) == 32 && offsetof(DeviceDescriptor, required_limits) == 40 &&
              offsetof(DeviceDescriptor, default_queue) == 48 && offsetof(DeviceDescriptor, device_lost) == 72 &&
              offsetof(DeviceDescriptor, uncaptured_error) == 112);
static_assert(sizeof(BufferDescriptor) == 48 && offsetof(BufferDescriptor, usage) == 24 &&
              offsetof(BufferDescriptor, size) == 32 && offsetof(BufferDescriptor, mapped_at_creation) == 40);
static_assert(sizeof(ShaderSourceWGSL) == 32 && offsetof(ShaderSourceWGSL, code) == 16);
static_assert(sizeof(CompilationMessage) == 64 && offsetof(CompilationMessage, message) == 8 &&
              offsetof(CompilationMessage, type) == 24 && offsetof(CompilationMessage, line_num) == 32 &&
              offsetof(CompilationMessage, line_pos) == 40 && offsetof(CompilationMessage, offset) == 48 &&
              offsetof(CompilationMessage, length) == 56);
static_assert(sizeof(ComputeState) == 48 && offsetof(ComputeState, module) == 8 && offsetof(ComputeState, entry_point) == 16 &&
              offsetof(ComputeState, constant_count) == 32 && offsetof(ComputeState, constants) == 40);
static_assert(sizeof(ComputePipelineDescriptor) == 80 && offsetof(ComputePipelineDescriptor, layout) == 24 &&
              offsetof(ComputePipelineDescriptor, compute) == 32);
static_assert(sizeof(BindGroupEntry) == 56 && offsetof(BindGroupEntry, binding) == 8 && offsetof(BindGroupEntry, buffer) == 16 &&
              offsetof(BindGroupEntry, offset) == 24 && offsetof(BindGroupEntry, size) == 32 &&
              offsetof(BindGroupEntry, sampler) == 40 && offsetof(BindGroupEntry, texture_view) == 48);
static_assert(sizeof(BindGroupDescriptor) == 48 && offsetof(BindGroupDescriptor, layout) == 24 &&
              offsetof(BindGroupDescriptor, entry_count) == 32 && offsetof(BindGroupDescriptor, entries) == 40);
static_assert(sizeof(ComputePassDescriptor) == 32 && offsetof(ComputePassDescriptor, timestamp_writes) == 24);

}  // namespace mar::gpu::wgpu
