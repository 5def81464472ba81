// Structured logs: JSON lines on stderr (or a human format on a TTY), tagged with their source.
#pragma once

#include <memory>
#include <string_view>

namespace spdlog {
class logger;
}

namespace mar::obs {

enum class Level { kDebug, kInfo, kWarn, kError };

enum class LogFormat { kAuto, kJson, kHuman };

// One process-level sink shared by everything a node owns; thread-safe. Not a global: the node
// creates it and hands it down.
class Logger {
 public:
  // kAuto picks human when stderr is a TTY, JSON lines otherwise.
  static std::shared_ptr<Logger> ToStderr(LogFormat format, Level min_level = Level::kInfo);
  ~Logger();

  // source: "node", "bundle:hello", "actor:hello/Cart/alice", ...
  void Write(Level level, std::string_view source, std::string_view message);
  bool Enabled(Level level) const { return level >= min_level_; }

  void Info(std::string_view source, std::string_view message) { Write(Level::kInfo, source, message); }
  void Warn(std::string_view source, std::string_view message) { Write(Level::kWarn, source, message); }
  void Error(std::string_view source, std::string_view message) { Write(Level::kError, source, message); }

 private:
  Logger(std::shared_ptr<spdlog::logger> sink, bool json, Level min_level);
  std::shared_ptr<spdlog::logger> sink_;
  bool json_;
  Level min_level_;
};

std::string_view LevelName(Level level);

}  // namespace mar::obs
