#include "obs/log.h"

#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace mar::obs {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "info";
}

std::shared_ptr<Logger> Logger::ToStderr(LogFormat format, Level min_level) {
  bool json = format == LogFormat::kJson || (format == LogFormat::kAuto && !isatty(STDERR_FILENO));
  // Not registered in spdlog's global registry: the node owns its logger.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("mar", std::move(sink));
  logger->set_pattern(json ? "%v" : "%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return std::shared_ptr<Logger>(new Logger(std::move(logger), json, min_level));
}

Logger::Logger(std::shared_ptr<spdlog::logger> sink, bool json, Level min_level)
    : sink_(std::move(sink)), json_(json), min_level_(min_level) {}

Logger::~Logger() = default;

void Logger::Write(Level level, std::string_view source, std::string_view message) {
  if (!Enabled(level)) return;
  auto spd_level = level == Level::kDebug  ? spdlog::level::debug
                   : level == Level::kInfo ? spdlog::level::info
                   : level == Level::kWarn ? spdlog::level::warn
                                           : spdlog::level::err;
  if (!json_) {
    sink_->log(spd_level, "[{}] {}", source, message);
    return;
  }
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  nlohmann::json record = {{"ts", ms / 1000.0},
                           {"level", LevelName(level)},
                           {"source", source},
                           {"msg", message}};
  // Invalid UTF-8 from user code is replaced rather than aborting the log call.
  sink_->log(spd_level, "{}", record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mar::obs
