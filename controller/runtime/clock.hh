// Clock: the one source of time for the controller (Envoy's TimeSource). now() is wall time for
// people and the database; monotonic() measures intervals and deadlines. SystemClock is the real
// one; ManualClock is driven by tests, which advance it instead of sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <utility>
#include <vector>

namespace hydrant::runtime {

using SystemTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;
using Duration = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime now() const = 0;
  virtual MonoTime monotonic() const = 0;

  // Blocks while the caller holds `lock` (a lock on the mutex that guards the caller's state and
  // that notifiers of `cv` take), until `deadline` on this clock has passed, `cv` is notified, or
  // `stop` is requested. May return early; callers re-check their condition in a loop.
  // REQUIRES: lock.owns_lock().
  virtual void waitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                         MonoTime deadline, std::stop_token stop) = 0;
};

// The real clock: system_clock and steady_clock.
class SystemClock final : public Clock {
 public:
  SystemTime now() const override;
  MonoTime monotonic() const override;
  void waitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                 MonoTime deadline, std::stop_token stop) override;
};

// A clock that moves only when advance() is called. waitUntil() blocks until notified, stopped,
// or until advance() moves time to or past the deadline (advance wakes every waiter).
class ManualClock final : public Clock {
 public:
  // Starts at `start` wall time; monotonic time starts at an arbitrary fixed epoch.
  explicit ManualClock(SystemTime start = SystemTime{std::chrono::hours(24 * 365 * 50)});

  SystemTime now() const override;
  MonoTime monotonic() const override;
  void waitUntil(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                 MonoTime deadline, std::stop_token stop) override;

  // Moves both wall and monotonic time forward by `d` and wakes all waiters. Returns once every
  // waiter has been notified.
  // REQUIRES: the caller holds no mutex that a waiter passed to waitUntil.
  void advance(Duration d);
  // Number of threads currently blocked in waitUntil (lets tests wait for a worker to park).
  int waiters() const;

 private:
  // Lives on the waiting thread's stack for the duration of one waitUntil().
  struct Waiter {
    std::condition_variable_any* cv;
    std::mutex* mutex;
    int pending_notifies = 0;  // guarded by mu_: advance() calls still about to use cv and mutex
  };
  mutable std::mutex mu_;
  std::condition_variable released_;  // signalled when some Waiter's pending_notifies drops
  SystemTime wall_;                   // guarded by mu_
  MonoTime mono_;                     // guarded by mu_
  std::vector<Waiter*> waiters_;      // guarded by mu_
};

// Blocks until `d` has passed on `clock` or `stop` is requested, whichever comes first; the
// stop-aware sleep of every loop that waits for its next deadline. Returns false when stopped.
bool sleepFor(Clock& clock, Duration d, std::stop_token stop);

}  // namespace hydrant::runtime
