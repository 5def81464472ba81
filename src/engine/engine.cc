#include "engine/engine.h"

#include <libplatform/libplatform.h>
#include <v8.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "engine/code_cache.h"
#include "engine/snapshot.h"

namespace mar::engine {

namespace {

std::atomic<bool> g_v8_started{false};  // V8 itself is process-global; this only guards misuse.

// Forwards to the default task runner and tells the owning shard to pump.
class WakingTaskRunner final : public v8::TaskRunner {
 public:
  WakingTaskRunner(std::shared_ptr<v8::TaskRunner> inner, ForegroundWaker waker)
      : inner_(std::move(inner)), waker_(std::move(waker)) {}

  void PostTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostTask(std::move(task));
    waker_(0);
  }
  void PostNonNestableTask(std::unique_ptr<v8::Task> task) override {
    inner_->PostNonNestableTask(std::move(task));
    waker_(0);
  }
  void PostDelayedTask(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->PostDelayedTask(std::move(task), delay_in_seconds);
    waker_(delay_in_seconds);
  }
  void PostNonNestableDelayedTask(std::unique_ptr<v8::Task> task, double delay_in_seconds) override {
    inner_->PostNonNestableDelayedTask(std::move(task), delay_in_seconds);
    waker_(delay_in_seconds);
  }
  void PostIdleTask(std::unique_ptr<v8::IdleTask> task) override { inner_->PostIdleTask(std::move(task)); }
  bool IdleTasksEnabled() override { return false; }
  bool NonNestableTasksEnabled() const override { return true; }
  bool NonNestableDelayedTasksEnabled() const override { return true; }

 private:
  std::shared_ptr<v8::TaskRunner> inner_;
  ForegroundWaker waker_;
};

}  // namespace

// Delegates everything to V8's default platform except foreground task runners, which also wake
// the shard that owns the isolate (V8's default platform would otherwise wait to be pumped).
class Engine::WakingPlatform final : public v8::Platform {
 public:
  explicit WakingPlatform(v8::Platform* inner) : inner_(inner) {}

  void Register(v8::Isolate* isolate, ForegroundWaker waker) {
    std::lock_guard lock(mutex_);
    runners_[isolate] = std::make_shared<WakingTaskRunner>(inner_->GetForegroundTaskRunner(isolate),
                                                           std::move(waker));
  }
  void Unregister(v8::Isolate* isolate) {
    std::lock_guard lock(mutex_);
    runners_.erase(isolate);
  }

  v8::PageAllocator* GetPageAllocator() override { return inner_->GetPageAllocator(); }
  void OnCriticalMemoryPressure() override { inner_->OnCriticalMemoryPressure(); }
  bool OnCriticalMemoryPressure(size_t length) override { return inner_->OnCriticalMemoryPressure(length); }
  int NumberOfWorkerThreads() override { return inner_->NumberOfWorkerThreads(); }
  std::shared_ptr<v8::TaskRunner> GetForegroundTaskRunner(v8::Isolate* isolate) override {
    {
      std::lock_guard lock(mutex_);
      auto it = runners_.find(isolate);
      if (it != runners_.end()) return it->second;
    }
    return inner_->GetForegroundTaskRunner(isolate);
  }
  void CallOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallOnWorkerThread(std::move(task));
  }
  void CallBlockingTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallBlockingTaskOnWorkerThread(std::move(task));
  }
  void CallLowPriorityTaskOnWorkerThread(std::unique_ptr<v8::Task> task) override {
    inner_->CallLowPriorityTaskOnWorkerThread(std::move(task));
  }
  void CallDelayedOnWorkerThread(std::unique_ptr<v8::Task> task, double delay) override {
    inner_->CallDelayedOnWorkerThread(std::move(task), delay);
  }
  bool IdleTasksEnabled(v8::Isolate* isolate) override { return false; }
  std::unique_ptr<v8::JobHandle> PostJob(v8::TaskPriority priority,
                                         std::unique_ptr<v8::JobTask> job_task) override {
    return inner_->PostJob(priority, std::move(job_task));
  }
  double MonotonicallyIncreasingTime() override { return inner_->MonotonicallyIncreasingTime(); }
  double CurrentClockTimeMillis() override { return inner_->CurrentClockTimeMillis(); }
  StackTracePrinter GetStackTracePrinter() override { return inner_->GetStackTracePrinter(); }
  v8::TracingController* GetTracingController() override { return inner_->GetTracingController(); }

 private:
  v8::Platform* inner_;
  std::mutex mutex_;
  std::unordered_map<v8::Isolate*, std::shared_ptr<WakingTaskRunner>> runners_;
};

Engine::Engine() = default;

namespace {

// What the kernel allows a process (vm.max_map_count, 65530 by default), less room for
// everything else the process maps (code, heaps, stacks, compact Wasm memories merge).
int64_t GrowableWasmBudget() {
  int64_t max_maps = 65530;
  if (std::FILE* file = std::fopen("/proc/sys/vm/max_map_count", "r")) {
    long long value = 0;
    if (std::fscanf(file, "%lld", &value) == 1 && value > 0) max_maps = value;
    std::fclose(file);
  }
  return std::max<int64_t>(0, (max_maps - 16384) / 2);
}

}  // namespace

std::unique_ptr<Engine> Engine::Start(const EngineOptions& options) {
  if (g_v8_started.exchange(true)) std::abort();  // a second Engine in one process is a bug
  std::unique_ptr<Engine> engine(new Engine());
  // Flags must be set before initialization. Harmony shipping features of 10.2 are on by default.
  // Snapshot checksums: V8's default snapshot is part of libnode, and mar's own is hashed once
  // when it is loaded (engine::Snapshot), so each new isolate need not checksum it byte by byte.
  std::string flags = "--stack-size=984 --no-verify-snapshot-checksum " + options.extra_v8_flags;
  v8::V8::SetFlagsFromString(flags.c_str(), flags.size());
  engine->default_platform_ = v8::platform::NewDefaultPlatform(
      options.worker_threads, v8::platform::IdleTaskSupport::kDisabled,
      v8::platform::InProcessStackDumping::kDisabled);
  engine->platform_ = std::make_unique<WakingPlatform>(engine->default_platform_.get());
  engine->growable_wasm_budget_ = GrowableWasmBudget();
  v8::V8::InitializePlatform(engine->platform_.get());
  v8::V8::Initialize();
  return engine;
}


bool Engine::TryAcquireGrowableWasmMemory() {
  if (growable_wasm_memories_.fetch_add(1, std::memory_order_relaxed) < growable_wasm_budget_) return true;
  growable_wasm_memories_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void Engine::ReleaseGrowableWasmMemory() { growable_wasm_memories_.fetch_sub(1, std::memory_order_relaxed); }

Engine::~Engine() {
  v8::V8::Dispose();
  v8::V8::DisposePlatform();
}

void Engine::RegisterIsolate(v8::Isolate* isolate, ForegroundWaker waker) {
  platform_->Register(isolate, std::move(waker));
}

void Engine::UnregisterIsolate(v8::Isolate* isolate) {
  platform_->Unregister(isolate);
  // Drops V8's per-isolate queue in the default platform too.
  v8::platform::NotifyIsolateShutdown(default_platform_.get(), isolate);
}

void Engine::PumpForegroundTasks(v8::Isolate* isolate) {
  while (v8::platform::PumpMessageLoop(default_platform_.get(), isolate,
                                       v8::platform::MessageLoopBehavior::kDoNotWait)) {
  }
}

v8::Platform* Engine::platform() const { return platform_.get(); }

void Engine::set_code_cache(std::unique_ptr<CodeCache> cache) { code_cache_ = std::move(cache); }

void Engine::set_snapshot(std::unique_ptr<Snapshot> snapshot, const intptr_t* external_references) {
  snapshot_ = std::move(snapshot);
  external_references_ = snapshot_ ? external_references : nullptr;
}

}  // namespace mar::engine
