// Process-wide V8 start-up and the platform that wakes shard loops when V8 posts foreground work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace v8 {
class Isolate;
class Platform;
}  // namespace v8

namespace mar::engine {

class CodeCache;
class Snapshot;

// Called (from any thread) when V8 has posted a foreground task for an isolate; `delay_seconds` is
// 0 for immediate tasks. The shard owning the isolate must then pump V8's task queue on its thread.
using ForegroundWaker = std::function<void(double delay_seconds)>;

struct EngineOptions {
  int worker_threads = 2;  // V8 background threads (GC, compilation)
  std::string extra_v8_flags;
};

// V8 can be initialized once per process; Engine owns that initialization and the platform.
// Create exactly one in main (or in a test fixture) and keep it alive while any isolate exists.
class Engine {
 public:
  static std::unique_ptr<Engine> Start(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Routes V8's foreground tasks for `isolate` to `waker`. Unregister before disposing the isolate.
  void RegisterIsolate(v8::Isolate* isolate, ForegroundWaker waker);
  void UnregisterIsolate(v8::Isolate* isolate);

  // Runs the foreground tasks that are due for `isolate`; call on the isolate's thread.
  void PumpForegroundTasks(v8::Isolate* isolate);

  v8::Platform* platform() const;

  // Code caches for the built-in JS (may be empty); shared by every isolate of the process.
  void set_code_cache(std::unique_ptr<CodeCache> cache);
  CodeCache* code_cache() const { return code_cache_.get(); }

  // The start-up snapshot every isolate is created from (none: V8's own, and contexts are built
  // from source), with the addresses of the natives it refers to (null-terminated, in the order
  // they had when the snapshot was made; they outlive the engine).
  void set_snapshot(std::unique_ptr<Snapshot> snapshot, const intptr_t* external_references);
  Snapshot* snapshot() const { return snapshot_.get(); }
  const intptr_t* external_references() const { return external_references_; }

  // Wasm memories whose maximum exceeds their initial size take two kernel mappings each (a
  // read-write part and a reserved part); past vm.max_map_count the next mmap fails inside V8
  // and aborts the process. The budget counts them process-wide; TryAcquire refuses past it.
  bool TryAcquireGrowableWasmMemory();
  void ReleaseGrowableWasmMemory();
  int64_t growable_wasm_memory_budget() const { return growable_wasm_budget_; }

 private:
  class WakingPlatform;
  Engine();
  std::unique_ptr<v8::Platform> default_platform_;
  std::unique_ptr<WakingPlatform> platform_;
  std::unique_ptr<CodeCache> code_cache_;
  std::unique_ptr<Snapshot> snapshot_;
  const intptr_t* external_references_ = nullptr;
  std::atomic<int64_t> growable_wasm_memories_{0};
  int64_t growable_wasm_budget_ = 0;
};

}  // namespace mar::engine
