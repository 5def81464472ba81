#include "node/shard.h"

#include <pthread.h>
#include <sched.h>

#include <future>
#include <string>

namespace mar::node {

Shard::Shard(int index) : index_(index) {}

Shard::~Shard() {
  if (thread_.joinable()) StopAndJoin();
}

void Shard::Start() {
  work_.emplace(io_.get_executor());
  std::promise<void> started;
  thread_ = std::thread([this, &started] {
    // Named for top -H, perf and /proc/PID/task/*/comm (15 characters at most).
    pthread_setname_np(pthread_self(), ("mar-shard-" + std::to_string(index_)).c_str());
    cpu_monitor_.BindToCurrentThread();
    started.set_value();
    Run();
  });
  started.get_future().wait();
}

void Shard::Run() {
  using Clock = std::chrono::steady_clock;
  // run_one() sleeps until there is work; poll_one() then runs what is ready without sleeping,
  // so the inner loop is one busy stretch of the shard.
  while (io_.run_one() > 0) {
    Clock::time_point busy_since = Clock::now();
    while (io_.poll_one() > 0) {
      if (Clock::now() - busy_since < kBusySlice) continue;
      sched_yield();
      busy_since = Clock::now();
    }
  }
}

void Shard::StopAndJoin() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mar::node
