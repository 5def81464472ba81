// The `mar` command line: run, check, --version, --help.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <v8.h>

#include "api/realm.h"
#include "engine/code_cache.h"
#include "engine/binding.h"
#include "engine/engine.h"
#include "engine/isolate.h"
#include "engine/modules.h"
#include "engine/snapshot.h"
#include "gpu/provider.h"
#include "node/bundle.h"
#include "node/node.h"
#include "obs/log.h"
#include "wasm/module.h"

namespace {

using namespace mar;

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};

Result<ListenAddress> ParseListen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return Fail("--listen: expected HOST:PORT, got \"" + text + "\"");
  ListenAddress address;
  address.host = text.substr(0, colon);
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);
  }
  std::string port = text.substr(colon + 1);
  char* end = nullptr;
  long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 0 || value > 65535) {
    return Fail("--listen: port must be a number from 0 to 65535, got \"" + port + "\"");
  }
  address.port = static_cast<uint16_t>(value);
  return address;
}

Result<caps::NodePolicy> LoadPolicy(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return Fail(path + ": cannot open policy file");
  std::string text;
  char buffer[4096];
  size_t read;
  while ((read = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, read);
  std::fclose(file);
  auto policy = caps::ParsePolicy(text, path);
  if (!policy) {
    std::string message;
    for (const auto& error : policy.error()) message += (message.empty() ? "" : "\n") + error.to_string();
    return Fail(message);
  }
  return *policy;
}

// Build step: compiles the built-in JS, warms up the common paths, and writes their code caches.
class SilentHost final : public api::RealmHost {
 public:
  void Log(obs::Level, std::string_view) override {}
  void ArmTimer(double) override {}
  void OnFetchResponse(uint64_t, Result<api::HttpResponse> response) override {
    if (response && response->status < 300) {
      ++answered;
    } else {
      failure = response ? "status " + std::to_string(response->status) : response.error().message;
    }
  }
  int answered = 0;
  std::string failure;
};

constexpr const char* kBuildConfig = R"({"env":{},"capabilities":{}})";

// Runs a build step's script in `context`: its value, or empty after printing what went wrong.
v8::MaybeLocal<v8::Value> RunBuildScript(v8::Isolate* isolate, v8::Local<v8::Context> context, const char* what,
                                         const char* source) {
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> value;
  if (!v8::Script::Compile(context, engine::ToV8(isolate, source)).ToLocal(&script) ||
      !script->Run(context).ToLocal(&value)) {
    std::cerr << what << " failed: " << engine::ToUtf8(isolate, try_catch.Exception()) << "\n";
    return {};
  }
  return value;
}

// What the build steps run once the built-ins are in: the common request paths, so that their
// functions are compiled (kept in the code cache and in the snapshot) before the first request.
bool RunWarmUp(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  const char* warm_up =
      "const u = new URL('https://example.com/a?b=1#c'); u.searchParams.get('b'); String(u);"
      "new Headers({a: 'b'}).get('a'); new Response('x').headers; Response.json({a: 1});"
      "new Request('https://example.com/', {method: 'POST', body: 'x'});"
      "new TextDecoder().decode(new TextEncoder().encode('x'));"
      "new Response(new ReadableStream({pull(c) { c.enqueue(new Uint8Array(1)); c.close(); }})).text();";
  if (RunBuildScript(isolate, context, "warm-up", warm_up).IsEmpty()) return false;
  isolate->PerformMicrotaskCheckpoint();
  return true;
}

// A handler doing what handlers commonly do (URL, headers, JSON both ways, text), fed a GET and a
// POST through Realm::DispatchFetch as the node would.
bool WarmUpRequests(v8::Isolate* isolate, api::Realm& realm, SilentHost& host) {
  v8::Local<v8::Context> context = realm.context();
  const char* handler =
      "({ default: { async fetch(request, env, ctx) {"
      "  const url = new URL(request.url);"
      "  const type = request.headers.get('content-type') || '';"
      "  if (request.method === 'POST' && type.startsWith('application/json')) {"
      "    return Response.json({ got: await request.json(), path: url.pathname });"
      "  }"
      "  if (request.method === 'POST') return new Response(await request.text(), { status: 201 });"
      "  return new Response('hello ' + url.searchParams.get('name') + '\\n', { headers: { 'x-a': 'b' } });"
      "} } })";
  v8::Local<v8::Value> module;
  if (!RunBuildScript(isolate, context, "request warm-up", handler).ToLocal(&module)) return false;
  if (!realm.RegisterModule(module.As<v8::Object>())) {
    std::cerr << "request warm-up: the handler was not accepted\n";
    return false;
  }
  v8::TryCatch try_catch(isolate);
  using Header = std::pair<std::string_view, std::string_view>;
  Header get_headers[] = {{"host", "example.com"}, {"accept", "*/*"}, {"user-agent", "mar-build"}};
  Header json_headers[] = {{"host", "example.com"}, {"content-type", "application/json"}, {"content-length", "17"}};
  Header text_headers[] = {{"host", "example.com"}, {"content-type", "text/plain"}, {"content-length", "5"}};
  for (int round = 0; round < 3; ++round) {
    realm.DispatchFetch(1, "GET", "http://example.com/hello?name=mar", get_headers, "", false, false);
    realm.DispatchFetch(2, "POST", "http://example.com/json", json_headers, R"({"a":[1,2],"b":"c"})", false, true);
    realm.DispatchFetch(3, "POST", "http://example.com/text", text_headers, "hello", false, true);
    isolate->PerformMicrotaskCheckpoint();
  }
  if (try_catch.HasCaught() || host.answered != 9) {
    std::cerr << "request warm-up failed: "
              << (try_catch.HasCaught() ? engine::ToUtf8(isolate, try_catch.Exception()) : host.failure) << "\n";
    return false;
  }
  return true;
}

// Build step: compiles the built-in JS, warms up the common paths, and writes their code caches.
int WriteBuiltinCache(const std::string& path) {
  auto engine = engine::Engine::Start({.worker_threads = 1, .extra_v8_flags = {}});
  engine::CodeCache cache;
  {
    engine::Isolate isolate(*engine, {});
    v8::Isolate* v8_isolate = isolate.get();
    v8::Isolate::Scope isolate_scope(v8_isolate);
    v8::HandleScope handle_scope(v8_isolate);
    SilentHost host;
    auto realm = api::Realm::Create(v8_isolate, host, {kBuildConfig, &cache, true});
    if (!realm) {
      std::cerr << realm.error().message << "\n";
      return 1;
    }
    v8::Local<v8::Context> context = (*realm)->context();
    v8::Context::Scope context_scope(context);
    if (!RunWarmUp(v8_isolate, context)) return 1;
    (*realm)->RecordCodeCache();
  }
  auto saved = cache.Save(path);
  if (!saved) {
    std::cerr << saved.error().message << "\n";
    return 1;
  }
  return 0;
}

// Build step: a start-up snapshot of a context in which every built-in has run (engine::Snapshot).
int WriteSnapshot(const std::string& path) {
  auto engine = engine::Engine::Start({.worker_threads = 1, .extra_v8_flags = {}});
  v8::StartupData blob{nullptr, 0};
  {
    v8::SnapshotCreator creator(api::NativeEntryPoints());
    v8::Isolate* isolate = creator.GetIsolate();
    isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
    SilentHost host;
    {
      v8::HandleScope handle_scope(isolate);
      // The warm-up runs in a context of its own, thrown away: the functions it compiles keep their
      // bytecode in the snapshot (an isolate's contexts share compiled built-ins), its objects do
      // not. Besides the common classes it sends requests through the node's own entry point, so
      // a node's first requests do not wait for V8 to compile that path.
      {
        auto warm = api::Realm::Create(isolate, host, {kBuildConfig, nullptr, false});
        if (!warm) {
          std::cerr << warm.error().message << "\n";
          return 1;
        }
        v8::Local<v8::Context> context = (*warm)->context();
        v8::Context::Scope context_scope(context);
        if (!RunWarmUp(isolate, context) || !WarmUpRequests(isolate, **warm, host)) return 1;
      }
      auto realm = api::Realm::Create(isolate, host, {kBuildConfig, nullptr, false, true});
      if (!realm) {
        std::cerr << realm.error().message << "\n";
        return 1;
      }
      (*realm)->PrepareSnapshot(creator);
    }
    blob = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kKeep);
  }
  if (!blob.data) {
    std::cerr << "V8 could not make the snapshot\n";
    return 1;
  }
  // A blob V8 cannot rehash would give every isolate the hash seed it was made with: string and
  // property hashes predictable across all nodes, which hostile input could collide on purpose.
  if (!blob.CanBeRehashed()) {
    std::cerr << "the snapshot cannot be rehashed (it holds a table V8 cannot re-seed); refusing it\n";
    delete[] blob.data;
    return 1;
  }
  auto saved = engine::Snapshot::Save(path, api::SnapshotIdentity(), blob);
  delete[] blob.data;
  if (!saved) {
    std::cerr << saved.error().message << "\n";
    return 1;
  }
  // Use it once, as the node will, with full collections: V8 10.2 writes some objects it cannot
  // read back sanely (a zero-length ArrayBuffer's extension, found by a crash in the GC), and
  // such a blob must fail the build, not the first node that collects garbage.
  auto loaded = engine::Snapshot::Load(path, api::SnapshotIdentity());
  if (!loaded) {
    std::cerr << loaded.error().message << "\n";
    return 1;
  }
  engine->set_snapshot(std::move(*loaded), api::NativeEntryPoints());
  engine::Isolate isolate(*engine, {});
  v8::Isolate* v8_isolate = isolate.get();
  v8::Isolate::Scope isolate_scope(v8_isolate);
  v8::HandleScope handle_scope(v8_isolate);
  SilentHost host;
  auto realm = api::Realm::Create(v8_isolate, host, {kBuildConfig, nullptr, false});
  if (!realm) {
    std::cerr << "the snapshot does not start: " << realm.error().message << "\n";
    return 1;
  }
  v8::Context::Scope context_scope((*realm)->context());
  v8_isolate->LowMemoryNotification();
  if (!RunWarmUp(v8_isolate, (*realm)->context())) return 1;
  v8_isolate->LowMemoryNotification();
  return 0;
}

int Check(const std::string& path) {
  auto bundle = node::Bundle::Load(path, nullptr);
  if (!bundle) {
    std::cerr << bundle.error().message << "\n";
    return 1;
  }
  // Compile and link every module without running any of them.
  auto engine = engine::Engine::Start({.worker_threads = 1, .extra_v8_flags = {}});
  int status = 0;
  {
    engine::Isolate isolate(*engine, {});
    v8::Isolate* v8_isolate = isolate.get();
    v8::Isolate::Scope isolate_scope(v8_isolate);
    v8::HandleScope handle_scope(v8_isolate);
    v8::Local<v8::Context> context = v8::Context::New(v8_isolate);
    v8::Context::Scope context_scope(context);
    if (!bundle->wasm_only) {
      engine::ModuleGraph modules(bundle->root, bundle->display_root);
      modules.Attach(context);
      auto loaded = modules.Load(context, bundle->main);
      if (!loaded) {
        std::cerr << loaded.error().message << "\n";
        status = 1;
      }
    }
    // WebAssembly classes: what V8's compiler refuses (function bodies) is only known here.
    for (const auto& wasm_class : bundle->wasm_classes) {
      v8::TryCatch try_catch(v8_isolate);
      if (v8::WasmModuleObject::Compile(v8_isolate, {wasm_class->bytes.data(), wasm_class->bytes.size()}).IsEmpty()) {
        std::string why = try_catch.HasCaught() ? engine::ToUtf8(v8_isolate, try_catch.Exception()) : "does not compile";
        std::cerr << (bundle->display_root.empty() ? "" : bundle->display_root + "/") << wasm_class->file << ": " << why
                  << "\n";
        status = 1;
      }
    }
  }
  if (status == 0) std::cout << "ok: " << bundle->manifest.name << " (" << path << ")\n";
  return status;
}

// `mar inspect`: a module's imports, exports and memory, read from the file without compiling it.
int InspectModule(const std::string& path, const std::string& format) {
  auto fail = [&](const std::string& message) {
    std::cerr << "mar: " << path << ": " << message << "\n";
    return 1;
  };
  auto bytes = wasm::ReadModuleFile(path);
  if (!bytes) return fail(bytes.error().message);
  auto info = wasm::Inspect(*bytes);
  if (!info) return fail(info.error().message);
  std::cout << (format == "json"   ? wasm::FormatJson(*info)
                : format == "yaml" ? wasm::FormatYaml(*info)
                                   : wasm::FormatText(*info));
  return 0;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

int Run(const std::string& path, const std::string& listen, int shards, const std::string& policy_path,
        const std::string& log_format, const std::string& log_level, gpu::ProviderOptions gpu_options) {
  auto format = log_format == "json" ? obs::LogFormat::kJson : log_format == "human" ? obs::LogFormat::kHuman
                                                                                       : obs::LogFormat::kAuto;
  auto level = log_level == "debug"  ? obs::Level::kDebug
               : log_level == "warn" ? obs::Level::kWarn
               : log_level == "error" ? obs::Level::kError
                                      : obs::Level::kInfo;
  auto logger = obs::Logger::ToStderr(format, level);
  auto address = ParseListen(listen);
  if (!address) {
    std::cerr << "mar: " << address.error().message << "\n";
    return 2;
  }
  std::optional<caps::NodePolicy> policy;
  if (!policy_path.empty()) {
    auto loaded = LoadPolicy(policy_path);
    if (!loaded) {
      std::cerr << loaded.error().message << "\n";
      return 1;
    }
    policy = std::move(*loaded);
  }
  auto bundle = node::Bundle::Load(path, policy ? &*policy : nullptr);
  if (!bundle) {
    std::cerr << bundle.error().message << "\n";
    return 1;
  }
  for (const auto& denied : caps::DeniedByPolicy(bundle->manifest, policy ? &*policy : nullptr)) {
    logger->Warn("node", "policy removes a grant: " + denied);
  }

  // The Vulkan driver is read from the environment when libvulkan loads: choose it now, while
  // this is the only thread (setenv is not safe beside other threads).
  if (bundle->capabilities.gpu) {
    if (gpu_options.library.empty()) gpu_options.library = EnvOr("MAR_GPU_LIBRARY", "");
    if (gpu_options.driver.empty()) gpu_options.driver = EnvOr("MAR_GPU_DRIVER", "");
    if (gpu_options.backend.empty()) gpu_options.backend = EnvOr("MAR_GPU_BACKEND", "");
    if (auto backend = gpu::BackendFromName(gpu_options.backend); !backend) {
      std::cerr << "mar: " << backend.error().message << "\n";
      return 2;
    }
    auto driver = gpu::ChooseDriver(gpu_options);
    if (!driver) {
      std::cerr << "mar: " << driver.error().message << "\n";
      return 2;
    }
    logger->Info("gpu", "Vulkan driver: " + driver->description);
  }

  // Every connection is a descriptor: take the whole hard limit (the soft default is often 1024).
  if (rlimit files; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) logger->Warn("node", "could not raise the open-file limit");
  }

  // Signals are taken synchronously by this thread; every other thread inherits the block.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  // MAR_V8_FLAGS passes flags to V8 for profiling (e.g. --perf-basic-prof); not for production.
  const char* v8_flags = std::getenv("MAR_V8_FLAGS");
  auto engine = engine::Engine::Start(
      {.worker_threads = static_cast<int>(std::min(cores, 4u)), .extra_v8_flags = v8_flags ? v8_flags : ""});
  auto cache_path = engine::DefaultCodeCachePath();
  if (auto cache = engine::CodeCache::Load(cache_path)) {
    engine->set_code_cache(std::move(*cache));
  } else {
    logger->Warn("node", cache.error().message + "; built-ins will be compiled from source");
  }
  if (auto snapshot = engine::Snapshot::Load(engine::DefaultSnapshotPath(), api::SnapshotIdentity())) {
    engine->set_snapshot(std::move(*snapshot), api::NativeEntryPoints());
  } else {
    logger->Warn("node", "start-up snapshot not used: " + snapshot.error().message +
                             "; each new isolate runs the built-in JS instead (slower start-up)");
  }
  node::NodeOptions options;
  options.listen_host = address->host;
  options.listen_port = address->port;
  options.shards = shards;
  options.gpu = std::move(gpu_options);
  auto node = node::Node::Start(*engine, std::move(*bundle), options, logger);
  if (!node) {
    std::cerr << node.error().message << "\n";
    return 1;
  }
  std::cout << "listening on " << (*node)->url() << std::endl;

  int received = 0;
  sigwait(&signals, &received);
  logger->Info("node", std::string("received ") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  (*node)->Shutdown();
  node->reset();
  logger->Info("node", "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mar — the Mesh Actor Runtime: runs sandboxed JavaScript actors and HTTP handlers"};
  app.set_version_flag("--version", std::string("mar ") + MAR_VERSION + " (V8 " + v8::V8::GetVersion() + ")");
  app.require_subcommand(0, 1);
  std::string cache_output;
  app.add_option("--write-builtin-cache", cache_output, "(build step) write the built-in JS code cache")
      ->group("");
  std::string snapshot_output;
  app.add_option("--write-snapshot", snapshot_output, "(build step) write the start-up snapshot")->group("");

  std::string run_path, listen = "127.0.0.1:8080", policy_path, log_format = "auto", log_level = "info";
  int shards = 0;
  auto* run = app.add_subcommand("run", "Serve a bundle (a directory with mar.json, or a .js/.mjs file)");
  run->add_option("PATH", run_path, "bundle directory or module file")->required();
  run->add_option("--listen", listen, "HOST:PORT to serve HTTP on (port 0 picks a free port)")->capture_default_str();
  run->add_option("--shards", shards, "event-loop threads (default: one per CPU core)")->check(CLI::Range(0, 256));
  run->add_option("--policy", policy_path, "node policy file narrowing what bundles may be granted");
  run->add_option("--log-format", log_format, "auto (human on a TTY, else JSON lines), json or human")
      ->check(CLI::IsMember({"auto", "json", "human"}));
  run->add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  gpu::ProviderOptions gpu_options;
  run->add_option("--gpu-library", gpu_options.library,
                  "webgpu.h library to load for env.GPU (default: MAR_GPU_LIBRARY, the usual names, then the bundled Dawn)");
  run->add_option("--gpu-backend", gpu_options.backend,
                  "WebGPU backend to ask for: vulkan (the default; metal on macOS), auto, d3d12, d3d11, opengl, opengles "
                  "(default: MAR_GPU_BACKEND)");
  run->add_option("--gpu-driver", gpu_options.driver,
                  "Vulkan driver for env.GPU: auto (a GPU's if there is one, else lavapipe), lavapipe, system, or an ICD .json "
                  "(default: MAR_GPU_DRIVER, else auto)");

  std::string check_path;
  auto* check = app.add_subcommand("check", "Validate a bundle and its manifest without running it");
  check->add_option("PATH", check_path, "bundle directory or module file")->required();

  std::string inspect_path, inspect_format = "text";
  auto* inspect = app.add_subcommand("inspect", "Show a WebAssembly module's imports, exports and memory");
  inspect->add_option("FILE", inspect_path, ".wasm file")->required();
  inspect->add_option("--format", inspect_format, "text, json or yaml")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (!cache_output.empty()) return WriteBuiltinCache(cache_output);
  if (!snapshot_output.empty()) return WriteSnapshot(snapshot_output);
  if (*run) return Run(run_path, listen, shards, policy_path, log_format, log_level, std::move(gpu_options));
  if (*check) return Check(check_path);
  if (*inspect) return InspectModule(inspect_path, inspect_format);
  std::cerr << app.help();
  return 2;
}
