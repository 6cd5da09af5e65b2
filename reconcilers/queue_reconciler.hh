// QueueReconciler: builds what evaluations queued (HYDRA.md §6), as one reconciler. Its one key,
// "queue", stands for a pass: load the queued builds the graph does not know yet (their .drv
// closures, which outputs are already valid, which failed before), forget builds that left the
// queue, run the dispatcher over the runnable steps and the machines, and start each assigned
// step on a thread of its own. A finished step updates the graph, finishes the builds it
// completes or fails (with Hydra's statuses and notifications), charges its jobsets' shares,
// and asks for the next pass. Transient failures are retried with backoff, on another machine
// when there is one; a machine that cannot be reached is backed off. Thread-safe.
// Its definitions are in three files: queue_reconciler.cc (passes, loading, dispatch),
// queue_steps.cc (building a step and recording it), queue_machines.cc (machines and status).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "controller/db/queue.hh"
#include "controller/nix/builder.hh"
#include "controller/runtime/clock.hh"
#include "controller/runtime/metrics.hh"
#include "controller/runtime/reconciler.hh"
#include "reconcilers/dispatch_timing.hh"
#include "reconcilers/dispatcher.hh"
#include "reconcilers/share_account.hh"
#include "reconcilers/step_graph.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::runtime {
class Manager;
}

namespace hydrant::reconcilers {

struct QueueOptions {
  std::string machines_file;  // Nix's format; "" or a missing file: this machine only
  std::string local_system;   // e.g. "x86_64-linux"
  unsigned local_max_jobs = 2;
  std::vector<std::string> local_features;
  std::string log_dir;       // <state_dir>/logs: step logs, compressed
  std::string gc_roots_dir;  // <state_dir>/gcroots: roots of successful outputs
  long long unsupported_grace = UnsupportedTracker::kDefaultGrace;
  StepRetryPolicy retry;
  MachineBackoffPolicy machine_backoff;
  uint64_t max_log_size = 64 << 20;       // bytes of log per step; 0 = no limit
  uint64_t max_output_size = 2ull << 30;  // bytes (NAR) of a step's outputs; 0 = no limit
  std::function<double()> random;
};

class QueueReconciler final : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = "queue";
  static constexpr const char* kWakeChannel = "hydrant_queue_wake";

  QueueReconciler(db::Database& db, runtime::Clock& clock, QueueOptions options);
  ~QueueReconciler() override;  // stops and joins running steps

  std::string_view kind() const override { return "queue"; }
  runtime::Outcome reconcile(const std::string& key, std::stop_token stop) override;
  // The one key; a resync also makes the next pass read the queue from the database again.
  Result<std::vector<std::string>> listKeys() override;
  // The database changed (a notification): the next pass reads the queue and shares again.
  void markDatabaseChanged();

  void setWake(std::function<void()> wake);

  // Runs `self` under `manager` in its role: woken by the database's notifications and by its
  // own finished work, stopped with the role. REQUIRES: `manager` outlives the role's work.
  static void addTo(runtime::Manager& manager, const std::shared_ptr<QueueReconciler>& self);
  // Role lost or shutting down: running steps are stopped (their builders killed) and joined;
  // their builds stay queued and the steps are redone by the next leader.
  void stopAll();

  // For tests: steps running now, and whether the queue is idle (nothing queued or running).
  size_t runningSteps() const;
  // How long each dispatch pass took (seconds on the injected clock), for /metrics.
  runtime::HistogramSnapshot dispatchPassTimes() const { return pass_times_.snapshot(); }

 private:
  static constexpr auto kPublishEvery = std::chrono::milliseconds(500);

  struct StepExtra {
    StepId id = 0;
    std::map<std::string, std::string> outputs;  // name → path
    int tries = 0;                               // transient failures so far
    UnixTime retry_after = 0;
  };
  struct MachineSlot {
    MachineState state;
    int consecutive_failures = 0;
    std::optional<UnixTime> last_failure;
  };
  struct Running {
    std::jthread thread;
  };

  Result<void> loadNewBuilds(std::stop_token stop);
  void loadMachines();
  void dispatchPass(std::optional<UnixTime>& wake_at);
  void failUnsupported(const std::vector<StepId>& ids);
  // Keeps the pass's decisions as JSON for publishStatus() to store. REQUIRES: mu_ held.
  void recordDecisions(const DispatchInput& input, const DispatchResult& result,
                       const std::vector<std::string>& drvs);
  // Writes the machines' load and backoff for `hydrant get machines`, and the last dispatch
  // decisions and share usage (systemstatus "queue"), when they changed (and at least every
  // minute, so readers can tell a live queue from a stale one). While steps run, at most once per
  // kPublishEvery: true when it did not look this time, so a later pass must.
  bool publishStatus();
  void runStep(const std::string& drv, size_t machine, std::stop_token stop);
  UnixTime nowSeconds() const;
  int recordBuildFor(const std::string& drv) const;  // REQUIRES: mu_ held
  // Takes `drv` and every build that needs it out of the graph; the failure to record for them.
  // REQUIRES: mu_ held.
  std::optional<db::FailedStep> failedStep(const std::string& drv, int status,
                                           const std::string& message, UnixTime start,
                                           UnixTime now);

  db::Database& db_;
  runtime::Clock& clock_;
  const QueueOptions options_;
  // Pooled connections to the machines; outlives the step threads declared below.
  nix::StepBuilder builder_;

  mutable std::mutex mu_;
  std::function<void()> wake_;                               // guarded by mu_
  bool cleaned_up_ = false;                                  // guarded by mu_
  bool database_changed_ = true;                             // guarded by mu_
  std::chrono::steady_clock::time_point last_reread_;        // guarded by mu_
  StepGraph graph_;                                          // guarded by mu_
  std::map<int, db::QueuedBuild> builds_;                    // guarded by mu_
  std::map<std::string, StepExtra> extras_;                  // guarded by mu_: by drv path
  std::map<StepId, std::string> step_drvs_;                  // guarded by mu_
  StepId next_step_id_ = 1;                                  // guarded by mu_
  std::vector<MachineSlot> machines_;                        // guarded by mu_
  std::string machines_stamp_;                               // guarded by mu_: file mtime/size seen
  ShareAccount shares_;                                      // guarded by mu_
  UnsupportedTracker unsupported_;                           // guarded by mu_
  std::map<std::string, std::unique_ptr<Running>> running_;  // guarded by mu_: by drv
  std::string published_machines_;                           // guarded by mu_
  std::string decisions_ = "[]";                             // guarded by mu_: last pass's
  std::string published_queue_;                              // guarded by mu_
  UnixTime published_at_ = 0;                                // guarded by mu_
  std::chrono::steady_clock::time_point published_steady_;   // guarded by mu_
  std::vector<std::unique_ptr<Running>> finished_;           // guarded by mu_: to join
  runtime::Histogram pass_times_;                            // thread-safe itself
};

}  // namespace hydrant::reconcilers
