#include "controller/nix/nix_command.hh"

#include <cstdio>
#include <utility>

namespace hydrant::nix::detail {
namespace {

constexpr size_t kMaxErrorText = 64 << 10;
constexpr std::string_view kShowTraceHint =
    "(use '--show-trace' to show detailed location information)";

void trimTrailingSpace(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
}

}  // namespace

proc::RunOptions nixCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                            std::stop_token stop) {
  proc::RunOptions options;
  options.argv = std::move(argv);
  options.argv.insert(options.argv.begin() + (options.argv.empty() ? 0 : 1), kFeatureFlags.begin(),
                      kFeatureFlags.end());
  options.timeout = timeout;
  options.stop = std::move(stop);
  return options;
}

std::string errorText(const proc::RunResult& result) {
  std::string text = result.err;
  trimTrailingSpace(text);
  if (text.ends_with(kShowTraceHint)) {
    text.resize(text.size() - kShowTraceHint.size());
    trimTrailingSpace(text);
  }
  if (text.size() > kMaxErrorText) {
    const size_t omitted = text.size() - kMaxErrorText;
    text = "[" + std::to_string(omitted) + " bytes omitted]\n" + text.substr(omitted);
  }
  if (text.empty()) return result.describe();
  return text;
}

std::string secondsText(std::chrono::milliseconds d) {
  const long long ms = d.count();
  std::string text = std::to_string(ms / 1000);
  if (ms % 1000 == 0) return text;
  char decimals[8];
  std::snprintf(decimals, sizeof decimals, "%03lld", (ms < 0 ? -ms : ms) % 1000);
  std::string fraction = decimals;
  while (fraction.back() == '0') fraction.pop_back();
  return text + "." + fraction;
}

}  // namespace hydrant::nix::detail
