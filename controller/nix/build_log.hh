// Internal to controller/nix: running a build program whose stderr is the step's log, written
// live to a file, with a cap on its size, a deadline and a stop token; and compressing the log
// afterwards. Thread-safe: each call owns its child and its files. Not for use outside this folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>
#include <string>

#include "controller/proc/process.hh"
#include "specs/result.hh"

namespace hydrant::nix::detail {

struct LoggedRun {
  std::optional<int> exit_code;  // when the program exited by itself
  int term_signal = 0;           // when a signal ended it
  bool stopped = false;          // killed because a stop was requested
  bool deadline_passed = false;  // killed because it ran past the deadline
  bool log_cap_hit = false;      // killed because the log grew past the cap
  std::string tail;              // the last 64 KiB of the log, before any truncation
};

// Starts `program` with stdin /dev/null, stdout discarded and stderr written to `log_path`
// (replacing what was there), in its own process group, and waits for it. The group is killed
// when `stop` is requested, the deadline passes, or the log grows past `log_cap` bytes (0 = no
// cap), checked every 50 ms; the log is then cut back to `log_cap` bytes with a note at its end.
// Error (kTransient) "cannot start <program>: <reason>" when it cannot be started.
Result<LoggedRun> runLogged(const proc::Program& program, const std::string& log_path,
                            uint64_t log_cap, std::chrono::steady_clock::time_point deadline,
                            const std::stop_token& stop);

// Compresses `log_path` with the `bzip2` program into `log_path`.bz2, which replaces the
// uncompressed file; returns the path of the log as it is now stored: `log_path`.bz2, or
// `log_path` itself when bzip2 could not run or failed (or `stop` was requested).
std::string compressLog(const std::string& log_path, const std::stop_token& stop);

}  // namespace hydrant::nix::detail
