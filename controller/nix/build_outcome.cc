// Reading Nix 2.8's messages. A builder can print anything, but its output always comes before
// the messages Nix prints once the builder has ended, so the last matching line is Nix's.
#include "controller/nix/build_outcome.hh"

#include <optional>
#include <string>
#include <vector>

namespace hydrant::nix::detail {
namespace {

constexpr size_t kMaxErrorText = 4 << 10;
constexpr std::string_view kError = "error: ";

std::vector<std::string_view> linesOf(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string_view trimmedView(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool isContinuation(std::string_view line) {
  return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

std::string limited(std::string text) {
  if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + " […]";
  return text;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The rest of the last line that starts with `prefix`, or nullopt.
std::optional<std::string_view> lastLineAfter(std::string_view log, std::string_view prefix) {
  const std::vector<std::string_view> lines = linesOf(log);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->starts_with(prefix)) return it->substr(prefix.size());
  }
  return std::nullopt;
}

// Why Nix's build hook could not use a machine: its last "cannot build on '<uri>': <reason>",
// where the reason is ssh's stderr and may run over several lines (a changed host key gives a
// banner of '@' first and the verdict last). One line: the first, without the banner, and the
// last.
std::optional<std::string> cannotBuildReason(std::string_view log) {
  constexpr std::string_view kPrefix = "cannot build on '";
  const std::vector<std::string_view> lines = linesOf(log);
  size_t at = lines.size();
  for (size_t i = lines.size(); i-- > 0;) {
    if (lines[i].starts_with(kPrefix)) {
      at = i;
      break;
    }
  }
  if (at == lines.size()) return std::nullopt;
  std::string_view first = lines[at];
  const size_t colon = first.find("': ");
  first.remove_prefix(colon == std::string_view::npos ? kPrefix.size() : colon + 3);
  if (first.starts_with(kError)) first.remove_prefix(kError.size());
  std::string_view last;
  for (size_t i = at + 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line == "Failed to find a machine for remote build!" || line.starts_with(kError) ||
        line.starts_with(kPrefix)) {
      break;
    }
    if (!trimmedView(line).empty()) last = trimmedView(line);
  }
  std::string reason(first);
  if (!last.empty()) {
    while (!reason.empty() && (reason.back() == '@' || reason.back() == ' ')) reason.pop_back();
    reason += " " + std::string(last);
  }
  return reason;
}

// What Nix's cause of a failed build means, for a local build and for a remote one alike.
StepFailure classifyCause(std::string_view cause, const BuildLimits& limits) {
  if (contains(cause, "timed out after")) {
    const bool silence = contains(cause, "of silence");
    const auto seconds = silence ? limits.max_silent : limits.timeout;
    if (seconds.count() <= 0) return {7, false, false, std::string(cause)};
    return {7, false, false,
            "timed out after " + std::to_string(seconds.count()) + " s" +
                (silence ? " of silence" : "")};
  }
  if (contains(cause, "killed after writing more than")) {
    return {10, false, false,
            "log limit exceeded: the builder wrote more than " +
                std::to_string(limits.max_log_size) + " bytes"};
  }
  if (cause.starts_with("builder for '") && contains(cause, " failed ")) {
    return {1, false, true, limited(std::string(cause))};
  }
  return {3, true, false, limited(std::string(cause))};
}

bool hasFailureBits(int exit_code) { return exit_code >= 100 && exit_code <= 111; }

}  // namespace

std::string nixErrorText(std::string_view log) {
  const std::vector<std::string_view> lines = linesOf(log);
  size_t end = lines.size();
  while (end > 0 && lines[end - 1].empty()) --end;
  if (end == 0) return "";
  // Nix's final message: its last "error: …" line and the indented lines that continue it.
  size_t start = end - 1;
  while (start > 0 && isContinuation(lines[start])) --start;
  if (!lines[start].starts_with(kError)) return limited(std::string(lines[end - 1]));
  std::string text(lines[start].substr(kError.size()));
  for (size_t i = start + 1; i < end; ++i) {
    text += '\n';
    text += lines[i];
  }
  return limited(std::move(text));
}

StepFailure classifyLocal(int exit_code, std::string_view log, const BuildLimits& limits) {
  const std::string text = nixErrorText(log);
  if (hasFailureBits(exit_code)) {
    if (exit_code & 0x01) {
      StepFailure failure = classifyCause(text, limits);
      if (failure.status == 7) return failure;
      return {7, false, false, text};
    }
    if (exit_code & 0x02) return {3, false, false, text};
    return {1, false, true, text};
  }
  if (contains(text, "killed after writing more than")) return classifyCause(text, limits);
  return {3, true, false, text};
}

StepFailure classifyRemote(int exit_code, std::string_view log, std::string_view drv_path,
                           std::string_view machine, const BuildLimits& limits) {
  const std::string build_of = "error: build of '" + std::string(drv_path) + "' on '";
  if (std::optional<std::string_view> rest = lastLineAfter(log, build_of)) {
    const size_t at = rest->find("' failed: ");
    if (at != std::string_view::npos) {
      StepFailure failure = classifyCause(rest->substr(at + 10), limits);
      if (failure.transient) {
        failure.message = "machine " + std::string(machine) + ": " + failure.message;
      } else {
        failure.message += " (on " + std::string(machine) + ")";
      }
      return failure;
    }
  }
  if (std::optional<std::string> reason = cannotBuildReason(log)) {
    return {3, true, false, limited("machine " + std::string(machine) + ": " + *reason)};
  }
  if (hasFailureBits(exit_code)) return classifyLocal(exit_code, log, limits);
  return {3, true, false, "machine " + std::string(machine) + ": " + nixErrorText(log)};
}

}  // namespace hydrant::nix::detail
