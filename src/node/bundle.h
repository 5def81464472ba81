// A bundle on disk: its directory, manifest and the effective capabilities. Immutable once
// loaded and shared by every shard that runs it.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "caps/manifest.h"

namespace mar::node {

// A capability set in mar.json's shape, bare actor classes qualified with `bundle`: what the
// built-in JS reads (it only tests which capabilities exist) and what a narrowed set of a spawned
// actor travels as (parsed again by the node).
std::string CapabilitiesJson(const caps::CapabilitySet& capabilities, std::string_view bundle);

struct Bundle {
  std::filesystem::path root;   // the bundle directory
  std::string display_root;     // how the user named it (for messages)
  std::string main;             // bundle-relative path of the main module
  caps::Manifest manifest;
  caps::CapabilitySet capabilities;  // after node policy
  caps::Limits limits;
  std::string realm_config_json;  // {"env":..., "capabilities":...} for the built-in JS

  // PATH is a directory with mar.json, or a single .js/.mjs file (default manifest).
  static Result<Bundle> Load(const std::string& path, const caps::NodePolicy* policy);
};

}  // namespace mar::node
