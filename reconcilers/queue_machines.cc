// The queue's machines: reading the machines file when it changes, and publishing their load
// and backoff for `hydrant get machines`. Part of QueueReconciler (queue_reconciler.hh).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/db/database.hh"
#include "controller/db/system_status.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "reconcilers/queue_reconciler.hh"

namespace hydrant::reconcilers {

void QueueReconciler::loadMachines() {
  std::string stamp = "none";
  std::string text;
  if (!options_.machines_file.empty()) {
    struct stat st {};
    if (::stat(options_.machines_file.c_str(), &st) == 0) {
      stamp = std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
              std::to_string(st.st_size) + ":" + std::to_string(st.st_ino);
      std::ifstream in(options_.machines_file);
      std::ostringstream buf;
      buf << in.rdbuf();
      text = buf.str();
    }
  }
  std::lock_guard lk(mu_);
  if (stamp == machines_stamp_ && !machines_.empty()) return;
  std::vector<Machine> parsed;
  if (stamp == "none") {
    parsed.push_back(defaultLocalMachine(options_.local_system, options_.local_max_jobs,
                                         options_.local_features));
  } else {
    auto r = parseMachinesFile(text, options_.local_system, options_.machines_file);
    if (!r) {
      log::error("queue", "{} (keeping the previous machines)", r.error().message);
      machines_stamp_ = stamp;
      if (machines_.empty()) {
        parsed.push_back(defaultLocalMachine(options_.local_system, options_.local_max_jobs,
                                             options_.local_features));
      } else {
        return;
      }
    } else {
      parsed = std::move(*r);
    }
  }
  // Machines keep their load and backoff across a reload; those that left stay, disabled,
  // while their steps finish.
  std::vector<MachineSlot> next;
  for (const auto& m : parsed) {
    MachineSlot slot;
    slot.state.machine = m;
    for (const auto& old : machines_) {
      if (old.state.machine.uri == m.uri) {
        slot = old;
        slot.state.machine = m;
        slot.state.enabled = true;
      }
    }
    next.push_back(slot);
  }
  for (const auto& old : machines_) {
    const bool kept = std::any_of(next.begin(), next.end(), [&](const MachineSlot& s) {
      return s.state.machine.uri == old.state.machine.uri;
    });
    if (!kept && old.state.current_jobs > 0) {
      next.push_back(old);
      next.back().state.enabled = false;
    }
  }
  machines_ = std::move(next);
  machines_stamp_ = stamp;
  log::info("queue", "{} machine(s)", machines_.size());
}

bool QueueReconciler::publishStatus() {
  views::MachinesStatus status;
  std::string machines;
  nlohmann::json queue;
  {
    std::lock_guard lk(mu_);
    // While steps come and go, at most one look (and write) per kPublishEvery: the documents
    // grow with the queue. An idle queue is published at once.
    const auto steady = std::chrono::steady_clock::now();
    if (!running_.empty() && steady - published_steady_ < kPublishEvery) return true;
    published_steady_ = steady;
    for (const auto& m : machines_) {
      views::MachineStatus s;
      s.uri = m.state.machine.uri;
      s.systems = m.state.machine.systems;
      s.supported_features = m.state.machine.supported_features;
      s.mandatory_features = m.state.machine.mandatory_features;
      s.max_jobs = static_cast<int>(m.state.machine.max_jobs);
      s.speed_factor = m.state.machine.speed_factor;
      s.current_jobs = static_cast<int>(m.state.current_jobs);
      s.enabled = m.state.enabled;
      s.disabled_until = m.state.disabled_until;
      s.consecutive_failures = m.consecutive_failures;
      status.machines.push_back(std::move(s));
    }
    machines = views::machinesStatusDocument(status);  // without the time: what changed
    nlohmann::json jobsets = nlohmann::json::array();
    for (const auto& u : shares_.usage()) {
      jobsets.push_back({{"jobset_id", u.jobset},
                         {"schedulingshares", u.shares},
                         {"seconds", u.seconds},
                         {"shareUsed", u.share_used}});
    }
    queue = nlohmann::json{{"steps", nlohmann::json::parse(decisions_)}, {"jobsets", jobsets}};
    const UnixTime now = nowSeconds();
    const std::string queue_text = queue.dump();
    const bool changed = machines != published_machines_ || queue_text != published_queue_;
    if (!changed && now - published_at_ < 60) return false;
    published_machines_ = machines;
    published_queue_ = queue_text;
    published_at_ = now;
    status.updated = now;
    queue["updated"] = now;
  }
  auto w = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    if (auto r = db::setSystemStatus(tx, views::kMachinesStatusKey,
                                     views::machinesStatusDocument(status));
        !r) {
      return r;
    }
    return db::setSystemStatus(tx, "queue", queue.dump());
  });
  if (!w) log::warn("queue", "cannot publish the machines' status: {}", w.error().message);
  return false;
}

}  // namespace hydrant::reconcilers
