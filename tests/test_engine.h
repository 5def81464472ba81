// V8 can be initialized once per process: tests share one Engine.
#pragma once

#include "engine/engine.h"

namespace mar::testing {

inline engine::Engine& SharedEngine() {
  static std::unique_ptr<engine::Engine> engine = engine::Engine::Start({.worker_threads = 2, .extra_v8_flags = {}});
  return *engine;
}

}  // namespace mar::testing
