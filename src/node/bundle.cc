#include "node/bundle.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "wasm/actor_module.h"

namespace mar::node {

namespace fs = std::filesystem;

namespace {

std::string JoinErrors(const std::vector<caps::ManifestError>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "\n";
    text += error.to_string();
  }
  return text;
}

// The capability set in mar.json's own shape, so that a narrowed set handed to JS can come back
// and be parsed again (BundleHost::NarrowedSet); JS itself only tests which keys exist.
// Bare "Class" actor patterns are written as "bundle/Class" (what they mean), which is the form a
// set without a bundle of its own must use.
nlohmann::json GrantedJson(const caps::CapabilitySet& capabilities, std::string_view bundle) {
  nlohmann::json granted = nlohmann::json::object();
  if (capabilities.fetch) granted["fetch"] = {{"allow", capabilities.fetch->allow}};
  if (capabilities.timers) granted["timers"] = true;
  if (capabilities.actors) {
    nlohmann::json allow = nlohmann::json::array();
    for (const std::string& pattern : capabilities.actors->allow) {
      allow.push_back(pattern == "*" || pattern.find('/') != std::string::npos ? pattern
                                                                                : std::string(bundle) + "/" + pattern);
    }
    granted["actors"] = {{"allow", allow}};
  }
  if (capabilities.gpu) {
    granted["gpu"] = {{"maxBufferBytes", capabilities.gpu->max_buffer_bytes},
                      {"maxDispatchMs", capabilities.gpu->max_dispatch_ms}};
  }
  if (capabilities.camera) granted["camera"] = {{"devices", capabilities.camera->devices}};
  if (capabilities.files) {
    // In the policy's shape (the grants themselves stay the node's): whether writes may stay.
    bool write = capabilities.files->write &&
                 std::ranges::any_of(capabilities.files->grants, [](const caps::FileGrant& grant) { return grant.write; });
    granted["files"] = {{"write", write}};
  }
  return granted;
}

// What the built-in JS needs: env values, which capabilities exist, the bundle's name and the
// limits the actor layer enforces in JS.
std::string RealmConfigJson(const caps::Manifest& manifest, const caps::CapabilitySet& capabilities,
                            const caps::Limits& limits, const nlohmann::json& wasm, bool wasm_only) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [key, value] : manifest.env) env[key] = value;
  nlohmann::json actor_limits = {{"mailbox", limits.mailbox},
                                 {"mailboxWaitMs", limits.mailbox_wait_ms},
                                 {"callTimeoutMs", limits.call_timeout_ms},
                                 {"messageBytes", limits.message_bytes}};
  return nlohmann::json{{"env", env}, {"capabilities", GrantedJson(capabilities, manifest.name)}, {"bundle", manifest.name},
                        {"limits", actor_limits}, {"wasm", wasm}, {"wasmOnly", wasm_only}}
      .dump();
}

std::string DefaultName(const fs::path& file) {
  std::string name;
  for (char c : file.stem().string()) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    name += std::isalnum(static_cast<unsigned char>(lower)) || lower == '-' || lower == '_' ? lower : '-';
  }
  return name.empty() ? "main" : name.substr(0, 63);
}

// The Wasm classes of a bundle: its .wasm main, and the classes whose manifest entry names a
// module. Each is read, checked and prepared here, so that `mar check` reports what is wrong.
Result<nlohmann::json> LoadWasmClasses(Bundle& bundle) {
  nlohmann::json specs = nlohmann::json::array();
  std::string prefix = bundle.display_root.empty() ? "" : bundle.display_root + "/";
  for (const auto& [name, config] : bundle.manifest.WasmClasses()) {
    const std::string& file = *config.wasm;
    std::string display = prefix + file;
    std::error_code error;
    if (!fs::is_regular_file(bundle.root / file, error)) {
      return Fail(display + ": WebAssembly module of class " + name + " not found");
    }
    auto bytes = wasm::ReadModuleFile(bundle.root / file);
    if (!bytes) return Fail(display + ": " + bytes.error().message);
    auto prepared = wasm::PrepareActorModule(*bytes, display, bundle.capabilities, bundle.limits.wasm_memory_mb);
    if (!prepared) return std::unexpected(prepared.error());
    auto wasm_class = std::make_unique<WasmClass>();
    wasm_class->name = name;
    wasm_class->file = file;
    wasm_class->bytes = std::move(prepared->bytes);
    wasm_class->growable = prepared->growable;

    nlohmann::json args = config.wasi.args, env = nlohmann::json::object();
    for (const auto& [key, value] : config.wasi.env) env[key] = value;
    nlohmann::json preopens = nlohmann::json::array();
    const auto& files = bundle.capabilities.files;
    for (const auto& grant : files ? files->grants : std::vector<caps::FileGrant>{}) {
      fs::path host = fs::weakly_canonical(fs::absolute(bundle.root / grant.path), error);
      if (error || !fs::is_directory(host, error)) {
        return Fail(prefix + "mar.json: capabilities.files." + grant.guest + ".path: " + grant.path +
                    " is not a directory of the bundle");
      }
      preopens.push_back({{"guest", grant.guest}, {"host", host.string()}, {"write", grant.write && files->write}});
    }
    specs.push_back({{"name", name}, {"growable", wasm_class->growable}, {"args", args}, {"env", env}, {"preopens", preopens}});
    bundle.wasm_classes.push_back(std::move(wasm_class));
  }
  return specs;
}

}  // namespace

const WasmClass* Bundle::FindWasmClass(std::string_view name) const {
  for (const auto& wasm_class : wasm_classes) {
    if (wasm_class->name == name) return wasm_class.get();
  }
  return nullptr;
}

std::string CapabilitiesJson(const caps::CapabilitySet& capabilities, std::string_view bundle) {
  return GrantedJson(capabilities, bundle).dump();
}

Result<Bundle> Bundle::Load(const std::string& path, const caps::NodePolicy* policy) {
  Bundle bundle;
  std::error_code error;
  fs::path given(path);
  auto status = fs::status(given, error);
  if (error || !fs::exists(status)) return Fail(path + ": no such file or directory");

  if (fs::is_directory(status)) {
    fs::path manifest_path = given / "mar.json";
    std::string manifest_name = (path.ends_with("/") ? path : path + "/") + "mar.json";
    std::ifstream file(manifest_path, std::ios::binary);
    if (!file) {
      return Fail(manifest_name + ": not found; a bundle directory needs a mar.json manifest (see docs/manifest.md)");
    }
    std::ostringstream text;
    text << file.rdbuf();
    auto manifest = caps::ParseManifest(text.str(), manifest_name);
    if (!manifest) return Fail(JoinErrors(manifest.error()));
    bundle.manifest = std::move(*manifest);
    bundle.root = given;
    bundle.display_root = path;
  } else {
    auto extension = given.extension().string();
    if (extension != ".js" && extension != ".mjs" && extension != ".wasm") {
      return Fail(path + ": expected a bundle directory with mar.json, a .js/.mjs module or a .wasm module");
    }
    bundle.manifest = caps::DefaultManifest(DefaultName(given), given.filename().string());
    bundle.root = given.has_parent_path() ? given.parent_path() : fs::path(".");
    bundle.display_root = given.has_parent_path() ? given.parent_path().string() : std::string();
  }
  while (bundle.display_root.size() > 1 && bundle.display_root.back() == '/') bundle.display_root.pop_back();
  bundle.main = bundle.manifest.main;
  bundle.wasm_only = bundle.main.ends_with(".wasm");
  if (!fs::is_regular_file(bundle.root / bundle.main, error)) {
    return Fail((bundle.display_root.empty() ? "" : bundle.display_root + "/") + bundle.main +
                ": main module not found (set \"main\" in mar.json)");
  }
  bundle.capabilities = caps::EffectiveCapabilities(bundle.manifest, policy);
  bundle.limits = caps::EffectiveLimits(bundle.manifest, policy);
  auto wasm = LoadWasmClasses(bundle);
  if (!wasm) return std::unexpected(wasm.error());
  bundle.realm_config_json = RealmConfigJson(bundle.manifest, bundle.capabilities, bundle.limits, *wasm, bundle.wasm_only);
  return bundle;
}

}  // namespace mar::node
