#include "controller/runtime/clock.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include "tests/support/wait.hh"

namespace hydrant::runtime {
namespace {

using namespace std::chrono_literals;
using hydrant::testing::Background;
using hydrant::testing::eventually;

// Generous bound for things that should happen at once; only reached when a test fails.
constexpr auto kSafetyNet = std::chrono::seconds(10);

// What a waiting thread guards with its own mutex, as a caller of waitUntil would.
struct WaiterState {
  std::mutex mu;
  std::condition_variable_any cv;
  bool flag = false;  // guarded by mu
  int rounds = 0;     // guarded by mu: calls to waitUntil so far
};

// Waits the way callers are meant to: re-checks its condition after every return.
MonoTime waitForDeadline(Clock& clock, WaiterState& state, MonoTime deadline,
                         std::stop_token stop) {
  std::unique_lock<std::mutex> lock(state.mu);
  while (clock.monotonic() < deadline && !stop.stop_requested()) {
    ++state.rounds;
    clock.waitUntil(state.cv, lock, deadline, stop);
  }
  return clock.monotonic();
}

bool waitForFlag(Clock& clock, WaiterState& state, MonoTime deadline, std::stop_token stop) {
  std::unique_lock<std::mutex> lock(state.mu);
  while (!state.flag && !stop.stop_requested()) clock.waitUntil(state.cv, lock, deadline, stop);
  return state.flag;
}

TEST(ManualClock, StartsAtGivenWallTime) {
  const SystemTime start{std::chrono::hours(1000)};
  ManualClock clock(start);
  EXPECT_EQ(clock.now(), start);
}

TEST(ManualClock, AdvanceMovesWallAndMonotonicTime) {
  ManualClock clock;
  const SystemTime wall = clock.now();
  const MonoTime mono = clock.monotonic();
  clock.advance(1500ms);
  EXPECT_EQ(clock.now() - wall, 1500ms);
  EXPECT_EQ(clock.monotonic() - mono, 1500ms);
  clock.advance(0ms);
  EXPECT_EQ(clock.monotonic() - mono, 1500ms);
}

TEST(ManualClock, PassedDeadlineReturnsAtOnce) {
  ManualClock clock;
  WaiterState state;
  Background<bool> waiter([&](std::stop_token stop) {
    std::unique_lock<std::mutex> lock(state.mu);
    clock.waitUntil(state.cv, lock, clock.monotonic(), stop);
    return lock.owns_lock();
  });
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_TRUE(waiter.result()) << "waitUntil must return with the caller's lock held";
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(ManualClock, WaiterWakesOnlyWhenAdvancePassesDeadline) {
  ManualClock clock;
  WaiterState state;
  const MonoTime deadline = clock.monotonic() + 1s;
  Background<MonoTime> waiter(
      [&](std::stop_token stop) { return waitForDeadline(clock, state, deadline, stop); });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 1; }));

  clock.advance(400ms);
  // Reading rounds under the waiter's mutex proves its second waitUntil has registered: the
  // waiter holds that mutex from the increment until the wait releases it.
  ASSERT_TRUE(eventually([&] {
    std::lock_guard<std::mutex> lock(state.mu);
    return (state.rounds >= 2 && clock.waiters() == 1) || waiter.finished();
  }));
  EXPECT_FALSE(waiter.finished()) << "woke for good before its deadline";

  clock.advance(600ms);
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_GE(waiter.result(), deadline);
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(ManualClock, NotifyWakesWaiterBeforeDeadline) {
  ManualClock clock;
  WaiterState state;
  Background<bool> waiter([&](std::stop_token stop) {
    return waitForFlag(clock, state, clock.monotonic() + 1h, stop);
  });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 1; }));
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.flag = true;
  }
  state.cv.notify_all();
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_TRUE(waiter.result());
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(ManualClock, WaitersCountsParkedThreads) {
  ManualClock clock;
  WaiterState first_state;
  WaiterState second_state;
  const MonoTime far = clock.monotonic() + 1h;
  Background<MonoTime> first(
      [&](std::stop_token stop) { return waitForDeadline(clock, first_state, far, stop); });
  Background<MonoTime> second(
      [&](std::stop_token stop) { return waitForDeadline(clock, second_state, far, stop); });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 2; }));

  first.requestStop();
  ASSERT_TRUE(first.finishedWithin(kSafetyNet));
  EXPECT_EQ(clock.waiters(), 1);
  second.requestStop();
  ASSERT_TRUE(second.finishedWithin(kSafetyNet));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(ManualClock, StopRequestWakesWaiter) {
  ManualClock clock;
  WaiterState state;
  const MonoTime before = clock.monotonic();
  Background<MonoTime> waiter(
      [&](std::stop_token stop) { return waitForDeadline(clock, state, MonoTime::max(), stop); });
  ASSERT_TRUE(eventually([&] { return clock.waiters() == 1; }));
  waiter.requestStop();
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_EQ(waiter.result(), before) << "stopping must not need the clock to move";
}

// Waiters come and go (each with a mutex and cv that die with its loop iteration) while
// advance() keeps notifying; under a sanitizer this catches advance() touching a waiter that
// has already returned.
TEST(ManualClock, AdvanceRacingWithShortLivedWaiters) {
  ManualClock clock;
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::atomic<int> finished{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&](std::stop_token stop) {
      for (int i = 0; i < kRounds && !stop.stop_requested(); ++i) {
        WaiterState state;
        waitForDeadline(clock, state, clock.monotonic() + 1ms, stop);
      }
      finished.fetch_add(1);
    });
  }
  EXPECT_TRUE(eventually([&] {
    clock.advance(1ms);
    return finished.load() == kThreads;
  }));
}

TEST(SystemClock, MonotonicNeverGoesBackwards) {
  SystemClock clock;
  MonoTime previous = clock.monotonic();
  for (int i = 0; i < 10000; ++i) {
    const MonoTime current = clock.monotonic();
    ASSERT_GE(current, previous);
    previous = current;
  }
}

TEST(SystemClock, NowIsCloseToSystemClock) {
  SystemClock clock;
  const auto before = std::chrono::system_clock::now();
  const SystemTime now = clock.now();
  const auto after = std::chrono::system_clock::now();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(SystemClock, PassedDeadlineReturnsAtOnce) {
  SystemClock clock;
  WaiterState state;
  Background<MonoTime> waiter([&](std::stop_token stop) {
    return waitForDeadline(clock, state, clock.monotonic() - 1ms, stop);
  });
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
}

// The one test that lets real time pass (2ms): it is the deadline conversion under test.
TEST(SystemClock, WaitUntilReturnsOnceDeadlinePasses) {
  SystemClock clock;
  WaiterState state;
  const MonoTime deadline = clock.monotonic() + 2ms;
  Background<MonoTime> waiter(
      [&](std::stop_token stop) { return waitForDeadline(clock, state, deadline, stop); });
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_GE(waiter.result(), deadline);
}

TEST(SystemClock, StopRequestWakesWaiterWithoutDeadline) {
  SystemClock clock;
  WaiterState state;
  Background<bool> waiter(
      [&](std::stop_token stop) { return waitForFlag(clock, state, MonoTime::max(), stop); });
  waiter.requestStop();
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_FALSE(waiter.result());
}

TEST(SystemClock, NotifyWakesWaiterBeforeDeadline) {
  SystemClock clock;
  WaiterState state;
  Background<bool> waiter([&](std::stop_token stop) {
    return waitForFlag(clock, state, clock.monotonic() + 1h, stop);
  });
  {
    std::lock_guard<std::mutex> lock(state.mu);
    state.flag = true;
  }
  state.cv.notify_all();
  ASSERT_TRUE(waiter.finishedWithin(kSafetyNet));
  EXPECT_TRUE(waiter.result());
}

}  // namespace
}  // namespace hydrant::runtime
