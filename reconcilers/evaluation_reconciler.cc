#include "reconcilers/evaluation_reconciler.hh"

#include <unistd.h>

#include <algorithm>

#include "controller/db/database.hh"
#include "controller/runtime/manager.hh"
#include "controller/db/evals.hh"
#include "controller/db/jobset_status.hh"
#include "controller/db/projects.hh"
#include "controller/log.hh"
#include "controller/nix/nix.hh"
#include "reconcilers/eval_schedule.hh"

namespace hydrant::reconcilers {

namespace {

using namespace std::chrono_literals;

constexpr size_t kStatusMessageCap = 2000;

std::string capped(const std::string& s) {
  if (s.size() <= kStatusMessageCap) return s;
  return s.substr(0, kStatusMessageCap) + "…";
}

std::string jobsetKey(const db::EvalJobset& js) { return js.project + ":" + js.name; }

// Reasons after which an unchanged input hash must not count as "cached": the evaluation
// that the hash belongs to is not what the jobset shows. (After a fetch error it is: the
// inputs are back to what that evaluation saw.)
bool lastAttemptFailed(const db::EvalJobset& js) {
  return js.condition_reason == "EvaluationFailed" || js.condition_reason == "EvaluationTimedOut";
}

// Checks what only the whole job list can tell (HYDRA.md §3.2, §4.4). Returns the message that
// fails the whole evaluation, if any.
std::optional<std::string> checkJobList(const db::EvalJobset& js,
                                        const std::vector<nix::EvalJob>& jobs) {
  if (js.name == ".jobsets" && !js.declfile.empty()) {
    if (jobs.size() != 1 || jobs[0].attr != "jobsets") {
      return std::string("The .jobsets jobset must only have a single job named 'jobsets'");
    }
    if (jobs[0].error) return "in job ‘jobsets’:\n" + *jobs[0].error;
  }
  std::map<std::string, const nix::EvalJob*> by_name;
  for (const auto& j : jobs) by_name[j.attr] = &j;
  for (const auto& j : jobs) {
    if (!j.is_aggregate) continue;
    if (j.error) return "aggregate job ‘" + j.attr + "’ failed with the error: " + *j.error;
    for (const auto& name : j.constituent_names) {
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return "aggregate job ‘" + j.attr + "’ failed with the error: " + name +
               ": does not exist";
      }
      if (it->second->error) {
        return "aggregate job ‘" + j.attr + "’ failed with the error: " + name +
               ": failed to evaluate";
      }
    }
  }
  return std::nullopt;
}

std::string traceId() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  return std::to_string(ns) + "." + std::to_string(::getpid());
}

int secondsSince(std::chrono::steady_clock::time_point t) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t)
          .count());
}

}  // namespace

struct EvaluationReconciler::Running {
  std::jthread thread;
};

EvaluationReconciler::EvaluationReconciler(db::Database& db, JobsetInputs& inputs,
                                           runtime::Clock& clock, EvaluatorOptions options)
    : db_(db), inputs_(inputs), clock_(clock), options_(std::move(options)) {}

EvaluationReconciler::~EvaluationReconciler() { stopAll(); }

void EvaluationReconciler::addTo(runtime::Manager& manager, const std::shared_ptr<EvaluationReconciler>& self) {
  self->setWake([&manager] { manager.notify(kWakeChannel, ""); });
  manager.add(runtime::singleKeySpec("evaluator", self, kKey, {"jobsets_changed", kWakeChannel},
                                     [self] { self->stopAll(); }));
}

void EvaluationReconciler::setWake(std::function<void()> wake) {
  std::lock_guard lk(mu_);
  wake_ = std::move(wake);
}

long long EvaluationReconciler::nowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

std::set<int> EvaluationReconciler::running() const {
  std::lock_guard lk(mu_);
  std::set<int> ids;
  for (const auto& [id, r] : running_) ids.insert(id);
  return ids;
}

int EvaluationReconciler::peakRunning() const {
  std::lock_guard lk(mu_);
  return peak_;
}

void EvaluationReconciler::stopAll() {
  std::vector<std::unique_ptr<Running>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [id, r] : running_) {
      r->thread.request_stop();
      all.push_back(std::move(r));
    }
    running_.clear();
    for (auto& r : finished_) all.push_back(std::move(r));
    finished_.clear();
    cleared_stale_ = false;
  }
  all.clear();  // joins
}

runtime::Outcome EvaluationReconciler::reconcile(const std::string& key, std::stop_token stop) {
  if (key != kKey) return runtime::Done{};
  std::vector<std::unique_ptr<Running>> to_join;
  bool clear_stale = false;
  {
    std::lock_guard lk(mu_);
    to_join.swap(finished_);
    clear_stale = !cleared_stale_;
  }
  to_join.clear();
  if (clear_stale) {
    // Evaluations a previous leader left running are redone first.
    int stale = 0;
    auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto n = db::clearStaleStarts(tx);
      if (!n) return n.error();
      stale = *n;
      return {};
    });
    if (!r) return r.error();
    if (stale > 0) log::info("evaluator", "{} evaluation(s) left running earlier will be redone", stale);
    std::lock_guard lk(mu_);
    cleared_stale_ = true;
  }
  auto rows = db_.read<std::vector<db::ScheduleRow>>(
      [](db::ReadTx& tx) { return db::scheduleRows(tx); });
  if (!rows) return rows.error();
  if (stop.stop_requested()) return runtime::Done{};

  ScheduleInput in;
  in.now = nowSeconds();
  in.max_running = options_.max_concurrent;
  for (const auto& row : *rows) {
    in.jobsets.push_back({row.id, row.enabled, row.checkinterval, row.lastcheckedtime,
                          row.triggertime, row.last_eval_unfinished});
  }
  {
    std::lock_guard lk(mu_);
    for (const auto& [id, r] : running_) in.running.insert(id);
    for (const auto& [id, f] : fetch_failures_) in.retry_after[id] = f.second;
  }
  const ScheduleDecision decision = schedule(in);
  for (int id : decision.start) start(id);
  if (!decision.next_due) return runtime::Done{};
  const auto wait = std::chrono::seconds(std::max(1LL, *decision.next_due - in.now));
  return runtime::RequeueAfter{std::chrono::duration_cast<runtime::Duration>(wait)};
}

void EvaluationReconciler::start(int id) {
  std::lock_guard lk(mu_);
  if (running_.count(id)) return;
  auto r = std::make_unique<Running>();
  Running* raw = r.get();
  running_[id] = std::move(r);
  peak_ = std::max(peak_, static_cast<int>(running_.size()));
  raw->thread = std::jthread([this, id](std::stop_token st) {
    evaluate(id, st);
    std::function<void()> wake;
    {
      std::lock_guard lk2(mu_);
      auto it = running_.find(id);
      if (it != running_.end()) {
        finished_.push_back(std::move(it->second));
        running_.erase(it);
      }
      if (!st.stop_requested()) wake = wake_;
    }
    if (wake) wake();
  });
}

long long EvaluationReconciler::holdBack(int id) {
  std::lock_guard lk(mu_);
  auto& f = fetch_failures_[id];
  f.first += 1;
  const double u = options_.random ? options_.random() : 0.5;
  const auto delay = runtime::backoffDelay(options_.fetch_backoff, f.first, u);
  f.second = nowSeconds() +
             std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(delay).count());
  return f.second;
}

EvalOutcome EvaluationReconciler::evaluateNow(int jobset_id, std::stop_token stop) {
  return evaluate(jobset_id, stop);
}

EvalOutcome EvaluationReconciler::evaluate(int id, std::stop_token stop) {
  auto loaded = db_.read<std::optional<db::EvalJobset>>(
      [&](db::ReadTx& tx) { return db::loadEvalJobset(tx, id); });
  if (!loaded) {
    holdBack(id);
    log::error("evaluator", "jobset {}: {}", id, loaded.error().message);
    return EvalOutcome::kStopped;
  }
  if (!*loaded || (*loaded)->enabled == 0) return EvalOutcome::kGone;
  const db::EvalJobset& js = **loaded;
  const std::string key = jobsetKey(js);
  db::EvalEnd end{id, nowSeconds(), traceId(), js.triggertime};

  auto write = [&](const std::function<Result<void>(db::WriteTx&)>& fn) {
    auto r = db_.withWrite(fn);
    if (!r) {
      // Nothing was recorded; the jobset waits like after a fetch error instead of being
      // started again at once.
      const auto retry = holdBack(id);
      log::error(key, "cannot record the evaluation (retry in {} s): {}", retry - nowSeconds(),
                 r.error().message);
    }
    return r.has_value();
  };
  if (!write([&](db::WriteTx& tx) { return db::markEvalStarted(tx, id, end.now, end.trace); })) {
    return EvalOutcome::kStopped;
  }
  log::info(key, "evaluation started");
  const auto t0 = std::chrono::steady_clock::now();

  auto fetchFailed = [&](const Error& e) {
    if (stop.stop_requested()) return EvalOutcome::kStopped;
    const long long retry_at = holdBack(id);
    log::warn(key, "cannot fetch inputs (retry in {} s): {}", retry_at - nowSeconds(), e.message);
    end.now = nowSeconds();
    write([&](db::WriteTx& tx) {
      return db::finishEvalFetchFailed(
          tx, end, e.message, db::Status::reconciling("FetchFailed", capped(e.message)));
    });
    return EvalOutcome::kFetchFailed;
  };
  auto failed = [&](const std::string& message, const std::string& reason) {
    {
      std::lock_guard lk(mu_);
      fetch_failures_.erase(id);
    }
    log::warn(key, "evaluation failed: {}", message);
    end.now = nowSeconds();
    write([&](db::WriteTx& tx) {
      return db::finishEvalFailed(tx, end, message, db::Status::stalled(reason, capped(message)));
    });
    return EvalOutcome::kFailed;
  };

  auto inputs = inputs_.resolve(js, stop);
  if (stop.stop_requested()) return EvalOutcome::kStopped;
  if (!inputs) return fetchFailed(inputs.error());
  std::string locked_flake;
  if (js.type == 1) {
    auto locked = nix::lockFlake(js.flake, options_.timeout, stop);
    if (stop.stop_requested()) return EvalOutcome::kStopped;
    if (!locked) {
      Error e = locked.error();
      e.message = "flake " + js.flake + ": " + e.message;
      return fetchFailed(e);
    }
    locked_flake = *locked;
  }
  const std::string hash = evaluationHash(js, *inputs, locked_flake);
  auto latest = db_.read<std::optional<db::LatestEval>>(
      [&](db::ReadTx& tx) { return db::latestEval(tx, id); });
  if (!latest) return fetchFailed(latest.error());
  if (*latest && (*latest)->hash == hash && !js.forceeval && (*latest)->flake == locked_flake &&
      !lastAttemptFailed(js)) {
    {
      std::lock_guard lk(mu_);
      fetch_failures_.erase(id);
    }
    const int previous = (*latest)->id;
    db::Status status =
        js.condition == "Stalled"
            ? db::Status{js.condition, "False", js.condition_reason, js.condition_message}
            : db::Status::ready_("Evaluated", "inputs unchanged since evaluation " +
                                                  std::to_string(previous));
    end.now = nowSeconds();
    log::info(key, "inputs unchanged since evaluation {}: eval cached", previous);
    write([&](db::WriteTx& tx) { return db::finishEvalCached(tx, end, previous, status); });
    return EvalOutcome::kCached;
  }

  if (auto r = inputs_.materialize(*inputs, stop); !r) {
    if (stop.stop_requested()) return EvalOutcome::kStopped;
    return fetchFailed(r.error());
  }
  const int checkout_seconds = secondsSince(t0);

  nix::EvalRequest req;
  req.eval_jobs_nix = options_.eval_jobs_nix;
  req.timeout = options_.timeout;
  req.memory_limit_bytes = options_.memory_limit_bytes;
  for (const auto& in : *inputs) {
    req.args.push_back(in.arg);
    if (in.store_path) req.search_path.emplace_back(in.name, *in.store_path);
  }
  if (js.type == 1) {
    req.flake = locked_flake;
  } else {
    auto it = std::find_if(inputs->begin(), inputs->end(),
                           [&](const ResolvedInput& in) { return in.name == js.nixexprinput; });
    if (it == inputs->end()) {
      return failed("nixexprinput ‘" + js.nixexprinput + "’ is not an input of this jobset",
                    "EvaluationFailed");
    }
    if (!it->store_path) {
      return failed("nixexprinput ‘" + js.nixexprinput + "’ is of type " + it->type +
                        "; it must be an input with files (git, path or build)",
                    "EvaluationFailed");
    }
    req.expr_file = *it->store_path + "/" + js.nixexprpath;
  }

  const auto t1 = std::chrono::steady_clock::now();
  auto result = nix::evaluate(req, stop);
  if (stop.stop_requested()) return EvalOutcome::kStopped;
  if (!result) {
    const bool timed_out = result.error().message.rfind("evaluation timed out", 0) == 0;
    return failed(result.error().message, timed_out ? "EvaluationTimedOut" : "EvaluationFailed");
  }
  if (auto problem = checkJobList(js, result->jobs)) return failed(*problem, "EvaluationFailed");

  db::NewEval eval;
  eval.hash = hash;
  eval.checkouttime = checkout_seconds;
  eval.evaltime = secondsSince(t1);
  eval.flake = locked_flake;
  if (js.type != 1) {
    eval.nixexprinput = js.nixexprinput;
    eval.nixexprpath = js.nixexprpath;
  }
  for (const auto& in : *inputs) eval.inputs.push_back(in.record);
  eval.jobs = std::move(result->jobs);
  const size_t failed_jobs = static_cast<size_t>(std::count_if(
      eval.jobs.begin(), eval.jobs.end(), [](const nix::EvalJob& j) { return j.error.has_value(); }));
  std::optional<db::RecordedEval> recorded;
  end.now = nowSeconds();
  const bool ok = write([&](db::WriteTx& tx) -> Result<void> {
    // The status names the evaluation, whose id the insert decides; it is written last.
    db::Status status;
    if (failed_jobs > 0) {
      status = db::Status::stalled(
          "JobErrors", std::to_string(failed_jobs) + " of " + std::to_string(eval.jobs.size()) +
                           " jobs failed to evaluate");
    } else {
      status = db::Status::ready_("Evaluated", std::to_string(eval.jobs.size()) + " jobs");
    }
    auto r = db::recordEval(tx, end, eval, status);
    if (!r) return r.error();
    recorded = *r;
    status.message = "evaluation " + std::to_string(r->eval_id) + ": " + status.message + ", " +
                     std::to_string(r->new_builds) + " new builds";
    if (failed_jobs > 0) status.message += "\n" + r->error_text;
    status.message = capped(status.message);
    return db::setJobsetStatus(tx, id, status);
  });
  if (!ok || !recorded) return EvalOutcome::kStopped;
  {
    std::lock_guard lk(mu_);
    fetch_failures_.erase(id);
  }
  log::info(key, "evaluation {}: {} jobs, {} new builds, {} reused, {} failed ({} s fetching, {} s "
            "evaluating)",
            recorded->eval_id, eval.jobs.size(), recorded->new_builds, recorded->reused_builds,
            recorded->failed_jobs, eval.checkouttime, eval.evaltime);
  return EvalOutcome::kEvaluated;
}

}  // namespace hydrant::reconcilers
