#include "controller/config.hh"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string_view>
#include <system_error>
#include <utility>

#include "specs/suggest.hh"
#include "specs/text.hh"
#include "specs/yaml_load.hh"

namespace hydrant::config {
namespace {

// The listener and the leader lock hold one connection each; the pool needs at least one more.
constexpr long long kMinDbConnections = 3;
constexpr long long kMaxDbConnections = 1000;
// Large enough for any sensible interval, small enough that converting it to nanoseconds for a
// deadline cannot overflow.
constexpr long long kMaxResyncSeconds = 365LL * 24 * 60 * 60;
constexpr unsigned long kMaxPort = 65535;
constexpr long long kMaxConcurrentEvals = 256;
constexpr long long kMaxLocalJobs = 1024;
constexpr long long kMaxByteLimit = 1ll << 50;
constexpr long long kMinEvalMemoryMiB = 64;
constexpr long long kMaxEvalMemoryMiB = 1LL << 20;  // 1 TiB

const std::vector<std::string>& logLevels() {
  static const std::vector<std::string> levels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
  return levels;
}

// What is wrong with a value; `mark` only when a part of it (one list element) is more precise
// than the value's own position.
struct Problem {
  std::string message;
  std::optional<YAML::Mark> mark;
};
using Check = std::optional<Problem>;  // nullopt: the value was accepted and stored

Problem problem(std::string message) { return {std::move(message), std::nullopt}; }

using specs::quote;

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "null";
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

Problem expected(const std::string& what, const YAML::Node& node) {
  return problem("expected " + what + ", got " + describe(node));
}

// Accepts only plain decimal digits with an optional '-': no "0x10", "1e3", "1_000" or spaces.
std::optional<long long> parseInteger(const YAML::Node& node) {
  if (!node.IsScalar() || node.Scalar().empty()) return std::nullopt;
  const std::string& s = node.Scalar();
  long long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

Check readString(const YAML::Node& node, std::string& out) {
  if (!node.IsScalar()) return expected("a string", node);
  if (node.Scalar().empty()) return expected("a non-empty string", node);
  out = node.Scalar();
  return std::nullopt;
}

bool hasAny(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

bool isPort(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  unsigned long port = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  return ec == std::errc() && end == s.data() + s.size() && port <= kMaxPort;
}

// HOST:PORT, where HOST is a name or IPv4 address without ':' or an IPv6 address in brackets.
bool isHostPort(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || !isPort(s.substr(colon + 1))) return false;
  std::string_view host = s.substr(0, colon);
  constexpr std::string_view kNever = "[]/ \t\r\n";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return !hasAny(host.substr(1, host.size() - 2), kNever);
  }
  return !host.empty() && !hasAny(host, kNever) && !hasAny(host, ":");
}

Check setDatabase(Config& config, const YAML::Node& node) {
  if (node.IsNull()) {
    config.database.reset();
    return std::nullopt;
  }
  std::string value;
  if (auto p = readString(node, value)) return p;
  config.database = std::move(value);
  return std::nullopt;
}

Check setStateDir(Config& config, const YAML::Node& node) {
  return readString(node, config.state_dir);
}

Check setPostgresBinDir(Config& config, const YAML::Node& node) {
  return readString(node, config.postgres_bin_dir);
}

Check setPostgresUser(Config& config, const YAML::Node& node) {
  return readString(node, config.postgres_user);
}

Check setListen(Config& config, const YAML::Node& node) {
  if (!node.IsScalar() || !isHostPort(node.Scalar())) {
    return expected("HOST:PORT (port 0-65535)", node);
  }
  config.listen = node.Scalar();
  return std::nullopt;
}

Check setLogFormat(Config& config, const YAML::Node& node) {
  const std::string value = node.IsScalar() ? node.Scalar() : "";
  if (value == "text") {
    config.log_format = LogFormat::kText;
  } else if (value == "json") {
    config.log_format = LogFormat::kJson;
  } else {
    return expected("\"text\" or \"json\"", node);
  }
  return std::nullopt;
}

Check setLogLevel(Config& config, const YAML::Node& node) {
  const auto& levels = logLevels();
  if (!node.IsScalar() || std::find(levels.begin(), levels.end(), node.Scalar()) == levels.end()) {
    return expected("one of " + join(levels), node);
  }
  config.log_level = node.Scalar();
  return std::nullopt;
}

Check setDbMaxConnections(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < kMinDbConnections || *value > kMaxDbConnections) {
    return expected("an integer from " + std::to_string(kMinDbConnections) + " to " +
                        std::to_string(kMaxDbConnections),
                    node);
  }
  config.db_max_connections = static_cast<int>(*value);
  return std::nullopt;
}

Check setResyncInterval(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 1 || *value > kMaxResyncSeconds) {
    return expected("seconds as an integer from 1 to " + std::to_string(kMaxResyncSeconds), node);
  }
  config.resync_interval = std::chrono::seconds(*value);
  return std::nullopt;
}

Check setMaxConcurrentEvals(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 1 || *value > kMaxConcurrentEvals) {
    return expected("an integer from 1 to " + std::to_string(kMaxConcurrentEvals), node);
  }
  config.max_concurrent_evals = static_cast<int>(*value);
  return std::nullopt;
}

Check setEvalTimeout(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 1 || *value > kMaxResyncSeconds) {
    return expected("seconds as an integer from 1 to " + std::to_string(kMaxResyncSeconds), node);
  }
  config.eval_timeout = std::chrono::seconds(*value);
  return std::nullopt;
}

Check setEvalMaxMemory(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || (*value != 0 && *value < kMinEvalMemoryMiB) || *value > kMaxEvalMemoryMiB) {
    return expected("MiB as an integer from " + std::to_string(kMinEvalMemoryMiB) + " to " +
                        std::to_string(kMaxEvalMemoryMiB) + ", or 0 for no limit",
                    node);
  }
  config.eval_max_memory_mib = static_cast<int>(*value);
  return std::nullopt;
}

Check setMachinesFile(Config& config, const YAML::Node& node) {
  if (!node.IsScalar()) return expected("a file path", node);
  config.machines_file = node.Scalar();
  return std::nullopt;
}

Check setMaxJobs(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 0 || *value > kMaxLocalJobs) {
    return expected("an integer from 0 to " + std::to_string(kMaxLocalJobs), node);
  }
  config.max_jobs = static_cast<int>(*value);
  return std::nullopt;
}

Check setUnsupportedGrace(Config& config, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 0 || *value > kMaxResyncSeconds) {
    return expected("seconds as an integer from 0 to " + std::to_string(kMaxResyncSeconds), node);
  }
  config.unsupported_grace = std::chrono::seconds(*value);
  return std::nullopt;
}

Check setByteLimit(uint64_t& target, const YAML::Node& node) {
  const auto value = parseInteger(node);
  if (!value || *value < 0 || *value > kMaxByteLimit) {
    return expected("bytes as an integer from 0 (no limit) to " + std::to_string(kMaxByteLimit),
                    node);
  }
  target = static_cast<uint64_t>(*value);
  return std::nullopt;
}

Check setMaxLogSize(Config& config, const YAML::Node& node) {
  return setByteLimit(config.max_log_size, node);
}

Check setMaxOutputSize(Config& config, const YAML::Node& node) {
  return setByteLimit(config.max_output_size, node);
}

Check addRole(std::vector<std::string>& roles, const std::string& role) {
  const auto& known = knownRoles();
  if (std::find(known.begin(), known.end(), role) == known.end()) {
    const auto hint = specs::didYouMean(role, known);
    return problem(
        "unknown role " + quote(role) +
        (hint ? " (did you mean " + quote(*hint) + "?)" : "; known roles: " + join(known)));
  }
  if (std::find(roles.begin(), roles.end(), role) != roles.end()) {
    return problem("duplicate role " + quote(role));
  }
  roles.push_back(role);
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// "a, b" → {"a", "b"}; an empty piece ("a,,b", "a,") is kept so that it is reported.
std::vector<std::string> splitList(std::string_view list) {
  std::vector<std::string> pieces;
  if (trim(list).empty()) return pieces;
  for (;;) {
    const size_t comma = list.find(',');
    pieces.emplace_back(trim(list.substr(0, comma)));
    if (comma == std::string_view::npos) return pieces;
    list.remove_prefix(comma + 1);
  }
}

// Both a YAML list and "a, b" are accepted because a flag can only spell the latter.
Check setRoles(Config& config, const YAML::Node& node) {
  std::vector<std::string> roles;
  if (node.IsSequence()) {
    for (const auto& item : node) {
      Check p = item.IsScalar() ? addRole(roles, item.Scalar()) : expected("a role name", item);
      if (p) return Problem{p->message, item.Mark()};
    }
  } else if (node.IsScalar()) {
    for (const auto& role : splitList(node.Scalar())) {
      if (auto p = addRole(roles, role)) return p;
    }
  } else {
    return expected("a list of roles or a comma-separated string", node);
  }
  config.roles = std::move(roles);
  return std::nullopt;
}

Result<std::string> readFile(const std::string& path);

// Secrets are never quoted back: a message names an item by its position.
Check readSecrets(const YAML::Node& node, std::vector<std::string>& out) {
  std::vector<std::string> secrets;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      if (!item.IsScalar() || item.Scalar().empty()) {
        // yaml-cpp marks an empty item at the next token, possibly lines later.
        return Problem{"item " + std::to_string(i + 1) + ": expected a non-empty string",
                       item.IsNull() ? node.Mark() : item.Mark()};
      }
      secrets.push_back(item.Scalar());
    }
  } else if (node.IsScalar()) {
    // The comma-separated form exists because a flag can spell nothing else.
    for (const auto& piece : splitList(node.Scalar())) {
      if (piece.empty()) return problem("expected secrets separated by commas, got an empty one");
      secrets.push_back(piece);
    }
  } else if (!node.IsNull()) {
    return expected("a list of secrets or a comma-separated string", node);
  }
  for (size_t i = 0; i < secrets.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (secrets[i] == secrets[j]) {
        return problem("item " + std::to_string(i + 1) + " repeats item " + std::to_string(j + 1));
      }
    }
  }
  out = std::move(secrets);
  return std::nullopt;
}

// One secret per line; blanks around a line and empty lines are ignored. Read at load time, so
// a secret need not sit in hydrant.yaml or on a command line.
Check readSecretFile(const YAML::Node& node, SecretList& list) {
  if (node.IsNull()) {
    list.file.clear();
    list.from_file.clear();
    return std::nullopt;
  }
  if (!node.IsScalar() || node.Scalar().empty()) return expected("a file path", node);
  const std::string& path = node.Scalar();
  auto text = readFile(path);
  if (!text) return problem(text.error().message);
  std::vector<std::string> secrets;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) continue;
    secrets.emplace_back(line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1));
  }
  if (secrets.empty()) return problem(path + ": no secret in the file (one per line)");
  list.file = path;
  list.from_file = std::move(secrets);
  return std::nullopt;
}

struct Setting {
  std::string key;  // as written in the file
  Check (*set)(Config&, const YAML::Node&);
};

// The order here is knownKeys(), the order the README documents.
const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"database", setDatabase},
      {"state_dir", setStateDir},
      {"listen", setListen},
      {"log_format", setLogFormat},
      {"log_level", setLogLevel},
      {"db_max_connections", setDbMaxConnections},
      {"roles", setRoles},
      {"resync_interval", setResyncInterval},
      {"max_concurrent_evals", setMaxConcurrentEvals},
      {"eval_timeout", setEvalTimeout},
      {"eval_max_memory", setEvalMaxMemory},
      {"machines_file", setMachinesFile},
      {"max_jobs", setMaxJobs},
      {"unsupported_grace", setUnsupportedGrace},
      {"max_log_size", setMaxLogSize},
      {"max_output_size", setMaxOutputSize},
      {"postgres_bin_dir", setPostgresBinDir},
      {"postgres_user", setPostgresUser},
      {"github_webhook_secrets",
       [](Config& c, const YAML::Node& n) {
         return readSecrets(n, c.github_webhook_secrets.listed);
       }},
      {"github_webhook_secrets_file",
       [](Config& c, const YAML::Node& n) { return readSecretFile(n, c.github_webhook_secrets); }},
      {"gitea_webhook_secrets",
       [](Config& c, const YAML::Node& n) {
         return readSecrets(n, c.gitea_webhook_secrets.listed);
       }},
      {"gitea_webhook_secrets_file",
       [](Config& c, const YAML::Node& n) { return readSecretFile(n, c.gitea_webhook_secrets); }},
      {"push_tokens",
       [](Config& c, const YAML::Node& n) { return readSecrets(n, c.push_tokens.listed); }},
      {"push_tokens_file",
       [](Config& c, const YAML::Node& n) { return readSecretFile(n, c.push_tokens); }},
  };
  return table;
}

const Setting* findSetting(const std::string& key) {
  for (const auto& setting : settings()) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

std::string flagName(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return key;
}

std::string where(const std::string& filename, const YAML::Mark& mark) {
  if (mark.is_null()) return filename + ": ";
  return filename + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
         ": ";
}

Error invalidAt(const std::string& filename, const YAML::Mark& mark, const std::string& message) {
  return Error::invalid(where(filename, mark) + message);
}

std::string unknownKeyMessage(const std::string& key) {
  const auto hint = specs::didYouMean(key, knownKeys());
  return "unknown key " + quote(key) +
         (hint ? " (did you mean " + quote(*hint) + "?)" : "; known keys: " + join(knownKeys()));
}

// An empty value ("key:" then a newline) is marked by yaml-cpp at the next token, possibly lines
// later, so a null value is reported at its key.
YAML::Mark valueMark(const YAML::Node& key, const YAML::Node& value) {
  return value.IsNull() ? key.Mark() : value.Mark();
}

Result<Config> parseMapping(const YAML::Node& root, const std::string& filename) {
  Config config;
  std::set<std::string> seen;
  for (const auto& entry : root) {
    const YAML::Node& key = entry.first;
    const YAML::Node& value = entry.second;
    if (!key.IsScalar()) {
      return invalidAt(filename, key.Mark(), "expected a setting name, got " + describe(key));
    }
    const std::string& name = key.Scalar();
    // yaml-cpp keeps every pair, but a lookup would silently see only the first.
    if (!seen.insert(name).second) {
      return invalidAt(filename, key.Mark(), "duplicate key " + quote(name));
    }
    if (name == "projects") {
      auto projects = parseProjects(value, filename);
      if (!projects) return projects.error();
      config.projects = std::move(*projects);
      continue;
    }
    const Setting* setting = findSetting(name);
    if (setting == nullptr) return invalidAt(filename, key.Mark(), unknownKeyMessage(name));
    if (auto p = setting->set(config, value)) {
      return invalidAt(filename, p->mark.value_or(valueMark(key, value)), name + ": " + p->message);
    }
  }
  return config;
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

Result<std::string> readFile(const std::string& path) {
  auto fail = [&](int error) {
    return Error::invalid(path + ": cannot read: " + std::generic_category().message(error));
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return fail(errno);
  std::string text;
  char buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) return fail(errno);
  return text;
}

// Not a URL (no scheme, no scp-like "host:path") and not absolute.
bool isRelativeLocalPath(const std::string& url) {
  return !url.empty() && url.front() != '/' && url.find(':') == std::string::npos;
}

}  // namespace

std::vector<std::string> SecretList::all() const {
  std::vector<std::string> out = listed;
  out.insert(out.end(), from_file.begin(), from_file.end());
  return out;
}

const std::vector<std::string>& knownKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& setting : settings()) out.push_back(setting.key);
    out.push_back("projects");  // a section of its own, parsed by parseProjects
    return out;
  }();
  return keys;
}

const std::vector<std::string>& knownRoles() {
  static const std::vector<std::string> roles = {"specs", "evaluator", "queue", "notifier"};
  return roles;
}

Result<Config> parseYaml(const std::string& text, const std::string& filename) {
  specs::SingleDocument doc;
  try {
    doc = specs::loadSingleDocument(text);
  } catch (const YAML::Exception& e) {
    return invalidAt(filename, e.mark, specs::printable(e.msg));
  }
  if (doc.second) {
    return invalidAt(filename, *doc.second, "expected one document, found a second one");
  }
  if (!doc.node.IsDefined() || doc.node.IsNull()) return Config{};
  if (!doc.node.IsMap()) {
    return invalidAt(filename, doc.node.Mark(),
                     "expected a mapping of settings, got " + describe(doc.node));
  }
  return parseMapping(doc.node, filename);
}

Result<Config> loadFile(const std::string& path) {
  auto text = readFile(path);
  if (!text) return text.error();
  auto config = parseYaml(*text, path);
  if (!config) return config.error();
  // A relative local path in projects.url means "next to this file", wherever hydrant runs.
  if (config->projects && isRelativeLocalPath(config->projects->url)) {
    auto dir = std::filesystem::absolute(path).parent_path();
    config->projects->url = (dir / config->projects->url).lexically_normal().string();
    while (config->projects->url.size() > 1 && config->projects->url.back() == '/') {
      config->projects->url.pop_back();
    }
  }
  return config;
}

Result<void> applyFlag(Config& config, const std::string& key, const std::string& value) {
  for (const auto& setting : settings()) {
    if (flagName(setting.key) != key) continue;
    if (auto p = setting.set(config, YAML::Node(value))) {
      return Error::invalid("--" + key + ": " + p->message);
    }
    return {};
  }
  std::vector<std::string> flags;
  std::string known;
  for (const auto& setting : settings()) {
    flags.push_back(flagName(setting.key));
    known += (known.empty() ? "--" : ", --") + flags.back();
  }
  const auto hint = specs::didYouMean(key, flags);
  return Error::invalid("--" + key + ": unknown option" +
                        (hint ? " (did you mean --" + *hint + "?)" : "; known options: " + known));
}

}  // namespace hydrant::config
