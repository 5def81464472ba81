// The GPU service on the real WebGPU library and the bundled lavapipe driver (no mocks): what
// env.GPU stands on. The JS-facing behaviour is tested end to end in e2e/test_gpu.py.
#include <gtest/gtest.h>

#include <cstring>
#include <future>

#include "gpu/service.h"

namespace mar::gpu {
namespace {

constexpr const char* kAdd = R"(
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&out)) { out[id.x] = a[id.x] + b[id.x]; }
}
)";

// Long but finite work (a CPU driver cannot preempt a shader): 64 threads per workgroup, each
// `iterations` steps of an LCG.
std::string SlowShader(int iterations) {
  return R"(
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  var x = id.x;
  for (var i = 0u; i < )" + std::to_string(iterations) + R"(u; i++) { x = x * 1664525u + 1013904223u; }
  out[id.x] = x;
})";
}

class GpuServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (BundledLavapipeIcd().empty() || BundledWebgpuLibrary().empty()) return;
    ASSERT_TRUE(ChooseDriver({.library = "", .driver = "lavapipe", .backend = ""}).has_value());
  }
  void SetUp() override {
    if (BundledLavapipeIcd().empty() || BundledWebgpuLibrary().empty()) {
      GTEST_SKIP() << "scripts/setup.sh has not installed the WebGPU library and lavapipe";
    }
    service_ = Service::Start({}, obs::Logger::ToStderr(obs::LogFormat::kHuman, obs::Level::kWarn));
    ASSERT_EQ(service_->WaitReady(), "");
  }

  Outcome Read(uint64_t owner, uint64_t buffer, uint64_t offset, uint64_t size) {
    std::promise<Outcome> promise;
    auto started = service_->ReadBuffer(owner, buffer, offset, size, [&](Outcome o) { promise.set_value(std::move(o)); });
    if (!started) return Outcome::Failed("refused", started.error().message);
    return promise.get_future().get();
  }
  Outcome Dispatch(uint64_t owner, DispatchRequest request) {
    std::promise<Outcome> promise;
    auto started = service_->Dispatch(owner, std::move(request), [&](Outcome o) { promise.set_value(std::move(o)); });
    if (!started) return Outcome::Failed("refused", started.error().message);
    return promise.get_future().get();
  }
  uint64_t Upload(uint64_t owner, const std::vector<float>& values) {
    auto buffer = service_->CreateBuffer(owner, values.size() * 4, false);
    EXPECT_TRUE(buffer.has_value()) << buffer.error().message;
    auto written = service_->WriteBuffer(owner, *buffer,  0,
                                         {reinterpret_cast<const uint8_t*>(values.data()), values.size() * 4});
    EXPECT_TRUE(written.has_value()) << written.error().message;
    return *buffer;
  }

  std::unique_ptr<Service> service_;
};

TEST_F(GpuServiceTest, VectorAddMatchesTheCpu) {
  uint64_t owner = service_->NewOwner(1, {.max_buffer_bytes = 64ull << 20}, "test");
  const size_t n = 1 << 20;
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i);
    b[i] = 0.5f * static_cast<float>(i % 1000);
  }
  uint64_t ba = Upload(owner, a), bb = Upload(owner, b);
  uint64_t out = *service_->CreateBuffer(owner, n * 4, false);
  DispatchRequest request{kAdd, "main", {{0, 0, ba}, {0, 1, bb}, {0, 2, out}}, {n / 64, 1, 1}};
  Outcome done = Dispatch(owner, request);
  ASSERT_EQ(done.code, "") << done.message;
  Outcome read = Read(owner, out, 0, n * 4);
  ASSERT_EQ(read.code, "") << read.message;
  ASSERT_EQ(read.bytes.size(), n * 4);
  std::vector<float> result(n);
  std::memcpy(result.data(), read.bytes.data(), n * 4);
  for (size_t i = 0; i < n; i += 997) ASSERT_EQ(result[i], a[i] + b[i]) << i;
  // Unaligned reads take the bytes asked for.
  Outcome part = Read(owner, ba, 6, 5);
  ASSERT_EQ(part.code, "");
  ASSERT_EQ(part.bytes.size(), 5u);
  EXPECT_EQ(std::memcmp(part.bytes.data(), reinterpret_cast<const uint8_t*>(a.data()) + 6, 5), 0);
  // The second dispatch of the same code comes from the pipeline cache.
  EXPECT_EQ(Dispatch(owner, request).code, "");
  EXPECT_EQ(service_->stats().pipelines, 1u);
}

TEST_F(GpuServiceTest, WgslErrorsCarryLineAndColumn) {
  uint64_t owner = service_->NewOwner(1, {}, "test");
  Outcome failed = Dispatch(owner, {"@compute @workgroup_size(1)\nfn main() {\n  let x = y + 1;\n}\n", "main", {}, {1, 1, 1}});
  EXPECT_EQ(failed.code, "wgsl_error");
  ASSERT_FALSE(failed.messages.empty());
  EXPECT_EQ(failed.messages[0].type, "error");
  EXPECT_EQ(failed.messages[0].line, 3u);
  EXPECT_NE(failed.message.find("line 3"), std::string::npos) << failed.message;

  Outcome huge = Dispatch(owner, {std::string(Service::kMaxShaderBytes + 1, ' '), "main", {}, {1, 1, 1}});
  EXPECT_EQ(huge.code, "refused");
  EXPECT_NE(huge.message.find("WGSL source"), std::string::npos) << huge.message;

  Outcome no_entry = Dispatch(owner, {"@compute @workgroup_size(1) fn main() {}", "other", {}, {1, 1, 1}});
  EXPECT_EQ(no_entry.code, "validation");
  EXPECT_NE(no_entry.message.find("other"), std::string::npos) << no_entry.message;
}

TEST_F(GpuServiceTest, QuotasAndOwnership) {
  uint64_t owner = service_->NewOwner(7, {.max_buffer_bytes = 1024}, "a");
  uint64_t other = service_->NewOwner(7, {.max_buffer_bytes = 1024}, "b");
  auto first = service_->CreateBuffer(owner, 1000, false);
  ASSERT_TRUE(first.has_value());
  auto over = service_->CreateBuffer(owner, 100, false);
  ASSERT_FALSE(over.has_value());
  EXPECT_TRUE(over.error().message.starts_with("quota_exceeded:")) << over.error().message;
  auto foreign = service_->WriteBuffer(other, *first, 0, std::vector<uint8_t>(4));
  ASSERT_FALSE(foreign.has_value());
  EXPECT_NE(foreign.error().message.find("another actor"), std::string::npos);
  auto overrun = service_->WriteBuffer(owner, *first, 998, std::vector<uint8_t>(4));
  EXPECT_FALSE(overrun.has_value());
  EXPECT_TRUE(service_->DestroyBuffer(owner, *first).has_value());
  EXPECT_TRUE(service_->CreateBuffer(owner, 1024, false).has_value());
  EXPECT_EQ(service_->stats().buffers, 1u);
  service_->ReleaseGroup(7);  // the isolate went away: both owners' buffers go with it
  EXPECT_EQ(service_->stats().buffers, 0u);
  EXPECT_FALSE(service_->CreateBuffer(owner, 4, false).has_value());
}

TEST_F(GpuServiceTest, QueuedWorkIsBoundedLikeBuffers) {
  // Read-backs wait behind a slow dispatch; what they hold in flight counts against the quota,
  // so a loop that never awaits cannot pile up memory.
  uint64_t owner = service_->NewOwner(1, {.max_buffer_bytes = 1 << 20, .max_dispatch_ms = 60000}, "reader");
  uint64_t buffer = *service_->CreateBuffer(owner, 512 << 10, false);
  std::string slow = SlowShader(1000000);
  std::promise<Outcome> dispatched;
  ASSERT_TRUE(service_->Dispatch(owner, {slow, "main", {{0, 0, buffer}}, {16, 1, 1}},
                                 [&](Outcome o) { dispatched.set_value(std::move(o)); }).has_value());
  std::promise<Outcome> first, second;
  ASSERT_TRUE(service_->ReadBuffer(owner, buffer, 0, 512 << 10, [&](Outcome o) { first.set_value(std::move(o)); }).has_value());
  ASSERT_TRUE(service_->ReadBuffer(owner, buffer, 0, 256 << 10, [&](Outcome o) { second.set_value(std::move(o)); }).has_value());
  // Queued now: the dispatch (its source and bindings) + 768 KiB of read-backs.
  auto third = service_->ReadBuffer(owner, buffer, 0, 256 << 10, [](Outcome) {});
  ASSERT_FALSE(third.has_value());
  EXPECT_TRUE(third.error().message.starts_with("quota_exceeded:")) << third.error().message;
  EXPECT_NE(third.error().message.find("still queued"), std::string::npos);
  auto write = service_->WriteBuffer(owner, buffer, 0, std::vector<uint8_t>(256 << 10));
  EXPECT_FALSE(write.has_value());
  EXPECT_EQ(dispatched.get_future().get().code, "");
  EXPECT_EQ(first.get_future().get().code, "");
  EXPECT_EQ(second.get_future().get().code, "");
  // Answered: the room is back.
  EXPECT_TRUE(service_->WriteBuffer(owner, buffer, 0, std::vector<uint8_t>(4)).has_value());
}

TEST_F(GpuServiceTest, TimeWaitingBehindOthersIsNotADispatchsOwn) {
  // A's kernel takes ~300 ms; B's empty one, allowed 100 ms, waits behind it and must not time
  // out (nor reset the device under A).
  uint64_t a = service_->NewOwner(1, {.max_buffer_bytes = 1 << 20, .max_dispatch_ms = 60000}, "a");
  uint64_t b = service_->NewOwner(2, {.max_buffer_bytes = 1 << 20, .max_dispatch_ms = 100}, "b");
  uint64_t out = *service_->CreateBuffer(a, 4096, false);
  std::promise<Outcome> slow, quick;
  ASSERT_TRUE(service_->Dispatch(a, {SlowShader(1000000), "main", {{0, 0, out}}, {16, 1, 1}},
                                 [&](Outcome o) { slow.set_value(std::move(o)); }).has_value());
  ASSERT_TRUE(service_->Dispatch(b, {"@compute @workgroup_size(1) fn main() {}", "main", {}, {1, 1, 1}},
                                 [&](Outcome o) { quick.set_value(std::move(o)); }).has_value());
  Outcome first = slow.get_future().get();
  EXPECT_EQ(first.code, "") << first.message;
  EXPECT_GT(first.gpu_ms, 100.0);  // else this test proves nothing
  Outcome second = quick.get_future().get();
  EXPECT_EQ(second.code, "") << second.message;
  EXPECT_EQ(service_->stats().devices_created, 1u);
}

TEST_F(GpuServiceTest, PooledBuffersComeBackZeroed) {
  uint64_t owner = service_->NewOwner(1, {}, "a");
  uint64_t buffer = Upload(owner, std::vector<float>(256, 42.0f));
  ASSERT_EQ(Read(owner, buffer, 0, 1024).code, "");
  ASSERT_TRUE(service_->DestroyBuffer(owner, buffer).has_value());
  uint64_t thief = service_->NewOwner(2, {}, "b");
  uint64_t reused = *service_->CreateBuffer(thief, 1024, false);
  Outcome read = Read(thief, reused, 0, 1024);
  ASSERT_EQ(read.code, "");
  EXPECT_EQ(read.bytes, std::vector<uint8_t>(1024, 0));
  EXPECT_GT(service_->stats().devices_created, 0u);
}

TEST_F(GpuServiceTest, ARunawayDispatchTimesOutAndTheDeviceIsReplaced) {
  uint64_t owner = service_->NewOwner(1, {.max_buffer_bytes = 1 << 20, .max_dispatch_ms = 50}, "slow");
  uint64_t out = *service_->CreateBuffer(owner, 4096, false);
  std::string slow = SlowShader(2000000);
  Outcome timed_out = Dispatch(owner, {slow, "main", {{0, 0, out}}, {16, 1, 1}});
  EXPECT_EQ(timed_out.code, "timeout") << timed_out.message;
  // The old buffer went with the old device; new work runs on the new one.
  Outcome lost = Read(owner, out, 0, 4);
  EXPECT_EQ(lost.code, "device_lost") << lost.message;
  uint64_t fresh = Upload(owner, {1, 2, 3, 4});
  Outcome read = Read(owner, fresh, 0, 16);
  ASSERT_EQ(read.code, "") << read.message;
  EXPECT_EQ(service_->stats().devices_created, 2u);
}

}  // namespace
}  // namespace mar::gpu
