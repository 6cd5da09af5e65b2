#include "reconcilers/machines_file.hh"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "specs/text.hh"

namespace hydrant::reconcilers {

namespace {

using specs::quote;

constexpr size_t kFieldCount = 8;

// Where an entry sits, so every message can start with `file:line: `.
struct Place {
  std::string_view file;
  int line;
  Error error(const std::string& what) const {
    return Error::stalled(std::string(file) + ":" + std::to_string(line) + ": " + what);
  }
};

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> splitFields(std::string_view entry) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < entry.size()) {
    while (i < entry.size() && isSpace(entry[i])) ++i;
    const size_t start = i;
    while (i < entry.size() && !isSpace(entry[i])) ++i;
    if (i > start) out.push_back(entry.substr(start, i - start));
  }
  return out;
}

// A comma list, sorted and without duplicates; empty items (`a,,b`) are dropped as Nix does.
std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (comma > start) out.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Nix's rule (machines.cc): anything without a scheme that is not a path or a special store word
// is a host for SSH. Hydrant builds only in the local store ("localhost") or over SSH, so the
// other store kinds Nix would accept are refused here, where the user can still be told why.
Result<std::string> normalizeUri(std::string_view uri, const Place& at) {
  if (uri.front() == '@') {
    return at.error(quote(uri) + ": @file includes are not supported; list the machines here");
  }
  const auto unsupported = [&] {
    return at.error("URI " + quote(uri) +
                    " is not supported (use localhost, a host name, ssh://… or ssh-ng://…)");
  };
  if (const auto scheme = uri.find("://"); scheme != std::string_view::npos) {
    const auto name = uri.substr(0, scheme);
    if ((name != "ssh" && name != "ssh-ng") || uri.size() == scheme + 3) return unsupported();
    return std::string(uri);
  }
  if (uri == "localhost") return std::string(uri);
  for (std::string_view word : {"auto", "daemon", "local"}) {
    if (uri.substr(0, word.size()) == word &&
        (uri.size() == word.size() || uri[word.size()] == '?')) {
      return unsupported();
    }
  }
  if (uri.find_first_of("/?") != std::string_view::npos) return unsupported();
  return "ssh://" + std::string(uri);
}

Result<unsigned> parseMaxJobs(std::string_view text, const Place& at) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    return at.error("maxJobs " + quote(text) + " is too large");
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    return at.error("maxJobs " + quote(text) + " is not a non-negative integer");
  }
  return value;
}

Result<double> parseSpeedFactor(std::string_view text, const Place& at) {
  double value = 0;
  const auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::fixed);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value <= 0) {
    return at.error("speedFactor " + quote(text) + " is not a positive number");
  }
  return value;
}

// `-` (or a missing trailing field) means "the default".
std::optional<std::string_view> field(const std::vector<std::string_view>& fields, size_t i) {
  if (i >= fields.size() || fields[i] == "-") return std::nullopt;
  return fields[i];
}

Result<Machine> parseEntry(const std::vector<std::string_view>& fields,
                           std::string_view local_system, const Place& at) {
  if (fields.size() > kFieldCount) {
    return at.error(std::to_string(fields.size()) +
                    " fields, at most 8 (URI, systems, SSH key, maxJobs, speedFactor, "
                    "supportedFeatures, mandatoryFeatures, host key)");
  }
  const auto uri_field = field(fields, 0);
  if (!uri_field) return at.error("the first field must be the machine's URI, not \"-\"");
  auto uri = normalizeUri(*uri_field, at);
  if (!uri) return uri.error();

  Machine m;
  m.uri = std::move(*uri);
  m.line = at.line;
  if (const auto systems = field(fields, 1)) {
    m.systems = splitList(*systems);
    if (m.systems.empty()) return at.error("systems " + quote(*systems) + " names no system");
  } else {
    m.systems = {std::string(local_system)};
  }
  if (const auto key = field(fields, 2)) m.ssh_key = std::string(*key);
  if (const auto jobs = field(fields, 3)) {
    auto parsed = parseMaxJobs(*jobs, at);
    if (!parsed) return parsed.error();
    m.max_jobs = *parsed;
  }
  if (const auto speed = field(fields, 4)) {
    auto parsed = parseSpeedFactor(*speed, at);
    if (!parsed) return parsed.error();
    m.speed_factor = *parsed;
  }
  if (const auto features = field(fields, 5)) m.supported_features = splitList(*features);
  if (const auto features = field(fields, 6)) m.mandatory_features = splitList(*features);
  if (const auto key = field(fields, 7)) {
    if (!isBase64(*key)) return at.error("host key " + quote(*key) + " is not valid base64");
    m.host_key = std::string(*key);
  }
  return m;
}

}  // namespace

bool isBase64(std::string_view text) {
  size_t data = text.size();
  while (data > 0 && text[data - 1] == '=') --data;
  const size_t padding = text.size() - data;
  if (data == 0 || padding > 2) return false;
  if (padding > 0 && text.size() % 4 != 0) return false;
  if (data % 4 == 1) return false;  // one leftover character cannot encode a byte
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(data), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
}

Result<std::vector<Machine>> parseMachinesFile(std::string_view text, std::string_view local_system,
                                               std::string_view file_name) {
  std::vector<Machine> machines;
  std::map<std::string, int> defined_on;  // URI → line
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    line = line.substr(0, line.find('#'));
    const Place at{file_name, line_no};
    size_t start = 0;
    while (start <= line.size()) {
      size_t semi = line.find(';', start);
      if (semi == std::string_view::npos) semi = line.size();
      const auto fields = splitFields(line.substr(start, semi - start));
      start = semi + 1;
      if (fields.empty()) continue;
      auto machine = parseEntry(fields, local_system, at);
      if (!machine) return machine.error();
      const auto [it, fresh] = defined_on.emplace(machine->uri, line_no);
      if (!fresh) {
        return at.error("machine " + quote(machine->uri) + " is already defined on line " +
                        std::to_string(it->second));
      }
      machines.push_back(std::move(*machine));
    }
  }
  return machines;
}

Machine defaultLocalMachine(std::string_view system, unsigned max_jobs,
                            std::vector<std::string> features) {
  Machine m;
  m.uri = "localhost";
  m.systems = {std::string(system)};
  m.max_jobs = max_jobs;
  std::sort(features.begin(), features.end());
  features.erase(std::unique(features.begin(), features.end()), features.end());
  m.supported_features = std::move(features);
  return m;
}

}  // namespace hydrant::reconcilers
