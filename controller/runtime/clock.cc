#include "controller/runtime/clock.hh"

#include <algorithm>

namespace hydrant::runtime {

namespace {

// condition_variable_any's stop_token-aware waits return only once their predicate holds (or stop
// is requested), but Clock::waitUntil must return on any wake-up: the caller owns the condition
// and re-checks it. This predicate fails its first check and holds on every later one, so the
// wait blocks exactly once.
auto wokenOnce() {
  return [waited = false]() mutable { return std::exchange(waited, true); };
}

}  // namespace

SystemTime SystemClock::now() const { return std::chrono::system_clock::now(); }

MonoTime SystemClock::monotonic() const { return std::chrono::steady_clock::now(); }

void SystemClock::waitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                            MonoTime deadline, std::stop_token stop) {
  // MonoTime::max() means "no deadline"; handing it to a timed wait would risk overflow in the
  // conversion to the OS's timespec.
  if (deadline == MonoTime::max()) {
    cv.wait(lock, stop, wokenOnce());
    return;
  }
  cv.wait_until(lock, stop, deadline, wokenOnce());
}

ManualClock::ManualClock(SystemTime start)
    : wall_(start), mono_(MonoTime{} + std::chrono::hours(1)) {}

SystemTime ManualClock::now() const {
  std::lock_guard<std::mutex> guard(mu_);
  return wall_;
}

MonoTime ManualClock::monotonic() const {
  std::lock_guard<std::mutex> guard(mu_);
  return mono_;
}

void ManualClock::waitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                            MonoTime deadline, std::stop_token stop) {
  Waiter self{&cv, lock.mutex()};
  {
    // Registering and checking the deadline under one hold of mu_ means an advance() either
    // happened before (we see its time) or will see us in waiters_. Its notify then has to take
    // lock.mutex(), which we hold until cv.wait releases it atomically: no wake-up is lost.
    std::lock_guard<std::mutex> guard(mu_);
    if (mono_ >= deadline || stop.stop_requested()) return;
    waiters_.push_back(&self);
  }
  cv.wait(lock, stop, wokenOnce());

  std::unique_lock<std::mutex> guard(mu_);
  std::erase(waiters_, &self);
  if (self.pending_notifies == 0) return;
  // An advance() copied our entry and may be blocked on lock.mutex(), which we hold. Let go of
  // it until that advance() is done with us, so `self`, `cv` and the mutex outlive its use.
  guard.unlock();
  lock.unlock();
  guard.lock();
  released_.wait(guard, [&self] { return self.pending_notifies == 0; });
  guard.unlock();
  lock.lock();
}

void ManualClock::advance(Duration d) {
  std::vector<Waiter*> snapshot;
  {
    std::lock_guard<std::mutex> guard(mu_);
    wall_ += d;
    mono_ += d;
    snapshot = waiters_;
    for (Waiter* w : snapshot) ++w->pending_notifies;
  }
  // mu_ is not held while taking a waiter's mutex: waiters take mu_ while holding theirs.
  for (Waiter* w : snapshot) {
    {
      std::lock_guard<std::mutex> waiter_lock(*w->mutex);
      w->cv->notify_all();
    }
    {
      std::lock_guard<std::mutex> guard(mu_);
      --w->pending_notifies;
    }
    released_.notify_all();
  }
}

int ManualClock::waiters() const {
  std::lock_guard<std::mutex> guard(mu_);
  return static_cast<int>(waiters_.size());
}

bool sleepFor(Clock& clock, Duration d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lk(mu);
  const MonoTime deadline = clock.monotonic() + d;
  while (!stop.stop_requested() && clock.monotonic() < deadline) {
    clock.waitUntil(cv, lk, deadline, stop);
  }
  return !stop.stop_requested();
}

}  // namespace hydrant::runtime
