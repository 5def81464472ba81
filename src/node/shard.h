// One thread, one event loop (an Asio io_context), and the isolates that live on it. Work from
// other threads arrives only by Post().
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
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

 private:
  int index_;
  boost::asio::io_context io_{1};  // concurrency hint 1: single-threaded, fewer locks in Asio
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  engine::CpuMonitor cpu_monitor_;
  std::thread thread_;
};

}  // namespace mar::node
