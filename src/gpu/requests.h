// What callers of the GPU service pass and get back: plain values, light to include (realm.h
// does); the service itself is gpu/service.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mar::gpu {

struct Quota {
  uint64_t max_buffer_bytes = 64ull << 20;
  uint32_t max_dispatch_ms = 2000;
};

struct CompileMessage {
  std::string type;  // "error", "warning", "info"
  uint64_t line = 0, column = 0;
  std::string message;
};

// The answer to an asynchronous request. `code` is empty on success, else one of: unavailable,
// invalid_argument, wgsl_error (messages set), validation, out_of_memory, timeout, device_lost.
struct Outcome {
  std::string code;
  std::string message;
  std::vector<uint8_t> bytes;            // readBuffer
  std::vector<CompileMessage> messages;  // wgsl_error
  double gpu_ms = 0;                     // dispatch: submit to completion

  static Outcome Failed(std::string code, std::string message) {
    Outcome outcome;
    outcome.code = std::move(code);
    outcome.message = std::move(message);
    return outcome;
  }
};
using Callback = std::function<void(Outcome)>;

struct Binding {
  uint32_t group = 0;
  uint32_t binding = 0;
  uint64_t buffer = 0;
  uint64_t offset = 0;
  uint64_t size = 0;  // 0: to the end of the buffer
};
struct DispatchRequest {
  std::string code;
  std::string entry_point = "main";
  std::vector<Binding> bindings;
  uint32_t workgroups[3] = {1, 1, 1};
};

}  // namespace mar::gpu
