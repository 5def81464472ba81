// One thread, one event loop (an Asio io_context), and the isolates that live on it. Work from
// other threads arrives only by Post().
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "engine/watchdog.h"

namespace mar::node {

class Shard {
 public:
  explicit Shard(int index);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  int index() const { return index_; }
  boost::asio::io_context& io() { return io_; }
  engine::CpuMonitor& cpu_monitor() { return cpu_monitor_; }

  // Starts the thread; returns once the loop is running.
  void Start();
  // Runs `task` on this shard's thread.
  template <class Task>
  void Post(Task&& task) {
    boost::asio::post(io_, std::forward<Task>(task));
  }
  // Lets the loop finish the work it has and joins the thread.
  void StopAndJoin();
  bool OnThread() const { return std::this_thread::get_id() == thread_.get_id(); }

  // How long the shard runs ready work back to back before it lets other runnable threads on its
  // core go first (sched_yield; returns at once when there are none). A thread the shard wakes,
  // such as a client reading its response on the same machine, is usually placed on the shard's
  // core (the kernel's wake-affine placement for TCP); while the shard stays busy, which under
  // load can be a whole scheduler slice of milliseconds, that thread waits. On 2 cores with wrk
  // beside the node this cut hello's p99 at -c32 from ~5 ms to ~1.4 ms at the same throughput
  // (docs/benchmarks.md); 200 µs gave a lower p99 and 4 % fewer req/s, 1 ms a p99 of ~2 ms.
  static constexpr std::chrono::microseconds kBusySlice{500};

 private:
  // The event loop: io_.run(), but yielding the core after kBusySlice of uninterrupted work.
  void Run();

  int index_;
  boost::asio::io_context io_{1};  // concurrency hint 1: single-threaded, fewer locks in Asio
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  engine::CpuMonitor cpu_monitor_;
  std::thread thread_;
};

}  // namespace mar::node
