#include "controller/signals.hh"

#include <signal.h>

#include <cerrno>
#include <ctime>

namespace hydrant::signals {

namespace {

sigset_t terminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void blockTermination() {
  sigset_t set = terminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

int waitTermination(std::chrono::milliseconds d) {
  sigset_t set = terminationSet();
  auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds(0)) return 0;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    timespec ts{secs.count(),
                long(std::chrono::duration_cast<std::chrono::nanoseconds>(left - secs).count())};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) return sig;
    if (sig < 0 && errno == EAGAIN) return 0;
    // SIGHUP or EINTR: keep waiting.
  }
}

}  // namespace hydrant::signals
