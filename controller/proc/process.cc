// run(), lookupUser() and RunResult::describe(). Output is read with poll() on two pipes, so a
// child that fills stderr while we wait on stdout cannot deadlock; stdin data goes into an
// in-memory file (memfd) before the start, so feeding it can neither block nor raise SIGPIPE.
// A stop request wakes that poll() through an eventfd written by a stop_callback.
#include "controller/proc/process.hh"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <stop_token>

#include "controller/proc/launch.hh"

namespace hydrant::proc {
namespace {

using detail::cannotStart;
using detail::errnoText;
using detail::Fd;
using std::chrono::steady_clock;

constexpr size_t kReadChunk = 64 << 10;

// "0.3", "5", "1.25": seconds with as many decimals as the milliseconds need.
std::string secondsText(std::chrono::milliseconds d) {
  const long long ms = d.count();
  std::string text = std::to_string(ms / 1000);
  const long long fraction = ms % 1000;
  if (fraction != 0) {
    char digits[8];
    std::snprintf(digits, sizeof digits, "%03lld", fraction < 0 ? -fraction : fraction);
    std::string decimals = digits;
    while (decimals.back() == '0') decimals.pop_back();
    text += "." + decimals;
  }
  return text;
}

Result<Fd> stdinFor(const RunOptions& options, const std::string& program) {
  if (!options.stdin_data) {
    Result<Fd> null = detail::openFd("/dev/null", O_RDONLY, 0, "open");
    if (!null) return cannotStart(program, null.error().message);
    return null;
  }
  Fd file(::memfd_create("hydrant-stdin", MFD_CLOEXEC));
  if (!file) return cannotStart(program, "memfd_create: " + errnoText(errno));
  const std::string& data = *options.stdin_data;
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(file.get(), data.data() + written, data.size() - written);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) return cannotStart(program, "writing stdin: " + errnoText(errno));
    written += n;
  }
  if (::lseek(file.get(), 0, SEEK_SET) == -1) {
    return cannotStart(program, "writing stdin: " + errnoText(errno));
  }
  return file;
}

struct Pipe {
  Fd read;
  Fd write;
};

Result<Pipe> makePipe(const std::string& program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == -1) return cannotStart(program, "pipe: " + errnoText(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// One captured stream: bytes beyond the cap are read and dropped, so the child never blocks.
struct Capture {
  Fd* fd;
  std::string* text;
  bool* truncated;
};

void readOnce(Capture& capture, size_t cap, char* buffer) {
  const ssize_t n = ::read(capture.fd->get(), buffer, kReadChunk);
  if (n > 0) {
    const size_t room = cap - std::min(cap, capture.text->size());
    const size_t keep = std::min(room, static_cast<size_t>(n));
    capture.text->append(buffer, keep);
    if (keep < static_cast<size_t>(n)) *capture.truncated = true;
  } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
    capture.fd->reset();
  }
}

// Becomes readable once `stop` is requested (at once if it already was).
class StopWakeup {
 public:
  explicit StopWakeup(const std::stop_token& stop)
      : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), callback_(stop, Notify{fd_.get()}) {}
  // -1 when no eventfd could be made: a stop then takes effect once the child has closed its
  // output (or at the timeout).
  int fd() const { return fd_.get(); }

 private:
  struct Notify {
    int fd;
    void operator()() const {
      if (fd < 0) return;
      const uint64_t one = 1;
      // An eventfd counter this far from overflow cannot fail to take the write.
      [[maybe_unused]] const ssize_t n = ::write(fd, &one, sizeof one);
    }
  };
  Fd fd_;  // declared before the callback, which uses it
  std::stop_callback<Notify> callback_;
};

// Reads both streams until both are closed (true), the deadline passes or `wakeup` becomes
// readable (false).
bool captureOutput(Fd& out, Fd& err, size_t cap, steady_clock::time_point deadline,
                   const StopWakeup& wakeup, RunResult& result) {
  Capture captures[2] = {{&out, &result.out, &result.out_truncated},
                         {&err, &result.err, &result.err_truncated}};
  std::vector<char> buffer(kReadChunk);
  while (out || err) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd fds[3];
    Capture* owners[2];
    nfds_t count = 0;
    for (Capture& capture : captures) {
      if (!*capture.fd) continue;
      fds[count] = pollfd{capture.fd->get(), POLLIN, 0};
      owners[count++] = &capture;
    }
    fds[count] = pollfd{wakeup.fd(), POLLIN, 0};  // poll() skips a negative fd
    const int ready =
        ::poll(fds, count + 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (ready == -1 && errno == EINTR) continue;
    if (ready == -1) break;  // ENOMEM: stop capturing; the timeout still applies to the child
    if (fds[count].revents != 0) return false;
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents != 0) readOnce(*owners[i], cap, buffer.data());
    }
  }
  return true;
}

void decodeStatus(const detail::Reaped& reaped, RunResult& result) {
  if (!reaped.status) return;
  const int status = *reaped.status;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.term_signal = WTERMSIG(status);
  }
}

}  // namespace

Result<Identity> lookupUser(const std::string& name) {
  const long hint = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(hint > 0 ? hint : 16384);
  for (;;) {
    passwd entry{};
    passwd* found = nullptr;
    const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (rc == ERANGE && buffer.size() < (1u << 20)) {
      buffer.resize(buffer.size() * 2);
      continue;
    }
    if (rc != 0) return Error::transient("looking up user \"" + name + "\": " + errnoText(rc));
    if (found == nullptr) return Error::invalid("user \"" + name + "\" does not exist");
    return Identity{entry.pw_uid, entry.pw_gid, entry.pw_name, entry.pw_dir};
  }
}

std::string RunResult::describe() const {
  if (stopped) return "stopped";
  if (timed_out) return "timed out after " + secondsText(timeout) + " s";
  if (signaled) return "killed by signal " + std::to_string(term_signal);
  return "exited with code " + std::to_string(exit_code);
}

Result<RunResult> run(const RunOptions& options) {
  const steady_clock::time_point deadline = steady_clock::now() + options.timeout;
  const std::string program = options.argv.empty() ? "(empty argv)" : options.argv.front();
  if (options.stop.stop_requested()) {
    RunResult never_started;
    never_started.timeout = options.timeout;
    never_started.stopped = true;
    return never_started;
  }
  Result<Fd> in = stdinFor(options, program);
  if (!in) return in.error();
  Result<Pipe> out = makePipe(program);
  if (!out) return out.error();
  Result<Pipe> err = makePipe(program);
  if (!err) return err.error();

  // SIGKILL: a command whose caller is gone has nobody to report to, and Nix ignores SIGTERM in
  // a tight evaluation loop.
  detail::LaunchSpec spec{options, {in->get(), out->write.get(), err->write.get()}, SIGKILL};
  const Result<pid_t> pid = detail::launch(spec);
  // Our copies of the child's ends must go, or the reads below would never see end-of-file.
  in->reset();
  out->write.reset();
  err->write.reset();
  if (!pid) return pid.error();

  RunResult result;
  result.timeout = options.timeout;
  const StopWakeup wakeup(options.stop);
  std::optional<detail::Reaped> reaped;
  if (captureOutput(out->read, err->read, options.output_cap, deadline, wakeup, result)) {
    reaped = detail::waitUntil(*pid, deadline, options.stop);
  }
  if (!reaped) {
    // Killed before reaping: the unreaped leader keeps the group id from being reused.
    if (options.stop.stop_requested()) {
      result.stopped = true;
    } else {
      result.timed_out = true;
    }
    ::kill(-*pid, SIGKILL);
    reaped = detail::reapBlocking(*pid);
  }
  decodeStatus(*reaped, result);
  return result;
}

}  // namespace hydrant::proc
