// Tests for src/caps: manifest and policy parsing, capability narrowing and pattern matching.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "caps/capabilities.h"
#include "caps/manifest.h"

namespace mar::caps {
namespace {

constexpr std::string_view kFile = "bundle/mar.json";

const std::string kNameRule =
    "^[a-z0-9][a-z0-9_-]{0,62}$ (1 to 63 lower-case letters, digits, '_' or '-', starting with a "
    "letter or digit)";

const std::string kClassNameRule =
    "^[A-Za-z_$][A-Za-z0-9_$]*$ (a JavaScript identifier of at most 128 characters)";

const std::string kClassKeys =
    "restart, maxRestarts, restartWindowMs, backoffMs, maxBackoffMs, http, wasm, wasi";

const std::string kLimitKeys =
    "memoryMb, cpuMsPerEvent, mailbox, messageBytes, mailboxWaitMs, callTimeoutMs, wasmMemoryMb";

std::vector<std::string> ErrorStrings(const std::vector<ManifestError>& errors) {
  std::vector<std::string> lines;
  for (const ManifestError& error : errors) lines.push_back(error.to_string());
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Bad manifests: the first error, exactly, and how many there are.

struct BadManifest {
  std::string label;
  std::string json;
  std::string first_error;  // ManifestError::to_string()
  size_t error_count = 1;
};

void PrintTo(const BadManifest& bad, std::ostream* out) {
  *out << bad.label;
}

class BadManifestTest : public testing::TestWithParam<BadManifest> {};

TEST_P(BadManifestTest, ReportsPreciseError) {
  const BadManifest& bad = GetParam();
  ManifestResult result = ParseManifest(bad.json, kFile);
  ASSERT_FALSE(result.has_value()) << bad.label;
  ASSERT_FALSE(result.error().empty());
  EXPECT_EQ(result.error().front().to_string(), bad.first_error);
  EXPECT_EQ(result.error().size(), bad.error_count)
      << testing::PrintToString(ErrorStrings(result.error()));
  for (const ManifestError& error : result.error()) EXPECT_EQ(error.file, kFile);
}

const BadManifest kBadManifests[] = {
    {"syntax_error", R"json({"name": })json",
     "bundle/mar.json: invalid JSON at line 1, column 10: syntax error while parsing value - "
     "unexpected '}'; expected '[', '{', or a literal"},
    {"trailing_comma_on_line_3", "{\n  \"name\": \"a\",\n}",
     "bundle/mar.json: invalid JSON at line 3, column 1: syntax error while parsing object key - "
     "unexpected '}'; expected string literal"},
    {"column_counts_characters_not_bytes", "{\"name\": \"caf\xc3\xa9\" x}",
     "bundle/mar.json: invalid JSON at line 1, column 17: syntax error while parsing object - "
     "invalid literal; last read: '\"caf\xc3\xa9\" x'; expected '}'"},
    {"byte_order_mark_takes_no_column", "\xEF\xBB\xBF{\"name\" \"a\"}",
     "bundle/mar.json: invalid JSON at line 1, column 11: syntax error while parsing object "
     "separator - unexpected string literal; expected ':'"},
    {"empty_text", "",
     "bundle/mar.json: invalid JSON at line 1, column 1: syntax error while parsing value - "
     "unexpected end of input; expected '[', '{', or a literal"},
    {"root_is_array", "[]",
     "bundle/mar.json: expected a JSON object at the top level, got an array"},
    {"missing_name", "{}",
     "bundle/mar.json: name: missing required key; expected a bundle name such as \"my-app\""},
    {"name_not_string", R"json({"name": 3})json",
     "bundle/mar.json: name: expected a string, got number 3"},
    {"name_upper_case", R"json({"name": "Shop"})json",
     "bundle/mar.json: name: expected a name matching " + kNameRule + ", got \"Shop\""},
    {"name_too_long", "{\"name\": \"" + std::string(64, 'a') + "\"}",
     "bundle/mar.json: name: expected a name matching " + kNameRule + ", got \"" +
         std::string(64, 'a') + "\""},
    {"name_starts_with_dash", R"json({"name": "-shop"})json",
     "bundle/mar.json: name: expected a name matching " + kNameRule + ", got \"-shop\""},
    {"unknown_top_level_key_with_suggestion", R"json({"name": "a", "mian": "x.js"})json",
     "bundle/mar.json: mian: unknown key (did you mean \"main\"?); allowed here: name, main, "
     "capabilities, limits, env, classes"},
    {"unknown_top_level_key", R"json({"name": "a", "version": "1.0"})json",
     "bundle/mar.json: version: unknown key; allowed here: name, main, capabilities, limits, env, "
     "classes"},
    {"duplicate_top_level_key", R"json({"name": "a", "name": "b"})json",
     "bundle/mar.json: name: duplicate key; it already appears earlier in this object"},
    {"main_not_string", R"json({"name": "a", "main": true})json",
     "bundle/mar.json: main: expected a string, got boolean true"},
    {"main_absolute", R"json({"name": "a", "main": "/srv/index.js"})json",
     "bundle/mar.json: main: must be a path relative to the bundle directory, not an absolute "
     "path, got \"/srv/index.js\""},
    {"main_dot_dot", R"json({"name": "a", "main": "src/../../index.js"})json",
     "bundle/mar.json: main: must not contain \"..\" segments; the file must be inside the "
     "bundle, got \"src/../../index.js\""},
    {"main_backslash", R"json({"name": "a", "main": "src\\index.js"})json",
     "bundle/mar.json: main: must use '/' to separate directories, not '\\', got "
     "\"src\\\\index.js\""},
    {"main_empty_segment", R"json({"name": "a", "main": "src//index.js"})json",
     "bundle/mar.json: main: must not contain empty segments (\"//\" or a trailing '/'), got "
     "\"src//index.js\""},
    {"main_wrong_extension", R"json({"name": "a", "main": "index.ts"})json",
     "bundle/mar.json: main: must name a .js, .mjs or .wasm file, got \"index.ts\""},
    {"main_empty", R"json({"name": "a", "main": ""})json",
     "bundle/mar.json: main: expected a relative path to a .js, .mjs or .wasm file inside the "
     "bundle, got \"\""},
    {"capabilities_not_object", R"json({"name": "a", "capabilities": ["fetch"]})json",
     "bundle/mar.json: capabilities: expected an object, got an array"},
    {"unknown_capability", R"json({"name": "a", "capabilities": {"fetchh": {}}})json",
     "bundle/mar.json: capabilities.fetchh: unknown capability (did you mean \"fetch\"?); "
     "allowed here: fetch, timers, actors, gpu, camera, files"},
    {"fetch_true", R"json({"name": "a", "capabilities": {"fetch": true}})json",
     "bundle/mar.json: capabilities.fetch: expected an object such as {\"allow\": "
     "[\"api.example.com\"]}, got boolean true"},
    {"fetch_without_allow", R"json({"name": "a", "capabilities": {"fetch": {}}})json",
     "bundle/mar.json: capabilities.fetch.allow: missing required key; expected an array of host "
     "patterns such as [\"api.example.com\"]"},
    {"fetch_unknown_key",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["a.com"], "deny": []}}})json",
     "bundle/mar.json: capabilities.fetch.deny: unknown key; allowed here: allow"},
    {"fetch_allow_string",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": "api.example.com"}}})json",
     "bundle/mar.json: capabilities.fetch.allow: expected an array of host patterns, got string "
     "\"api.example.com\""},
    {"fetch_allow_empty", R"json({"name": "a", "capabilities": {"fetch": {"allow": []}}})json",
     "bundle/mar.json: capabilities.fetch.allow: an empty list grants nothing; remove "
     "capabilities.fetch instead"},
    {"fetch_allow_number",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["a.com", 3]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[1]: expected a string, got number 3"},
    {"fetch_scheme",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["https://api.example.com"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern "
     "\"https://api.example.com\": write only the host and port, without a scheme such as "
     "\"https://\""},
    {"fetch_path",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["api.example.com/v1"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"api.example.com/v1\": "
     "write only the host and port, without a path"},
    {"fetch_port_zero",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["localhost:0"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"localhost:0\": the port "
     "must be a number from 1 to 65535"},
    {"fetch_port_too_big",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["localhost:65536"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"localhost:65536\": the "
     "port must be a number from 1 to 65535"},
    {"fetch_wildcard_in_middle",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["api.*.com"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"api.*.com\": '*' may "
     "only be the whole pattern (\"*\") or the whole first label (\"*.example.com\")"},
    {"fetch_partial_wildcard",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["*api.example.com"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"*api.example.com\": '*' "
     "may only be the whole pattern (\"*\") or the whole first label (\"*.example.com\")"},
    {"fetch_ipv6_without_brackets",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["::1"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"::1\": IPv6 addresses "
     "must be in brackets, as in \"[::1]:8080\""},
    {"fetch_bad_ipv6",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["[::g]:80"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"[::g]:80\": not a "
     "valid IPv6 address"},
    {"fetch_bad_ipv4",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["256.1.1.1"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"256.1.1.1\": not a "
     "valid IPv4 address (four numbers from 0 to 255, no leading zeros)"},
    {"fetch_numeric_last_label",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["build.local.42"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"build.local.42\": the "
     "last label is all digits, which only an IPv4 address may have"},
    {"fetch_underscore_in_host",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["my_host.example.com"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern "
     "\"my_host.example.com\": host names may contain only letters, digits, '-' and '.'"},
    {"fetch_label_too_long",
     "{\"name\": \"a\", \"capabilities\": {\"fetch\": {\"allow\": [\"" + std::string(64, 'x') +
         ".com\"]}}}",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"" +
         std::string(64, 'x') + ".com\": label \"" + std::string(64, 'x') +
         "\" is longer than 63 characters"},
    {"fetch_trailing_dot",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["example.com."]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"example.com.\": empty "
     "label (two dots in a row, or a leading or trailing dot)"},
    {"fetch_hyphen_label",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["-api.example.com"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"-api.example.com\": "
     "label \"-api\" starts or ends with '-'"},
    {"fetch_wildcard_ip",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["*.0.0.1"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"*.0.0.1\": a wildcard "
     "must be followed by a host name, not an IP address"},
    {"fetch_unicode_host",
     R"json({"name": "a", "capabilities": {"fetch": {"allow": ["bücher.de"]}}})json",
     "bundle/mar.json: capabilities.fetch.allow[0]: invalid host pattern \"bücher.de\": "
     "international names must be written in their ASCII \"xn--\" form"},
    {"timers_string", R"json({"name": "a", "capabilities": {"timers": "yes"}})json",
     "bundle/mar.json: capabilities.timers: expected a boolean, got string \"yes\""},
    {"duplicate_nested_key",
     R"json({"name": "a", "capabilities": {"timers": true, "timers": false}})json",
     "bundle/mar.json: capabilities.timers: duplicate key; it already appears earlier in this "
     "object"},
    {"actors_without_allow", R"json({"name": "a", "capabilities": {"actors": {}}})json",
     "bundle/mar.json: capabilities.actors.allow: missing required key; expected an array of "
     "actor patterns such as [\"Cart\", \"inventory/*\"]"},
    {"actors_too_many_slashes",
     R"json({"name": "a", "capabilities": {"actors": {"allow": ["inventory/Stock/42"]}}})json",
     "bundle/mar.json: capabilities.actors.allow[0]: invalid actor pattern "
     "\"inventory/Stock/42\": too many '/'; expected \"Class\", \"bundle/Class\", \"bundle/*\" or "
     "\"*\" (an actor's own name is not part of the pattern)"},
    {"actors_bad_bundle",
     R"json({"name": "a", "capabilities": {"actors": {"allow": ["Inventory/*"]}}})json",
     "bundle/mar.json: capabilities.actors.allow[0]: invalid actor pattern \"Inventory/*\": bundle "
     "names must match ^[a-z0-9][a-z0-9_-]{0,62}$; expected \"Class\", \"bundle/Class\", "
     "\"bundle/*\" or \"*\""},
    {"actors_bad_class",
     R"json({"name": "a", "capabilities": {"actors": {"allow": ["9Lives"]}}})json",
     "bundle/mar.json: capabilities.actors.allow[0]: invalid actor pattern \"9Lives\": class names "
     "must match [A-Za-z_$][A-Za-z0-9_$]*; expected \"Class\", \"bundle/Class\", \"bundle/*\" or "
     "\"*\""},
    {"gpu_true", R"json({"name": "a", "capabilities": {"gpu": true}})json",
     "bundle/mar.json: capabilities.gpu: expected an object ({} for the defaults), got boolean "
     "true"},
    {"gpu_zero_buffer", R"json({"name": "a", "capabilities": {"gpu": {"maxBufferBytes": 0}}})json",
     "bundle/mar.json: capabilities.gpu.maxBufferBytes: expected an integer from 1 to "
     "1099511627776, got number 0"},
    {"gpu_fractional_dispatch",
     R"json({"name": "a", "capabilities": {"gpu": {"maxDispatchMs": 1.5}}})json",
     "bundle/mar.json: capabilities.gpu.maxDispatchMs: expected an integer from 1 to 600000, got "
     "number 1.5"},
    {"camera_empty_devices",
     R"json({"name": "a", "capabilities": {"camera": {"devices": []}}})json",
     "bundle/mar.json: capabilities.camera.devices: an empty list grants nothing; remove "
     "capabilities.camera instead"},
    {"camera_empty_device_name",
     R"json({"name": "a", "capabilities": {"camera": {"devices": [""]}}})json",
     "bundle/mar.json: capabilities.camera.devices[0]: expected a non-empty device name, got \"\""},
    {"limits_memory_too_small", R"json({"name": "a", "limits": {"memoryMb": 8}})json",
     "bundle/mar.json: limits.memoryMb: expected an integer from 16 to 16384, got number 8"},
    {"limits_cpu_negative", R"json({"name": "a", "limits": {"cpuMsPerEvent": -5}})json",
     "bundle/mar.json: limits.cpuMsPerEvent: expected an integer from 1 to 600000, got number -5"},
    {"limits_mailbox_fraction", R"json({"name": "a", "limits": {"mailbox": 1.5}})json",
     "bundle/mar.json: limits.mailbox: expected an integer from 1 to 1000000, got number 1.5"},
    {"limits_mailbox_string", R"json({"name": "a", "limits": {"mailbox": "1024"}})json",
     "bundle/mar.json: limits.mailbox: expected an integer from 1 to 1000000, got string \"1024\""},
    {"limits_snake_case_key", R"json({"name": "a", "limits": {"memory_mb": 64}})json",
     "bundle/mar.json: limits.memory_mb: unknown key (did you mean \"memoryMb\"?); allowed here: " +
         kLimitKeys},
    {"limits_message_bytes_too_small", R"json({"name": "a", "limits": {"messageBytes": 1023}})json",
     "bundle/mar.json: limits.messageBytes: expected an integer from 1024 to 67108864, got number "
     "1023"},
    {"limits_message_bytes_too_big",
     R"json({"name": "a", "limits": {"messageBytes": 67108865}})json",
     "bundle/mar.json: limits.messageBytes: expected an integer from 1024 to 67108864, got number "
     "67108865"},
    {"limits_message_bytes_fraction",
     R"json({"name": "a", "limits": {"messageBytes": 2048.5}})json",
     "bundle/mar.json: limits.messageBytes: expected an integer from 1024 to 67108864, got number "
     "2048.5"},
    {"limits_mailbox_wait_negative", R"json({"name": "a", "limits": {"mailboxWaitMs": -1}})json",
     "bundle/mar.json: limits.mailboxWaitMs: expected an integer from 0 to 600000, got number -1"},
    {"limits_mailbox_wait_too_big", R"json({"name": "a", "limits": {"mailboxWaitMs": 600001}})json",
     "bundle/mar.json: limits.mailboxWaitMs: expected an integer from 0 to 600000, got number "
     "600001"},
    {"limits_mailbox_wait_null", R"json({"name": "a", "limits": {"mailboxWaitMs": null}})json",
     "bundle/mar.json: limits.mailboxWaitMs: expected an integer from 0 to 600000, got null"},
    {"limits_call_timeout_zero", R"json({"name": "a", "limits": {"callTimeoutMs": 0}})json",
     "bundle/mar.json: limits.callTimeoutMs: expected an integer from 1 to 3600000, got number 0"},
    {"limits_call_timeout_too_big",
     R"json({"name": "a", "limits": {"callTimeoutMs": 3600001}})json",
     "bundle/mar.json: limits.callTimeoutMs: expected an integer from 1 to 3600000, got number "
     "3600001"},
    {"limits_call_timeout_string", R"json({"name": "a", "limits": {"callTimeoutMs": "30s"}})json",
     "bundle/mar.json: limits.callTimeoutMs: expected an integer from 1 to 3600000, got string "
     "\"30s\""},
    {"limits_call_timeout_snake_case",
     R"json({"name": "a", "limits": {"call_timeout_ms": 5000}})json",
     "bundle/mar.json: limits.call_timeout_ms: unknown key (did you mean \"callTimeoutMs\"?); "
     "allowed here: " +
         kLimitKeys},
    {"env_not_object", R"json({"name": "a", "env": ["A=1"]})json",
     "bundle/mar.json: env: expected an object of string values, got an array"},
    {"env_number_value", R"json({"name": "a", "env": {"PORT": 8080}})json",
     "bundle/mar.json: env.PORT: env values must be strings, got number 8080 (write \"8080\")"},
    {"env_null_value", R"json({"name": "a", "env": {"TOKEN": null}})json",
     "bundle/mar.json: env.TOKEN: env values must be strings, got null"},
    {"env_bad_name", R"json({"name": "a", "env": {"MY VAR": "x"}})json",
     "bundle/mar.json: env[\"MY VAR\"]: invalid variable name \"MY VAR\"; names must match "
     "^[A-Za-z_][A-Za-z0-9_]*$"},
    {"classes_not_object", R"json({"name": "a", "classes": ["Cart"]})json",
     "bundle/mar.json: classes: expected an object keyed by class name, such as {\"Cart\": "
     "{\"restart\": \"always\"}}, got an array"},
    {"class_entry_not_object", R"json({"name": "a", "classes": {"Cart": true}})json",
     "bundle/mar.json: classes.Cart: expected an object ({} for the defaults), got boolean true"},
    {"class_entry_null", R"json({"name": "a", "classes": {"Cart": null}})json",
     "bundle/mar.json: classes.Cart: expected an object ({} for the defaults), got null"},
    {"class_name_starts_with_digit", R"json({"name": "a", "classes": {"9Lives": {}}})json",
     "bundle/mar.json: classes.9Lives: invalid class name \"9Lives\"; class names must match " +
         kClassNameRule},
    {"class_name_with_dash", R"json({"name": "a", "classes": {"shopping-cart": {}}})json",
     "bundle/mar.json: classes.shopping-cart: invalid class name \"shopping-cart\"; class names "
     "must match " +
         kClassNameRule},
    {"class_name_with_space", R"json({"name": "a", "classes": {"My Cart": {}}})json",
     "bundle/mar.json: classes[\"My Cart\"]: invalid class name \"My Cart\"; class names must "
     "match " +
         kClassNameRule},
    {"class_name_qualified", R"json({"name": "a", "classes": {"shop/Cart": {}}})json",
     "bundle/mar.json: classes[\"shop/Cart\"]: invalid class name \"shop/Cart\"; class names "
     "must match " +
         kClassNameRule},
    {"class_name_empty", R"json({"name": "a", "classes": {"": {}}})json",
     "bundle/mar.json: classes[\"\"]: invalid class name \"\"; class names must match " +
         kClassNameRule},
    {"class_name_too_long",
     "{\"name\": \"a\", \"classes\": {\"" + std::string(129, 'C') + "\": {}}}",
     "bundle/mar.json: classes." + std::string(129, 'C') + ": invalid class name \"" +
         std::string(75, 'C') + "...\"; class names must match " + kClassNameRule},
    {"class_bad_name_and_bad_entry",
     R"json({"name": "a", "classes": {"9Lives": {"restart": "sometimes"}}})json",
     "bundle/mar.json: classes.9Lives: invalid class name \"9Lives\"; class names must match " +
         kClassNameRule,
     2},
    {"class_duplicate", R"json({"name": "a", "classes": {"Cart": {}, "Cart": {"http": true}}})json",
     "bundle/mar.json: classes.Cart: duplicate key; it already appears earlier in this object"},
    {"class_unknown_key_with_suggestion",
     R"json({"name": "a", "classes": {"Cart": {"restarts": "always"}}})json",
     "bundle/mar.json: classes.Cart.restarts: unknown key (did you mean \"restart\"?); allowed "
     "here: " +
         kClassKeys},
    {"class_unknown_key", R"json({"name": "a", "classes": {"Cart": {"timeoutMs": 5}}})json",
     "bundle/mar.json: classes.Cart.timeoutMs: unknown key; allowed here: " + kClassKeys},
    {"class_restart_unknown",
     R"json({"name": "a", "classes": {"Cart": {"restart": "sometimes"}}})json",
     "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or \"always\", "
     "got string \"sometimes\""},
    {"class_restart_snake_case",
     R"json({"name": "a", "classes": {"Cart": {"restart": "on_failure"}}})json",
     "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or \"always\", "
     "got string \"on_failure\" (did you mean \"on-failure\"?)"},
    {"class_restart_upper_case",
     R"json({"name": "a", "classes": {"Cart": {"restart": "Always"}}})json",
     "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or \"always\", "
     "got string \"Always\" (did you mean \"always\"?)"},
    {"class_restart_boolean", R"json({"name": "a", "classes": {"Cart": {"restart": true}}})json",
     "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or \"always\", "
     "got boolean true"},
    {"class_max_restarts_negative",
     R"json({"name": "a", "classes": {"Cart": {"maxRestarts": -1}}})json",
     "bundle/mar.json: classes.Cart.maxRestarts: expected an integer from 0 to 1000000, got number "
     "-1"},
    {"class_max_restarts_too_big",
     R"json({"name": "a", "classes": {"Cart": {"maxRestarts": 1000001}}})json",
     "bundle/mar.json: classes.Cart.maxRestarts: expected an integer from 0 to 1000000, got number "
     "1000001"},
    {"class_max_restarts_string",
     R"json({"name": "a", "classes": {"Cart": {"maxRestarts": "5"}}})json",
     "bundle/mar.json: classes.Cart.maxRestarts: expected an integer from 0 to 1000000, got string "
     "\"5\""},
    {"class_restart_window_zero",
     R"json({"name": "a", "classes": {"Cart": {"restartWindowMs": 0}}})json",
     "bundle/mar.json: classes.Cart.restartWindowMs: expected an integer from 1 to 86400000, got "
     "number 0"},
    {"class_restart_window_too_big",
     R"json({"name": "a", "classes": {"Cart": {"restartWindowMs": 86400001}}})json",
     "bundle/mar.json: classes.Cart.restartWindowMs: expected an integer from 1 to 86400000, got "
     "number 86400001"},
    {"class_backoff_fraction", R"json({"name": "a", "classes": {"Cart": {"backoffMs": 0.5}}})json",
     "bundle/mar.json: classes.Cart.backoffMs: expected an integer from 0 to 600000, got number "
     "0.5"},
    {"class_backoff_too_big",
     R"json({"name": "a", "classes": {"Cart": {"backoffMs": 600001}}})json",
     "bundle/mar.json: classes.Cart.backoffMs: expected an integer from 0 to 600000, got number "
     "600001"},
    {"class_max_backoff_too_big",
     R"json({"name": "a", "classes": {"Cart": {"maxBackoffMs": 3600001}}})json",
     "bundle/mar.json: classes.Cart.maxBackoffMs: expected an integer from 0 to 3600000, got "
     "number 3600001"},
    {"class_max_backoff_array",
     R"json({"name": "a", "classes": {"Cart": {"maxBackoffMs": []}}})json",
     "bundle/mar.json: classes.Cart.maxBackoffMs: expected an integer from 0 to 3600000, got an "
     "array"},
    {"class_http_string", R"json({"name": "a", "classes": {"Cart": {"http": "yes"}}})json",
     "bundle/mar.json: classes.Cart.http: expected a boolean, got string \"yes\""},
    {"class_max_backoff_below_backoff",
     R"json({"name": "a", "classes": {"Cart": {"maxBackoffMs": 100, "backoffMs": 200}}})json",
     "bundle/mar.json: classes.Cart.maxBackoffMs: expected at least backoffMs (200), got number "
     "100"},
    {"class_backoff_above_default_max",
     R"json({"name": "a", "classes": {"Cart": {"backoffMs": 10000}}})json",
     "bundle/mar.json: classes.Cart.maxBackoffMs: its default 5000 is less than backoffMs (10000); "
     "set maxBackoffMs to at least 10000"},
    // An invalid backoff is reported once, not again as "less than backoffMs".
    {"class_invalid_backoff_not_compared",
     R"json({"name": "a", "classes": {"Cart": {"backoffMs": 700000, "maxBackoffMs": 0}}})json",
     "bundle/mar.json: classes.Cart.backoffMs: expected an integer from 0 to 600000, got number "
     "700000"},
    // limits.wasmMemoryMb
    {"limits_wasm_memory_zero", R"json({"name": "a", "limits": {"wasmMemoryMb": 0}})json",
     "bundle/mar.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got number 0"},
    {"limits_wasm_memory_too_big", R"json({"name": "a", "limits": {"wasmMemoryMb": 4097}})json",
     "bundle/mar.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got number 4097"},
    {"limits_wasm_memory_string", R"json({"name": "a", "limits": {"wasmMemoryMb": "64"}})json",
     "bundle/mar.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got string "
     "\"64\""},
    {"limits_wasm_memory_fraction", R"json({"name": "a", "limits": {"wasmMemoryMb": 1.5}})json",
     "bundle/mar.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got number 1.5"},
    {"limits_wasm_memory_spelling", R"json({"name": "a", "limits": {"wasmMemoryMB": 64}})json",
     "bundle/mar.json: limits.wasmMemoryMB: unknown key (did you mean \"wasmMemoryMb\"?); allowed "
     "here: " +
         kLimitKeys},
    // classes.<Class>.wasm
    {"class_wasm_not_string", R"json({"name": "a", "classes": {"Greeter": {"wasm": 3}}})json",
     "bundle/mar.json: classes.Greeter.wasm: expected a string, got number 3"},
    {"class_wasm_empty", R"json({"name": "a", "classes": {"Greeter": {"wasm": ""}}})json",
     "bundle/mar.json: classes.Greeter.wasm: expected a relative path to a .wasm file inside the "
     "bundle, got \"\""},
    {"class_wasm_js_file",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "greeter.js"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must name a .wasm file, got \"greeter.js\""},
    {"class_wasm_absolute",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "/srv/greeter.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must be a path relative to the bundle directory, not "
     "an absolute path, got \"/srv/greeter.wasm\""},
    {"class_wasm_dot_dot",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "lib/../../greeter.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must not contain \"..\" segments; the file must be "
     "inside the bundle, got \"lib/../../greeter.wasm\""},
    {"class_wasm_backslash",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "lib\\greeter.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must use '/' to separate directories, not '\\', got "
     "\"lib\\\\greeter.wasm\""},
    {"class_wasm_empty_segment",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "lib//greeter.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must not contain empty segments (\"//\" or a trailing "
     "'/'), got \"lib//greeter.wasm\""},
    {"class_wasm_control_character",
     R"json({"name": "a", "classes": {"Greeter": {"wasm": "a\tb.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wasm: must not contain control characters, got "
     "\"a\\tb.wasm\""},
    {"class_wasm_misspelled",
     R"json({"name": "a", "classes": {"Greeter": {"wsam": "g.wasm"}}})json",
     "bundle/mar.json: classes.Greeter.wsam: unknown key (did you mean \"wasm\"?); allowed here: " +
         kClassKeys},
    // classes.<Class>.wasi
    {"class_wasi_without_wasm",
     R"json({"name": "a", "classes": {"Cart": {"wasi": {"args": ["cart"]}}}})json",
     "bundle/mar.json: classes.Cart.wasi: wasi applies only to WebAssembly classes; give "
     "classes.Cart a \"wasm\" module (a .wasm file in the bundle) or remove wasi"},
    {"class_wasi_without_wasm_reported_after_members",
     R"json({"name": "a", "classes": {"Cart": {"wasi": {}, "http": 1}}})json",
     "bundle/mar.json: classes.Cart.http: expected a boolean, got number 1", 2},
    {"class_wasi_not_object",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": ["g"]}}})json",
     "bundle/mar.json: classes.G.wasi: expected an object such as {\"args\": [\"counter\", "
     "\"--verbose\"], \"env\": {\"MODE\": \"fast\"}}, got an array"},
    {"class_wasi_unknown_key",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"argv": []}}}})json",
     "bundle/mar.json: classes.G.wasi.argv: unknown key (did you mean \"args\"?); allowed here: "
     "args, env"},
    {"wasi_args_not_array",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"args": "g -v"}}}})json",
     "bundle/mar.json: classes.G.wasi.args: expected an array of strings, got string \"g -v\""},
    {"wasi_arg_not_string",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"args": ["g", 1]}}}})json",
     "bundle/mar.json: classes.G.wasi.args[1]: expected a string, got number 1"},
    {"wasi_arg_nul",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"args": ["a\u0000b"]}}}})json",
     "bundle/mar.json: classes.G.wasi.args[0]: must not contain NUL characters (WASI passes "
     "arguments as C strings), got string \"a\\u0000b\""},
    {"wasi_arg_too_long",
     "{\"name\": \"a\", \"classes\": {\"G\": {\"wasm\": \"g.wasm\", \"wasi\": {\"args\": [\"" +
         std::string(4097, 'x') + "\"]}}}}",
     "bundle/mar.json: classes.G.wasi.args[0]: expected at most 4096 bytes, got a string of 4097 "
     "bytes"},
    {"wasi_too_many_args",
     [] {
       std::string args;
       for (int i = 0; i < 257; ++i) args += (i == 0 ? "\"x\"" : ", \"x\"");
       return "{\"name\": \"a\", \"classes\": {\"G\": {\"wasm\": \"g.wasm\", \"wasi\": {\"args\": "
              "[" +
              args + "]}}}}";
     }(),
     "bundle/mar.json: classes.G.wasi.args: expected at most 256 arguments, got 257"},
    {"wasi_env_not_object",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"env": ["A=1"]}}}})json",
     "bundle/mar.json: classes.G.wasi.env: expected an object of string values, got an array"},
    {"wasi_env_bad_name",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"env": {"A-B": "1"}}}}})json",
     "bundle/mar.json: classes.G.wasi.env.A-B: invalid variable name \"A-B\"; names must match "
     "^[A-Za-z_][A-Za-z0-9_]*$"},
    {"wasi_env_number",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"env": {"N": 3}}}}})json",
     "bundle/mar.json: classes.G.wasi.env.N: env values must be strings, got number 3 (write "
     "\"3\")"},
    {"wasi_env_nul",
     R"json({"name": "a", "classes": {"G": {"wasm": "g.wasm", "wasi": {"env": {"N": "\u0000"}}}}})json",
     "bundle/mar.json: classes.G.wasi.env.N: must not contain NUL characters (WASI passes the "
     "environment as C strings), got string \"\\u0000\""},
    {"wasi_env_too_many",
     [] {
       std::string env;
       for (int i = 0; i < 257; ++i)
         env += (i == 0 ? "" : ", ") + ("\"V" + std::to_string(i) + "\": \"\"");
       return "{\"name\": \"a\", \"classes\": {\"G\": {\"wasm\": \"g.wasm\", \"wasi\": {\"env\": "
              "{" +
              env + "}}}}}";
     }(),
     "bundle/mar.json: classes.G.wasi.env: expected at most 256 variables, got 257"},
    // A bundle whose main module is a .wasm file.
    {"wasm_bundle_other_class",
     R"json({"name": "a", "main": "counter.wasm", "classes": {"Cart": {"http": true}}})json",
     "bundle/mar.json: classes.Cart: a WebAssembly bundle has one class, Counter, named after main "
     "(\"counter.wasm\"); configure it as classes.Counter, or give Cart a \"wasm\" module of its "
     "own"},
    // `main` is read first, so a later `main` still decides, and the error keeps its place.
    {"wasm_bundle_main_after_classes",
     R"json({"classes": {"Counter": {}, "Ledger": {"restart": "never"}}, "name": "a", "main": "./bin/hello-world.wasm"})json",
     "bundle/mar.json: classes.Counter: a WebAssembly bundle has one class, HelloWorld, named "
     "after main (\"bin/hello-world.wasm\"); configure it as classes.HelloWorld, or give Counter "
     "a \"wasm\" module of its own",
     2},
    {"wasm_bundle_other_class_with_wasi",
     R"json({"name": "a", "main": "counter.wasm", "classes": {"Cart": {"wasi": {}}}})json",
     "bundle/mar.json: classes.Cart: a WebAssembly bundle has one class, Counter, named after main "
     "(\"counter.wasm\"); configure it as classes.Counter, or give Cart a \"wasm\" module of its "
     "own"},
    {"wasm_bundle_main_class_other_module",
     R"json({"name": "a", "main": "counter.wasm", "classes": {"Counter": {"wasm": "other.wasm"}}})json",
     "bundle/mar.json: classes.Counter.wasm: Counter is this bundle's main class, so its module "
     "is main (\"counter.wasm\"); remove wasm here, got \"other.wasm\""},
    // capabilities.files
    {"files_not_object", R"json({"name": "a", "capabilities": {"files": ["data"]}})json",
     "bundle/mar.json: capabilities.files: expected an object mapping guest paths to bundle "
     "directories, such as {\"/data\": {\"path\": \"data\"}}, got an array"},
    {"files_empty", R"json({"name": "a", "capabilities": {"files": {}}})json",
     "bundle/mar.json: capabilities.files: an empty object grants nothing; remove "
     "capabilities.files instead"},
    {"files_too_many",
     [] {
       std::string grants;
       for (int i = 0; i < 17; ++i) {
         grants += (i == 0 ? "" : ", ") + ("\"/d" + std::to_string(i) + "\": {\"path\": \".\"}");
       }
       return "{\"name\": \"a\", \"capabilities\": {\"files\": {" + grants + "}}}";
     }(),
     "bundle/mar.json: capabilities.files: expected at most 16 directories, got 17"},
    {"files_guest_relative",
     R"json({"name": "a", "capabilities": {"files": {"data": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files.data: invalid guest path \"data\": expected an absolute "
     "path such as \"/data\""},
    {"files_guest_empty",
     R"json({"name": "a", "capabilities": {"files": {"": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"\"]: invalid guest path \"\": expected an absolute "
     "path such as \"/data\""},
    {"files_guest_root",
     R"json({"name": "a", "capabilities": {"files": {"/": {"path": "."}}}})json",
     "bundle/mar.json: capabilities.files[\"/\"]: invalid guest path \"/\": the root itself cannot "
     "be granted; name a directory such as \"/data\""},
    {"files_guest_trailing_slash",
     R"json({"name": "a", "capabilities": {"files": {"/data/": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data/\"]: invalid guest path \"/data/\": must not "
     "contain empty segments (\"//\" or a trailing '/')"},
    {"files_guest_double_slash",
     R"json({"name": "a", "capabilities": {"files": {"//data": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"//data\"]: invalid guest path \"//data\": must not "
     "contain empty segments (\"//\" or a trailing '/')"},
    {"files_guest_dot",
     R"json({"name": "a", "capabilities": {"files": {"/data/./x": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data/./x\"]: invalid guest path \"/data/./x\": must "
     "not contain \".\" or \"..\" segments"},
    {"files_guest_dot_dot",
     R"json({"name": "a", "capabilities": {"files": {"/data/..": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data/..\"]: invalid guest path \"/data/..\": must "
     "not contain \".\" or \"..\" segments"},
    {"files_guest_backslash",
     R"json({"name": "a", "capabilities": {"files": {"/data\\x": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\\\\x\"]: invalid guest path \"/data\\\\x\": "
     "must use '/' to separate directories, not '\\'"},
    {"files_guest_control_character",
     R"json({"name": "a", "capabilities": {"files": {"/da\nta": {"path": "data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/da\\nta\"]: invalid guest path \"/da\\nta\": must "
     "not contain control characters"},
    {"files_guest_too_long",
     "{\"name\": \"a\", \"capabilities\": {\"files\": {\"/" + std::string(256, 'g') +
         "\": {\"path\": \"data\"}}}}",
     "bundle/mar.json: capabilities.files[\"/" + std::string(256, 'g') +
         "\"]: invalid guest path \"/" + std::string(74, 'g') +
         "...\": expected at most 256 bytes, got 257"},
    {"files_guest_duplicate",
     R"json({"name": "a", "capabilities": {"files": {"/d": {"path": "a"}, "/d": {"path": "b"}}}})json",
     "bundle/mar.json: capabilities.files[\"/d\"]: duplicate key; it already appears earlier in "
     "this object"},
    {"files_grant_string", R"json({"name": "a", "capabilities": {"files": {"/data": "data"}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"]: expected an object such as {\"path\": "
     "\"data\", \"write\": false}, got string \"data\" (write {\"path\": \"data\"})"},
    {"files_grant_true", R"json({"name": "a", "capabilities": {"files": {"/data": true}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"]: expected an object such as {\"path\": "
     "\"data\", \"write\": false}, got boolean true"},
    {"files_grant_without_path",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"write": true}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: missing required key; expected a "
     "directory inside the bundle such as \"data\" (\".\" for the bundle itself)"},
    {"files_grant_unknown_key",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "data", "writable": true}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].writable: unknown key; allowed here: path, "
     "write"},
    {"files_path_not_string",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": 1}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: expected a string, got number 1"},
    {"files_path_empty",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": ""}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: expected a relative path to a "
     "directory inside the bundle (\".\" for the bundle itself), got \"\""},
    {"files_path_absolute",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "/var/data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: must be a path relative to the bundle "
     "directory, not an absolute path, got \"/var/data\""},
    {"files_path_dot_dot",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "../data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: must not contain \"..\" segments; the "
     "directory must be inside the bundle, got \"../data\""},
    {"files_path_trailing_slash",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "data/"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: must not contain empty segments "
     "(\"//\" or a trailing '/'), got \"data/\""},
    {"files_path_backslash",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "a\\data"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].path: must use '/' to separate directories, "
     "not '\\', got \"a\\\\data\""},
    {"files_write_string",
     R"json({"name": "a", "capabilities": {"files": {"/data": {"path": "data", "write": "no"}}}})json",
     "bundle/mar.json: capabilities.files[\"/data\"].write: expected a boolean, got string \"no\""},
    // A bad guest path does not hide the problems of its grant.
    {"files_bad_guest_and_bad_grant",
     R"json({"name": "a", "capabilities": {"files": {"data": {"path": "/data", "write": 0}}}})json",
     "bundle/mar.json: capabilities.files.data: invalid guest path \"data\": expected an absolute "
     "path such as \"/data\"",
     3},
    // Several problems: all reported, in document order, missing keys after the object's members.
    {"many_problems_in_document_order",
     R"json({"main": "/x.js", "limits": {"memoryMb": 1, "mailbox": 0}, "env": {"1X": true}})json",
     "bundle/mar.json: main: must be a path relative to the bundle directory, not an absolute "
     "path, got \"/x.js\"",
     6},
};

INSTANTIATE_TEST_SUITE_P(Caps, BadManifestTest, testing::ValuesIn(kBadManifests),
                         [](const testing::TestParamInfo<BadManifest>& info) {
                           return info.param.label;
                         });

TEST(ManifestErrors, AllProblemsInDocumentOrder) {
  ManifestResult result = ParseManifest(
      R"json({"main": "/x.js", "limits": {"memoryMb": 1, "mailbox": 0}, "env": {"1X": true}})json",
      kFile);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(ErrorStrings(result.error()),
            (std::vector<std::string>{
                "bundle/mar.json: main: must be a path relative to the bundle directory, not an "
                "absolute path, got \"/x.js\"",
                "bundle/mar.json: limits.memoryMb: expected an integer from 16 to 16384, got "
                "number 1",
                "bundle/mar.json: limits.mailbox: expected an integer from 1 to 1000000, got "
                "number 0",
                "bundle/mar.json: env.1X: invalid variable name \"1X\"; names must match "
                "^[A-Za-z_][A-Za-z0-9_]*$",
                "bundle/mar.json: env.1X: env values must be strings, got boolean true (write "
                "\"true\")",
                "bundle/mar.json: name: missing required key; expected a bundle name such as "
                "\"my-app\"",
            }));
}

TEST(ManifestErrors, DuplicateReportedWhereItRepeats) {
  ManifestResult result = ParseManifest(
      R"json({"name": "a", "main": 1, "name": "b", "env": {"A": "1", "B": 2, "A": "3"}})json",
      kFile);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(ErrorStrings(result.error()),
            (std::vector<std::string>{
                "bundle/mar.json: main: expected a string, got number 1",
                "bundle/mar.json: name: duplicate key; it already appears earlier in this object",
                "bundle/mar.json: env.B: env values must be strings, got number 2 (write \"2\")",
                "bundle/mar.json: env.A: duplicate key; it already appears earlier in this object",
            }));
}

TEST(ManifestErrors, StructuredFields) {
  ManifestResult result =
      ParseManifest(R"json({"name": "a", "capabilities": {"fetch": {"allow": ["ok.com", 3]}}})json",
                    "examples/hello/mar.json");
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].file, "examples/hello/mar.json");
  EXPECT_EQ(result.error()[0].path, "capabilities.fetch.allow[1]");
  EXPECT_EQ(result.error()[0].message, "expected a string, got number 3");
  EXPECT_EQ(
      result.error()[0].to_string(),
      "examples/hello/mar.json: capabilities.fetch.allow[1]: expected a string, got number 3");
}

TEST(ManifestErrors, RootPathIsOmittedFromString) {
  ManifestError error{"a/mar.json", "", "expected a JSON object at the top level, got null"};
  EXPECT_EQ(error.to_string(), "a/mar.json: expected a JSON object at the top level, got null");
}

TEST(ManifestErrors, LongStringsAreShortenedInMessages) {
  ManifestResult result =
      ParseManifest("{\"name\": \"a\", \"main\": 1, \"limits\": {\"mailbox\": \"" +
                        std::string(200, 'z') + "\"}}",
                    kFile);
  ASSERT_FALSE(result.has_value());
  ASSERT_EQ(result.error().size(), 2u);
  EXPECT_EQ(result.error()[1].message, "expected an integer from 1 to 1000000, got string \"" +
                                           std::string(75, 'z') + "...\"");
}

TEST(ManifestErrors, ClassProblemsInDocumentOrder) {
  ManifestResult result = ParseManifest(R"json({
    "name": "a",
    "classes": {
      "Cart": {"backoffMs": 500, "restart": "often", "maxBackoffMs": 50, "http": 1},
      "Stock": {},
      "bad name": {"maxRestarts": -3, "restartWindow": 10},
      "Ledger": {"backoffMs": 6000}
    },
    "limits": {"mailboxWaitMs": 1.5}
  })json",
                                        kFile);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      ErrorStrings(result.error()),
      (std::vector<std::string>{
          "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or "
          "\"always\", got string \"often\"",
          "bundle/mar.json: classes.Cart.http: expected a boolean, got number 1",
          // Checked once the entry's keys are read, like a missing key.
          "bundle/mar.json: classes.Cart.maxBackoffMs: expected at least backoffMs (500), got "
          "number 50",
          "bundle/mar.json: classes[\"bad name\"]: invalid class name \"bad name\"; class "
          "names must match " +
              kClassNameRule,
          "bundle/mar.json: classes[\"bad name\"].maxRestarts: expected an integer from 0 to "
          "1000000, got number -3",
          "bundle/mar.json: classes[\"bad name\"].restartWindow: unknown key (did you mean "
          "\"restartWindowMs\"?); allowed here: " +
              kClassKeys,
          "bundle/mar.json: classes.Ledger.maxBackoffMs: its default 5000 is less than "
          "backoffMs (6000); set maxBackoffMs to at least 6000",
          "bundle/mar.json: limits.mailboxWaitMs: expected an integer from 0 to 600000, got "
          "number 1.5",
      }));
}

// ---------------------------------------------------------------------------------------------
// Good manifests.

TEST(ParseManifest, DesignExample) {
  ManifestResult result = ParseManifest(R"json({
    "name": "shop",
    "main": "index.js",
    "capabilities": {
      "fetch":  { "allow": ["api.example.com", "127.0.0.1:9000"] },
      "timers": true,
      "actors": { "allow": ["Cart", "inventory/*"] },
      "gpu":    { "maxBufferBytes": 67108864, "maxDispatchMs": 2000 },
      "camera": { "devices": ["default"] }
    },
    "limits": {
      "memoryMb": 128, "cpuMsPerEvent": 100, "mailbox": 1024,
      "messageBytes": 1048576, "mailboxWaitMs": 1000, "callTimeoutMs": 30000
    },
    "env": { "GREETING": "hello" },
    "classes": {
      "Cart":  { "restart": "always", "http": true },
      "Stock": { "maxRestarts": 3, "restartWindowMs": 10000, "backoffMs": 250, "maxBackoffMs": 2000 }
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  const Manifest& manifest = *result;
  EXPECT_EQ(manifest.name, "shop");
  EXPECT_EQ(manifest.main, "index.js");
  ASSERT_TRUE(manifest.capabilities.fetch.has_value());
  EXPECT_EQ(manifest.capabilities.fetch->allow,
            (std::vector<std::string>{"api.example.com", "127.0.0.1:9000"}));
  EXPECT_TRUE(manifest.capabilities.timers);
  ASSERT_TRUE(manifest.capabilities.actors.has_value());
  EXPECT_EQ(manifest.capabilities.actors->allow, (std::vector<std::string>{"Cart", "inventory/*"}));
  ASSERT_TRUE(manifest.capabilities.gpu.has_value());
  EXPECT_EQ(manifest.capabilities.gpu->max_buffer_bytes, 67108864u);
  EXPECT_EQ(manifest.capabilities.gpu->max_dispatch_ms, 2000u);
  ASSERT_TRUE(manifest.capabilities.camera.has_value());
  EXPECT_EQ(manifest.capabilities.camera->devices, (std::vector<std::string>{"default"}));
  EXPECT_EQ(manifest.limits.memory_mb, 128u);
  EXPECT_EQ(manifest.limits.cpu_ms_per_event, 100u);
  EXPECT_EQ(manifest.limits.mailbox, 1024u);
  EXPECT_EQ(manifest.limits.message_bytes, 1048576u);
  EXPECT_EQ(manifest.limits.mailbox_wait_ms, 1000u);
  EXPECT_EQ(manifest.limits.call_timeout_ms, 30000u);
  EXPECT_EQ(manifest.env,
            (std::vector<std::pair<std::string, std::string>>{{"GREETING", "hello"}}));
  ActorClassConfig cart;
  cart.restart = RestartPolicy::kAlways;
  cart.http = true;
  ActorClassConfig stock;
  stock.max_restarts = 3;
  stock.restart_window_ms = 10000;
  stock.backoff_ms = 250;
  stock.max_backoff_ms = 2000;
  EXPECT_EQ(manifest.classes, (std::vector<std::pair<std::string, ActorClassConfig>>{
                                  {"Cart", cart}, {"Stock", stock}}));
}

TEST(ParseManifest, MinimalGetsDefaultsAndNoCapabilities) {
  ManifestResult result = ParseManifest(R"json({"name": "hello"})json", kFile);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->name, "hello");
  EXPECT_EQ(result->main, "index.js");
  EXPECT_EQ(result->capabilities, CapabilitySet{});
  EXPECT_FALSE(result->capabilities.fetch.has_value());
  EXPECT_FALSE(result->capabilities.timers);
  EXPECT_EQ(result->limits.memory_mb, 128u);
  EXPECT_EQ(result->limits.cpu_ms_per_event, 100u);
  EXPECT_EQ(result->limits.mailbox, 1024u);
  EXPECT_EQ(result->limits.message_bytes, 1048576u);
  EXPECT_EQ(result->limits.mailbox_wait_ms, 1000u);
  EXPECT_EQ(result->limits.call_timeout_ms, 30000u);
  EXPECT_TRUE(result->env.empty());
  EXPECT_TRUE(result->classes.empty());
}

TEST(ParseManifest, ClassDefaults) {
  ActorClassConfig defaults;
  EXPECT_EQ(defaults.restart, RestartPolicy::kOnFailure);
  EXPECT_EQ(defaults.max_restarts, 5u);
  EXPECT_EQ(defaults.restart_window_ms, 60000u);
  EXPECT_EQ(defaults.backoff_ms, 100u);
  EXPECT_EQ(defaults.max_backoff_ms, 5000u);
  EXPECT_FALSE(defaults.http);

  ManifestResult result = ParseManifest(
      R"json({"name": "a", "classes": {"Cart": {}, "Stock": {"http": true}}})json", kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  ASSERT_EQ(result->classes.size(), 2u);
  EXPECT_EQ(result->classes[0].first, "Cart");
  EXPECT_EQ(result->classes[0].second, defaults);
  EXPECT_EQ(result->ClassConfig("Cart"), defaults);
  EXPECT_TRUE(result->ClassConfig("Stock").http);
  // A class the manifest does not name, or names in another case, gets the defaults.
  EXPECT_EQ(result->ClassConfig("Ledger"), defaults);
  EXPECT_EQ(result->ClassConfig("cart"), defaults);
  EXPECT_EQ(DefaultManifest("one", "one.js").ClassConfig("Cart"), defaults);

  // An empty `classes` is allowed and configures nothing.
  ManifestResult empty = ParseManifest(R"json({"name": "a", "classes": {}})json", kFile);
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->classes.empty());
}

TEST(ParseManifest, ClassEveryKeyAndBoundary) {
  const std::string longest(128, 'L');
  ManifestResult result = ParseManifest(R"json({
    "name": "a",
    "classes": {
      "Zeta": {
        "restart": "never", "maxRestarts": 1000000, "restartWindowMs": 86400000,
        "backoffMs": 600000, "maxBackoffMs": 3600000, "http": false
      },
      "$cart_2": {
        "restart": "always", "maxRestarts": 0, "restartWindowMs": 1,
        "backoffMs": 0, "maxBackoffMs": 0, "http": true
      },
      "_Stock": { "restart": "on-failure", "backoffMs": 5e2, "maxBackoffMs": 500.0 },
      ")json" + longest + R"json(": {}
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  ASSERT_EQ(result->classes.size(), 4u);
  // Document order, not sorted.
  EXPECT_EQ(result->classes[0].first, "Zeta");
  EXPECT_EQ(result->classes[1].first, "$cart_2");
  EXPECT_EQ(result->classes[2].first, "_Stock");
  EXPECT_EQ(result->classes[3].first, longest);

  EXPECT_EQ(result->classes[0].second,
            (ActorClassConfig{RestartPolicy::kNever, 1000000, 86400000, 600000, 3600000, false}));
  EXPECT_EQ(result->ClassConfig("$cart_2"),
            (ActorClassConfig{RestartPolicy::kAlways, 0, 1, 0, 0, true}));
  ActorClassConfig stock;
  stock.backoff_ms = 500;
  stock.max_backoff_ms = 500;
  EXPECT_EQ(result->ClassConfig("_Stock"), stock);
  EXPECT_EQ(result->ClassConfig(longest), ActorClassConfig{});

  // Manifest equality sees the classes.
  Manifest changed = *result;
  EXPECT_EQ(changed, *result);
  changed.classes[2].second.http = true;
  EXPECT_NE(changed, *result);
}

TEST(ParseManifest, RestartPolicyNames) {
  EXPECT_STREQ(RestartPolicyName(RestartPolicy::kNever), "never");
  EXPECT_STREQ(RestartPolicyName(RestartPolicy::kOnFailure), "on-failure");
  EXPECT_STREQ(RestartPolicyName(RestartPolicy::kAlways), "always");
}

TEST(ParseManifest, NormalizesPatternsAndPathsAndKeepsEnvOrder) {
  ManifestResult result = ParseManifest(R"json({
    "name": "0-app_x",
    "main": "./src/./worker.mjs",
    "capabilities": {
      "fetch": { "allow": ["API.Example.COM", "[0:0::1]:08080", "*.Example.com", "api.example.com", "*", "*:443"] },
      "timers": false,
      "gpu": {}
    },
    "limits": { "memoryMb": 256.0, "mailbox": 1e3 },
    "env": { "Z_LAST": "1", "A_FIRST": "", "_m": "x y" }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  EXPECT_EQ(result->name, "0-app_x");
  EXPECT_EQ(result->main, "src/worker.mjs");
  ASSERT_TRUE(result->capabilities.fetch.has_value());
  // Duplicates after normalization are dropped.
  EXPECT_EQ(
      result->capabilities.fetch->allow,
      (std::vector<std::string>{"api.example.com", "[::1]:8080", "*.example.com", "*", "*:443"}));
  EXPECT_FALSE(result->capabilities.timers);
  EXPECT_EQ(result->capabilities.gpu, GpuCapability{});
  EXPECT_EQ(result->capabilities.gpu->max_buffer_bytes, 67108864u);
  EXPECT_EQ(result->capabilities.gpu->max_dispatch_ms, 2000u);
  EXPECT_EQ(result->limits, (Limits{256, 100, 1000}));
  EXPECT_EQ(result->env, (std::vector<std::pair<std::string, std::string>>{
                             {"Z_LAST", "1"}, {"A_FIRST", ""}, {"_m", "x y"}}));
}

TEST(ParseManifest, WasmMainAndLimitBoundaries) {
  ManifestResult result = ParseManifest(R"json({
    "name": "w", "main": "build/actor.wasm",
    "capabilities": { "gpu": { "maxBufferBytes": 1099511627776, "maxDispatchMs": 600000 } },
    "limits": {
      "memoryMb": 16384, "cpuMsPerEvent": 600000, "mailbox": 1000000,
      "messageBytes": 67108864, "mailboxWaitMs": 600000, "callTimeoutMs": 3600000
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  EXPECT_EQ(result->main, "build/actor.wasm");
  EXPECT_EQ(result->capabilities.gpu->max_buffer_bytes, uint64_t{1} << 40);
  EXPECT_EQ(result->capabilities.gpu->max_dispatch_ms, 600000u);
  EXPECT_EQ(result->limits, (Limits{16384, 600000, 1000000, 67108864, 600000, 3600000}));

  ManifestResult lowest = ParseManifest(
      R"json({"name": "w", "limits": {"messageBytes": 1024, "mailboxWaitMs": 0, "callTimeoutMs": 1}})json",
      kFile);
  ASSERT_TRUE(lowest.has_value()) << testing::PrintToString(ErrorStrings(lowest.error()));
  EXPECT_EQ(lowest->limits, (Limits{128, 100, 1024, 1024, 0, 1}));

  ManifestResult over = ParseManifest(
      R"json({"name": "w", "capabilities": {"gpu": {"maxBufferBytes": 1099511627777}}})json",
      kFile);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error()[0].message,
            "expected an integer from 1 to 1099511627776, got number 1099511627777");
}

TEST(ParseManifest, DefaultManifestGrantsTimersOnly) {
  Manifest manifest = DefaultManifest("hello", "hello.js");
  EXPECT_EQ(manifest.name, "hello");
  EXPECT_EQ(manifest.main, "hello.js");
  CapabilitySet timers_only;
  timers_only.timers = true;
  EXPECT_EQ(manifest.capabilities, timers_only);
  EXPECT_EQ(manifest.limits, Limits{});
  EXPECT_TRUE(manifest.env.empty());
}

// ---------------------------------------------------------------------------------------------
// WebAssembly classes, their WASI settings, file grants and the Wasm memory limit.

TEST(WasmClassName, PascalCaseOfTheFileStem) {
  EXPECT_EQ(WasmClassName("counter.wasm"), "Counter");
  EXPECT_EQ(WasmClassName("hello-world.wasm"), "HelloWorld");
  EXPECT_EQ(WasmClassName("my_actor.v2.wasm"), "MyActorV2");
  EXPECT_EQ(WasmClassName("build/wasm/counter.wasm"), "Counter");
  EXPECT_EQ(WasmClassName("v1.2/counter.wasm"), "Counter");
  EXPECT_EQ(WasmClassName("Counter.wasm"), "Counter");
  // Only each part's first letter changes.
  EXPECT_EQ(WasmClassName("myACTOR_x.wasm"), "MyACTORX");
  EXPECT_EQ(WasmClassName("--hello--world--.wasm"), "HelloWorld");
  EXPECT_EQ(WasmClassName("caf\xc3\xa9-bar.wasm"), "CafBar");
  EXPECT_EQ(WasmClassName("2fa.wasm"), "_2fa");
  EXPECT_EQ(WasmClassName("9-lives.wasm"), "_9Lives");
  EXPECT_EQ(WasmClassName(".wasm"), "Main");
  EXPECT_EQ(WasmClassName("___.wasm"), "Main");
  EXPECT_EQ(WasmClassName("counter"), "Counter");
  EXPECT_EQ(WasmClassName(std::string(200, 'a') + ".wasm"), "A" + std::string(127, 'a'));
  // The result is always a class name a manifest accepts.
  for (std::string file : {"9-lives.wasm", ".wasm", "my_actor.v2.wasm"}) {
    std::string json = R"json({"name": "a", "main": ")json" + file + R"json(", "classes": {")json" +
                       WasmClassName(file) + R"json(": {}}})json";
    ManifestResult result = ParseManifest(json, kFile);
    EXPECT_TRUE(result.has_value()) << file;
  }
}

TEST(ParseManifest, WasmClassesInAJsBundle) {
  ManifestResult result = ParseManifest(R"json({
    "name": "greeter",
    "classes": {
      "Greeter": {
        "wasm": "./wasm/./greeter.wasm", "restart": "always",
        "wasi": { "args": ["greeter", "--loud", ""], "env": { "MODE": "fast", "_EMPTY": "" } }
      },
      "Bare": { "wasm": "bare.wasm", "wasi": {} },
      "Cart": { "http": true }
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  EXPECT_EQ(result->main, "index.js");
  EXPECT_EQ(result->MainWasmClass(), std::nullopt);

  ActorClassConfig greeter;
  greeter.restart = RestartPolicy::kAlways;
  greeter.wasm = "wasm/greeter.wasm";
  greeter.wasi.args = {"greeter", "--loud", ""};
  greeter.wasi.env = {{"MODE", "fast"}, {"_EMPTY", ""}};
  EXPECT_EQ(result->ClassConfig("Greeter"), greeter);
  // A Wasm class in a JS bundle is not routed over HTTP unless it says so.
  EXPECT_FALSE(result->ClassConfig("Greeter").http);

  ActorClassConfig bare;
  bare.wasm = "bare.wasm";
  EXPECT_EQ(result->ClassConfig("Bare"), bare);
  EXPECT_EQ(result->ClassConfig("Cart").wasm, std::nullopt);
  EXPECT_EQ(result->WasmClasses(), (std::vector<std::pair<std::string, ActorClassConfig>>{
                                       {"Greeter", greeter}, {"Bare", bare}}));
}

TEST(ParseManifest, WasmOnlyBundle) {
  ManifestResult bare =
      ParseManifest(R"json({"name": "counter", "main": "counter.wasm"})json", kFile);
  ASSERT_TRUE(bare.has_value()) << testing::PrintToString(ErrorStrings(bare.error()));
  EXPECT_EQ(bare->MainWasmClass(), "Counter");
  EXPECT_TRUE(bare->classes.empty());
  ActorClassConfig counter;
  counter.wasm = "counter.wasm";
  counter.http = true;  // reachable at /actors/Counter/<name> by default
  EXPECT_EQ(bare->ClassConfig("Counter"), counter);
  EXPECT_EQ(bare->ClassConfig("Other"), ActorClassConfig{});
  EXPECT_EQ(bare->WasmClasses(),
            (std::vector<std::pair<std::string, ActorClassConfig>>{{"Counter", counter}}));

  // `classes` configures the one class (even turning HTTP off) and may add Wasm classes.
  ManifestResult configured = ParseManifest(R"json({
    "name": "hello",
    "main": "./build/hello-world.wasm",
    "classes": {
      "HelloWorld": { "http": false, "restart": "never", "wasi": { "args": ["hello"] } },
      "Helper": { "wasm": "build/helper.wasm" }
    }
  })json",
                                            kFile);
  ASSERT_TRUE(configured.has_value()) << testing::PrintToString(ErrorStrings(configured.error()));
  EXPECT_EQ(configured->main, "build/hello-world.wasm");
  EXPECT_EQ(configured->MainWasmClass(), "HelloWorld");
  ActorClassConfig hello;
  hello.wasm = "build/hello-world.wasm";
  hello.restart = RestartPolicy::kNever;
  hello.wasi.args = {"hello"};
  EXPECT_EQ(configured->ClassConfig("HelloWorld"), hello);
  EXPECT_EQ(configured->classes[0].second, hello);
  ActorClassConfig helper;
  helper.wasm = "build/helper.wasm";
  EXPECT_EQ(configured->WasmClasses(), (std::vector<std::pair<std::string, ActorClassConfig>>{
                                           {"HelloWorld", hello}, {"Helper", helper}}));

  // An entry without `http` keeps the default true; naming the main module again is accepted.
  ManifestResult repeated = ParseManifest(
      R"json({"name": "c", "main": "counter.wasm", "classes": {"Counter": {"wasm": "./counter.wasm", "maxRestarts": 1}}})json",
      kFile);
  ASSERT_TRUE(repeated.has_value()) << testing::PrintToString(ErrorStrings(repeated.error()));
  counter.max_restarts = 1;
  EXPECT_EQ(repeated->ClassConfig("Counter"), counter);

  // A bare .wasm file (`mar run counter.wasm`) gets the same class.
  Manifest single = DefaultManifest("counter", "counter.wasm");
  EXPECT_EQ(single.MainWasmClass(), "Counter");
  EXPECT_EQ(single.ClassConfig("Counter"),
            (ActorClassConfig{.http = true, .wasm = "counter.wasm"}));
  EXPECT_EQ(single.WasmClasses().size(), 1u);
  EXPECT_EQ(DefaultManifest("hello", "hello.js").MainWasmClass(), std::nullopt);
  EXPECT_TRUE(DefaultManifest("hello", "hello.js").WasmClasses().empty());
}

TEST(ParseManifest, WasmDesignExample) {
  ManifestResult result = ParseManifest(R"json({
    "name": "store",
    "main": "store.wasm",
    "capabilities": {
      "timers": true,
      "files":  { "/data": { "path": "data" }, "/out": { "path": "out", "write": true } }
    },
    "limits":  { "wasmMemoryMb": 16 },
    "classes": {
      "Store":   { "restart": "always", "wasi": { "args": ["store", "--verbose"], "env": { "MODE": "fast" } } },
      "Indexer": { "wasm": "build/indexer.wasm", "http": true }
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  EXPECT_EQ(result->limits.wasm_memory_mb, 16u);
  EXPECT_EQ(result->capabilities.files->grants,
            (std::vector<FileGrant>{{"/data", "data", false}, {"/out", "out", true}}));
  ActorClassConfig store;
  store.restart = RestartPolicy::kAlways;
  store.http = true;
  store.wasm = "store.wasm";
  store.wasi = WasiConfig{{"store", "--verbose"}, {{"MODE", "fast"}}};
  ActorClassConfig indexer;
  indexer.http = true;
  indexer.wasm = "build/indexer.wasm";
  EXPECT_EQ(result->WasmClasses(), (std::vector<std::pair<std::string, ActorClassConfig>>{
                                       {"Store", store}, {"Indexer", indexer}}));
}

TEST(ParseManifest, FileGrants) {
  ManifestResult result = ParseManifest(R"json({
    "name": "f",
    "main": "app.wasm",
    "capabilities": {
      "files": {
        "/data":      { "path": "./data/./in" },
        "/out":       { "path": "out", "write": true },
        "/bundle":    { "write": false, "path": "." },
        "/data/logs": { "path": "logs", "write": false },
        "/a b/\u00fc": { "path": "./." }
      }
    }
  })json",
                                        kFile);
  ASSERT_TRUE(result.has_value()) << testing::PrintToString(ErrorStrings(result.error()));
  ASSERT_TRUE(result->capabilities.files.has_value());
  EXPECT_TRUE(result->capabilities.files->write);
  EXPECT_EQ(result->capabilities.files->grants, (std::vector<FileGrant>{
                                                    {"/data", "data/in", false},
                                                    {"/out", "out", true},
                                                    {"/bundle", ".", false},
                                                    {"/data/logs", "logs", false},
                                                    {"/a b/\xc3\xbc", ".", false},
                                                }));

  // The boundaries: 16 grants, a guest path of 256 bytes.
  std::string grants;
  for (int i = 0; i < 15; ++i) grants += "\"/d" + std::to_string(i) + "\": {\"path\": \".\"}, ";
  std::string longest = "/" + std::string(255, 'g');
  grants += "\"" + longest + "\": {\"path\": \"data\"}";
  ManifestResult most =
      ParseManifest("{\"name\": \"f\", \"capabilities\": {\"files\": {" + grants + "}}}", kFile);
  ASSERT_TRUE(most.has_value()) << testing::PrintToString(ErrorStrings(most.error()));
  ASSERT_EQ(most->capabilities.files->grants.size(), 16u);
  EXPECT_EQ(most->capabilities.files->grants.back(), (FileGrant{longest, "data", false}));

  // Without `files`, nothing is granted.
  EXPECT_FALSE(ParseManifest(R"json({"name": "f"})json", kFile)->capabilities.files.has_value());
}

TEST(ParseManifest, WasmMemoryLimit) {
  EXPECT_EQ(Limits{}.wasm_memory_mb, 64u);
  EXPECT_EQ(ParseManifest(R"json({"name": "w"})json", kFile)->limits.wasm_memory_mb, 64u);
  EXPECT_EQ(ParseManifest(R"json({"name": "w", "limits": {"wasmMemoryMb": 1}})json", kFile)
                ->limits.wasm_memory_mb,
            1u);
  ManifestResult most =
      ParseManifest(R"json({"name": "w", "limits": {"wasmMemoryMb": 4096.0}})json", kFile);
  ASSERT_TRUE(most.has_value());
  Limits expected;
  expected.wasm_memory_mb = 4096;
  EXPECT_EQ(most->limits, expected);
}

TEST(ManifestErrors, WasmProblemsInDocumentOrder) {
  ManifestResult result = ParseManifest(R"json({
    "name": "a",
    "capabilities": { "files": { "/in": { "path": "../in" }, "out": { "path": "out", "write": 1 } } },
    "classes": {
      "Cart": { "wasi": { "args": [1] }, "restart": "often" },
      "Greeter": { "wasi": { "env": { "X": 1 } }, "wasm": "greeter.js" }
    },
    "limits": { "wasmMemoryMb": 0 }
  })json",
                                        kFile);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(
      ErrorStrings(result.error()),
      (std::vector<std::string>{
          "bundle/mar.json: capabilities.files[\"/in\"].path: must not contain \"..\" "
          "segments; the directory must be inside the bundle, got \"../in\"",
          "bundle/mar.json: capabilities.files.out: invalid guest path \"out\": expected an "
          "absolute path such as \"/data\"",
          "bundle/mar.json: capabilities.files.out.write: expected a boolean, got number 1",
          "bundle/mar.json: classes.Cart.wasi.args[0]: expected a string, got number 1",
          "bundle/mar.json: classes.Cart.restart: expected \"never\", \"on-failure\" or "
          "\"always\", got string \"often\"",
          // Checked once the entry's keys are read: `wasm` may come after `wasi`.
          "bundle/mar.json: classes.Cart.wasi: wasi applies only to WebAssembly classes; give "
          "classes.Cart a \"wasm\" module (a .wasm file in the bundle) or remove wasi",
          "bundle/mar.json: classes.Greeter.wasi.env.X: env values must be strings, got "
          "number 1 (write \"1\")",
          "bundle/mar.json: classes.Greeter.wasm: must name a .wasm file, got \"greeter.js\"",
          "bundle/mar.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got "
          "number 0",
      }));
}

// ---------------------------------------------------------------------------------------------
// Host patterns.

struct PatternCase {
  std::string pattern;
  std::string normalized;  // "" = invalid
};

TEST(HostPatterns, Normalization) {
  const PatternCase cases[] = {
      {"api.example.com", "api.example.com"},
      {"API.EXAMPLE.COM:443", "api.example.com:443"},
      {"localhost", "localhost"},
      {"*", "*"},
      {"*:8080", "*:8080"},
      {"*.Example.com", "*.example.com"},
      {"*.example.com:00443", "*.example.com:443"},
      {"10.0.0.1", "10.0.0.1"},
      {"10.0.0.1:9000", "10.0.0.1:9000"},
      {"[::1]", "[::1]"},
      {"[2001:DB8:0:0:0:0:0:1]:8443", "[2001:db8::1]:8443"},
      {"xn--bcher-kva.de", "xn--bcher-kva.de"},
      {std::string(63, 'a') + ".com", std::string(63, 'a') + ".com"},
      {"", ""},
      {"*.", ""},
      {"**", ""},
      {"*.*.example.com", ""},
      {"example.com:", ""},
      {"example.com:http", ""},
      {"010.0.0.1", ""},
      {"1.2.3", ""},
      {"123", ""},
      {"[::1", ""},
      {"[::1]8080", ""},
      {"[fe80::1%eth0]", ""},
      {"user@example.com", ""},
      {"a b.com", ""},
      {std::string(250, 'a') + ".com", ""},
  };
  for (const PatternCase& test : cases) {
    std::expected<std::string, std::string> normalized = NormalizeHostPattern(test.pattern);
    if (test.normalized.empty()) {
      EXPECT_FALSE(normalized.has_value()) << test.pattern << " -> " << normalized.value_or("");
    } else {
      EXPECT_EQ(normalized.value_or("error: " + normalized.error()), test.normalized)
          << test.pattern;
    }
  }
}

struct FetchCase {
  std::vector<std::string> allow;
  std::string host;
  uint16_t port;
  bool allowed;
};

TEST(HostPatterns, AllowsFetchTo) {
  const FetchCase cases[] = {
      {{"api.example.com"}, "api.example.com", 443, true},
      {{"api.example.com"}, "API.Example.COM", 80, true},
      {{"api.example.com"}, "api.example.com.", 443, true},
      {{"api.example.com"}, "example.com", 443, false},
      {{"api.example.com"}, "xapi.example.com", 443, false},
      {{"api.example.com"}, "a.api.example.com", 443, false},
      {{"*.example.com"}, "a.example.com", 443, true},
      {{"*.example.com"}, "a.b.example.com", 443, true},
      {{"*.example.com"}, "example.com", 443, false},
      {{"*.example.com"}, "badexample.com", 443, false},
      {{"*.example.com"}, "a.example.com.evil.org", 443, false},
      {{"*.example.com"}, "a b.example.com", 443, false},
      {{"*.example.com:443"}, "a.example.com", 443, true},
      {{"*.example.com:443"}, "a.example.com", 80, false},
      {{"api.example.com:8443"}, "api.example.com", 8443, true},
      {{"api.example.com:8443"}, "api.example.com", 443, false},
      {{"*"}, "anything.org", 1, true},
      {{"*"}, "10.0.0.1", 80, true},
      {{"*"}, "[::1]", 80, true},
      {{"*:443"}, "anything.org", 443, true},
      {{"*:443"}, "anything.org", 80, false},
      {{"127.0.0.1:9000"}, "127.0.0.1", 9000, true},
      {{"127.0.0.1:9000"}, "127.0.0.1", 9001, false},
      {{"127.0.0.1:9000"}, "127.0.0.01", 9000, false},
      {{"[::1]:8080"}, "::1", 8080, true},
      {{"[::1]:8080"}, "[::1]", 8080, true},
      {{"[::1]:8080"}, "0:0:0:0:0:0:0:1", 8080, true},
      {{"[::1]:8080"}, "::2", 8080, false},
      {{"a.com", "b.com:81"}, "b.com", 81, true},
      {{"a.com", "b.com:81"}, "b.com", 80, false},
  };
  for (const FetchCase& test : cases) {
    CapabilitySet set;
    set.fetch = FetchCapability{test.allow};
    EXPECT_EQ(set.allows_fetch_to(test.host, test.port), test.allowed)
        << testing::PrintToString(test.allow) << " " << test.host << ":" << test.port;
  }
  EXPECT_FALSE(CapabilitySet{}.allows_fetch_to("api.example.com", 443));
}

TEST(ActorPatterns, AllowsActor) {
  CapabilitySet set;
  set.actors = ActorsCapability{{"Cart", "inventory/*", "billing/Invoice"}};
  EXPECT_TRUE(set.allows_actor("shop", "shop", "Cart"));
  EXPECT_FALSE(set.allows_actor("shop", "other", "Cart"));
  EXPECT_FALSE(set.allows_actor("shop", "shop", "Order"));
  EXPECT_TRUE(set.allows_actor("shop", "inventory", "Stock"));
  EXPECT_TRUE(set.allows_actor("shop", "billing", "Invoice"));
  EXPECT_FALSE(set.allows_actor("shop", "billing", "Refund"));
  CapabilitySet any;
  any.actors = ActorsCapability{{"*"}};
  EXPECT_TRUE(any.allows_actor("shop", "billing", "Refund"));
  EXPECT_FALSE(CapabilitySet{}.allows_actor("shop", "shop", "Cart"));
}

// ---------------------------------------------------------------------------------------------
// Narrowing and node policies.

struct CoverCase {
  std::string manifest_pattern;
  std::string policy_pattern;
  bool covered;
};

TEST(Narrowing, FetchPatternCoverage) {
  const CoverCase cases[] = {
      {"api.example.com", "*.example.com", true},
      {"example.com", "*.example.com", false},
      {"example.com", "*.ample.com", false},
      {"*.api.example.com", "*.example.com", true},
      {"*.example.com", "*.example.com", true},
      {"*.example.com", "api.example.com", false},
      {"*", "*.example.com", false},
      {"*", "*", true},
      {"*:443", "*", true},
      {"*", "*:443", false},
      {"api.example.com:443", "*.example.com", true},
      {"api.example.com", "*.example.com:443", false},
      {"api.example.com:443", "*.example.com:443", true},
      {"api.example.com:8443", "*.example.com:443", false},
      {"127.0.0.1:9000", "127.0.0.1", true},
      {"127.0.0.1", "127.0.0.1:9000", false},
      {"127.0.0.1", "*", true},
      {"127.0.0.1", "*.0.1", false},
      {"[::1]:8080", "[::1]", true},
      {"[::1]:8080", "[::2]", false},
      {"api.example.com", "api.example.com", true},
  };
  for (const CoverCase& test : cases) {
    CapabilitySet manifest;
    manifest.fetch = FetchCapability{{test.manifest_pattern}};
    CapabilitySet policy;
    policy.fetch = FetchCapability{{test.policy_pattern}};
    CapabilitySet narrowed = manifest.narrowed_by(policy);
    EXPECT_EQ(narrowed.fetch.has_value(), test.covered)
        << test.manifest_pattern << " under " << test.policy_pattern;
  }
}

TEST(Narrowing, EachCapability) {
  CapabilitySet mine;
  mine.fetch = FetchCapability{{"api.example.com", "evil.org", "*.cdn.example.com:443"}};
  mine.timers = true;
  mine.actors = ActorsCapability{{"Cart", "inventory/*", "billing/Invoice"}};
  mine.gpu = GpuCapability{uint64_t{1} << 30, 500};
  mine.camera = CameraCapability{{"default", "front", "back"}};

  CapabilitySet limit;
  limit.fetch = FetchCapability{{"*.example.com"}};
  limit.timers = true;
  limit.actors = ActorsCapability{{"shop/*", "inventory/Stock", "billing/*"}};
  limit.gpu = GpuCapability{uint64_t{64} << 20, 2000};
  limit.camera = CameraCapability{{"back", "default"}};

  std::vector<std::string> removed;
  CapabilitySet narrowed = mine.narrowed_by(limit, "shop", &removed);
  ASSERT_TRUE(narrowed.fetch.has_value());
  EXPECT_EQ(narrowed.fetch->allow,
            (std::vector<std::string>{"api.example.com", "*.cdn.example.com:443"}));
  EXPECT_TRUE(narrowed.timers);
  ASSERT_TRUE(narrowed.actors.has_value());
  EXPECT_EQ(narrowed.actors->allow, (std::vector<std::string>{"Cart", "billing/Invoice"}));
  EXPECT_EQ(narrowed.gpu, (GpuCapability{uint64_t{64} << 20, 500}));
  EXPECT_EQ(narrowed.camera, (CameraCapability{{"default", "back"}}));
  EXPECT_EQ(removed,
            (std::vector<std::string>{
                "capabilities.fetch.allow: \"evil.org\" is not covered by the allowed patterns",
                "capabilities.actors.allow: \"inventory/*\" is not covered by the allowed patterns",
                "capabilities.gpu.maxBufferBytes: lowered from 1073741824 to 67108864",
                "capabilities.camera.devices: \"front\" is not among the allowed devices",
            }));

  // Without a bundle to resolve against, a bare class is only covered by itself or "*".
  CapabilitySet unresolved = mine.narrowed_by(limit);
  EXPECT_EQ(unresolved.actors->allow, (std::vector<std::string>{"billing/Invoice"}));
}

TEST(Narrowing, EmptyLimitDeniesEverything) {
  CapabilitySet mine;
  mine.fetch = FetchCapability{{"a.com"}};
  mine.timers = true;
  mine.actors = ActorsCapability{{"Cart"}};
  mine.gpu = GpuCapability{};
  mine.camera = CameraCapability{{"default"}};
  std::vector<std::string> removed;
  EXPECT_EQ(mine.narrowed_by(CapabilitySet{}, "shop", &removed), CapabilitySet{});
  EXPECT_EQ(removed, (std::vector<std::string>{
                         "capabilities.fetch: not granted",
                         "capabilities.timers: not granted",
                         "capabilities.actors: not granted",
                         "capabilities.gpu: not granted",
                         "capabilities.camera: not granted",
                     }));
}

TEST(Narrowing, NothingLeftMeansAbsent) {
  CapabilitySet mine;
  mine.fetch = FetchCapability{{"evil.org"}};
  mine.camera = CameraCapability{{"front"}};
  CapabilitySet limit;
  limit.fetch = FetchCapability{{"*.example.com"}};
  limit.camera = CameraCapability{{"default"}};
  CapabilitySet narrowed = mine.narrowed_by(limit);
  EXPECT_FALSE(narrowed.fetch.has_value());
  EXPECT_FALSE(narrowed.camera.has_value());
}

TEST(Policy, ParsesAndApplies) {
  PolicyResult policy = ParsePolicy(
      R"json({"capabilities":{"fetch":{"allow":["*.example.com"]},"timers":true},"limits":{"memoryMb":256}})json",
      "/etc/mar/policy.json");
  ASSERT_TRUE(policy.has_value()) << testing::PrintToString(ErrorStrings(policy.error()));
  EXPECT_EQ(policy->capabilities.fetch->allow, (std::vector<std::string>{"*.example.com"}));
  EXPECT_TRUE(policy->capabilities.timers);
  EXPECT_FALSE(policy->capabilities.gpu.has_value());
  PolicyLimits bounds;
  bounds.memory_mb = 256;
  EXPECT_EQ(policy->limits, bounds);

  ManifestResult manifest = ParseManifest(R"json({
    "name": "shop",
    "capabilities": {
      "fetch":  { "allow": ["api.example.com", "127.0.0.1:9000"] },
      "timers": true,
      "gpu":    {}
    },
    "limits": { "memoryMb": 512, "cpuMsPerEvent": 50 }
  })json",
                                          kFile);
  ASSERT_TRUE(manifest.has_value());

  CapabilitySet effective = EffectiveCapabilities(*manifest, &*policy);
  CapabilitySet expected;
  expected.fetch = FetchCapability{{"api.example.com"}};
  expected.timers = true;
  EXPECT_EQ(effective, expected);
  EXPECT_TRUE(effective.allows_fetch_to("api.example.com", 443));
  EXPECT_FALSE(effective.allows_fetch_to("127.0.0.1", 9000));

  EXPECT_EQ(EffectiveLimits(*manifest, &*policy), (Limits{256, 50, 1024}));
  EXPECT_EQ(DeniedByPolicy(*manifest, &*policy),
            (std::vector<std::string>{
                "capabilities.fetch.allow: \"127.0.0.1:9000\" is not covered by the allowed "
                "patterns",
                "capabilities.gpu: not granted",
                "limits.memoryMb: lowered from 512 to 256",
            }));
}

TEST(Policy, BoundsTheMessagingLimits) {
  PolicyResult policy = ParsePolicy(
      R"json({"limits": {"messageBytes": 65536, "mailboxWaitMs": 0, "callTimeoutMs": 5000}})json",
      "policy.json");
  ASSERT_TRUE(policy.has_value()) << testing::PrintToString(ErrorStrings(policy.error()));
  PolicyLimits bounds;
  bounds.message_bytes = 65536;
  bounds.mailbox_wait_ms = 0;
  bounds.call_timeout_ms = 5000;
  EXPECT_EQ(policy->limits, bounds);

  // Each limit is the smaller of the two; a manifest already below the bound keeps its value.
  ManifestResult manifest = ParseManifest(R"json({
    "name": "shop",
    "limits": { "messageBytes": 4194304, "mailboxWaitMs": 250, "callTimeoutMs": 1000 }
  })json",
                                          kFile);
  ASSERT_TRUE(manifest.has_value());
  EXPECT_EQ(EffectiveLimits(*manifest, &*policy), (Limits{128, 100, 1024, 65536, 0, 1000}));
  EXPECT_EQ(DeniedByPolicy(*manifest, &*policy),
            (std::vector<std::string>{
                "limits.messageBytes: lowered from 4194304 to 65536",
                "limits.mailboxWaitMs: lowered from 250 to 0",
            }));

  // The defaults are narrowed too, and reported with their default values.
  Manifest defaults = DefaultManifest("one", "one.js");
  EXPECT_EQ(EffectiveLimits(defaults, &*policy), (Limits{128, 100, 1024, 65536, 0, 5000}));
  EXPECT_EQ(DeniedByPolicy(defaults, &*policy),
            (std::vector<std::string>{
                "capabilities.timers: not granted",
                "limits.messageBytes: lowered from 1048576 to 65536",
                "limits.mailboxWaitMs: lowered from 1000 to 0",
                "limits.callTimeoutMs: lowered from 30000 to 5000",
            }));

  // A bound equal to the manifest's value lowers nothing.
  PolicyResult equal = ParsePolicy(
      R"json({"limits": {"messageBytes": 1048576, "mailboxWaitMs": 1000, "callTimeoutMs": 30000}})json",
      "policy.json");
  ASSERT_TRUE(equal.has_value());
  EXPECT_EQ(EffectiveLimits(defaults, &*equal), Limits{});
  EXPECT_EQ(DeniedByPolicy(defaults, &*equal),
            (std::vector<std::string>{"capabilities.timers: not granted"}));
}

TEST(Policy, NullPolicyGrantsManifest) {
  Manifest manifest = DefaultManifest("one", "one.js");
  manifest.capabilities.fetch = FetchCapability{{"a.com"}};
  manifest.limits.memory_mb = 4096;
  EXPECT_EQ(EffectiveCapabilities(manifest, nullptr), manifest.capabilities);
  EXPECT_EQ(EffectiveLimits(manifest, nullptr), manifest.limits);
  EXPECT_TRUE(DeniedByPolicy(manifest, nullptr).empty());
}

TEST(Policy, EmptyPolicyDeniesEverything) {
  PolicyResult policy = ParsePolicy("{}", "policy.json");
  ASSERT_TRUE(policy.has_value());
  Manifest manifest = DefaultManifest("one", "one.js");
  EXPECT_EQ(EffectiveCapabilities(manifest, &*policy), CapabilitySet{});
  EXPECT_EQ(EffectiveLimits(manifest, &*policy), Limits{});
  EXPECT_EQ(DeniedByPolicy(manifest, &*policy),
            (std::vector<std::string>{"capabilities.timers: not granted"}));
}

TEST(Policy, ActorPatternsResolveAgainstTheBundle) {
  PolicyResult policy = ParsePolicy(
      R"json({"capabilities": {"actors": {"allow": ["shop/*", "inventory/Stock"]}}})json",
      "policy.json");
  ASSERT_TRUE(policy.has_value());
  Manifest manifest = DefaultManifest("shop", "index.js");
  manifest.capabilities.actors = ActorsCapability{{"Cart", "inventory/*", "inventory/Stock"}};
  CapabilitySet effective = EffectiveCapabilities(manifest, &*policy);
  ASSERT_TRUE(effective.actors.has_value());
  EXPECT_EQ(effective.actors->allow, (std::vector<std::string>{"Cart", "inventory/Stock"}));
  EXPECT_TRUE(effective.allows_actor("shop", "shop", "Cart"));
  EXPECT_TRUE(effective.allows_actor("shop", "inventory", "Stock"));
  EXPECT_FALSE(effective.allows_actor("shop", "inventory", "Ledger"));

  // The same manifest in another bundle: its bare "Cart" means other/Cart, which shop/* does not
  // cover.
  manifest.name = "other";
  EXPECT_EQ(EffectiveCapabilities(manifest, &*policy).actors->allow,
            (std::vector<std::string>{"inventory/Stock"}));
}

TEST(Policy, FilesNarrowing) {
  ManifestResult manifest = ParseManifest(R"json({
    "name": "store",
    "main": "store.wasm",
    "capabilities": {
      "timers": true,
      "files": { "/data": { "path": "data" }, "/out": { "path": "out", "write": true } }
    }
  })json",
                                          kFile);
  ASSERT_TRUE(manifest.has_value()) << testing::PrintToString(ErrorStrings(manifest.error()));
  const FilesCapability& declared = *manifest->capabilities.files;

  // A policy without `files` removes every grant.
  PolicyResult without = ParsePolicy(R"json({"capabilities": {"timers": true}})json", "p.json");
  ASSERT_TRUE(without.has_value());
  EXPECT_FALSE(EffectiveCapabilities(*manifest, &*without).files.has_value());
  EXPECT_EQ(DeniedByPolicy(*manifest, &*without),
            (std::vector<std::string>{"capabilities.files: not granted"}));

  // {"write": false} keeps the grants, read-only; only a grant that was writable is reported.
  PolicyResult read_only =
      ParsePolicy(R"json({"capabilities": {"files": {"write": false}}})json", "p.json");
  ASSERT_TRUE(read_only.has_value()) << testing::PrintToString(ErrorStrings(read_only.error()));
  EXPECT_EQ(read_only->capabilities.files, (FilesCapability{{}, false}));
  CapabilitySet effective = EffectiveCapabilities(*manifest, &*read_only);
  EXPECT_EQ(effective.files,
            (FilesCapability{{{"/data", "data", false}, {"/out", "out", false}}, false}));
  EXPECT_EQ(DeniedByPolicy(*manifest, &*read_only),
            (std::vector<std::string>{
                "capabilities.timers: not granted",
                "capabilities.files[\"/out\"].write: not granted; the directory is read-only",
            }));

  // {} and {"write": true} keep the grants as declared.
  for (std::string_view text : {R"json({"capabilities": {"files": {}}})json",
                                R"json({"capabilities": {"files": {"write": true}}})json"}) {
    PolicyResult keep = ParsePolicy(text, "p.json");
    ASSERT_TRUE(keep.has_value()) << text;
    EXPECT_EQ(keep->capabilities.files, FilesCapability{}) << text;
    EXPECT_EQ(EffectiveCapabilities(*manifest, &*keep).files, declared) << text;
    EXPECT_EQ(DeniedByPolicy(*manifest, &*keep),
              (std::vector<std::string>{"capabilities.timers: not granted"}))
        << text;
  }

  // A spawn asking for read-only files narrows the same way, and the result narrows no further.
  CapabilitySet narrowed = effective.narrowed_by(read_only->capabilities, "store");
  EXPECT_EQ(narrowed.files, effective.files);
  EXPECT_EQ(CapabilityDeniedMessage("files"),
            "files are denied; grant a directory by adding it to capabilities.files in mar.json, "
            "such as \"files\": {\"/data\": {\"path\": \"data\"}}");
}

TEST(Narrowing, FileGrantsAgainstGrants) {
  CapabilitySet mine;
  mine.files =
      FilesCapability{{{"/data", "data", true}, {"/out", "out", true}, {"/x", "x", false}}};
  CapabilitySet other;
  other.files = FilesCapability{{{"/data", "data", false}, {"/out", "elsewhere", true}}};
  std::vector<std::string> removed;
  CapabilitySet narrowed = mine.narrowed_by(other, "shop", &removed);
  EXPECT_EQ(narrowed.files, (FilesCapability{{{"/data", "data", false}}}));
  EXPECT_EQ(removed,
            (std::vector<std::string>{
                "capabilities.files[\"/data\"].write: not granted; the directory is read-only",
                "capabilities.files[\"/out\"]: not among the allowed directories",
                "capabilities.files[\"/x\"]: not among the allowed directories",
            }));

  // Nothing left means absent; an empty set denies files too.
  other.files = FilesCapability{{{"/y", "y", true}}};
  EXPECT_FALSE(mine.narrowed_by(other).files.has_value());
  removed.clear();
  EXPECT_EQ(mine.narrowed_by(CapabilitySet{}, "shop", &removed), CapabilitySet{});
  EXPECT_EQ(removed, (std::vector<std::string>{"capabilities.files: not granted"}));
}

TEST(Policy, BoundsTheWasmMemory) {
  PolicyResult policy = ParsePolicy(R"json({"limits": {"wasmMemoryMb": 32}})json", "p.json");
  ASSERT_TRUE(policy.has_value()) << testing::PrintToString(ErrorStrings(policy.error()));
  PolicyLimits bounds;
  bounds.wasm_memory_mb = 32;
  EXPECT_EQ(policy->limits, bounds);

  ManifestResult big =
      ParseManifest(R"json({"name": "w", "limits": {"wasmMemoryMb": 128}})json", kFile);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(EffectiveLimits(*big, &*policy).wasm_memory_mb, 32u);
  EXPECT_EQ(DeniedByPolicy(*big, &*policy),
            (std::vector<std::string>{"limits.wasmMemoryMb: lowered from 128 to 32"}));

  // The default is capped too; a smaller value is kept and not reported.
  Manifest defaults = DefaultManifest("w", "w.wasm");
  defaults.capabilities.timers = false;
  EXPECT_EQ(EffectiveLimits(defaults, &*policy).wasm_memory_mb, 32u);
  EXPECT_EQ(DeniedByPolicy(defaults, &*policy),
            (std::vector<std::string>{"limits.wasmMemoryMb: lowered from 64 to 32"}));
  ManifestResult small =
      ParseManifest(R"json({"name": "w", "limits": {"wasmMemoryMb": 16}})json", kFile);
  ASSERT_TRUE(small.has_value());
  EXPECT_EQ(EffectiveLimits(*small, &*policy).wasm_memory_mb, 16u);
  EXPECT_TRUE(DeniedByPolicy(*small, &*policy).empty());
}

TEST(Policy, Errors) {
  struct Case {
    std::string json;
    std::vector<std::string> errors;
  };
  const Case cases[] = {
      {R"json({"capabilities": {"actors": {"allow": ["Cart"]}}})json",
       {"policy.json: capabilities.actors.allow[0]: invalid actor pattern \"Cart\": a node policy "
        "has no bundle of its own, so it must name one: \"bundle/Cart\", \"bundle/*\" or \"*\""}},
      {R"json({"name": "x", "limits": {"memoryMb": 99999}})json",
       {"policy.json: name: unknown key; allowed here: capabilities, limits",
        "policy.json: limits.memoryMb: expected an integer from 16 to 16384, got number 99999"}},
      {R"json({"capabilities": {"fetch": {"allow": []}, "timers": 1}})json",
       {"policy.json: capabilities.fetch.allow: an empty list grants nothing; remove "
        "capabilities.fetch instead",
        "policy.json: capabilities.timers: expected a boolean, got number 1"}},
      // Per-class settings belong to the bundle; a policy has none.
      {R"json({"classes": {"Cart": {"restart": "never"}}, "limits": {"callTimeoutMs": 0}})json",
       {"policy.json: classes: unknown key; allowed here: capabilities, limits",
        "policy.json: limits.callTimeoutMs: expected an integer from 1 to 3600000, got number 0"}},
      {R"json({"limits": {"messageBytes": 512, "mailboxWaitMs": "1s"}})json",
       {"policy.json: limits.messageBytes: expected an integer from 1024 to 67108864, got number "
        "512",
        "policy.json: limits.mailboxWaitMs: expected an integer from 0 to 600000, got string "
        "\"1s\""}},
      // A policy's `files` names no directories, only whether they may be written.
      {R"json({"capabilities": {"files": true}})json",
       {"policy.json: capabilities.files: expected an object ({} keeps the manifest's grants, "
        "{\"write\": false} makes them read-only), got boolean true"}},
      {R"json({"capabilities": {"files": {"/data": {"path": "data"}, "write": "no"}}})json",
       {"policy.json: capabilities.files[\"/data\"]: unknown key; allowed here: write",
        "policy.json: capabilities.files.write: expected a boolean, got string \"no\""}},
      {R"json({"limits": {"wasmMemoryMb": 4097}})json",
       {"policy.json: limits.wasmMemoryMb: expected an integer from 1 to 4096, got number 4097"}},
      {"null", {"policy.json: expected a JSON object at the top level, got null"}},
      {"{\"limits\": {}} {}",
       {"policy.json: invalid JSON at line 1, column 16: syntax error while parsing value - "
        "unexpected '{'; expected end of input"}},
  };
  for (const Case& test : cases) {
    PolicyResult policy = ParsePolicy(test.json, "policy.json");
    ASSERT_FALSE(policy.has_value()) << test.json;
    EXPECT_EQ(ErrorStrings(policy.error()), test.errors) << test.json;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages for denied capabilities name the key that grants them.

TEST(DeniedMessages, NameTheGrantingKey) {
  EXPECT_EQ(FetchDeniedMessage("api.example.com", 443),
            "fetch to api.example.com:443 is denied; grant it by adding \"api.example.com\" to "
            "capabilities.fetch.allow in mar.json");
  EXPECT_EQ(FetchDeniedMessage("::1", 8080),
            "fetch to [::1]:8080 is denied; grant it by adding \"[::1]\" to "
            "capabilities.fetch.allow in mar.json");
  EXPECT_EQ(ActorDeniedMessage("inventory", "Stock"),
            "messaging actors of class inventory/Stock is denied; grant it by adding "
            "\"inventory/Stock\" or \"inventory/*\" to capabilities.actors.allow in mar.json");
  EXPECT_EQ(CapabilityDeniedMessage("timers"),
            "timers are denied; grant them by setting capabilities.timers to true in mar.json");
  EXPECT_EQ(CapabilityDeniedMessage("gpu"),
            "the GPU is denied; grant it by adding capabilities.gpu to mar.json");
  EXPECT_EQ(CapabilityDeniedMessage("camera"),
            "the camera is denied; grant it by adding capabilities.camera with its devices to "
            "mar.json");
}

TEST(BundleNames, Rule) {
  EXPECT_TRUE(IsValidBundleName("a"));
  EXPECT_TRUE(IsValidBundleName("0"));
  EXPECT_TRUE(IsValidBundleName("my-app_2"));
  EXPECT_TRUE(IsValidBundleName(std::string(63, 'a')));
  EXPECT_FALSE(IsValidBundleName(std::string(64, 'a')));
  EXPECT_FALSE(IsValidBundleName(""));
  EXPECT_FALSE(IsValidBundleName("_a"));
  EXPECT_FALSE(IsValidBundleName("-a"));
  EXPECT_FALSE(IsValidBundleName("App"));
  EXPECT_FALSE(IsValidBundleName("a.b"));
}

}  // namespace
}  // namespace mar::caps
