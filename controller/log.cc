#include "controller/log.hh"

#include <fmt/chrono.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

namespace hydrant::log {

namespace {

std::atomic<bool> g_json{false};

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = [] {
    auto lg = spdlog::stderr_logger_mt("hydrant");
    lg->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    lg->set_level(spdlog::level::info);
    lg->flush_on(spdlog::level::trace);
    return lg;
  }();
  return *l;
}

spdlog::level::level_enum toSpd(Level l) {
  switch (l) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kCritical:
      return spdlog::level::critical;
    case Level::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

void setup(bool json, std::string_view level) {
  g_json = json;
  auto& lg = logger();
  // In JSON mode every field, the time included, is written by write(), so the line is valid JSON.
  if (json) lg.set_pattern("%v");
  lg.set_level(spdlog::level::from_str(std::string(level)));
}

bool enabled(Level level) { return logger().should_log(toSpd(level)); }

void write(Level level, std::string_view object, std::string_view message) {
  auto& lg = logger();
  if (!g_json) {
    if (object.empty()) {
      lg.log(toSpd(level), "{}", message);
    } else {
      lg.log(toSpd(level), "{} {}", object, message);
    }
    return;
  }
  auto now = std::chrono::system_clock::now();
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  nlohmann::json line = {
      {"time", fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                           fmt::gmtime(std::chrono::system_clock::to_time_t(now)), millis.count())},
      {"level", std::string(spdlog::level::to_string_view(toSpd(level)).data())},
      {"msg", std::string(message)}};
  if (!object.empty()) line["object"] = std::string(object);
  lg.log(toSpd(level), "{}", line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace hydrant::log
