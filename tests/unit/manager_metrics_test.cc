// What the Manager counts for /metrics: reconciles by result, the time each reconcile took, the
// time keys waited in the work queue, and the pass times a reconciler reports. Driven by a
// manual clock: waits and durations are exactly the time the test advanced.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>

#include "controller/runtime/manager.hh"
#include "tests/support/wait.hh"

namespace hydrant::runtime {
namespace {

using namespace std::chrono_literals;
using hydrant::testing::eventually;

// Answers each key with its scripted outcome (Done when none); a reconcile of the key `hold`
// blocks until release().
class ScriptedReconciler final : public Reconciler {
 public:
  ScriptedReconciler(std::vector<std::string> keys, std::map<std::string, Outcome> script,
                     std::string hold = "")
      : keys_(std::move(keys)), script_(std::move(script)), hold_(std::move(hold)) {}
  std::string_view kind() const override { return "widget"; }
  Outcome reconcile(const std::string& key, std::stop_token stop) override {
    if (key == hold_) {
      std::unique_lock lk(mu_);
      holding_ = true;
      cv_.wait(lk, stop, [&] { return released_; });
      holding_ = false;
      released_ = false;
    }
    auto it = script_.find(key);
    return it == script_.end() ? Outcome{Done{}} : it->second;
  }
  Result<std::vector<std::string>> listKeys() override { return keys_; }

  bool holding() {
    std::lock_guard lk(mu_);
    return holding_;
  }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  const std::vector<std::string> keys_;
  const std::map<std::string, Outcome> script_;
  const std::string hold_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool holding_ = false;   // guarded by mu_
  bool released_ = false;  // guarded by mu_
};

class ManagerMetrics : public ::testing::Test {
 protected:
  void add(std::shared_ptr<Reconciler> r, std::function<HistogramSnapshot()> pass_times = nullptr) {
    ControllerSpec spec;
    spec.role = "role";
    spec.reconciler = std::move(r);
    spec.channels = {"wake"};
    manager_.add(std::move(spec), std::move(pass_times));
  }
  ControllerStatus status() { return manager_.status().at(0); }
  uint64_t total(const ControllerStatus& s) {
    return std::accumulate(s.results.begin(), s.results.end(), uint64_t{0},
                           [](uint64_t n, const auto& r) { return n + r.second; });
  }

  ManualClock clock_;
  Manager manager_{clock_, [] { return 0.0; }, BackoffPolicy{}, 1h};
};

TEST_F(ManagerMetrics, CountsEveryReconcileUnderItsResult) {
  add(std::make_shared<ScriptedReconciler>(
      std::vector<std::string>{"ok", "again", "flaky", "later", "stuck", "bad"},
      std::map<std::string, Outcome>{{"again", RequeueAfter{1h}},
                                     {"flaky", Error::transient("flaky")},
                                     {"later", Error::waiting("later", clock_.now() + 1h)},
                                     {"stuck", Error::stalled("stuck")},
                                     {"bad", Error::invalid("bad")}}));
  manager_.startRole("role");
  ASSERT_TRUE(eventually([&] { return total(status()) == 6; })) << total(status());
  const ControllerStatus s = status();
  EXPECT_EQ(s.results,
            (std::map<std::string, uint64_t>{
                {"done", 1}, {"requeue", 1}, {"transient", 1}, {"waiting", 1}, {"stalled", 2}}));
  EXPECT_EQ(s.duration.count, 6u);
  EXPECT_FALSE(s.pass_times.has_value());
}

TEST_F(ManagerMetrics, QueueWaitIsTheTimeAKeyWaitedForAWorker) {
  auto r = std::make_shared<ScriptedReconciler>(std::vector<std::string>{"slow"},
                                                std::map<std::string, Outcome>{}, "slow");
  add(r);
  manager_.startRole("role");
  ASSERT_TRUE(eventually([&] { return r->holding(); }));
  // The one worker is busy: "next" waits for it while two seconds pass.
  manager_.notify("wake", "next");
  clock_.advance(2s);
  r->release();
  ASSERT_TRUE(eventually([&] { return total(status()) == 2; }));
  const ControllerStatus s = status();
  EXPECT_EQ(s.queue_wait.count, 2u);
  EXPECT_DOUBLE_EQ(s.queue_wait.sum, 2.0);  // "slow" waited 0 s, "next" 2 s
  const auto& bounds = s.queue_wait.bounds;
  const size_t at_1s = std::find(bounds.begin(), bounds.end(), 1.0) - bounds.begin();
  const size_t at_2_5s = std::find(bounds.begin(), bounds.end(), 2.5) - bounds.begin();
  ASSERT_LT(at_2_5s, bounds.size());
  EXPECT_EQ(s.queue_wait.cumulative[at_1s], 1u);
  EXPECT_EQ(s.queue_wait.cumulative[at_2_5s], 2u);
  // "slow" was in its reconcile for the two seconds.
  EXPECT_EQ(s.duration.count, 2u);
  EXPECT_DOUBLE_EQ(s.duration.sum, 2.0);
}

TEST_F(ManagerMetrics, ARequeueDelayIsNotCountedAsWaiting) {
  auto r = std::make_shared<ScriptedReconciler>(
      std::vector<std::string>{"k"}, std::map<std::string, Outcome>{{"k", RequeueAfter{10s}}});
  add(r);
  manager_.startRole("role");
  ASSERT_TRUE(eventually([&] { return total(status()) == 1 && status().delayed == 1; }));
  clock_.advance(10s);
  ASSERT_TRUE(eventually([&] { return total(status()) == 2; }));
  const ControllerStatus s = status();
  EXPECT_EQ(s.results.at("requeue"), 2u);
  EXPECT_EQ(s.queue_wait.count, 2u);
  EXPECT_DOUBLE_EQ(s.queue_wait.sum, 0.0);
}

TEST_F(ManagerMetrics, CountsOutliveTheRoleAndPassTimesAreReported) {
  Histogram passes({1});
  passes.observe(0.5);
  add(std::make_shared<ScriptedReconciler>(std::vector<std::string>{"a", "b"},
                                           std::map<std::string, Outcome>{}),
      [&passes] { return passes.snapshot(); });
  manager_.startRole("role");
  ASSERT_TRUE(eventually([&] { return total(status()) == 2; }));
  manager_.stopRole("role");
  const ControllerStatus s = status();
  EXPECT_FALSE(s.active);
  EXPECT_EQ(s.results.at("done"), 2u);
  ASSERT_TRUE(s.pass_times.has_value());
  EXPECT_EQ(s.pass_times->count, 1u);
  EXPECT_EQ(s.pass_times->cumulative, (std::vector<uint64_t>{1, 1}));
}

}  // namespace
}  // namespace hydrant::runtime
