// Runs the built-in JS API tests (tests/js/*.test.js) inside real mar realms: each file gets a
// fresh isolate and context with every global installed, then each exported test runs to
// completion, timers included.
#include <gtest/gtest.h>
#include <v8.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "api/realm.h"
#include "engine/binding.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "engine/isolate.h"
#include "engine/modules.h"
#include "test_engine.h"

namespace mar {
namespace {

namespace fs = std::filesystem;
using engine::ToUtf8;
using engine::ToV8;

class TestHost final : public api::RealmHost {
 public:
  void Log(obs::Level level, std::string_view message) override { logs.emplace_back(message); }
  void ArmTimer(double delay_ms) override {
    timer_due = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(delay_ms * 1000));
  }
  void OnFetchResponse(uint64_t, Result<api::HttpResponse>) override {}
  std::vector<std::string> logs;
  std::optional<std::chrono::steady_clock::time_point> timer_due;
};

std::string RunFile(const std::string& file, std::vector<std::string>& failures) {
  engine::Isolate isolate(testing::SharedEngine(), {});
  v8::Isolate* v8_isolate = isolate.get();
  v8::Isolate::Scope isolate_scope(v8_isolate);
  v8::HandleScope handle_scope(v8_isolate);
  TestHost host;
  auto realm = api::Realm::Create(v8_isolate, host, {R"({"env":{},"capabilities":{"timers":true}})", nullptr, false});
  if (!realm) return "realm: " + realm.error().message;
  v8::Local<v8::Context> context = (*realm)->context();
  v8::Context::Scope context_scope(context);
  engine::ModuleGraph::InstallDynamicImport(v8_isolate);
  engine::ModuleGraph modules(fs::path(MAR_SOURCE_DIR) / "tests/js", "tests/js");
  modules.Attach(context);
  v8::TryCatch try_catch(v8_isolate);
  auto module = modules.Load(context, file);
  if (!module) return module.error().message;
  v8::Local<v8::Value> evaluated;
  if (!(*module)->Evaluate(context).ToLocal(&evaluated)) {
    return engine::DescribeException(v8_isolate, context, try_catch).Full();
  }
  v8_isolate->PerformMicrotaskCheckpoint();
  auto ns = (*module)->GetModuleNamespace().As<v8::Object>();
  v8::Local<v8::Value> tests_value;
  if (!ns->Get(context, ToV8(v8_isolate, "tests")).ToLocal(&tests_value) || !tests_value->IsObject()) {
    return "the module exports no `tests` object";
  }
  auto tests = tests_value.As<v8::Object>();
  auto names = tests->GetOwnPropertyNames(context).ToLocalChecked();
  for (uint32_t i = 0; i < names->Length(); ++i) {
    v8::HandleScope test_scope(v8_isolate);
    auto name = names->Get(context, i).ToLocalChecked();
    std::string test_name = ToUtf8(v8_isolate, name);
    auto fn = tests->Get(context, name).ToLocalChecked();
    if (!fn->IsFunction()) continue;
    v8::TryCatch test_catch(v8_isolate);
    v8::Local<v8::Value> result;
    if (!fn.As<v8::Function>()->Call(context, v8::Undefined(v8_isolate), 0, nullptr).ToLocal(&result)) {
      failures.push_back(test_name + ": " + engine::DescribeException(v8_isolate, context, test_catch).Full());
      continue;
    }
    v8_isolate->PerformMicrotaskCheckpoint();
    if (result->IsPromise()) {
      auto promise = result.As<v8::Promise>();
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (promise->State() == v8::Promise::kPending && std::chrono::steady_clock::now() < deadline) {
        if (host.timer_due) {
          std::this_thread::sleep_until(*host.timer_due);
          host.timer_due.reset();
          (*realm)->RunTimers();
          v8_isolate->PerformMicrotaskCheckpoint();
        } else {
          testing::SharedEngine().PumpForegroundTasks(v8_isolate);
          v8_isolate->PerformMicrotaskCheckpoint();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
      if (promise->State() == v8::Promise::kPending) {
        failures.push_back(test_name + ": did not settle within 20 s");
      } else if (promise->State() == v8::Promise::kRejected) {
        failures.push_back(test_name + ": " +
                           engine::DescribeException(v8_isolate, context, promise->Result(), {}).Full());
      }
    }
  }
  return {};
}

class JsApiTest : public ::testing::TestWithParam<std::string> {};

TEST_P(JsApiTest, Passes) {
  std::vector<std::string> failures;
  std::string error = RunFile(GetParam(), failures);
  EXPECT_EQ(error, "");
  for (const auto& failure : failures) ADD_FAILURE() << failure;
}

std::vector<std::string> TestFiles() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(MAR_SOURCE_DIR) / "tests/js")) {
    auto name = entry.path().filename().string();
    if (name.ends_with(".test.js")) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Files, JsApiTest, ::testing::ValuesIn(TestFiles()), [](const auto& info) {
  std::string name = info.param.substr(0, info.param.size() - 8);
  for (char& c : name) if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
});

}  // namespace
}  // namespace mar
