// Logging: one process-wide logger on stderr, text by default or one JSON object per line.
// Every line about an object names it first ("jobset=hello:main", "role=evaluator"), so text
// logs grep well and JSON logs carry it as the "object" field. Thread-safe (spdlog).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace hydrant::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// Sets the format and level for the rest of the process. Called once by main; before that,
// lines are written as text at info level. `level` is one of trace, debug, info, warn, error,
// critical, off (validated by config).
void setup(bool json, std::string_view level);

bool enabled(Level level);
void write(Level level, std::string_view object, std::string_view message);

template <class... Args>
void at(Level level, std::string_view object, fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(level)) write(level, object, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(std::string_view object, fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kDebug, object, f, std::forward<Args>(args)...);
}
template <class... Args>
void info(std::string_view object, fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kInfo, object, f, std::forward<Args>(args)...);
}
template <class... Args>
void warn(std::string_view object, fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kWarn, object, f, std::forward<Args>(args)...);
}
template <class... Args>
void error(std::string_view object, fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kError, object, f, std::forward<Args>(args)...);
}

}  // namespace hydrant::log
