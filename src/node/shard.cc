#include "node/shard.h"

#include <future>

namespace mar::node {

Shard::Shard(int index) : index_(index) {}

Shard::~Shard() {
  if (thread_.joinable()) StopAndJoin();
}

void Shard::Start() {
  work_.emplace(io_.get_executor());
  std::promise<void> started;
  thread_ = std::thread([this, &started] {
    cpu_monitor_.BindToCurrentThread();
    started.set_value();
    io_.run();
  });
  started.get_future().wait();
}

void Shard::StopAndJoin() {
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace mar::node
