// Internal to controller/proc: starting a child through Boost.Process with everything POSIX
// that run() and Child share (own process group, redirections, identity change, parent-death
// signal), plus file-descriptor ownership and reaping. Not for use outside this folder.
// launch() is thread-safe; an Fd is owned by one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/proc/process.hh"
#include "specs/result.hh"

namespace hydrant::proc::detail {

// Owns one file descriptor; closes it on destruction. Move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  void reset();

 private:
  int fd_ = -1;
};

// Where the child's standard streams come from. The descriptors stay owned by the caller;
// they are only duplicated into the child.
struct Streams {
  int in = -1;
  int out = -1;
  int err = -1;
};

struct LaunchSpec : Program {
  Streams streams;
  int parent_death_signal = 0;  // 0: none
};

// Starts the child in a new process group and returns its pid once it has executed the program.
// The caller must reap it (waitUntil / reapBlocking). Error (kTransient)
// "cannot start <argv0>: <reason>" when it was not found, could not be executed, or a setup
// step in the child failed (the reason names the step).
Result<pid_t> launch(const LaunchSpec& spec);

// "cannot start <program>: <reason>", the one message for every start failure.
Error cannotStart(const std::string& program, const std::string& reason);

// strerror for `err`, thread-safe.
std::string errnoText(int err);

// Opens `path` with `flags` | O_CLOEXEC; Error (kTransient) "<what> <path>: <reason>".
Result<Fd> openFd(const std::string& path, int flags, mode_t mode, const std::string& what);

// The outcome of reaping a child: its raw wait status, or none when someone else reaped it
// (only possible if SIGCHLD is ignored, which the controller must not do).
struct Reaped {
  std::optional<int> status;
};

// Polls waitpid(WNOHANG) with short sleeps until `pid` exits or `deadline` passes; std::nullopt
// when it is still running at the deadline or once `stop` is requested.
std::optional<Reaped> waitUntil(pid_t pid, std::chrono::steady_clock::time_point deadline,
                                const std::stop_token& stop = {});

// Blocks until `pid` is reaped (use after SIGKILL).
Reaped reapBlocking(pid_t pid);

}  // namespace hydrant::proc::detail
