#include "engine/isolate.h"

#include <v8.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/engine.h"
#include "engine/snapshot.h"

namespace mar::engine {

const char* TerminationReasonText(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kNone: return "not terminated";
    case TerminationReason::kCpuLimit: return "exceeded its CPU time limit (limits.cpuMsPerEvent)";
    case TerminationReason::kHeapLimit: return "exceeded its memory limit (limits.memoryMb)";
    case TerminationReason::kShutdown: return "was stopped by node shutdown";
  }
  return "terminated";
}

// ArrayBuffer memory lives outside V8's heap limit; this allocator caps it per isolate so a huge
// allocation becomes a catchable RangeError instead of an out-of-memory process.
class Isolate::BudgetAllocator final : public v8::ArrayBuffer::Allocator {
 public:
  explicit BudgetAllocator(size_t budget) : budget_(budget) {}

  void* Allocate(size_t length) override {
    if (!Reserve(length)) return nullptr;
    void* data = std::calloc(length ? length : 1, 1);
    if (!data) Release(length);
    return data;
  }
  void* AllocateUninitialized(size_t length) override {
    if (!Reserve(length)) return nullptr;
    void* data = std::malloc(length ? length : 1);
    if (!data) Release(length);
    return data;
  }
  void Free(void* data, size_t length) override {
    std::free(data);
    Release(length);
  }
  void* Reallocate(void* data, size_t old_length, size_t new_length) override {
    if (new_length > old_length && !Reserve(new_length - old_length)) return nullptr;
    void* resized = std::realloc(data, new_length ? new_length : 1);
    if (!resized) {
      if (new_length > old_length) Release(new_length - old_length);
      return nullptr;
    }
    if (new_length > old_length) std::memset(static_cast<char*>(resized) + old_length, 0, new_length - old_length);
    if (new_length < old_length) Release(old_length - new_length);
    return resized;
  }
  size_t in_use() const { return in_use_.load(std::memory_order_relaxed); }

 private:
  bool Reserve(size_t length) {
    size_t current = in_use_.load(std::memory_order_relaxed);
    do {
      if (length > budget_ || current > budget_ - length) return false;
    } while (!in_use_.compare_exchange_weak(current, current + length, std::memory_order_relaxed));
    return true;
  }
  void Release(size_t length) { in_use_.fetch_sub(length, std::memory_order_relaxed); }

  const size_t budget_;
  // Atomic: backing stores may be freed on V8's background GC threads.
  std::atomic<size_t> in_use_{0};
};

Isolate::Isolate(Engine& engine, const IsolateLimits& limits, std::function<void(double)> waker)
    : engine_(engine), allocator_(std::make_unique<BudgetAllocator>(limits.array_buffer_bytes)) {
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator_.get();
  // V8's split of a heap size gives the young generation 1/128 of it per semi-space (1 MiB at the
  // default 128 MiB): an actor allocating at a steady rate then scavenges so often that
  // collection becomes most of its time (1M live timers: -15 % throughput, measured). Semi-spaces
  // of 1/16 of the heap, at most 16 MiB (V8's own default for large heaps), the old generation
  // taking the rest, so the total stays limits.heap_bytes. New space starts small and only grows
  // for an isolate that keeps allocating, so idle memory does not change.
  size_t semi_space = std::clamp<size_t>(limits.heap_bytes / 16, size_t{1} << 20, size_t{16} << 20);
  size_t young = 3 * semi_space;  // two semi-spaces and the new large-object space
  if (limits.heap_bytes > 2 * young) {
    params.constraints.set_max_young_generation_size_in_bytes(young);
    params.constraints.set_max_old_generation_size_in_bytes(limits.heap_bytes - young);
  } else {
    params.constraints.ConfigureDefaultsFromHeapSize(0, limits.heap_bytes);
  }
  if (Snapshot* snapshot = engine_.snapshot()) {
    params.snapshot_blob = snapshot->blob();
    params.external_references = engine_.external_references();
  }
  isolate_ = v8::Isolate::Allocate();
  if (waker) engine_.RegisterIsolate(isolate_, std::move(waker));
  v8::Isolate::Initialize(isolate_, params);
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  isolate_->AddNearHeapLimitCallback(&Isolate::NearHeapLimit, this);
  // If the isolate survives a memory-limit termination (the culprit was one actor), its limit
  // comes back down once collection brought the heap under half of it.
  isolate_->AutomaticallyRestoreInitialHeapLimit(0.5);
}

void Isolate::Resume() {
  isolate_->CancelTerminateExecution();
  termination_.store(TerminationReason::kNone, std::memory_order_release);
}

Isolate::~Isolate() {
  engine_.UnregisterIsolate(isolate_);
  isolate_->Dispose();
}

void Isolate::Terminate(TerminationReason reason) {
  TerminationReason expected = TerminationReason::kNone;
  termination_.compare_exchange_strong(expected, reason, std::memory_order_acq_rel);
  isolate_->TerminateExecution();
}

size_t Isolate::array_buffer_bytes_in_use() const { return allocator_->in_use(); }

size_t Isolate::NearHeapLimit(void* data, size_t current_limit, size_t initial_limit) {
  auto* self = static_cast<Isolate*>(data);
  self->Terminate(TerminationReason::kHeapLimit);
  // Returning the old limit would make V8 abort the process. Grant headroom so the running
  // builtin can finish and the termination can take effect; the isolate is then discarded.
  // A single huge allocation can overshoot by its own size, hence the generous margin.
  return current_limit + std::max<size_t>(current_limit, 256u << 20);
}

}  // namespace mar::engine
