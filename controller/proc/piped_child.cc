// PipedChild: a child on three pipes, reaped by pid like Child.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include "controller/proc/launch.hh"
#include "controller/proc/process.hh"

namespace hydrant::proc {

struct PipedChild::Impl {
  pid_t pid = -1;
  bool reaped = false;
  std::optional<int> status;
  detail::Fd in;
  detail::Fd out;
  detail::Fd err;
};

namespace {

struct Pipe {
  detail::Fd read;
  detail::Fd write;
};

Result<Pipe> pipeFor(const std::string& program) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) == -1) {
    return detail::cannotStart(program, "pipe: " + detail::errnoText(errno));
  }
  return Pipe{detail::Fd(fds[0]), detail::Fd(fds[1])};
}

bool setNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags != -1 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != -1;
}

}  // namespace

Result<std::unique_ptr<PipedChild>> PipedChild::spawn(const Program& program) {
  const std::string name = program.argv.empty() ? "(empty argv)" : program.argv.front();
  Result<Pipe> in = pipeFor(name);
  if (!in) return in.error();
  Result<Pipe> out = pipeFor(name);
  if (!out) return out.error();
  Result<Pipe> err = pipeFor(name);
  if (!err) return err.error();
  for (int fd : {in->write.get(), out->read.get(), err->read.get()}) {
    if (!setNonBlocking(fd)) return detail::cannotStart(name, "fcntl: " + detail::errnoText(errno));
  }
  detail::LaunchSpec spec{program, {in->read.get(), out->write.get(), err->write.get()}, 0};
  const Result<pid_t> pid = detail::launch(spec);
  if (!pid) return pid.error();
  auto impl = std::make_unique<Impl>();
  impl->pid = *pid;
  impl->in = std::move(in->write);
  impl->out = std::move(out->read);
  impl->err = std::move(err->read);
  return std::unique_ptr<PipedChild>(new PipedChild(std::move(impl)));
}

PipedChild::PipedChild(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PipedChild::~PipedChild() { killGroup(); }

pid_t PipedChild::pid() const { return impl_->pid; }
int PipedChild::in() const { return impl_->in.get(); }
int PipedChild::out() const { return impl_->out.get(); }
int PipedChild::err() const { return impl_->err.get(); }
void PipedChild::closeIn() { impl_->in.reset(); }

void PipedChild::killGroup() {
  if (impl_->reaped) return;
  // Still unreaped, so the group id cannot have been reused by an unrelated process.
  ::kill(-impl_->pid, SIGKILL);
  impl_->status = detail::reapBlocking(impl_->pid).status;
  impl_->reaped = true;
}

std::optional<int> PipedChild::waitFor(std::chrono::milliseconds d) {
  if (!impl_->reaped) {
    const auto deadline = std::chrono::steady_clock::now() + d;
    if (std::optional<detail::Reaped> r = detail::waitUntil(impl_->pid, deadline)) {
      impl_->status = r->status;
      impl_->reaped = true;
    }
  }
  return impl_->reaped ? impl_->status : std::nullopt;
}

bool PipedChild::running() {
  waitFor(std::chrono::milliseconds(0));
  return !impl_->reaped;
}

}  // namespace hydrant::proc
