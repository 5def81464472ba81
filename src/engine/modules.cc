#include "engine/modules.h"

#include <fstream>
#include <sstream>

#include "engine/binding.h"
#include "engine/exceptions.h"

namespace mar::engine {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxModuleBytes = 64u << 20;

bool IsWithin(const fs::path& root, const fs::path& path) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end();
}

std::string Location(v8::Local<v8::Module> module, int offset) {
  v8::Location location = module->SourceOffsetToLocation(offset);
  return std::to_string(location.GetLineNumber() + 1) + ":" + std::to_string(location.GetColumnNumber() + 1);
}

}  // namespace

ModuleGraph::ModuleGraph(fs::path root, std::string display_root)
    : root_(fs::weakly_canonical(root)), display_root_(std::move(display_root)) {
  while (display_root_.size() > 1 && display_root_.back() == '/') display_root_.pop_back();
}

ModuleGraph::~ModuleGraph() = default;

void ModuleGraph::Attach(v8::Local<v8::Context> context) {
  isolate_ = context->GetIsolate();
  context->SetAlignedPointerInEmbedderData(kModuleGraphSlot, this);
}

void ModuleGraph::InstallDynamicImport(v8::Isolate* isolate) {
  isolate->SetHostImportModuleDynamicallyCallback(&ModuleGraph::DynamicImportCallback);
}

std::string ModuleGraph::DisplayName(const std::string& relative_path) const {
  return display_root_.empty() || display_root_ == "." ? relative_path : display_root_ + "/" + relative_path;
}

Result<std::string> ModuleGraph::Resolve(const std::string& referrer, const std::string& specifier) const {
  auto quoted = "\"" + specifier + "\"";
  fs::path candidate;
  if (specifier.starts_with("./") || specifier.starts_with("../")) {
    candidate = (fs::path(referrer).parent_path() / specifier).lexically_normal();
  } else if (specifier.starts_with("/")) {
    candidate = fs::path(specifier.substr(1)).lexically_normal();  // bundle-root relative
  } else if (specifier.find(':') != std::string::npos) {
    return Fail("cannot import " + quoted +
                ": URL and scheme imports (node:, npm:, https:, file:) are not supported; a bundle "
                "may import only its own files by relative path (\"./...\")");
  } else {
    return Fail("cannot import " + quoted +
                ": bare specifiers are not supported; import the bundle's own files by relative "
                "path (\"./" + specifier + "\") and bundle third-party packages into the bundle");
  }
  std::string relative = candidate.generic_string();
  if (relative.empty() || relative == "." || relative.starts_with("../") || relative == "..") {
    return Fail("cannot import " + quoted + ": it points outside the bundle directory");
  }
  auto extension = candidate.extension().string();
  if (extension != ".js" && extension != ".mjs") {
    return Fail("cannot import " + quoted + ": only .js and .mjs modules can be imported (got \"" +
                extension + "\"); write the full file name including its extension");
  }
  fs::path absolute = root_ / candidate;
  std::error_code error;
  fs::path real = fs::canonical(absolute, error);
  if (error) return Fail("cannot import " + quoted + ": file not found: " + DisplayName(relative));
  if (!IsWithin(root_, real)) {
    return Fail("cannot import " + quoted + ": it resolves (through a symbolic link) outside the bundle directory");
  }
  if (!fs::is_regular_file(real)) return Fail("cannot import " + quoted + ": not a regular file");
  return relative;
}

Result<ModuleGraph::Record*> ModuleGraph::Compile(v8::Local<v8::Context> context, const std::string& relative_path) {
  if (auto it = records_.find(relative_path); it != records_.end()) return &it->second;
  v8::Isolate* isolate = context->GetIsolate();
  std::string display = DisplayName(relative_path);

  fs::path absolute = root_ / relative_path;
  std::error_code error;
  auto size = fs::file_size(absolute, error);
  if (error) return Fail(display + ": cannot read module: " + error.message());
  if (size > kMaxModuleBytes) return Fail(display + ": module is larger than 64 MiB");
  std::ifstream file(absolute, std::ios::binary);
  std::ostringstream content;
  content << file.rdbuf();
  if (!file && !file.eof()) return Fail(display + ": cannot read module");

  v8::TryCatch try_catch(isolate);
  v8::ScriptOrigin origin(isolate, ToV8(isolate, display), 0, 0, false, -1, {}, false, false, true);
  v8::Local<v8::String> source_text;
  std::string text = content.str();
  if (!v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
           .ToLocal(&source_text)) {
    return Fail(display + ": module source is too large");
  }
  v8::ScriptCompiler::Source source(source_text, origin);
  v8::Local<v8::Module> module;
  if (!v8::ScriptCompiler::CompileModule(isolate, &source).ToLocal(&module)) {
    return Fail(DescribeException(isolate, context, try_catch).summary);
  }

  Record& record = records_[relative_path];
  record.relative_path = relative_path;
  record.module.Reset(isolate, module);
  by_hash_.emplace(module->GetIdentityHash(), &record);

  v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
  for (int i = 0; i < requests->Length(); ++i) {
    auto request = requests->Get(context, i).As<v8::ModuleRequest>();
    std::string specifier = ToUtf8(isolate, request->GetSpecifier());
    std::string where = display + ":" + Location(module, request->GetSourceOffset()) + ": ";
    if (request->GetImportAssertions()->Length() > 0) {
      return Fail(where + "import assertions are not supported (import of \"" + specifier + "\")");
    }
    auto resolved = Resolve(relative_path, specifier);
    auto dependency = resolved ? Compile(context, *resolved) : Result<Record*>(Fail(where + resolved.error().message));
    if (!dependency) {
      // Forget the half-built record so a later import() reports the real error again.
      Forget(relative_path);
      return std::unexpected(dependency.error());
    }
    record.resolved[specifier] = *resolved;
  }
  return &record;
}

Result<v8::Local<v8::Module>> ModuleGraph::Load(v8::Local<v8::Context> context, const std::string& relative_path) {
  auto record = Compile(context, relative_path);
  if (!record) return std::unexpected(record.error());
  v8::Isolate* isolate = context->GetIsolate();
  v8::Local<v8::Module> module = (*record)->module.Get(isolate);
  if (module->GetStatus() == v8::Module::kUninstantiated) {
    v8::TryCatch try_catch(isolate);
    if (!module->InstantiateModule(context, &ModuleGraph::ResolveCallback).FromMaybe(false)) {
      // Instantiation fails for imports of names a module does not export.
      return Fail(DescribeException(isolate, context, try_catch).summary);
    }
  }
  return module;
}

void ModuleGraph::Forget(const std::string& relative_path) {
  auto it = records_.find(relative_path);
  if (it == records_.end()) return;
  std::erase_if(by_hash_, [&](const auto& entry) { return entry.second == &it->second; });
  records_.erase(it);
}

ModuleGraph::Record* ModuleGraph::FindByModule(v8::Local<v8::Module> module) {
  auto [begin, end] = by_hash_.equal_range(module->GetIdentityHash());
  for (auto it = begin; it != end; ++it) {
    if (it->second->module.Get(isolate_) == module) return it->second;
  }
  return nullptr;
}

ModuleGraph::Record* ModuleGraph::FindByDisplayName(const std::string& display_name) {
  for (auto& [relative, record] : records_) {
    if (DisplayName(relative) == display_name) return &record;
  }
  return nullptr;
}

v8::MaybeLocal<v8::Module> ModuleGraph::ResolveCallback(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                        v8::Local<v8::FixedArray>, v8::Local<v8::Module> referrer) {
  auto* graph = static_cast<ModuleGraph*>(context->GetAlignedPointerFromEmbedderData(kModuleGraphSlot));
  v8::Isolate* isolate = context->GetIsolate();
  Record* record = graph ? graph->FindByModule(referrer) : nullptr;
  std::string name = ToUtf8(isolate, specifier);
  if (record) {
    auto it = record->resolved.find(name);
    if (it != record->resolved.end()) return graph->records_.at(it->second).module.Get(isolate);
  }
  // Compile() resolved every static import already; reaching here is a bug, not user error.
  isolate->ThrowException(v8::Exception::Error(ToV8(isolate, "internal error: unresolved import \"" + name + "\"")));
  return {};
}

v8::MaybeLocal<v8::Promise> ModuleGraph::DynamicImportCallback(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                                               v8::Local<v8::Value> resource_name,
                                                               v8::Local<v8::String> specifier,
                                                               v8::Local<v8::FixedArray> import_assertions) {
  v8::Isolate* isolate = context->GetIsolate();
  v8::EscapableHandleScope scope(isolate);
  // Every V8 call here can fail once the watchdog has terminated execution; an empty result then
  // propagates the termination instead of aborting the process.
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  auto reject = [&](const std::string& message) -> v8::MaybeLocal<v8::Promise> {
    if (resolver->Reject(context, v8::Exception::TypeError(ToV8(isolate, message))).IsNothing()) return {};
    return scope.Escape(resolver->GetPromise());
  };
  auto* graph = static_cast<ModuleGraph*>(context->GetAlignedPointerFromEmbedderData(kModuleGraphSlot));
  std::string name = ToUtf8(isolate, specifier);
  if (!graph) return reject("dynamic import() is not available here");
  if (import_assertions->Length() > 0) return reject("import assertions are not supported (import of \"" + name + "\")");
  Record* referrer = graph->FindByDisplayName(ToUtf8(isolate, resource_name));
  std::string referrer_path = referrer ? referrer->relative_path : std::string("index.js");
  auto resolved = graph->Resolve(referrer_path, name);
  if (!resolved) return reject(resolved.error().message);
  auto module = graph->Load(context, *resolved);
  if (!module) return reject(module.error().message);

  v8::Local<v8::Module> loaded = *module;
  v8::Local<v8::Value> evaluation;
  {
    v8::TryCatch try_catch(isolate);
    if (!loaded->Evaluate(context).ToLocal(&evaluation)) {
      if (try_catch.HasTerminated()) {
        try_catch.ReThrow();
        return {};
      }
      if (resolver->Reject(context, try_catch.Exception()).IsNothing()) return {};
      return scope.Escape(resolver->GetPromise());
    }
  }
  // Settle with the namespace once evaluation (possibly async, top-level await) has finished.
  auto on_evaluated = [](const v8::FunctionCallbackInfo<v8::Value>& info) {
    info.GetReturnValue().Set(info.Data());
  };
  v8::Local<v8::Function> then_namespace;
  v8::Local<v8::Promise> result;
  if (!v8::Function::New(context, on_evaluated, loaded->GetModuleNamespace()).ToLocal(&then_namespace) ||
      !evaluation.As<v8::Promise>()->Then(context, then_namespace).ToLocal(&result)) {
    return {};
  }
  return scope.Escape(result);
}

}  // namespace mar::engine
