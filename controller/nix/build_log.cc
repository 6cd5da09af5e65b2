// The build's stderr goes straight to a file rather than through a pipe into memory, so a
// running step's log can be read while it grows and a large log costs no memory here.
#include "controller/nix/build_log.hh"

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <system_error>

namespace hydrant::nix::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kPoll = 50ms;
// Nix gets this long to stop its builder and release its locks after SIGTERM; then SIGKILL.
constexpr auto kTermGrace = 5s;
constexpr size_t kTailBytes = 64 << 10;
constexpr auto kCompressTimeout = 10min;

uint64_t sizeOf(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::string readTail(const std::string& path, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  const uint64_t from = size > kTailBytes ? size - kTailBytes : 0;
  in.seekg(static_cast<std::streamoff>(from));
  std::string tail(static_cast<size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<size_t>(in.gcount()));
  return tail;
}

void truncateLog(const std::string& path, uint64_t cap) {
  std::error_code ec;
  fs::resize_file(path, cap, ec);
  if (ec) return;
  std::ofstream(path, std::ios::binary | std::ios::app)
      << "\n[log truncated after " << cap << " bytes]\n";
}

// Nix, sent SIGTERM, kills its builder (which runs in a session of its own, out of reach of a
// signal to our child's process group) and releases its locks; the group kill is the backstop.
void stopChild(proc::Child& child) {
  child.signal(SIGTERM);
  if (!child.waitFor(kTermGrace)) child.killGroup();
}

}  // namespace

Result<LoggedRun> runLogged(const proc::Program& program, const std::string& log_path,
                            uint64_t log_cap, std::chrono::steady_clock::time_point deadline,
                            const std::stop_token& stop) {
  std::error_code ec;
  fs::remove(log_path, ec);  // Child::spawn appends; a retried step starts a fresh log
  proc::SpawnOptions options;
  static_cast<proc::Program&>(options) = program;
  options.log_file = log_path;
  options.discard_stdout = true;
  Result<std::unique_ptr<proc::Child>> spawned = proc::Child::spawn(options);
  if (!spawned) return spawned.error();
  proc::Child& child = **spawned;

  LoggedRun run;
  while (!child.waitFor(kPoll)) {
    if (stop.stop_requested()) {
      run.stopped = true;
    } else if (std::chrono::steady_clock::now() >= deadline) {
      run.deadline_passed = true;
    } else if (log_cap > 0 && sizeOf(log_path) > log_cap) {
      run.log_cap_hit = true;
    } else {
      continue;
    }
    stopChild(child);
    break;
  }
  if (const std::optional<int> status = child.exitStatus()) {
    if (WIFEXITED(*status)) run.exit_code = WEXITSTATUS(*status);
    if (WIFSIGNALED(*status)) run.term_signal = WTERMSIG(*status);
  }
  const uint64_t size = sizeOf(log_path);
  run.tail = readTail(log_path, size);
  if (log_cap > 0 && size > log_cap) truncateLog(log_path, log_cap);
  return run;
}

std::string compressLog(const std::string& log_path, const std::stop_token& stop) {
  proc::RunOptions bzip2;
  bzip2.argv = {"bzip2", "--force", "--", log_path};
  bzip2.timeout = kCompressTimeout;
  bzip2.output_cap = 64 << 10;
  bzip2.stop = stop;
  const Result<proc::RunResult> result = proc::run(bzip2);
  const std::string compressed = log_path + ".bz2";
  std::error_code ec;
  if (result && result->ok() && fs::exists(compressed, ec) && !fs::exists(log_path, ec)) {
    return compressed;
  }
  fs::remove(compressed, ec);  // a half-written one
  return log_path;
}

}  // namespace hydrant::nix::detail
