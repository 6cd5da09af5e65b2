#include "controller/nix/build_outcome.hh"

namespace hydrant::nix::detail {
namespace {

constexpr size_t kMessageCap = 4 << 10;

std::string withoutAnsi(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out += text[i];
      continue;
    }
    // CSI: ESC [ parameters… final byte in @–~; anything else: drop ESC and the next byte.
    if (i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
    } else {
      ++i;
    }
  }
  return out;
}

}  // namespace

std::string readableNixMessage(std::string_view message) {
  std::string text = withoutAnsi(message);
  for (const char* marker : {";\nlast ", "\nlast ", ";\nLast ", "\nLast "}) {
    if (const size_t at = text.find(marker); at != std::string::npos) text.resize(at);
  }
  if (text.starts_with("error: ")) text.erase(0, 7);
  const auto blank = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  text.erase(0, start);
  if (text.size() > kMessageCap) text.resize(kMessageCap);
  return text;
}

bool builtOrValid(NixBuildStatus status) {
  return status == NixBuildStatus::kBuilt || status == NixBuildStatus::kSubstituted ||
         status == NixBuildStatus::kAlreadyValid ||
         status == NixBuildStatus::kResolvesToAlreadyValid;
}

StepFailure stepFailureFor(NixBuildStatus status, std::string_view nix_message,
                           const BuildLimits& limits) {
  StepFailure f;
  const std::string message = readableNixMessage(nix_message);
  switch (status) {
    case NixBuildStatus::kPermanentFailure:
    case NixBuildStatus::kInputRejected:
    case NixBuildStatus::kOutputRejected:
    case NixBuildStatus::kNotDeterministic:
    case NixBuildStatus::kCachedFailure:
      f.status = 1;
      f.cacheable = true;
      f.message = message;
      return f;
    case NixBuildStatus::kTransientFailure:
      f.status = 1;
      f.transient = true;
      f.message = message;
      return f;
    case NixBuildStatus::kTimedOut:
      f.status = 7;
      f.message =
          message.find("of silence") != std::string::npos
              ? "timed out after " + std::to_string(limits.max_silent.count()) + " s of silence"
              : "timed out after " + std::to_string(limits.timeout.count()) + " s";
      return f;
    case NixBuildStatus::kLogLimitExceeded:
      f.status = 10;
      f.message = "log limit exceeded: the builder wrote more than " +
                  std::to_string(limits.max_log_size) + " bytes";
      return f;
    default:
      f.status = 3;
      f.transient = true;
      f.message = message.empty()
                      ? "Nix gave up with status " + std::to_string(static_cast<uint64_t>(status))
                      : message;
      return f;
  }
}

}  // namespace hydrant::nix::detail
