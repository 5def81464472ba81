#include "node/bundle.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

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
  return granted;
}

// What the built-in JS needs: env values, which capabilities exist, the bundle's name and the
// limits the actor layer enforces in JS.
std::string RealmConfigJson(const caps::Manifest& manifest, const caps::CapabilitySet& capabilities,
                            const caps::Limits& limits) {
  nlohmann::json env = nlohmann::json::object();
  for (const auto& [key, value] : manifest.env) env[key] = value;
  nlohmann::json actor_limits = {{"mailbox", limits.mailbox},
                                 {"mailboxWaitMs", limits.mailbox_wait_ms},
                                 {"callTimeoutMs", limits.call_timeout_ms},
                                 {"messageBytes", limits.message_bytes}};
  return nlohmann::json{{"env", env}, {"capabilities", GrantedJson(capabilities, manifest.name)}, {"bundle", manifest.name},
                        {"limits", actor_limits}}
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

}  // namespace

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
    if (extension != ".js" && extension != ".mjs") {
      return Fail(path + ": expected a bundle directory with mar.json or a .js/.mjs module" +
                  (extension == ".wasm" ? " (WebAssembly actors are not supported by this version yet)" : ""));
    }
    bundle.manifest = caps::DefaultManifest(DefaultName(given), given.filename().string());
    bundle.root = given.has_parent_path() ? given.parent_path() : fs::path(".");
    bundle.display_root = given.has_parent_path() ? given.parent_path().string() : std::string();
  }
  while (bundle.display_root.size() > 1 && bundle.display_root.back() == '/') bundle.display_root.pop_back();
  bundle.main = bundle.manifest.main;
  if (bundle.main.ends_with(".wasm")) {
    return Fail(path + ": main module " + bundle.main + " is WebAssembly; Wasm bundles are not supported by this version yet");
  }
  if (!fs::is_regular_file(bundle.root / bundle.main, error)) {
    return Fail((bundle.display_root.empty() ? "" : bundle.display_root + "/") + bundle.main +
                ": main module not found (set \"main\" in mar.json)");
  }
  bundle.capabilities = caps::EffectiveCapabilities(bundle.manifest, policy);
  bundle.limits = caps::EffectiveLimits(bundle.manifest, policy);
  bundle.realm_config_json = RealmConfigJson(bundle.manifest, bundle.capabilities, bundle.limits);
  return bundle;
}

}  // namespace mar::node
