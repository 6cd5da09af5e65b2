// EvaluationReconciler: evaluates jobsets when they are due (HYDRA.md §4), like Hydra's
// evaluator reshaped as a reconciler. Its one key, "evaluator", stands for a scheduling pass:
// read every enabled jobset's bookkeeping, start the due ones in order up to
// max_concurrent_evals, and ask to be run again when the next one falls due. Each evaluation
// runs on a thread of its own and ends with another pass, so a waiting jobset starts as soon as
// a slot frees; `jobsets_changed` (a trigger, a reconcile that changed a jobset) also runs a
// pass at once. An evaluation pins its inputs, skips unchanged ones ("eval cached"), runs Nix
// in a child with a timeout and a memory limit, and records the evaluation with its builds in
// one transaction. Thread-safe.
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

#include "controller/runtime/backoff.hh"
#include "controller/runtime/clock.hh"
#include "controller/runtime/reconciler.hh"
#include "reconcilers/jobset_inputs.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::runtime {
class Manager;
}

namespace hydrant::reconcilers {

struct EvaluatorOptions {
  int max_concurrent = 4;
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  size_t memory_limit_bytes = 0;  // 0: none
  std::string eval_jobs_nix;      // path of the installed nix/eval-jobs.nix
  runtime::BackoffPolicy fetch_backoff{std::chrono::seconds(10), 2.0, std::chrono::minutes(10),
                                       0.2};
  std::function<double()> random;
};

// The outcome of one evaluation, for logs and tests.
enum class EvalOutcome { kEvaluated, kCached, kFetchFailed, kFailed, kStopped, kGone };

class EvaluationReconciler final : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = "evaluator";
  // In-process channel a finished evaluation uses to ask for the next pass.
  static constexpr const char* kWakeChannel = "hydrant_eval_slot_freed";

  EvaluationReconciler(db::Database& db, JobsetInputs& inputs, runtime::Clock& clock,
                       EvaluatorOptions options);
  ~EvaluationReconciler() override;  // stops and joins running evaluations

  std::string_view kind() const override { return "evaluator"; }
  runtime::Outcome reconcile(const std::string& key, std::stop_token stop) override;
  Result<std::vector<std::string>> listKeys() override { return std::vector<std::string>{kKey}; }

  // Called when an evaluation ends and its slot is free (the wiring enqueues kKey).
  void setWake(std::function<void()> wake);

  // Runs `self` under `manager` in its role: woken by the database's notifications and by its
  // own finished work, stopped with the role. REQUIRES: `manager` outlives the role's work.
  static void addTo(runtime::Manager& manager, const std::shared_ptr<EvaluationReconciler>& self);

  // Role lost or shutting down: stops every running evaluation (their children are killed)
  // and waits for them. The jobsets keep their starttime; the next leader redoes them.
  void stopAll();

  // Evaluates one jobset now, on the calling thread (`hydrant` tests and benchmarks).
  EvalOutcome evaluateNow(int jobset_id, std::stop_token stop);

  // Jobsets being evaluated now, and the most that ever ran at once (for tests).
  std::set<int> running() const;
  int peakRunning() const;

 private:
  struct Running;
  void start(int jobset_id);  // on a thread of its own
  EvalOutcome evaluate(int jobset_id, std::stop_token stop);
  long long nowSeconds() const;
  // Holds `id` back with capped backoff (fetch errors, database trouble); returns the unix time
  // it may start again.
  long long holdBack(int id);

  db::Database& db_;
  JobsetInputs& inputs_;
  runtime::Clock& clock_;
  const EvaluatorOptions options_;
  std::function<void()> wake_;

  mutable std::mutex mu_;
  bool cleared_stale_ = false;                       // guarded by mu_
  std::map<int, std::unique_ptr<Running>> running_;  // guarded by mu_
  std::vector<std::unique_ptr<Running>> finished_;   // guarded by mu_: threads to join
  std::map<int, std::pair<int, long long>> fetch_failures_;  // guarded by mu_: id → (attempts,
                                                             // retry at)
  int peak_ = 0;                                             // guarded by mu_
};

}  // namespace hydrant::reconcilers
