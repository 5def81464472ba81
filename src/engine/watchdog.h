// Enforces CPU time per event: one thread samples each shard's thread CPU clock and terminates
// the isolate whose current event has run longer than its budget.
#pragma once

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace mar::engine {

class Isolate;
enum class TerminationReason : uint8_t;

// Shared between a shard thread and the watchdog. The shard marks event boundaries; the watchdog
// measures. An "event" is anything that enters JS: a request, a timer callback, a message. JS code
// that runs several events in one entry (the timer loop) bumps `epoch` between them through a
// typed array over `epoch`, so each callback gets its own budget without a call into C++.
class CpuMonitor {
 public:
  CpuMonitor();
  CpuMonitor(const CpuMonitor&) = delete;
  CpuMonitor& operator=(const CpuMonitor&) = delete;

  // Call on the monitored thread before registering with a Watchdog.
  void BindToCurrentThread();

  // Marks the start of an event on `isolate` with a budget; isolate stays current until End().
  void Begin(Isolate* isolate, std::chrono::nanoseconds budget);
  void NextEvent() { epoch_.fetch_add(1, std::memory_order_relaxed); }
  // Ends the current event. After End() returns the watchdog will not terminate `isolate` for it.
  void End();

  // Terminates the isolate running an event on this monitor's thread, if any (any thread).
  void TerminateCurrent(TerminationReason reason);

  // The counter JS may bump; 4-byte aligned and stable for the monitor's lifetime.
  uint32_t* epoch_cell() { return reinterpret_cast<uint32_t*>(&epoch_); }

 private:
  friend class Watchdog;
  std::atomic<uint32_t> epoch_{0};
  std::atomic<int64_t> budget_ns_{0};
  // Written under mutex_; the watchdog also reads it without the lock, as a hint that there is
  // an event worth sampling.
  std::atomic<Isolate*> current_{nullptr};
  std::mutex mutex_;  // taken per event begin and end, and briefly per watchdog check
  clockid_t thread_clock_{};
  bool bound_ = false;
  // Watchdog-side sampling state.
  uint32_t seen_epoch_ = 0;
  int64_t event_start_cpu_ns_ = 0;
};

class Watchdog {
 public:
  explicit Watchdog(std::chrono::milliseconds tick = std::chrono::milliseconds(5));
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void Add(CpuMonitor* monitor);
  void Remove(CpuMonitor* monitor);

 private:
  void Run();
  void Check(CpuMonitor& monitor);

  std::chrono::milliseconds tick_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<CpuMonitor*> monitors_;
  std::thread thread_;
};

}  // namespace mar::engine
