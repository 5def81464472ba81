// ES module loading for one bundle in one context. Specifiers resolve relative to the importing
// module and only to files inside the bundle directory; everything else is a precise error.
#pragma once

#include <v8.h>

#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"

namespace mar::engine {

class ModuleGraph {
 public:
  // `root` is the bundle directory; `display_root` is how file names appear in errors and stacks
  // (the path as the user gave it).
  ModuleGraph(std::filesystem::path root, std::string display_root);
  ~ModuleGraph();
  ModuleGraph(const ModuleGraph&) = delete;
  ModuleGraph& operator=(const ModuleGraph&) = delete;

  // Makes the graph reachable from `context` (for the resolve and dynamic-import callbacks).
  void Attach(v8::Local<v8::Context> context);
  // Installs the isolate-wide dynamic import hook; once per isolate.
  static void InstallDynamicImport(v8::Isolate* isolate);

  // Compiles `relative_path` and, recursively, every module it statically imports, then
  // instantiates it. Errors name the file, line and column and say what to change.
  Result<v8::Local<v8::Module>> Load(v8::Local<v8::Context> context, const std::string& relative_path);

  // "examples/hello/index.js" for "index.js".
  std::string DisplayName(const std::string& relative_path) const;

 private:
  struct Record {
    std::string relative_path;
    v8::Global<v8::Module> module;
    std::unordered_map<std::string, std::string> resolved;  // specifier -> relative path
  };

  Result<Record*> Compile(v8::Local<v8::Context> context, const std::string& relative_path);
  // Resolves `specifier` imported by `referrer` (a relative path) to a bundle-relative path.
  Result<std::string> Resolve(const std::string& referrer, const std::string& specifier) const;
  Record* FindByModule(v8::Local<v8::Module> module);
  void Forget(const std::string& relative_path);
  Record* FindByDisplayName(const std::string& display_name);

  static v8::MaybeLocal<v8::Module> ResolveCallback(v8::Local<v8::Context> context,
                                                    v8::Local<v8::String> specifier,
                                                    v8::Local<v8::FixedArray> import_assertions,
                                                    v8::Local<v8::Module> referrer);
  static v8::MaybeLocal<v8::Promise> DynamicImportCallback(v8::Local<v8::Context> context,
                                                           v8::Local<v8::Data> host_defined_options,
                                                           v8::Local<v8::Value> resource_name,
                                                           v8::Local<v8::String> specifier,
                                                           v8::Local<v8::FixedArray> import_assertions);

  std::filesystem::path root_;           // canonical
  std::string display_root_;
  v8::Isolate* isolate_ = nullptr;
  std::unordered_map<std::string, Record> records_;  // by relative path
  std::unordered_multimap<int, Record*> by_hash_;    // module identity hash -> record
};

// Embedder data slot holding the ModuleGraph* of a context.
inline constexpr int kModuleGraphSlot = 2;

}  // namespace mar::engine
