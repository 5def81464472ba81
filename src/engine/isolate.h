// One V8 isolate with mar's limits: heap cap with a near-heap-limit callback, a budgeted
// ArrayBuffer allocator, and a record of why execution was terminated.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace v8 {
class Isolate;
}

namespace mar::engine {

class Engine;

struct IsolateLimits {
  size_t heap_bytes = 128u << 20;          // old + young generation
  size_t array_buffer_bytes = 128u << 20;  // live ArrayBuffer backing stores
};

// Why an isolate stopped running JS. The owner either discards the isolate or, when it can tell
// that only one actor's synchronous code was cut short, resumes it (Resume()).
enum class TerminationReason : uint8_t { kNone, kCpuLimit, kHeapLimit, kShutdown };

const char* TerminationReasonText(TerminationReason reason);

class Isolate {
 public:
  // `waker` (optional) routes V8's foreground tasks for this isolate to its owner's loop; it is
  // registered before V8 sets up the heap, which may already fetch the task runner.
  Isolate(Engine& engine, const IsolateLimits& limits, std::function<void(double)> waker = {});
  ~Isolate();
  Isolate(const Isolate&) = delete;
  Isolate& operator=(const Isolate&) = delete;

  v8::Isolate* get() const { return isolate_; }
  Engine& engine() const { return engine_; }

  // Stops JS on this isolate as soon as possible; callable from any thread. The first reason wins.
  void Terminate(TerminationReason reason);
  TerminationReason termination_reason() const { return termination_.load(std::memory_order_acquire); }
  bool terminated() const { return termination_reason() != TerminationReason::kNone; }
  // Cancels a termination once every JS frame has unwound, so the isolate runs JS again.
  void Resume();

  size_t array_buffer_bytes_in_use() const;

 private:
  class BudgetAllocator;
  static size_t NearHeapLimit(void* data, size_t current_limit, size_t initial_limit);

  Engine& engine_;
  std::unique_ptr<BudgetAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::atomic<TerminationReason> termination_{TerminationReason::kNone};
};

}  // namespace mar::engine
