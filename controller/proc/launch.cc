// The only file that includes Boost.Process. Boost forks and executes; everything the child does
// between the two is ours (ChildPlan), so it stays async-signal-safe and reports failures.
// No boost/asio header is included here; should one be added, <utility> must come before it in
// C++20 (RECIPES §4) — launch.hh already brings it in through specs/result.hh.
#include "controller/proc/launch.hh"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/filesystem/path.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace hydrant::proc::detail {
namespace {

namespace bp = boost::process;

using Env = std::map<std::string, std::string>;

// What failed in the child before the program ran; sent to the parent over a pipe.
enum class Step : int {
  kSetpgid,
  kRedirect,
  kSetgroups,
  kSetgid,
  kSetuid,
  kChdir,
  kAddressSpaceLimit,
  kParentDeathSignal,
  kParentGone,
  kExec,
};

struct Report {
  int step;
  int err;
};

// Everything the child needs between fork and exec, computed before the fork: after it only
// async-signal-safe calls are allowed (no allocation, no locks).
struct ChildPlan {
  Streams streams;
  const char* cwd = nullptr;
  bool change_identity = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  rlim_t address_space_limit = 0;  // 0: leave the inherited limit
  int parent_death_signal = 0;
  pid_t parent_pid = 0;
  int report_fd = -1;
};

[[noreturn]] void failInChild(int report_fd, Step step, int err) {
  const Report report{static_cast<int>(step), err};
  // A write this small to a pipe is atomic; if it fails there is no one left to tell.
  [[maybe_unused]] ssize_t n = ::write(report_fd, &report, sizeof report);
  ::_exit(127);
}

// Signal dispositions set to "ignore" and the signal mask survive exec; the controller may use
// either (SIGPIPE ignored, SIGTERM blocked for sigwait), and children must not inherit them.
void resetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2}) {
    sigaction(sig, &dfl, nullptr);
  }
}

void setUpChild(const ChildPlan& plan) {
  resetSignals();
  if (::setpgid(0, 0) == -1) failInChild(plan.report_fd, Step::kSetpgid, errno);
  const int sources[3] = {plan.streams.in, plan.streams.out, plan.streams.err};
  for (int target = 0; target < 3; ++target) {
    if (::dup2(sources[target], target) == -1) failInChild(plan.report_fd, Step::kRedirect, errno);
  }
  // Descriptors that some library opened without O_CLOEXEC must not reach the program. Older
  // kernels lack close_range; then only CLOEXEC descriptors are closed, as before.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (plan.change_identity) {
    if (::setgroups(plan.groups.size(), plan.groups.data()) == -1) {
      failInChild(plan.report_fd, Step::kSetgroups, errno);
    }
    if (::setgid(plan.gid) == -1) failInChild(plan.report_fd, Step::kSetgid, errno);
    if (::setuid(plan.uid) == -1) failInChild(plan.report_fd, Step::kSetuid, errno);
  }
  // After setuid, so the directory is checked with the permissions the program will have.
  if (plan.cwd != nullptr && ::chdir(plan.cwd) == -1) {
    failInChild(plan.report_fd, Step::kChdir, errno);
  }
  if (plan.address_space_limit != 0) {
    const rlimit limit{plan.address_space_limit, plan.address_space_limit};
    if (::setrlimit(RLIMIT_AS, &limit) == -1) {
      failInChild(plan.report_fd, Step::kAddressSpaceLimit, errno);
    }
  }
  // A credential change clears the parent-death signal, so it is set last.
  if (plan.parent_death_signal != 0) {
    if (::prctl(PR_SET_PDEATHSIG, plan.parent_death_signal) == -1) {
      failInChild(plan.report_fd, Step::kParentDeathSignal, errno);
    }
    if (::getppid() != plan.parent_pid) failInChild(plan.report_fd, Step::kParentGone, 0);
  }
}

Env childEnvironment(const LaunchSpec& spec) {
  Env env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view kv(*entry);
    const size_t eq = kv.find('=');
    if (eq != std::string_view::npos && eq > 0) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  for (const std::string& name : spec.unset_env) env.erase(name);
  if (spec.run_as) {
    env["HOME"] = spec.run_as->home;
    env["USER"] = spec.run_as->name;
    env["LOGNAME"] = spec.run_as->name;
  }
  for (const auto& [name, value] : spec.env) env[name] = value;
  return env;
}

// The program is looked up on the child's PATH, which is the one the caller asked for.
std::optional<std::string> resolveProgram(const std::string& program, const Env& env) {
  if (program.find('/') != std::string::npos) return program;
  if (program.empty()) return std::nullopt;
  const auto path = env.find("PATH");
  const std::string dirs_text = path != env.end() ? path->second : "/usr/local/bin:/usr/bin:/bin";
  std::vector<boost::filesystem::path> dirs;
  size_t begin = 0;
  while (begin <= dirs_text.size()) {
    size_t end = dirs_text.find(':', begin);
    if (end == std::string::npos) end = dirs_text.size();
    // An empty entry would mean the current directory; a controller must not run from there.
    if (end > begin) dirs.emplace_back(dirs_text.substr(begin, end - begin));
    begin = end + 1;
  }
  const boost::filesystem::path found = bp::search_path(program, dirs);
  if (found.empty()) return std::nullopt;
  return found.string();
}

std::vector<gid_t> supplementaryGroups(const Identity& who) {
  std::vector<gid_t> groups(16);
  for (;;) {
    int count = static_cast<int>(groups.size());
    if (::getgrouplist(who.name.c_str(), who.gid, groups.data(), &count) != -1) {
      groups.resize(count);
      return groups;
    }
    groups.resize(std::max<size_t>(count, groups.size() * 2));
  }
}

std::string stepText(const Report& report, const LaunchSpec& spec) {
  const std::string user = spec.run_as ? spec.run_as->name : "";
  std::string step;
  switch (static_cast<Step>(report.step)) {
    case Step::kSetpgid:
      step = "setpgid";
      break;
    case Step::kRedirect:
      step = "redirecting stdin/stdout/stderr";
      break;
    case Step::kSetgroups:
      step = "setgroups for user " + user;
      break;
    case Step::kSetgid:
      step = "setgid for user " + user;
      break;
    case Step::kSetuid:
      step = "setuid to user " + user;
      break;
    case Step::kChdir:
      step = "chdir " + spec.cwd.value_or("");
      break;
    case Step::kAddressSpaceLimit:
      step = "setrlimit(RLIMIT_AS, " + std::to_string(spec.memory_limit_bytes) + ")";
      break;
    case Step::kParentDeathSignal:
      step = "prctl(PR_SET_PDEATHSIG)";
      break;
    case Step::kParentGone:
      return "the parent process exited while it was starting";
    case Step::kExec:
      return errnoText(report.err);
  }
  return step + ": " + errnoText(report.err);
}

// Moves `fd` to a number above 2, so that the child's dup2 onto 0..2 cannot overwrite another
// source (possible when this process runs with stdin/stdout/stderr closed).
bool keepAboveStdio(Fd& fd) {
  if (fd.get() > 2) return true;
  const int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (moved == -1) return false;
  fd = Fd(moved);
  return true;
}

// A NULL-terminated char* array over owned strings, as execve wants it.
class CStringArray {
 public:
  explicit CStringArray(std::vector<std::string> strings) : strings_(std::move(strings)) {
    for (std::string& s : strings_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  CStringArray(const CStringArray&) = delete;
  CStringArray& operator=(const CStringArray&) = delete;
  char** data() { return pointers_.data(); }

 private:
  std::vector<std::string> strings_;
  std::vector<char*> pointers_;
};

std::vector<std::string> envEntries(const Env& env) {
  std::vector<std::string> entries;
  for (const auto& [name, value] : env) entries.push_back(name + "=" + value);
  return entries;
}

ChildPlan planFor(const LaunchSpec& spec) {
  ChildPlan plan;
  plan.streams = spec.streams;
  plan.cwd = spec.cwd ? spec.cwd->c_str() : nullptr;
  if (spec.run_as) {
    plan.change_identity = true;
    plan.uid = spec.run_as->uid;
    plan.gid = spec.run_as->gid;
    plan.groups = supplementaryGroups(*spec.run_as);
  }
  plan.address_space_limit = static_cast<rlim_t>(spec.memory_limit_bytes);
  plan.parent_death_signal = spec.parent_death_signal;
  plan.parent_pid = ::getpid();
  return plan;
}

// Replaces any stream numbered 0..2 by a copy above 2 (owned by `copies`).
bool keepStreamsAboveStdio(Streams& streams, Fd (&copies)[3]) {
  int* fds[3] = {&streams.in, &streams.out, &streams.err};
  for (int i = 0; i < 3; ++i) {
    if (*fds[i] > 2) continue;
    copies[i] = Fd(::fcntl(*fds[i], F_DUPFD_CLOEXEC, 3));
    if (!copies[i]) return false;
    *fds[i] = copies[i].get();
  }
  return true;
}

// Boost 1.74 creates its exec-status pipe with pipe() and sets FD_CLOEXEC afterwards. A fork on
// another thread in between would leak that pipe into an unrelated (maybe long-lived) child, and
// this start would then wait for that child to exit. All children start here, one at a time.
std::mutex& launchMutex() {
  static std::mutex mutex;
  return mutex;
}

// Reads what the child reported before exec; std::nullopt when it executed the program (the
// close-on-exec pipe was closed without a report).
std::optional<Report> readReport(const Fd& from) {
  Report report{};
  size_t got = 0;
  while (got < sizeof report) {
    const ssize_t n =
        ::read(from.get(), reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n > 0) {
      got += n;
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  if (got < sizeof report) return std::nullopt;
  return report;
}

// Forks and executes under the launch mutex; returns the pid or Boost's error.
Result<pid_t> forkAndExec(const std::string& exe, const ChildPlan& plan, char* const* argv,
                          char** envp) {
  std::error_code ec;
  std::lock_guard<std::mutex> lock(launchMutex());
  bp::child child(bp::exe(exe), ec, bp::extend::on_setup([&](auto& exec) {
                    // Keeps argv[0] as given (not the resolved path) and uses our environment.
                    exec.cmd_line = argv;
                    exec.env = envp;
                  }),
                  bp::extend::on_exec_setup([&](auto&) { setUpChild(plan); }),
                  bp::extend::on_exec_error([&](auto&, const std::error_code& error) {
                    failInChild(plan.report_fd, Step::kExec, error.value());
                  }));
  if (ec) return Error::transient(ec.message());
  // We reap the child ourselves (waitpid); a detached bp::child never waits on or kills it.
  child.detach();
  return child.id();
}

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

int Fd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Error cannotStart(const std::string& program, const std::string& reason) {
  return Error::transient("cannot start " + program + ": " + reason);
}

std::string errnoText(int err) { return std::error_code(err, std::system_category()).message(); }

Result<Fd> openFd(const std::string& path, int flags, mode_t mode, const std::string& what) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd == -1) return Error::transient(what + " " + path + ": " + errnoText(errno));
  return Fd(fd);
}

Result<pid_t> launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) return cannotStart("(empty argv)", "no program given");
  const std::string& program = spec.argv.front();
  const Env env = childEnvironment(spec);
  const std::optional<std::string> exe = resolveProgram(program, env);
  if (!exe) return cannotStart(program, "not found on PATH");
  CStringArray argv(spec.argv);
  CStringArray envp(envEntries(env));

  ChildPlan plan = planFor(spec);
  Fd stream_copies[3];
  if (!keepStreamsAboveStdio(plan.streams, stream_copies)) {
    return cannotStart(program, "dup: " + errnoText(errno));
  }
  int report_pipe[2];
  if (::pipe2(report_pipe, O_CLOEXEC) == -1)
    return cannotStart(program, "pipe: " + errnoText(errno));
  Fd report_read(report_pipe[0]);
  Fd report_write(report_pipe[1]);
  if (!keepAboveStdio(report_read) || !keepAboveStdio(report_write)) {
    return cannotStart(program, "dup: " + errnoText(errno));
  }
  plan.report_fd = report_write.get();

  Result<pid_t> pid = forkAndExec(*exe, plan, argv.data(), envp.data());
  report_write.reset();
  if (!pid) return cannotStart(program, pid.error().message);
  if (const std::optional<Report> report = readReport(report_read)) {
    reapBlocking(*pid);
    return cannotStart(program, stepText(*report, spec));
  }
  return pid;
}

std::optional<Reaped> waitUntil(pid_t pid, std::chrono::steady_clock::time_point deadline,
                                const std::stop_token& stop) {
  using namespace std::chrono_literals;
  std::chrono::steady_clock::duration pause = 1ms;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return Reaped{status};
    if (r == -1 && errno != EINTR) return Reaped{};
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || stop.stop_requested()) return std::nullopt;
    std::this_thread::sleep_for(std::min(pause, deadline - now));
    pause = std::min<std::chrono::steady_clock::duration>(pause * 2, 2ms);
  }
}

Reaped reapBlocking(pid_t pid) {
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, 0);
    if (r == pid) return Reaped{status};
    if (r == -1 && errno != EINTR) return Reaped{};
  }
}

}  // namespace hydrant::proc::detail
