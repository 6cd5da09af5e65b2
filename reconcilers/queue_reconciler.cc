#include "reconcilers/queue_reconciler.hh"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "controller/db/database.hh"
#include "controller/db/system_status.hh"
#include "controller/log.hh"
#include "controller/nix/builder.hh"
#include "controller/nix/derivation_io.hh"
#include "controller/nix/nix.hh"
#include "controller/runtime/manager.hh"

namespace hydrant::reconcilers {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kMachinesFileCheck = std::chrono::seconds(30);
constexpr auto kQueueReread = std::chrono::seconds(10);
constexpr auto kStoreQueryTimeout = std::chrono::minutes(5);

}  // namespace

QueueReconciler::QueueReconciler(db::Database& db, runtime::Clock& clock, QueueOptions options)
    : db_(db),
      clock_(clock),
      options_(std::move(options)),
      unsupported_(options_.unsupported_grace) {}

QueueReconciler::~QueueReconciler() { stopAll(); }

void QueueReconciler::addTo(runtime::Manager& manager,
                            const std::shared_ptr<QueueReconciler>& self) {
  self->setWake([&manager] { manager.notify(kWakeChannel, ""); });
  runtime::ControllerSpec spec = runtime::singleKeySpec(
      "queue", self, kKey,
      {"builds_added", "builds_restarted", "builds_cancelled", "builds_bumped", "builds_deleted",
       "jobset_shares_changed", kWakeChannel},
      [self] { self->stopAll(); });
  // A finished step (our own wake-up) changes nothing in the database that the queue has not
  // already applied in memory; only the database's notifications make it read the queue again.
  spec.key_of = [self](const std::string& channel, const std::string&) {
    if (channel != kWakeChannel) self->markDatabaseChanged();
    return std::optional<std::string>(kKey);
  };
  manager.add(std::move(spec), [self] { return self->dispatchPassTimes(); });
}

void QueueReconciler::markDatabaseChanged() {
  std::lock_guard lk(mu_);
  database_changed_ = true;
}

Result<std::vector<std::string>> QueueReconciler::listKeys() {
  markDatabaseChanged();  // a resync: read everything again
  return std::vector<std::string>{kKey};
}

void QueueReconciler::setWake(std::function<void()> wake) {
  std::lock_guard lk(mu_);
  wake_ = std::move(wake);
}

size_t QueueReconciler::runningSteps() const {
  std::lock_guard lk(mu_);
  return running_.size();
}

UnixTime QueueReconciler::nowSeconds() const {
  return std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
}

void QueueReconciler::stopAll() {
  std::vector<std::unique_ptr<Running>> all;
  {
    std::lock_guard lk(mu_);
    for (auto& [drv, r] : running_) {
      r->thread.request_stop();
      all.push_back(std::move(r));
    }
    running_.clear();
    for (auto& r : finished_) all.push_back(std::move(r));
    finished_.clear();
    // The next leader (maybe this process again) starts from the database.
    graph_ = StepGraph();
    builds_.clear();
    extras_.clear();
    step_drvs_.clear();
    cleaned_up_ = false;
    database_changed_ = true;
  }
  all.clear();  // joins
  builder_.closeIdle();
}

runtime::Outcome QueueReconciler::reconcile(const std::string& key, std::stop_token stop) {
  if (key != kKey) return runtime::Done{};
  std::vector<std::unique_ptr<Running>> to_join;
  bool clean_up = false;
  {
    std::lock_guard lk(mu_);
    to_join.swap(finished_);
    clean_up = !cleaned_up_;
  }
  to_join.clear();
  if (clean_up) {
    // Steps a previous leader left busy are aborted; their builds are still queued and get
    // their steps again below.
    int aborted = 0;
    auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto n = db::abortBusySteps(tx, nowSeconds());
      if (!n) return n.error();
      aborted = *n;
      return {};
    });
    if (!r) return r.error();
    if (aborted > 0) log::info("queue", "{} step(s) left running earlier will be redone", aborted);
    auto times = db_.read<std::vector<db::StepTime>>([&](db::ReadTx& tx) {
      return db::stepTimesSince(tx, nowSeconds() - ShareAccount::kDefaultWindow);
    });
    if (!times) return times.error();
    std::lock_guard lk(mu_);
    for (const auto& t : *times) {
      const JobsetId j = t.jobset_id;
      shares_.add(std::span<const JobsetId>(&j, 1), t.starttime, static_cast<double>(t.seconds));
    }
    cleaned_up_ = true;
  }
  // The queue and the shares are read again when the database said something changed (or at
  // least every kQueueReread); a pass woken by a finished step works from memory.
  const auto now_steady = std::chrono::steady_clock::now();
  bool reread = false;
  {
    std::lock_guard lk(mu_);
    reread = database_changed_ || now_steady - last_reread_ >= kQueueReread;
    database_changed_ = false;
  }
  if (reread) {
    auto shares = db_.read<std::vector<db::JobsetShares>>(
        [](db::ReadTx& tx) { return db::jobsetShares(tx); });
    if (!shares) {
      markDatabaseChanged();
      return shares.error();
    }
    {
      std::lock_guard lk(mu_);
      for (const auto& s : *shares) shares_.setShares(s.id, s.schedulingshares);
    }
    if (auto r = loadNewBuilds(stop); !r) {
      markDatabaseChanged();
      return r.error();
    }
    std::lock_guard lk(mu_);
    last_reread_ = now_steady;
  }
  loadMachines();
  if (stop.stop_requested()) return runtime::Done{};
  std::optional<UnixTime> wake_at;
  const auto pass_start = clock_.monotonic();
  dispatchPass(wake_at);
  pass_times_.observe(std::chrono::duration<double>(clock_.monotonic() - pass_start).count());
  const bool held_back = publishStatus();
  const UnixTime now = nowSeconds();
  auto wait = held_back ? runtime::Duration(kPublishEvery)
                        : std::chrono::duration_cast<runtime::Duration>(kMachinesFileCheck);
  if (wake_at) {
    wait = std::min(wait, std::chrono::duration_cast<runtime::Duration>(
                              std::chrono::seconds(std::max<UnixTime>(1, *wake_at - now))));
  }
  return runtime::RequeueAfter{wait};
}

Result<void> QueueReconciler::loadNewBuilds(std::stop_token stop) {
  auto queued =
      db_.read<std::vector<db::QueuedBuild>>([](db::ReadTx& tx) { return db::queuedBuilds(tx); });
  if (!queued) return queued.error();
  std::vector<db::QueuedBuild> fresh;
  {
    std::lock_guard lk(mu_);
    std::set<int> in_db;
    for (const auto& b : *queued) {
      in_db.insert(b.id);
      if (!builds_.count(b.id)) fresh.push_back(b);
    }
    // Builds that left the queue (cancelled, deleted): their steps go with them.
    for (auto it = builds_.begin(); it != builds_.end();) {
      if (in_db.count(it->first) == 0) {
        graph_.removeBuild(it->first);
        it = builds_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (fresh.empty()) return {};

  // Read every new build's closure (what the graph does not know yet), then ask the store once
  // which outputs are valid and the database once which failed before.
  struct Pending {
    db::QueuedBuild build;
    std::vector<nix::ClosureEntry> closure;
    std::string missing;  // why the build cannot be built at all
  };
  std::vector<Pending> pending;
  std::set<std::string> paths;
  for (auto& b : fresh) {
    if (stop.stop_requested()) return Error::transient("stopped");
    Pending p{b, {}, ""};
    auto closure = nix::readClosure(b.drvpath, [this](const std::string& drv) {
      std::lock_guard lk(mu_);
      return graph_.hasStep(drv);
    });
    if (!closure) {
      p.missing = closure.error().message;
    } else {
      p.closure = std::move(*closure);
      for (const auto& e : p.closure) {
        for (const auto& [name, out] : e.derivation.outputs) {
          if (!out.path.empty()) paths.insert(out.path);
        }
      }
    }
    pending.push_back(std::move(p));
  }
  // Only absolute paths are store paths (a floating output has none yet).
  std::vector<std::string> all;
  for (const auto& p : paths) {
    if (p.starts_with('/')) all.push_back(p);
  }
  auto valid = builder_.validPaths(all, kStoreQueryTimeout, stop);
  if (!valid) return valid.error();
  const std::set<std::string>& valid_set = *valid;
  std::vector<std::string> unbuilt;
  for (const auto& p : all) {
    if (!valid_set.count(p)) unbuilt.push_back(p);
  }
  auto failed = db_.read<std::vector<std::string>>(
      [&](db::ReadTx& tx) { return db::failedPaths(tx, unbuilt); });
  if (!failed) return failed.error();
  const std::set<std::string> failed_set(failed->begin(), failed->end());

  std::vector<db::BuildDone> cached;
  std::vector<db::FailedStep> failures;
  const UnixTime now = nowSeconds();
  {
    std::lock_guard lk(mu_);
    for (auto& p : pending) {
      const db::QueuedBuild& b = p.build;
      if (!p.missing.empty()) {
        // The derivation is gone (garbage-collected): Hydra aborts such a build.
        db::FailedStep f;
        f.build = b.id;
        f.status = 3;
        f.drvpath = b.drvpath;
        f.errormsg = p.missing;
        f.starttime = f.now = now;
        failures.push_back(std::move(f));
        continue;
      }
      std::vector<ClosureStep> steps;
      bool previous_failure = false, own_failure = false;
      for (const auto& e : p.closure) {
        ClosureStep c;
        c.info.drv_path = e.drv_path;
        c.info.system = e.derivation.platform;
        c.info.required_features = e.derivation.requiredSystemFeatures();
        c.info.prefer_local = e.derivation.preferLocalBuild();
        c.built = true;
        for (const auto& [name, out] : e.derivation.outputs) {
          c.info.output_paths.push_back(out.path);
          if (out.path.empty() || !valid_set.count(out.path)) c.built = false;
          if (failed_set.count(out.path)) {
            previous_failure = true;
            if (e.drv_path == b.drvpath) own_failure = true;
          }
        }
        for (const auto& [in, outs] : e.derivation.input_drvs) c.input_drvs.push_back(in);
        if (!c.built && !extras_.count(e.drv_path)) {
          StepExtra x;
          x.id = next_step_id_++;
          for (const auto& [name, out] : e.derivation.outputs) x.outputs[name] = out.path;
          step_drvs_[x.id] = e.drv_path;
          extras_[e.drv_path] = std::move(x);
        }
        steps.push_back(std::move(c));
      }
      if (previous_failure) {
        // A cached failure: its outputs (or a dependency's) failed for good before.
        db::FailedStep f;
        f.build = b.id;
        f.status = own_failure ? 1 : 2;
        f.drvpath = b.drvpath;
        f.errormsg = "cached failure of an earlier build";
        f.starttime = f.now = now;
        f.cached = true;
        failures.push_back(std::move(f));
        continue;
      }
      builds_[b.id] = b;
      if (graph_.addBuild(b.id, b.drvpath, steps)) {
        builds_.erase(b.id);
        cached.push_back(
            {b.id, 0, true, now, now, std::nullopt, std::nullopt, std::nullopt, {}, {}});
      }
    }
  }
  if (cached.empty() && failures.empty()) return {};
  return db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    if (auto r = db::finishBuilds(tx, cached); !r) return r.error();
    for (const auto& f : failures) {
      if (auto r = db::failBuilds(tx, f); !r) return r.error();
    }
    return {};
  });
}

std::optional<db::FailedStep> QueueReconciler::failedStep(const std::string& drv, int status,
                                                          const std::string& message,
                                                          UnixTime start, UnixTime now) {
  const std::vector<int> own = graph_.buildsOf(drv);
  const std::vector<int> builds = graph_.markFailed(drv);
  for (int b : builds) builds_.erase(b);
  if (builds.empty()) return std::nullopt;
  db::FailedStep f;
  f.build = builds.front();
  f.status = status;
  f.drvpath = drv;
  f.errormsg = message;
  f.starttime = start;
  f.now = now;
  for (int b : builds) {
    if (b == f.build) continue;
    if (std::find(own.begin(), own.end(), b) != own.end()) {
      f.same_drv.push_back(b);
    } else {
      f.dependents.push_back(b);
    }
  }
  return f;
}

int QueueReconciler::recordBuildFor(const std::string& drv) const {
  // Prefer a build whose own derivation this is (Hydra sends build_started for it).
  auto own = graph_.buildsOf(drv);
  if (!own.empty()) return own.front();
  auto needing = graph_.buildsNeeding(drv);
  return needing.empty() ? 0 : needing.front();
}

void QueueReconciler::dispatchPass(std::optional<UnixTime>& wake_at) {
  std::lock_guard lk(mu_);
  const UnixTime now = nowSeconds();
  shares_.prune(now);
  DispatchInputBuilder in(now);
  for (const auto& m : machines_) in.addMachine(m.state);
  std::vector<std::string> drvs;
  for (const auto& drv : graph_.runnable()) {
    const StepInfo* info = graph_.step(drv);
    const StepExtra& x = extras_.at(drv);
    RunnableStep s;
    s.id = x.id;
    s.kind = in.kind(info->system, info->required_features, info->prefer_local);
    s.retry_after = x.retry_after;
    std::vector<JobsetId> jobsets;
    bool first = true;
    for (int id : graph_.buildsNeeding(drv)) {
      const db::QueuedBuild& b = builds_.at(id);
      s.global_priority = first ? static_cast<int>(b.globalpriority)
                                : std::max(s.global_priority, static_cast<int>(b.globalpriority));
      s.build_priority = first ? b.priority : std::max(s.build_priority, b.priority);
      s.lowest_build = first ? b.id : std::min(s.lowest_build, b.id);
      if (std::find(jobsets.begin(), jobsets.end(), b.jobset_id) == jobsets.end()) {
        jobsets.push_back(b.jobset_id);
      }
      first = false;
    }
    in.addStep(s, jobsets);
    drvs.push_back(drv);
  }
  if (drvs.empty()) {
    unsupported_.update({}, now);
    decisions_ = nlohmann::json::array().dump();
    return;
  }
  const DispatchInput input = in.take();
  const DispatchResult result = dispatch(input, shares_);
  wake_at = result.wake_at;
  std::vector<StepId> unsupported;
  for (auto i : result.unsupported) unsupported.push_back(input.steps[i].id);
  auto report = unsupported_.update(unsupported, now);
  if (report.next_deadline && (!wake_at || *report.next_deadline < *wake_at)) {
    wake_at = report.next_deadline;
  }
  // Only what will be published is worth writing down (publishStatus() looks at most every
  // kPublishEvery while steps run).
  if (running_.empty() || std::chrono::steady_clock::now() - published_steady_ >= kPublishEvery) {
    recordDecisions(input, result, drvs);
  }
  for (const auto& a : result.assignments) {
    const std::string drv = drvs[a.step];
    graph_.setRunning(drv, true);
    machines_[a.machine].state.current_jobs += 1;
    auto r = std::make_unique<Running>();
    Running* raw = r.get();
    // The step's previous thread may still be finishing (it has recorded its result, and the
    // database queued the same derivation again meanwhile): it is joined later, never here,
    // under the lock it is about to take.
    std::unique_ptr<Running>& entry = running_[drv];
    if (entry) finished_.push_back(std::move(entry));
    entry = std::move(r);
    const size_t machine = a.machine;
    raw->thread =
        std::jthread([this, drv, machine](std::stop_token st) { runStep(drv, machine, st); });
  }
  if (!report.fail_now.empty()) {
    std::vector<StepId> ids = report.fail_now;
    // Failing takes database writes: done by a thread of its own so the lock is not held.
    auto r = std::make_unique<Running>();
    Running* raw = r.get();
    finished_.push_back(std::move(r));
    raw->thread = std::jthread([this, ids](std::stop_token) { failUnsupported(ids); });
  }
}

void QueueReconciler::recordDecisions(const DispatchInput& input, const DispatchResult& result,
                                      const std::vector<std::string>& drvs) {
  // Why each runnable step does (not) start, for `hydrant get queue` and the status pages; the
  // first kMaxDecisions in dispatch order, then the unsupported ones.
  constexpr size_t kMaxDecisions = 1000;
  nlohmann::json steps = nlohmann::json::array();
  auto add = [&](std::uint32_t i) {
    if (steps.size() >= kMaxDecisions) return;
    const StepVerdict& v = result.verdicts[i];
    steps.push_back({{"drvpath", drvs[i]},
                     {"system", input.kinds[input.steps[i].kind].system},
                     {"builds", graph_.buildsNeeding(drvs[i])},
                     {"started", v.wait == StepWait::kStarted},
                     {"reason", describe(input, i, v)}});
  };
  for (auto i : result.order) add(i);
  for (auto i : result.unsupported) add(i);
  decisions_ = steps.dump();
}

void QueueReconciler::failUnsupported(const std::vector<StepId>& ids) {
  std::vector<db::FailedStep> failures;
  const UnixTime now = nowSeconds();
  std::function<void()> wake;
  {
    std::lock_guard lk(mu_);
    for (StepId id : ids) {
      auto it = step_drvs_.find(id);
      if (it == step_drvs_.end() || !graph_.hasStep(it->second) || graph_.running(it->second)) {
        continue;
      }
      const std::string drv = it->second;
      const StepInfo* info = graph_.step(drv);
      std::string message = "unsupported system type '" + info->system + "'";
      if (!info->required_features.empty()) {
        message += " with features";
        for (const auto& f : info->required_features) message += " " + f;
      }
      auto f = failedStep(drv, 9, message, now, now);
      if (!f) continue;
      failures.push_back(std::move(*f));
      log::warn("queue", "{}: {}", fs::path(drv).filename().string(), message);
    }
    wake = wake_;
  }
  if (failures.empty()) return;
  auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    for (const auto& f : failures) {
      if (auto x = db::failBuilds(tx, f); !x) return x.error();
    }
    return {};
  });
  if (!r) log::error("queue", "cannot record unsupported steps: {}", r.error().message);
  if (wake) wake();
}

}  // namespace hydrant::reconcilers
