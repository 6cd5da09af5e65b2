// buildStep: one `nix-store --realise` per step, locally or through Nix's build hook. Nix's hook
// (not a protocol of our own) does the remote work, so Nix's locks apply: a slot lock per
// machine and job, and an upload lock per machine while inputs are copied (see builder.hh).
#include "controller/nix/builder.hh"

#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "controller/nix/build_log.hh"
#include "controller/nix/build_outcome.hh"
#include "controller/nix/build_outputs.hh"
#include "controller/proc/process.hh"

namespace hydrant::nix {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

// Beyond the build timeout, for copying closures and Nix's own work; then nix-store is killed.
constexpr auto kGrace = 1h;
constexpr auto kNoTimeout = 24h;  // the child's bound when the step has no timeout
// Room in the log for Nix's messages on top of the builder's output, which Nix itself limits.
constexpr uint64_t kLogSlack = 1 << 20;
constexpr auto kQueryTimeout = 5min;
constexpr auto kSshCheckTimeout = 30s;
// What Hydra passes to ssh; LogLevel=ERROR keeps "Permanently added …" out of the logs.
constexpr const char* kSshDefaults =
    "-oBatchMode=yes -oConnectTimeout=60 -oTCPKeepAlive=yes -oLogLevel=ERROR";

// An SSH machine URI taken apart: Nix's URIs have no port, so it is cut out and given to ssh.
struct SshAddress {
  std::string scheme;     // "ssh://" or "ssh-ng://"
  std::string authority;  // "[user@]host", without the port
  std::string host;
  std::optional<int> port;
  std::string query;  // without '?'
};

std::optional<SshAddress> parseSsh(std::string_view uri) {
  SshAddress a;
  for (const char* scheme : {"ssh://", "ssh-ng://"}) {
    if (uri.starts_with(scheme)) a.scheme = scheme;
  }
  if (a.scheme.empty()) return std::nullopt;
  std::string_view rest = uri.substr(a.scheme.size());
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    a.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  const size_t at = rest.rfind('@');
  const std::string_view user = at == std::string_view::npos ? "" : rest.substr(0, at + 1);
  std::string_view host = at == std::string_view::npos ? rest : rest.substr(at + 1);
  // "host:port" and "[v6]:port" have a port; a bare IPv6 address has several colons and none.
  const size_t colon = host.rfind(':');
  const bool bracketed = host.starts_with('[');
  if (colon != std::string_view::npos &&
      (bracketed ? colon > 0 && host[colon - 1] == ']' : host.find(':') == colon)) {
    const std::string_view digits = host.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    a.port = std::stoi(std::string(digits));
    if (*a.port < 1 || *a.port > 65535) return std::nullopt;
    host = host.substr(0, colon);
  }
  a.host = std::string(host);
  a.authority = std::string(user) + a.host;
  return a;
}

bool hasBlank(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// Query values travel inside a URI inside a blank-separated line; Nix percent-decodes them.
std::string percentEncoded(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string joinedOrDash(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

// One line of Nix's machines format: URI systems key maxJobs speed supported mandatory hostKey.
std::string buildersLine(const MachineTarget& m, const SshAddress& a) {
  std::string query = a.query;
  auto add = [&query](const std::string& param) { query += (query.empty() ? "" : "&") + param; };
  if (!m.remote_store.empty()) add("remote-store=" + percentEncoded(m.remote_store));
  if (!m.remote_program.empty()) add("remote-program=" + percentEncoded(m.remote_program));
  const std::string uri = a.scheme + a.authority + (query.empty() ? "" : "?" + query);
  return uri + " " + joinedOrDash(m.systems) + " " + (m.ssh_key.empty() ? "-" : m.ssh_key) + " " +
         std::to_string(std::max(1u, m.max_jobs)) + " 1 " + joinedOrDash(m.supported_features) +
         " " + joinedOrDash(m.mandatory_features) + " " + (m.host_key.empty() ? "-" : m.host_key);
}

std::string sshOptions(const MachineTarget& m, const SshAddress& a) {
  std::string options = kSshDefaults;
  if (a.port) {
    options += " -p " + std::to_string(*a.port);
    // Nix writes the host key for the bare host name, which ssh would not match to host:port.
    if (!m.host_key.empty()) options += " -oHostKeyAlias=" + a.host;
  }
  for (const std::string& option : m.ssh_options) options += " " + option;
  return options;
}

std::string drvName(const std::string& drv_path) {
  std::string name = fs::path(drv_path).filename().string();
  if (name.ends_with(".drv")) name.resize(name.size() - 4);
  return name;
}

std::string rootFor(const BuildRequest& r, const std::string& output) {
  return r.gc_root_dir + "/" + drvName(r.drv_path) + (output == "out" ? "" : "-" + output);
}

std::vector<std::string> realiseCommand(const BuildRequest& r, const std::string& builders) {
  std::vector<std::string> argv = {"nix-store",
                                   "--realise",
                                   r.drv_path,
                                   "--timeout",
                                   std::to_string(r.timeout.count()),
                                   "--max-silent-time",
                                   std::to_string(r.max_silent.count()),
                                   "--option",
                                   "max-build-log-size",
                                   std::to_string(r.max_log_size),
                                   // Like Hydra without use-substitutes: a step's inputs are
                                   // built by steps or already valid; never ask a cache.
                                   "--option",
                                   "substitute",
                                   "false",
                                   "--builders",
                                   builders,
                                   "--max-jobs",
                                   r.machine.isLocal() ? "1" : "0"};
  if (!r.gc_root_dir.empty()) {
    argv.push_back("--add-root");
    argv.push_back(rootFor(r, "out"));
  }
  return argv;
}

StepResult failure(int status, bool transient, std::string message) {
  StepResult result;
  result.status = status;
  result.transient = transient;
  result.error_message = std::move(message);
  return result;
}

// A step whose nix-store ended with exit code 0: the outputs, their roots, sizes and what their
// nix-support files say.
StepResult collectOutputs(const BuildRequest& r, const std::stop_token& stop) {
  StepResult result;
  for (const auto& [name, path] : r.outputs) {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) {
      return failure(kStatusAborted, true, "output " + name + " (" + path + ") is missing");
    }
    const std::string root = rootFor(r, name);
    if (!r.gc_root_dir.empty() && fs::is_symlink(root, ec)) result.gc_roots[name] = root;
  }
  result.outputs = r.outputs;
  const std::string store_dir = fs::path(r.drv_path).parent_path().string();
  if (Result<detail::OutputSizes> sizes =
          detail::outputSizes(r.outputs, r.env, kQueryTimeout, stop)) {
    result.size = sizes->size;
    result.closure_size = sizes->closure_size;
  }
  if (r.max_output_size > 0 && result.size > r.max_output_size) {
    // The outputs are valid here now; unrooted, the garbage collector can take them back.
    std::error_code ec;
    for (const auto& [name, root] : result.gc_roots) fs::remove(root, ec);
    result.gc_roots.clear();
    result.status = kStatusOutputLimitExceeded;
    result.cacheable_failure = true;
    result.error_message = "output limit exceeded: the outputs are " + std::to_string(result.size) +
                           " bytes, more than " + std::to_string(r.max_output_size);
    return result;
  }
  detail::readNixSupport(r.outputs, store_dir, result, stop);
  result.status = result.failed_marker ? kStatusFailedWithOutput : kStatusSuccess;
  if (result.failed_marker) {
    result.error_message = "the build marked itself failed (nix-support/failed)";
  }
  return result;
}

StepResult interpret(const BuildRequest& r, const detail::LoggedRun& run,
                     std::chrono::seconds bound, const std::stop_token& stop) {
  const detail::BuildLimits limits{r.timeout, r.max_silent, r.max_log_size};
  if (run.stopped) return failure(kStatusAborted, true, "stopped");
  if (run.deadline_passed) {
    return failure(
        kStatusAborted, true,
        "nix-store did not finish within " + std::to_string(bound.count()) + " s and was killed");
  }
  if (run.log_cap_hit) {
    return failure(kStatusLogLimitExceeded, false,
                   "log limit exceeded: the log grew past " +
                       std::to_string(r.max_log_size + kLogSlack) + " bytes");
  }
  if (!run.exit_code) {
    return failure(kStatusAborted, true,
                   "nix-store was killed by signal " + std::to_string(run.term_signal));
  }
  if (*run.exit_code == 0) return collectOutputs(r, stop);
  const detail::StepFailure f =
      r.machine.isLocal()
          ? detail::classifyLocal(*run.exit_code, run.tail, limits)
          : detail::classifyRemote(*run.exit_code, run.tail, r.drv_path, r.machine.uri, limits);
  StepResult result = failure(f.status, f.transient, f.message);
  result.cacheable_failure = f.cacheable;
  return result;
}

}  // namespace

std::optional<std::string> machineProblem(const MachineTarget& m) {
  if (m.isLocal()) return std::nullopt;
  const std::optional<SshAddress> address = parseSsh(m.uri);
  if (!address) {
    return "URI \"" + m.uri + "\" is neither \"localhost\" nor ssh://[user@]host[:port]";
  }
  if (address->host.empty()) return "URI \"" + m.uri + "\" has no host";
  if (hasBlank(m.uri) || hasBlank(m.ssh_key) || hasBlank(m.host_key)) {
    return "the URI, SSH key and host key must not contain blanks";
  }
  for (const auto* list : {&m.systems, &m.supported_features, &m.mandatory_features}) {
    for (const std::string& item : *list) {
      if (item.empty() || hasBlank(item) || item.find(',') != std::string::npos) {
        return "bad system or feature name \"" + item + "\"";
      }
    }
  }
  for (const std::string& option : m.ssh_options) {
    if (option.empty() || hasBlank(option)) return "bad ssh option \"" + option + "\"";
  }
  return std::nullopt;
}

Result<StepResult> buildStep(const BuildRequest& request, std::stop_token stop) {
  const auto started = steady_clock::now();
  auto done = [started](StepResult result) {
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
    return result;
  };
  const MachineTarget& machine = request.machine;
  if (std::optional<std::string> problem = machineProblem(machine)) {
    return done(failure(kStatusAborted, true, "machine " + machine.uri + ": " + *problem));
  }
  if (stop.stop_requested()) return done(failure(kStatusAborted, true, "stopped"));

  proc::Program program;
  program.env = request.env;
  std::string builders;
  if (!machine.isLocal()) {
    const SshAddress address = *parseSsh(machine.uri);
    // Nix would report a missing ssh as a failure to connect; start it once to say what it is.
    proc::RunOptions check;
    check.argv = {"ssh", "-V"};
    check.env = request.env;
    check.timeout = kSshCheckTimeout;
    check.stop = stop;
    if (Result<proc::RunResult> ssh = proc::run(check); !ssh) return ssh.error();
    builders = buildersLine(machine, address);
    program.env["NIX_SSHOPTS"] = sshOptions(machine, address);
  }
  program.argv = realiseCommand(request, builders);

  std::error_code ec;
  fs::create_directories(fs::path(request.log_file).parent_path(), ec);
  if (!request.gc_root_dir.empty()) fs::create_directories(request.gc_root_dir, ec);
  std::string raw_log = request.log_file;
  if (raw_log.ends_with(".bz2")) raw_log.resize(raw_log.size() - 4);
  fs::remove(raw_log + ".bz2", ec);

  const std::chrono::seconds bound = std::chrono::duration_cast<std::chrono::seconds>(
      (request.timeout.count() > 0 ? std::chrono::seconds(request.timeout) : kNoTimeout) + kGrace);
  const uint64_t log_cap = request.max_log_size > 0 ? request.max_log_size + kLogSlack : 0;
  // Nix's build hook kills its helper without letting it delete its temporary directory (with
  // the host key in it); a directory of our own for them is removed below.
  std::string hook_tmp;
  if (!machine.isLocal()) {
    hook_tmp = raw_log + ".tmp-XXXXXX";
    if (::mkdtemp(hook_tmp.data()) == nullptr) {
      hook_tmp.clear();
    } else {
      program.env["TMPDIR"] = hook_tmp;
    }
  }
  Result<detail::LoggedRun> run =
      detail::runLogged(program, raw_log, log_cap, started + bound, stop);
  if (!hook_tmp.empty()) fs::remove_all(hook_tmp, ec);
  if (!run) return run.error();
  StepResult result = interpret(request, *run, bound, stop);
  result.log_path = detail::compressLog(raw_log, stop);
  return done(std::move(result));
}

}  // namespace hydrant::nix
