// The node's GPU: one WebGPU device shared by every actor, driven by one thread of its own.
//
// Shard threads call in (any thread may): the bookkeeping a caller must see at once (ownership,
// quotas, sizes) is done under a lock and answered synchronously; the GPU work itself is queued,
// in call order, to the GPU thread, which never blocks a shard. Answers to asynchronous requests
// (readBuffer, dispatch) are handed to a callback on the GPU thread, whose job is to post them to
// the caller's shard.
//
// Ownership: every buffer belongs to one owner (an actor, or a bundle's default handler in one
// isolate); owners belong to a group (the isolate), so a discarded isolate frees everything its
// actors held. Quotas are per owner: maxBufferBytes of live buffers, maxDispatchMs per dispatch.
//
// A dispatch that outlives its maxDispatchMs cannot be cancelled inside WebGPU: the device is
// destroyed and replaced (what a GPU watchdog does). Every owner's buffers are then lost; calls on
// them fail with `device_lost` instead of hanging.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/result.h"
#include "gpu/provider.h"
#include "gpu/requests.h"
#include "obs/log.h"

namespace mar::gpu {

struct ServiceStats {
  uint64_t buffers = 0, buffer_bytes = 0;  // live, all owners
  uint64_t pooled_bytes = 0;
  uint64_t pipelines = 0;
  uint64_t devices_created = 0;
  uint64_t dispatches = 0;
};

class Service {
 public:
  // Starts the GPU thread, which loads the library and opens the device in the background (the
  // node does not wait for it); the outcome is logged. Requests made meanwhile are queued.
  static std::unique_ptr<Service> Start(ProviderOptions options, std::shared_ptr<obs::Logger> logger);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Blocks until the device is open or known to be unavailable: "" or the reason.
  std::string WaitReady();
  // "" while starting or ready; why there is no GPU otherwise.
  std::string unavailable() const;

  uint64_t NewGroup();
  uint64_t NewOwner(uint64_t group, Quota quota, std::string label);
  void ReleaseOwner(uint64_t owner);
  void ReleaseGroup(uint64_t group);

  // Synchronous refusals are "code:message".
  Result<uint64_t> CreateBuffer(uint64_t owner, uint64_t size, bool uniform);
  Result<void> WriteBuffer(uint64_t owner, uint64_t buffer, uint64_t offset, std::span<const uint8_t> bytes);
  Result<void> DestroyBuffer(uint64_t owner, uint64_t buffer);
  Result<void> ReadBuffer(uint64_t owner, uint64_t buffer, uint64_t offset, uint64_t size, Callback done);
  Result<void> Dispatch(uint64_t owner, DispatchRequest request, Callback done);

  ServiceStats stats() const;

  static constexpr uint64_t kPoolBytes = 256ull << 20;  // released buffers kept for reuse
  static constexpr size_t kPipelineCacheSize = 64;
  // Compiling runs on the GPU thread, in every actor's way: a shader's source is bounded.
  static constexpr size_t kMaxShaderBytes = 1 << 20;

 private:
  struct Owner {
    uint64_t group = 0;
    Quota quota;
    std::string label;
    uint64_t bytes = 0;
    uint64_t queued_bytes = 0;  // writes and read-backs not yet done: bounded like `bytes`
    std::unordered_set<uint64_t> buffers;
  };
  struct BufferInfo {
    uint64_t owner = 0;
    uint64_t size = 0;
    bool uniform = false;
  };
  class Gpu;  // the GPU thread's own state (service.cc)

  Service(ProviderOptions options, std::shared_ptr<obs::Logger> logger);
  void Post(std::function<void(Gpu&)> task);
  void Run();
  Result<const BufferInfo*> OwnedBuffer(uint64_t owner, uint64_t buffer) const;  // under mutex_
  // Reserves `bytes` of queued work for `owner` (under mutex_); Unqueue gives them back.
  Result<void> Queue(uint64_t owner, uint64_t bytes, const char* what);
  void Unqueue(uint64_t owner, uint64_t bytes);
  void ReleaseLocked(std::unique_lock<std::mutex>& lock, uint64_t owner_id);

  ProviderOptions options_;
  std::shared_ptr<obs::Logger> logger_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;        // the GPU thread: work queued or stop
  std::condition_variable ready_cv_;
  bool started_ = false;                // the device opened or failed
  std::string unavailable_;
  uint64_t max_buffer_size_ = 0;        // from the device's limits, once open
  uint64_t max_binding_size_ = 0;
  uint32_t max_workgroups_ = 0;
  // All owners' buffers together. A CPU adapter's buffers are the machine's RAM: half of it at
  // most, so a bundle cannot take the node down with them (0: no node-wide bound; a GPU's own
  // memory is bounded by the device, which answers out_of_memory).
  uint64_t node_limit_ = 0;
  bool stop_ = false;
  std::deque<std::function<void(Gpu&)>> queue_;
  std::unordered_map<uint64_t, Owner> owners_;
  std::unordered_map<uint64_t, BufferInfo> buffers_;
  uint64_t next_owner_ = 1, next_buffer_ = 1, next_group_ = 1;
  ServiceStats stats_;
  std::unique_ptr<Gpu> gpu_;
  std::thread thread_;
};

}  // namespace mar::gpu
