#include "engine/watchdog.h"

#include <pthread.h>
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
  current_.store(isolate, std::memory_order_relaxed);
  budget_ns_.store(budget.count(), std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_relaxed);
}

void CpuMonitor::End() {
  std::lock_guard lock(mutex_);
  current_.store(nullptr, std::memory_order_relaxed);
}

void CpuMonitor::TerminateCurrent(TerminationReason reason) {
  std::lock_guard lock(mutex_);
  if (Isolate* current = current_.load(std::memory_order_relaxed)) current->Terminate(reason);
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
  pthread_setname_np(pthread_self(), "mar-watchdog");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, tick_);
    if (stopping_) break;
    for (CpuMonitor* monitor : monitors_) Check(*monitor);
  }
}

void Watchdog::Check(CpuMonitor& monitor) {
  if (!monitor.bound_ || !monitor.current_.load(std::memory_order_relaxed)) return;
  // The clock is read outside the lock: reading another thread's CPU clock is a system call
  // (microseconds on a VM), and a shard that begins or ends an event while the watchdog holds the
  // lock sleeps on it. With the read inside, a watchdog preempted there (on cores the node shares
  // with its clients) stalled the shard for a scheduler slice: milliseconds on a request.
  int64_t now = ThreadCpuNanos(monitor.thread_clock_);
  bool new_event = false;
  {
    std::lock_guard lock(monitor.mutex_);
    Isolate* current = monitor.current_.load(std::memory_order_relaxed);
    if (!current) return;
    uint32_t epoch = monitor.epoch_.load(std::memory_order_relaxed);
    if (epoch != monitor.seen_epoch_) {
      monitor.seen_epoch_ = epoch;
      new_event = true;
    } else if (now - monitor.event_start_cpu_ns_ > monitor.budget_ns_.load(std::memory_order_relaxed)) {
      current->Terminate(TerminationReason::kCpuLimit);
    }
  }
  // A new event began since the last sample; its CPU time counts from a reading taken after it
  // began (the one above may predate it), so it is charged at most one tick late, never early:
  // a budget is enforced within +tick.
  if (new_event) monitor.event_start_cpu_ns_ = ThreadCpuNanos(monitor.thread_clock_);
}

}  // namespace mar::engine
