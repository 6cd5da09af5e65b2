// The Nix adapter's small calls: string quoting, installing eval-jobs.nix, locking flakes, adding
// paths to the store and checking their validity. evaluate() is in evaluate.cc.
#include "controller/nix/nix.hh"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>

#include "controller/nix/nix_command.hh"
#include "controller/proc/process.hh"

namespace hydrant::nix {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

// Store paths per nix-store call, far below the kernel's limit on a command line.
constexpr size_t kPathsPerCall = 1000;

std::string trimmedLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::optional<std::string> readWhole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` beside `file` and renames it over, so no reader ever sees half of it.
Result<void> replaceFile(const fs::path& file, const std::string& text) {
  std::string scratch = (file.parent_path() / ".eval-jobs.nix.XXXXXX").string();
  const int fd = ::mkstemp(scratch.data());
  if (fd == -1) {
    return Error::transient("cannot write " + file.string() + ": " +
                            std::error_code(errno, std::system_category()).message());
  }
  ::fchmod(fd, 0644);
  ::close(fd);
  std::ofstream out(scratch, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  std::error_code ec;
  if (!out) ec = std::make_error_code(std::errc::io_error);
  if (!ec) fs::rename(scratch, file, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(scratch, ignored);
    return Error::transient("cannot write " + file.string() + ": " + ec.message());
  }
  return {};
}

// What a nix call that must not fail says when it did: kTransient in every case.
Error transientFailure(const std::string& what, const proc::RunResult& result) {
  if (result.stopped || result.timed_out) return Error::transient(what + " " + result.describe());
  return Error::transient(detail::errorText(result));
}

bool isStorePath(std::string_view path, const std::string& store_dir) {
  constexpr std::string_view kBase32 = "0123456789abcdfghijklmnpqrsvwxyz";
  constexpr size_t kHashLength = 32;
  constexpr size_t kMaxNameLength = 211;
  if (!path.starts_with(store_dir) || path.size() <= store_dir.size() ||
      path[store_dir.size()] != '/') {
    return false;
  }
  const std::string_view base = path.substr(store_dir.size() + 1);
  if (base.size() < kHashLength + 2 || base.size() > kHashLength + 1 + kMaxNameLength ||
      base[kHashLength] != '-') {
    return false;
  }
  for (size_t i = 0; i < kHashLength; ++i) {
    if (kBase32.find(base[i]) == std::string_view::npos) return false;
  }
  const std::string_view name = base.substr(kHashLength + 1);
  if (name.front() == '.') return false;
  for (const char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("+-._?=").find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::chrono::milliseconds leftUntil(steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
  return std::max(left, std::chrono::milliseconds(1));
}

// The store directory of the store that nix programs use in this environment.
Result<std::string> storeDir(steady_clock::time_point deadline, const std::stop_token& stop) {
  Result<proc::RunResult> r = proc::run(
      detail::nixCommand({"nix-instantiate", "--eval", "--json", "--expr", "builtins.storeDir"},
                         leftUntil(deadline), stop));
  if (!r) return r.error();
  if (!r->ok()) return transientFailure("nix-instantiate", *r);
  try {
    return nlohmann::json::parse(r->out).get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return Error::transient(std::string("cannot read the store directory: ") + e.what());
  }
}

// The subset of `paths` (all store paths) that nix-store reports invalid.
Result<std::set<std::string>> invalidAmong(const std::vector<std::string>& paths,
                                           steady_clock::time_point deadline,
                                           const std::stop_token& stop) {
  std::set<std::string> invalid;
  for (size_t begin = 0; begin < paths.size(); begin += kPathsPerCall) {
    std::vector<std::string> argv = {"nix-store", "--check-validity", "--print-invalid"};
    const size_t end = std::min(paths.size(), begin + kPathsPerCall);
    argv.insert(argv.end(), paths.begin() + begin, paths.begin() + end);
    Result<proc::RunResult> r = proc::run(detail::nixCommand(argv, leftUntil(deadline), stop));
    if (!r) return r.error();
    if (!r->ok()) return transientFailure("nix-store", *r);
    std::istringstream lines(r->out);
    for (std::string line; std::getline(lines, line);) invalid.insert(line);
  }
  return invalid;
}

}  // namespace

std::string nixString(const std::string& s) {
  std::string quoted = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '{') {
      quoted += "\\$";
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\r') {
      quoted += "\\r";
    } else if (c == '\t') {
      quoted += "\\t";
    } else {
      quoted += c;
    }
  }
  return quoted + "\"";
}

Result<std::string> installEvalJobsNix(const std::string& dir) {
  const fs::path file = fs::path(dir) / "eval-jobs.nix";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::transient("cannot create " + dir + ": " + ec.message());
  if (readWhole(file) == evalJobsNix()) return file.string();
  if (Result<void> written = replaceFile(file, evalJobsNix()); !written) return written.error();
  return file.string();
}

Result<std::string> lockFlake(const std::string& flake, std::chrono::milliseconds timeout,
                              std::stop_token stop) {
  // --refresh: a branch's newest commit, not the one Nix cached an hour ago.
  Result<proc::RunResult> r = proc::run(detail::nixCommand(
      {"nix", "flake", "metadata", "--json", "--refresh", "--", flake}, timeout, std::move(stop)));
  if (!r) return r.error();
  if (r->stopped || r->timed_out) return Error::transient("nix flake metadata " + r->describe());
  if (!r->ok()) return Error::stalled(detail::errorText(*r));
  try {
    return nlohmann::json::parse(r->out).at("url").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    return Error::stalled(std::string("cannot read nix flake metadata's output: ") + e.what());
  }
}

Result<std::string> addToStore(const std::string& path, const std::string& name,
                               std::chrono::milliseconds timeout, std::stop_token stop) {
  Result<proc::RunResult> r = proc::run(detail::nixCommand(
      {"nix", "store", "add-path", "--name", name, "--", path}, timeout, std::move(stop)));
  if (!r) return r.error();
  if (!r->ok()) return transientFailure("nix store add-path", *r);
  std::string added = trimmedLine(r->out);
  if (added.empty() || added.front() != '/') {
    return Error::transient("nix store add-path printed no store path for " + path);
  }
  return added;
}

Result<std::vector<bool>> validPaths(const std::vector<std::string>& paths,
                                     std::chrono::milliseconds timeout, std::stop_token stop) {
  if (paths.empty()) return std::vector<bool>{};
  const steady_clock::time_point deadline = steady_clock::now() + timeout;
  Result<std::string> dir = storeDir(deadline, stop);
  if (!dir) return dir.error();
  std::vector<std::string> candidates;
  for (const std::string& path : paths) {
    if (isStorePath(path, *dir)) candidates.push_back(path);
  }
  std::set<std::string> invalid;
  if (!candidates.empty()) {
    Result<std::set<std::string>> found = invalidAmong(candidates, deadline, stop);
    if (!found) return found.error();
    invalid = std::move(*found);
  }
  std::vector<bool> valid;
  valid.reserve(paths.size());
  for (const std::string& path : paths) {
    valid.push_back(isStorePath(path, *dir) && invalid.count(path) == 0);
  }
  return valid;
}

}  // namespace hydrant::nix
