// Child: a long-running process we reap ourselves with waitpid, so that signals sent by the
// owner and the exit status seen by waitFor() never race with a second reaper.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "controller/proc/launch.hh"
#include "controller/proc/process.hh"

namespace hydrant::proc {

struct Child::Impl {
  pid_t pid = -1;
  bool reaped = false;
  std::optional<int> status;

  void record(const detail::Reaped& r) {
    reaped = true;
    status = r.status;
  }
};

namespace {

Result<detail::Fd> openLog(const SpawnOptions& options, const std::string& program) {
  const std::string path = options.log_file.empty() ? "/dev/null" : options.log_file;
  Result<detail::Fd> log =
      detail::openFd(path, O_WRONLY | O_APPEND | O_CREAT, 0640, "cannot open log file");
  if (!log) return detail::cannotStart(program, log.error().message);
  // The program may reopen its log (or a later run may append to it) as the unprivileged user.
  if (options.run_as && !options.log_file.empty() &&
      ::fchown(log->get(), options.run_as->uid, options.run_as->gid) == -1) {
    return detail::cannotStart(program,
                               "cannot chown log file " + path + ": " + detail::errnoText(errno));
  }
  return log;
}

}  // namespace

Result<std::unique_ptr<Child>> Child::spawn(const SpawnOptions& options) {
  const std::string program = options.argv.empty() ? "(empty argv)" : options.argv.front();
  Result<detail::Fd> in = detail::openFd("/dev/null", O_RDONLY, 0, "open");
  if (!in) return detail::cannotStart(program, in.error().message);
  Result<detail::Fd> log = openLog(options, program);
  if (!log) return log.error();

  Result<detail::Fd> null_out = detail::Fd();
  if (options.discard_stdout) null_out = detail::openFd("/dev/null", O_WRONLY, 0, "open");
  if (!null_out) return detail::cannotStart(program, null_out.error().message);
  const int out = options.discard_stdout ? null_out->get() : log->get();

  detail::LaunchSpec spec{
      options, {in->get(), out, log->get()}, options.die_with_parent ? SIGTERM : 0};
  const Result<pid_t> pid = detail::launch(spec);
  if (!pid) return pid.error();
  auto impl = std::make_unique<Impl>();
  impl->pid = *pid;
  return std::unique_ptr<Child>(new Child(std::move(impl)));
}

Child::Child(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Child::~Child() {
  if (running()) killGroup();
}

pid_t Child::pid() const { return impl_->pid; }

bool Child::running() {
  if (impl_->reaped) return false;
  if (std::optional<detail::Reaped> r = detail::waitUntil(impl_->pid, {})) impl_->record(*r);
  return !impl_->reaped;
}

std::optional<int> Child::exitStatus() const { return impl_->status; }

void Child::signal(int sig) {
  // Once reaped, the pid may belong to someone else.
  if (!impl_->reaped) ::kill(impl_->pid, sig);
}

bool Child::waitFor(std::chrono::milliseconds d) {
  if (impl_->reaped) return true;
  const auto deadline = std::chrono::steady_clock::now() + d;
  if (std::optional<detail::Reaped> r = detail::waitUntil(impl_->pid, deadline)) impl_->record(*r);
  return impl_->reaped;
}

void Child::killGroup() {
  if (impl_->reaped) return;
  // Still unreaped, so the group id cannot have been reused by an unrelated process.
  ::kill(-impl_->pid, SIGKILL);
  impl_->record(detail::reapBlocking(impl_->pid));
}

}  // namespace hydrant::proc
