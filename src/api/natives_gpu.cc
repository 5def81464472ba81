// The natives behind 45_gpu.js (env.GPU): thin calls into the node's GPU service (gpu/service.h).
// Owners and buffers are numbers the service minted; every call names its owner, and the service
// checks that the buffers it is given belong to it. Refusals come back as "code:message" strings
// (an empty string is success) for JS to turn into GPUErrors; only malformed arguments throw here.
#include <cmath>

#include "api/natives.h"
#include "api/realm.h"
#include "engine/binding.h"
#include "gpu/service.h"

namespace mar::api {

namespace {

using engine::Args;

gpu::Service* ServiceOf(Args& args) { return Realm::From(args.context()).host().GpuService(); }

// The service, or null with the refusal already returned to JS (a node without GPU service).
gpu::Service* ServiceOrRefuse(Args& args) {
  gpu::Service* service = ServiceOf(args);
  if (!service) args.Return(std::string_view("unavailable:this node has no GPU service"));
  return service;
}

uint64_t Integer(Args& args, int index, const char* what) {
  double value = args.Number(index);
  if (!std::isfinite(value) || value < 0 || value != std::floor(value) || value > 9007199254740991.0) {
    args.ThrowArgumentError(index, what);
  }
  return static_cast<uint64_t>(value);
}

void Refusal(Args& args, const Result<void>& result) { args.Return(result ? std::string_view() : result.error().message); }

// gpuStatus() -> "" when a GPU is (or may soon be) there, else why not.
void GpuStatus(Args& args) {
  gpu::Service* service = ServiceOf(args);
  args.Return(service ? service->unavailable() : std::string("this node has no GPU service"));
}

// gpuOwner(maxBufferBytes, maxDispatchMs, label) -> owner id (0: no service)
void GpuOwner(Args& args) {
  gpu::Service* service = ServiceOf(args);
  if (!service) return args.Return(0.0);
  gpu::Quota quota{Integer(args, 0, "a byte count"), static_cast<uint32_t>(Integer(args, 1, "milliseconds"))};
  uint64_t group = Realm::From(args.context()).host().GpuGroup();
  args.Return(static_cast<double>(service->NewOwner(group, quota, args.Utf8(2))));
}

void GpuRelease(Args& args) {
  if (gpu::Service* service = ServiceOf(args)) service->ReleaseOwner(Integer(args, 0, "an owner id"));
}

// gpuCreateBuffer(owner, size, uniform) -> buffer id, or a refusal string
void GpuCreateBuffer(Args& args) {
  gpu::Service* service = ServiceOrRefuse(args);
  if (!service) return;
  auto created = service->CreateBuffer(Integer(args, 0, "an owner id"), Integer(args, 1, "a byte count"), args.Boolean(2));
  if (!created) return args.Return(created.error().message);
  args.Return(static_cast<double>(*created));
}

// gpuWrite(owner, buffer, bytes, offset) -> "" or a refusal
void GpuWrite(Args& args) {
  gpu::Service* service = ServiceOrRefuse(args);
  if (!service) return;
  std::span<uint8_t> bytes = args.Bytes(2);
  Refusal(args, service->WriteBuffer(Integer(args, 0, "an owner id"), Integer(args, 1, "a buffer id"),
                                     Integer(args, 3, "an offset"), bytes));
}

// gpuDestroy(owner, buffer) -> "" or a refusal
void GpuDestroy(Args& args) {
  gpu::Service* service = ServiceOf(args);
  if (!service) return args.Return(std::string_view());
  Refusal(args, service->DestroyBuffer(Integer(args, 0, "an owner id"), Integer(args, 1, "a buffer id")));
}

// gpuRead(owner, buffer, offset, size, requestId) -> "" or a refusal; answered by gpuSettled
void GpuRead(Args& args) {
  gpu::Service* service = ServiceOrRefuse(args);
  if (!service) return;
  uint64_t request = Integer(args, 4, "a request id");
  Refusal(args, service->ReadBuffer(Integer(args, 0, "an owner id"), Integer(args, 1, "a buffer id"),
                                    Integer(args, 2, "an offset"), Integer(args, 3, "a byte count"),
                                    Realm::From(args.context()).host().GpuCallback(request)));
}

// gpuDispatch(owner, code, entryPoint, bindings, x, y, z, requestId) -> "" or a refusal.
// bindings: a flat array of [group, binding, buffer, offset, size] quintuples.
void GpuDispatch(Args& args) {
  gpu::Service* service = ServiceOrRefuse(args);
  if (!service) return;
  gpu::DispatchRequest request;
  request.code = args.Utf8(1);
  request.entry_point = args.Utf8(2);
  v8::Local<v8::Value> list = args[3];
  if (!list->IsArray()) args.ThrowArgumentError(3, "an array");
  v8::Local<v8::Array> flat = list.As<v8::Array>();
  v8::Local<v8::Context> context = args.context();
  uint32_t length = flat->Length();
  if (length % 5 != 0) args.ThrowArgumentError(3, "binding quintuples");
  auto at = [&](uint32_t i) {
    v8::Local<v8::Value> value;
    double number = 0;
    if (!flat->Get(context, i).ToLocal(&value) || !value->NumberValue(context).To(&number)) throw engine::PendingJsException{};
    return static_cast<uint64_t>(number);
  };
  for (uint32_t i = 0; i < length; i += 5) {
    request.bindings.push_back({static_cast<uint32_t>(at(i)), static_cast<uint32_t>(at(i + 1)), at(i + 2), at(i + 3), at(i + 4)});
  }
  for (int axis = 0; axis < 3; ++axis) {
    double count = args.Number(4 + axis);
    request.workgroups[axis] = count >= 0 && count <= 4294967295.0 ? static_cast<uint32_t>(count) : 0;
  }
  uint64_t id = Integer(args, 7, "a request id");
  Refusal(args, service->Dispatch(Integer(args, 0, "an owner id"), std::move(request),
                                  Realm::From(args.context()).host().GpuCallback(id)));
}

}  // namespace

void AddGpuNatives(engine::NativeObject& natives) {
  natives.Function<GpuStatus>("gpuStatus")
      .Function<GpuOwner>("gpuOwner")
      .Function<GpuRelease>("gpuRelease")
      .Function<GpuCreateBuffer>("gpuCreateBuffer")
      .Function<GpuWrite>("gpuWrite")
      .Function<GpuDestroy>("gpuDestroy")
      .Function<GpuRead>("gpuRead")
      .Function<GpuDispatch>("gpuDispatch");
}

}  // namespace mar::api
