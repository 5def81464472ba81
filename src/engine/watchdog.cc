#include "engine/watchdog.h"

#include <time.h>

#include <algorithm>

#include "engine/isolate.h"

namespace mar::engine {

namespace {
int64_t ThreadCpuNanos(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return 0;
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}
}  // namespace

CpuMonitor::CpuMonitor() = default;

void CpuMonitor::BindToCurrentThread() {
  pthread_getcpuclockid(pthread_self(), &thread_clock_);
  bound_ = true;
}

void CpuMonitor::Begin(Isolate* isolate, std::chrono::nanoseconds budget) {
  std::lock_guard lock(mutex_);
  current_ = isolate;
  budget_ns_.store(budget.count(), std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_relaxed);
}

void CpuMonitor::End() {
  std::lock_guard lock(mutex_);
  current_ = nullptr;
}

void CpuMonitor::TerminateCurrent(TerminationReason reason) {
  std::lock_guard lock(mutex_);
  if (current_) current_->Terminate(reason);
}

Watchdog::Watchdog(std::chrono::milliseconds tick) : tick_(tick), thread_([this] { Run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::Add(CpuMonitor* monitor) {
  std::lock_guard lock(mutex_);
  monitors_.push_back(monitor);
}

void Watchdog::Remove(CpuMonitor* monitor) {
  std::lock_guard lock(mutex_);
  std::erase(monitors_, monitor);
}

void Watchdog::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, tick_);
    if (stopping_) break;
    for (CpuMonitor* monitor : monitors_) Check(*monitor);
  }
}

void Watchdog::Check(CpuMonitor& monitor) {
  if (!monitor.bound_) return;
  std::lock_guard lock(monitor.mutex_);
  if (!monitor.current_) return;
  int64_t now = ThreadCpuNanos(monitor.thread_clock_);
  uint32_t epoch = monitor.epoch_.load(std::memory_order_relaxed);
  if (epoch != monitor.seen_epoch_) {
    // A new event began since the last sample; its CPU time counts from here (at most one tick
    // late, so a budget is enforced within +tick).
    monitor.seen_epoch_ = epoch;
    monitor.event_start_cpu_ns_ = now;
    return;
  }
  if (now - monitor.event_start_cpu_ns_ > monitor.budget_ns_.load(std::memory_order_relaxed)) {
    monitor.current_->Terminate(TerminationReason::kCpuLimit);
  }
}

}  // namespace mar::engine
