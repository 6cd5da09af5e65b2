#include "controller/runtime/work_queue.hh"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/wait.hh"

namespace hydrant::runtime {
namespace {

using namespace std::chrono_literals;
using Keys = std::vector<std::string>;
using hydrant::testing::eventually;

// Generous bound for things that should happen at once; only reached when a test fails.
constexpr auto kSafetyNet = std::chrono::seconds(10);

// A get() on its own thread; a failing test stops it (get() then returns nullopt) and joins it.
class AsyncGet : public hydrant::testing::Background<std::optional<std::string>> {
 public:
  explicit AsyncGet(WorkQueue& queue)
      : Background([&queue](std::stop_token stop) { return queue.get(stop); }) {}
};

class WorkQueueTest : public ::testing::Test {
 protected:
  // base 100ms doubling, so the n-th failure waits 100ms * 2^(n-1) when random_ is 0.
  static constexpr BackoffPolicy kPolicy{100ms, 2.0, 10000ms, 0.5};

  // Hands out every key that is ready now, in order, marking each done. get() promotes due
  // delayed keys only when called, and would block on an empty queue; queuing a probe first
  // gives a get() that cannot block and that appends the due keys behind the probe.
  Keys takeReady() {
    static const std::string kProbe = "~probe";
    queue_.add(kProbe);
    Keys keys;
    for (;;) {
      std::optional<std::string> key = queue_.get(std::stop_token{});
      if (!key) break;
      queue_.done(*key);
      if (*key == kProbe) {
        for (size_t n = queue_.depth(); n > 0; --n) {
          key = queue_.get(std::stop_token{});
          keys.push_back(*key);
          queue_.done(*key);
        }
        break;
      }
      keys.push_back(*key);
    }
    return keys;
  }

  std::string getNow() {
    std::optional<std::string> key = queue_.get(std::stop_token{});
    return key.value_or("<nullopt>");
  }

  ManualClock clock_;
  double random_ = 0.0;
  WorkQueue queue_{clock_, kPolicy, [this] { return random_; }};
};

TEST_F(WorkQueueTest, AddingSameKeyThriceHandsItOutOnce) {
  queue_.add("a");
  queue_.add("a");
  queue_.add("a");
  EXPECT_EQ(queue_.depth(), 1u);
  EXPECT_EQ(getNow(), "a");
  queue_.done("a");
  EXPECT_EQ(queue_.depth(), 0u);
  EXPECT_EQ(takeReady(), Keys{});
}

TEST_F(WorkQueueTest, HandsKeysOutInOrderAdded) {
  queue_.add("c");
  queue_.add("a");
  queue_.add("b");
  queue_.add("a");
  EXPECT_EQ(takeReady(), (Keys{"c", "a", "b"}));
}

TEST_F(WorkQueueTest, KeyReaddedWhileProcessingWaitsForDoneThenComesBackOnce) {
  queue_.add("a");
  ASSERT_EQ(getNow(), "a");
  queue_.add("a");
  queue_.add("a");
  EXPECT_EQ(queue_.depth(), 0u);
  EXPECT_EQ(queue_.processingCount(), 1u);

  AsyncGet second(queue_);
  ASSERT_TRUE(eventually([&] { return clock_.waiters() == 1 || second.finished(); }));
  EXPECT_FALSE(second.finished()) << "a key being processed went to a second worker";

  queue_.done("a");
  ASSERT_TRUE(second.finishedWithin(kSafetyNet));
  EXPECT_EQ(second.result(), "a");
  queue_.done("a");
  EXPECT_EQ(takeReady(), Keys{});
}

// Workers hold each key for a while and flag it in-flight; a key handed to two workers at once
// shows up as a flag that was already set. Workers also re-add the key they hold (up to a
// budget), which is the moment a wrong queue would hand it to an idle worker.
TEST_F(WorkQueueTest, ConcurrentWorkersNeverProcessTheSameKeyAtOnce) {
  constexpr int kWorkers = 4;
  constexpr int kKeys = 5;
  constexpr int kAdds = 200;
  constexpr int kReaddBudget = 400;
  std::array<std::atomic<bool>, kKeys> in_flight{};
  std::array<std::atomic<int>, kKeys> added{};  // add() calls so far, per key
  std::array<std::atomic<int>, kKeys> seen{};   // highest added[] a worker saw after get()
  std::atomic<int> readds{0};
  std::atomic<int> overlaps{0};
  auto addKey = [&](int k) {
    added[k].fetch_add(1);
    queue_.add("k" + std::to_string(k));
  };

  std::vector<std::jthread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&](std::stop_token stop) {
      while (std::optional<std::string> key = queue_.get(stop)) {
        const int k = (*key)[1] - '0';
        if (in_flight[k].exchange(true)) overlaps.fetch_add(1);
        const int generation = added[k].load();
        if (readds.fetch_add(1) < kReaddBudget) addKey(k);
        for (int spin = 0; spin < 50; ++spin) std::this_thread::yield();
        if (seen[k].load() < generation) seen[k].store(generation);
        in_flight[k].store(false);
        queue_.done(*key);
      }
    });
  }
  for (int i = 0; i < kAdds; ++i) addKey(i % kKeys);
  // Every add must be followed by a processing that began after it: nothing is lost.
  EXPECT_TRUE(eventually([&] {
    for (int k = 0; k < kKeys; ++k) {
      if (seen[k].load() != added[k].load()) return false;
    }
    return true;
  }));
  queue_.shutDown();
  workers.clear();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(queue_.processingCount(), 0u);
}

TEST_F(WorkQueueTest, AddAfterIsReadyOnlyOnceDelayHasPassed) {
  queue_.addAfter("a", 1s);
  EXPECT_EQ(queue_.depth(), 0u);
  EXPECT_EQ(queue_.delayedCount(), 1u);
  clock_.advance(999ms);
  EXPECT_EQ(takeReady(), Keys{});
  EXPECT_EQ(queue_.delayedCount(), 1u);
  clock_.advance(1ms);
  EXPECT_EQ(takeReady(), Keys{"a"});
  EXPECT_EQ(queue_.delayedCount(), 0u);
}

TEST_F(WorkQueueTest, BlockedGetWakesWhenDelayPasses) {
  AsyncGet getter(queue_);
  ASSERT_TRUE(eventually([&] { return clock_.waiters() == 1; }));
  queue_.addAfter("a", 5s);
  clock_.advance(5s);
  ASSERT_TRUE(getter.finishedWithin(kSafetyNet));
  EXPECT_EQ(getter.result(), "a");
}

TEST_F(WorkQueueTest, EarlierDeadlineWins) {
  queue_.addAfter("sooner", 5s);
  queue_.addAfter("sooner", 1s);
  queue_.addAfter("later", 1s);
  queue_.addAfter("later", 5s);
  EXPECT_EQ(queue_.delayedCount(), 2u);
  clock_.advance(1s);
  EXPECT_EQ(takeReady(), (Keys{"sooner", "later"}));
  clock_.advance(4s);
  EXPECT_EQ(takeReady(), Keys{}) << "a replaced deadline fired again";
}

TEST_F(WorkQueueTest, AddOfDelayedKeyMakesItReadyNow) {
  queue_.addAfter("a", 1h);
  queue_.add("a");
  EXPECT_EQ(queue_.depth(), 1u);
  EXPECT_EQ(queue_.delayedCount(), 0u);
  EXPECT_EQ(takeReady(), Keys{"a"});
  clock_.advance(1h);
  EXPECT_EQ(takeReady(), Keys{});
}

TEST_F(WorkQueueTest, AddAfterOfQueuedKeyIsNoOp) {
  queue_.add("a");
  queue_.addAfter("a", 1s);
  EXPECT_EQ(queue_.delayedCount(), 0u);
  EXPECT_EQ(takeReady(), Keys{"a"});
  clock_.advance(1s);
  EXPECT_EQ(takeReady(), Keys{});
}

TEST_F(WorkQueueTest, AddAfterWithoutDelayIsAdd) {
  queue_.addAfter("a", 0ms);
  queue_.addAfter("b", -5ms);
  EXPECT_EQ(queue_.delayedCount(), 0u);
  EXPECT_EQ(takeReady(), (Keys{"a", "b"}));
}

TEST_F(WorkQueueTest, DelayedKeyDueWhileProcessingWaitsForDone) {
  queue_.add("a");
  ASSERT_EQ(getNow(), "a");
  queue_.addAfter("a", 1s);
  clock_.advance(1s);
  EXPECT_EQ(takeReady(), Keys{});
  EXPECT_EQ(queue_.delayedCount(), 0u);
  queue_.done("a");
  EXPECT_EQ(takeReady(), Keys{"a"});
}

TEST_F(WorkQueueTest, AddRateLimitedDelaysFollowBackoff) {
  for (Duration want : {100ms, 200ms, 400ms, 800ms}) {
    queue_.addRateLimited("a");
    clock_.advance(want - 1ms);
    EXPECT_EQ(takeReady(), Keys{}) << "ready before " << want.count() << "ms";
    clock_.advance(1ms);
    EXPECT_EQ(takeReady(), Keys{"a"}) << "not ready after " << want.count() << "ms";
  }
  EXPECT_EQ(queue_.failures("a"), 4);
  EXPECT_EQ(queue_.failures("b"), 0);
}

TEST_F(WorkQueueTest, AddRateLimitedUsesInjectedRandomForJitter) {
  random_ = 0.5;  // jitter 0.5 of half: the delay is three quarters of the raw one
  queue_.addRateLimited("a");
  clock_.advance(74ms);
  EXPECT_EQ(takeReady(), Keys{});
  clock_.advance(1ms);
  EXPECT_EQ(takeReady(), Keys{"a"});
}

TEST_F(WorkQueueTest, ForgetResetsBackoff) {
  queue_.addRateLimited("a");
  queue_.addRateLimited("a");
  queue_.addRateLimited("a");
  EXPECT_EQ(queue_.failures("a"), 3);
  clock_.advance(100ms);
  EXPECT_EQ(takeReady(), Keys{"a"});

  queue_.forget("a");
  EXPECT_EQ(queue_.failures("a"), 0);
  queue_.addRateLimited("a");
  EXPECT_EQ(queue_.failures("a"), 1);
  clock_.advance(100ms);
  EXPECT_EQ(takeReady(), Keys{"a"});
}

TEST_F(WorkQueueTest, ShutDownWakesBlockedGetWithNothing) {
  AsyncGet getter(queue_);
  ASSERT_TRUE(eventually([&] { return clock_.waiters() == 1; }));
  queue_.shutDown();
  ASSERT_TRUE(getter.finishedWithin(kSafetyNet));
  EXPECT_EQ(getter.result(), std::nullopt);
  EXPECT_TRUE(queue_.shuttingDown());

  queue_.add("a");
  queue_.addAfter("b", 1s);
  queue_.addRateLimited("c");
  EXPECT_EQ(queue_.depth(), 0u);
  EXPECT_EQ(queue_.delayedCount(), 0u);
  EXPECT_EQ(queue_.get(std::stop_token{}), std::nullopt);
}

TEST_F(WorkQueueTest, StopRequestWakesBlockedGetAndQueueStaysUsable) {
  AsyncGet getter(queue_);
  ASSERT_TRUE(eventually([&] { return clock_.waiters() == 1; }));
  getter.requestStop();
  ASSERT_TRUE(getter.finishedWithin(kSafetyNet));
  EXPECT_EQ(getter.result(), std::nullopt);
  EXPECT_FALSE(queue_.shuttingDown());

  queue_.add("a");
  EXPECT_EQ(getNow(), "a");
}

TEST_F(WorkQueueTest, StoppedGetLeavesReadyKeysForOthers) {
  queue_.add("a");
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_EQ(queue_.get(stopped.get_token()), std::nullopt);
  EXPECT_EQ(queue_.depth(), 1u);
  EXPECT_EQ(getNow(), "a");
}

TEST_F(WorkQueueTest, CountsTrackReadyDelayedAndProcessingKeys) {
  queue_.add("a");
  queue_.add("b");
  queue_.addAfter("c", 1s);
  EXPECT_EQ(queue_.depth(), 2u);
  EXPECT_EQ(queue_.delayedCount(), 1u);
  EXPECT_EQ(queue_.processingCount(), 0u);

  ASSERT_EQ(getNow(), "a");
  EXPECT_EQ(queue_.depth(), 1u);
  EXPECT_EQ(queue_.processingCount(), 1u);

  queue_.done("a");
  EXPECT_EQ(queue_.processingCount(), 0u);
  EXPECT_EQ(queue_.depth(), 1u);
}

}  // namespace
}  // namespace hydrant::runtime
