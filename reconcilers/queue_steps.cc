// The queue's steps: building one on its machine and recording what came of it (the step's
// row, its builds, failed paths, the shares it used, the machine's backoff). Part of
// QueueReconciler (queue_reconciler.hh).
#include <algorithm>
#include <filesystem>
#include <future>

#include "controller/db/database.hh"
#include "controller/log.hh"
#include "controller/logs.hh"
#include "controller/nix/builder.hh"
#include "reconcilers/queue_reconciler.hh"

namespace hydrant::reconcilers {

namespace {

namespace fs = std::filesystem;

std::string baseName(const std::string& path) { return fs::path(path).filename().string(); }

// Where a step's log goes: <log_dir>/<first two characters>/<rest>.bz2, like Hydra's layout.
std::string logFileFor(const std::string& dir, const std::string& drv) {
  return logs::stepLogPath(dir, drv);
}

nix::MachineTarget targetOf(const Machine& m) {
  nix::MachineTarget t;
  t.uri = m.uri;
  t.systems = m.systems;
  t.ssh_key = m.ssh_key;
  t.host_key = m.host_key;
  t.supported_features = m.supported_features;
  t.mandatory_features = m.mandatory_features;
  t.max_jobs = std::max(1u, m.max_jobs);
  return t;
}

bool connectionTrouble(const std::string& message) {
  return message.find("cannot connect") != std::string::npos ||
         message.find("cannot start ssh") != std::string::npos;
}

}  // namespace

void QueueReconciler::runStep(const std::string& drv, size_t machine_index, std::stop_token stop) {
  nix::BuildRequest req;
  int record = 0;
  bool top_level = false;
  std::string system;
  Machine machine;
  {
    std::lock_guard lk(mu_);
    record = recordBuildFor(drv);
    const db::QueuedBuild& b = builds_.at(record);
    top_level = b.drvpath == drv;
    req.drv_path = drv;
    req.outputs = extras_.at(drv).outputs;
    machine = machines_[machine_index].state.machine;
    req.machine = targetOf(machine);
    req.timeout = std::chrono::seconds(b.timeout);
    req.max_silent = std::chrono::seconds(b.maxsilent);
    req.max_log_size = options_.max_log_size;
    req.max_output_size = options_.max_output_size;
    system = graph_.step(drv)->system;
  }
  req.log_file = logFileFor(options_.log_dir, drv);
  req.gc_root_dir = options_.gc_roots_dir;
  std::error_code ec;
  fs::create_directories(fs::path(req.log_file).parent_path(), ec);
  fs::create_directories(req.gc_root_dir, ec);

  // The machine's slot is free as soon as Nix is done with it: the next step starts there (and,
  // when the outputs are valid, this step's dependents become runnable) while this thread
  // records the rest.
  bool released = false;                        // guarded by mu_
  std::optional<StepGraph::Built> built_early;  // guarded by mu_
  req.on_machine_free = [&](bool outputs_valid) {
    std::function<void()> wake;
    {
      std::lock_guard lk(mu_);
      auto& slot = machines_[machine_index];
      if (slot.state.current_jobs > 0) slot.state.current_jobs -= 1;
      released = true;
      if (outputs_valid) {
        graph_.setRunning(drv, false);
        built_early = graph_.markBuilt(drv);
      }
      wake = wake_;
    }
    if (wake) wake();
  };

  const UnixTime start = nowSeconds();
  int nr = 0;
  // The step's row is written while Nix already builds, so the build never waits for the
  // database; it is there before the step is recorded as finished.
  std::future<Result<void>> recording = std::async(std::launch::async, [&]() -> Result<void> {
    return db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
      auto n = db::startStep(tx, {record, drv, system, machine.uri, start, top_level});
      if (!n) return n.error();
      nr = *n;
      return {};
    });
  });
  log::info("queue", "building {} on {}", baseName(drv), machine.uri);
  Result<nix::StepResult> built = builder_.build(req, stop);
  const Result<void> started = recording.get();
  nix::StepResult result;
  if (built) {
    result = std::move(*built);
  } else {
    result.transient = true;
    result.error_message = built.error().message;
  }
  if (!started) {
    // Built but not recorded: tried again later, when its outputs are valid at once (unless
    // they already count as built, below).
    result.transient = true;
    result.error_message = "cannot record the step: " + started.error().message;
  }
  if (stop.stop_requested()) return;  // the step stays busy; the next leader redoes it
  const UnixTime end = nowSeconds();
  bool success = !result.transient && (result.status == nix::kStatusSuccess ||
                                       result.status == nix::kStatusFailedWithOutput);

  std::vector<db::BuildDone> done;
  std::optional<db::FailedStep> failure;
  std::vector<std::string> failed_paths;
  std::function<void()> wake;
  {
    std::lock_guard lk(mu_);
    auto& slot = machines_[machine_index];
    if (!released && slot.state.current_jobs > 0) slot.state.current_jobs -= 1;
    if (built_early) {
      success = true;  // the builder's contract: valid outputs mean status 0 or 6
    } else {
      graph_.setRunning(drv, false);
    }
    std::vector<JobsetId> jobsets;
    for (int id : graph_.buildsNeeding(drv)) {
      const int j = builds_.at(id).jobset_id;
      if (std::find(jobsets.begin(), jobsets.end(), j) == jobsets.end()) jobsets.push_back(j);
    }
    if (started) shares_.add(jobsets, start, static_cast<double>(end - start));
    if (success) {
      slot.consecutive_failures = 0;
      const StepGraph::Built built = built_early ? *built_early : graph_.markBuilt(drv);
      for (int id : built.finished_builds) {
        db::BuildDone d;
        d.id = id;
        d.status = result.failed_marker ? nix::kStatusFailedWithOutput : nix::kStatusSuccess;
        d.starttime = start;
        d.stoptime = end;
        if (!result.release_name.empty()) d.releasename = result.release_name;
        d.size = static_cast<long long>(result.size);
        d.closuresize = static_cast<long long>(result.closure_size);
        for (const auto& p : result.products) {
          db::BuildProduct bp{p.type,         p.subtype,    p.path,      p.name,
                              p.default_path, std::nullopt, std::nullopt};
          if (p.is_regular) bp.filesize = static_cast<long long>(p.file_size);
          if (!p.sha256.empty()) bp.sha256hash = p.sha256;
          d.products.push_back(bp);
        }
        for (const auto& [name, m] : result.metrics) d.metrics.push_back({m.name, m.unit, m.value});
        done.push_back(std::move(d));
        builds_.erase(id);
      }
      extras_.erase(drv);
    } else {
      StepExtra& x = extras_.at(drv);
      std::optional<UnixTime> retry;
      if (result.transient) {
        x.tries += 1;
        const double u = options_.random ? options_.random() : 0.5;
        retry = stepRetryAt(options_.retry, x.tries, end, u);
        if (connectionTrouble(result.error_message)) {
          slot.consecutive_failures = nextConsecutiveFailures(
              options_.machine_backoff, slot.consecutive_failures, slot.last_failure, end);
          slot.last_failure = end;
          slot.state.disabled_until =
              disabledUntil(options_.machine_backoff, slot.consecutive_failures, end, u);
        }
      }
      if (retry) {
        x.retry_after = *retry;
        log::warn("queue", "{} on {} failed (try {}; again at {}): {}", baseName(drv), machine.uri,
                  x.tries, *retry, result.error_message);
      } else {
        failure = failedStep(drv, result.transient ? nix::kStatusAborted : result.status,
                             result.error_message, start, end);
        if (result.cacheable_failure) {
          for (const auto& [name, path] : x.outputs) failed_paths.push_back(path);
        }
        extras_.erase(drv);
      }
    }
    wake = wake_;
  }
  auto r = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    if (started) {
      auto f =
          db::finishStep(tx, {record, nr, result.transient ? nix::kStatusAborted : result.status,
                              result.error_message, end, 0, result.outputs, result.log_path});
      if (!f) return f.error();
    }
    if (auto f = db::finishBuilds(tx, done); !f) return f.error();
    if (failure) {
      if (auto f = db::failBuilds(tx, *failure); !f) return f.error();
    }
    return db::addFailedPaths(tx, failed_paths);
  });
  if (!r) log::error("queue", "cannot record {}: {}", baseName(drv), r.error().message);
  {
    std::lock_guard lk(mu_);
    // Unless a newer thread for the same derivation has taken the entry (dispatchPass then
    // moved this one to finished_ already).
    auto it = running_.find(drv);
    if (it != running_.end() && it->second->thread.get_id() == std::this_thread::get_id()) {
      finished_.push_back(std::move(it->second));
      running_.erase(it);
    }
  }
  if (wake) wake();
}

}  // namespace hydrant::reconcilers
