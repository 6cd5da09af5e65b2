// Waiting in tests without sleeping the logic: eventually() polls a condition with a real-time
// bound that only turns a hang into a failure; Background runs a blocking call on its own thread
// and hands its result back through a future. Header-only, so unit tests need no support library.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <stop_token>
#include <thread>

namespace hydrant::testing {

// Polls `done` every `poll` (0: yield between polls) until it holds or `bound` passes; returns
// its last value.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds bound = std::chrono::seconds(10),
                       std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto give_up = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return done();
    if (poll.count() == 0) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(poll);
    }
  }
  return true;
}

// Runs `fn` on a thread. The jthread is declared last, so a failing test requests its stop and
// joins it instead of hanging or leaking it.
template <class T>
class Background {
 public:
  explicit Background(std::function<T(std::stop_token)> fn)
      : thread_(
            [this, fn = std::move(fn)](std::stop_token stop) { promise_.set_value(fn(stop)); }) {}

  bool finishedWithin(std::chrono::milliseconds bound) {
    return future_.wait_for(bound) == std::future_status::ready;
  }
  bool finished() { return finishedWithin(std::chrono::milliseconds(0)); }
  T result() { return future_.get(); }
  void requestStop() { thread_.request_stop(); }

 private:
  std::promise<T> promise_;
  std::future<T> future_ = promise_.get_future();
  std::jthread thread_;
};

}  // namespace hydrant::testing
