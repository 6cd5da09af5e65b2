// LISTEN/NOTIFY to reconciler keys through the real Manager and Listener, including a Postgres
// restart underneath them.
#include "controller/db/listener.hh"

#include <gtest/gtest.h>

#include <condition_variable>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "controller/db/database.hh"
#include "controller/runtime/manager.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::TestCluster;

// Records what it is asked to reconcile; lists the jobset ids in the database as its keys.
class RecordingReconciler final : public runtime::Reconciler {
 public:
  explicit RecordingReconciler(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  std::string_view kind() const override { return "jobset"; }
  runtime::Outcome reconcile(const std::string& key, std::stop_token) override {
    std::lock_guard lk(mu_);
    seen_.insert(key);
    cv_.notify_all();
    return runtime::Done{};
  }
  Result<std::vector<std::string>> listKeys() override {
    ++lists_;
    try {
      pqxx::connection c(conninfo_);
      pqxx::read_transaction tx(c);
      std::vector<std::string> keys;
      for (const auto& r : tx.exec("select id from jobsets")) keys.push_back(r[0].c_str());
      return keys;
    } catch (const std::exception& e) {
      return Error::transient(e.what());
    }
  }
  bool waitFor(const std::string& key, std::chrono::milliseconds d) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, d, [&] { return seen_.count(key) > 0; });
  }
  void clear() {
    std::lock_guard lk(mu_);
    seen_.clear();
  }
  int lists() const { return lists_; }

 private:
  std::string conninfo_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> seen_;
  std::atomic<int> lists_{0};
};

// Adds a jobset; `quietly` disables the NOTIFY triggers for that transaction, so only a resync
// can find it.
std::string addJobset(const std::string& conninfo, const std::string& name, bool quietly = false) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  if (quietly) tx.exec("set local session_replication_role = replica");
  tx.exec("insert into projects (name, displayname) values ('p', 'P') on conflict do nothing");
  auto id = tx.exec_params1(
                  "insert into jobsets (project, name, type, flake) values ('p', $1, 1, "
                  "'git+file:///x') returning id",
                  name)[0]
                .as<std::string>();
  tx.commit();
  return id;
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = TestCluster::get().freshDatabase();
    db_ = std::make_unique<db::Database>(conninfo_, 4);
    reconciler_ = std::make_shared<RecordingReconciler>(conninfo_);
    manager_ = std::make_unique<runtime::Manager>(
        clock_, [] { return 0.5; }, runtime::BackoffPolicy{}, 1h);
    manager_->add({"evaluator", reconciler_, {"jobsets_changed"}, {}, 1, {}});
    manager_->startRole("evaluator");
    listener_ = std::make_unique<db::Listener>(
        *db_, manager_->channels(), clock_, runtime::BackoffPolicy{100ms, 2.0, 1s, 0.0},
        [this](const db::Notification& n) { manager_->notify(n.channel, n.payload); },
        [this] { manager_->resyncAll(); });
    thread_ = std::jthread([this](std::stop_token st) { listener_->run(st); });
    ASSERT_TRUE(testing::eventually([&] { return listener_->connected(); }, 10s));
  }
  void TearDown() override {
    thread_.request_stop();
    thread_.join();
    manager_->stopAll();
  }

  runtime::ManualClock clock_;  // the listener's reconnect backoff waits for advance()
  std::string conninfo_;
  std::unique_ptr<db::Database> db_;
  std::shared_ptr<RecordingReconciler> reconciler_;
  std::unique_ptr<runtime::Manager> manager_;
  std::unique_ptr<db::Listener> listener_;
  std::jthread thread_;
};

TEST_F(ListenerTest, NotificationOfANewJobsetBecomesItsKey) {
  std::string id = addJobset(conninfo_, "main");
  EXPECT_TRUE(reconciler_->waitFor(id, 5s)) << "jobset " << id << " was not reconciled";
}

TEST_F(ListenerTest, QuietChangeIsNotDeliveredWithoutAResync) {
  // The control for the restart test below: without a resync a quiet change stays unseen.
  std::string id = addJobset(conninfo_, "quiet", /*quietly=*/true);
  std::string loud = addJobset(conninfo_, "loud");
  ASSERT_TRUE(reconciler_->waitFor(loud, 5s));
  EXPECT_FALSE(reconciler_->waitFor(id, 300ms));
}

TEST_F(ListenerTest, UpdateThatMattersNotifiesAgain) {
  std::string id = addJobset(conninfo_, "main");
  ASSERT_TRUE(reconciler_->waitFor(id, 5s));
  reconciler_->clear();
  {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec_params("update jobsets set triggertime = 12345 where id = $1", std::stoi(id));
    tx.commit();
  }
  EXPECT_TRUE(reconciler_->waitFor(id, 5s));
}

TEST_F(ListenerTest, SurvivesAPostgresRestartAndResyncs) {
  ASSERT_EQ(listener_->connects(), 1);
  int lists_before = reconciler_->lists();
  TestCluster::get().stop();
  ASSERT_TRUE(testing::eventually([&] { return !listener_->connected(); }, 10s));
  TestCluster::get().start();
  // The listener now waits out its backoff on the manual clock. A change that notifies nobody
  // can only be found by the resync that follows the reconnect.
  std::string id = addJobset(conninfo_, "while_away", /*quietly=*/true);
  EXPECT_FALSE(reconciler_->waitFor(id, 300ms));
  clock_.advance(5s);
  ASSERT_TRUE(testing::eventually([&] { return listener_->connects() >= 2; }, 15s));
  EXPECT_GT(reconciler_->lists(), lists_before);
  EXPECT_TRUE(reconciler_->waitFor(id, 10s));
  // And notifications flow again on the new connection.
  std::string later = addJobset(conninfo_, "after");
  EXPECT_TRUE(reconciler_->waitFor(later, 5s));
}

}  // namespace
}  // namespace hydrant
