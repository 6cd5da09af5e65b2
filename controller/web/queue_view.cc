#include "controller/web/queue_view.hh"

#include <algorithm>
#include <set>
#include <tuple>

namespace hydrant::web::queue {

namespace {

JobsetCount& jobsetEntry(std::map<int, JobsetCount>& by_id, int id, const std::string& project,
                         const std::string& jobset) {
  JobsetCount& j = by_id[id];
  if (j.jobset_id == 0) {
    j.jobset_id = id;
    j.project = project;
    j.jobset = jobset;
  }
  return j;
}

nlohmann::json orNull(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string drvName(const std::string& drvpath) {
  const size_t slash = drvpath.rfind('/');
  return slash == std::string::npos ? drvpath : drvpath.substr(slash + 1);
}

Result<Decisions> parseDecisions(const std::string& json) {
  Decisions out;
  try {
    const nlohmann::json doc = nlohmann::json::parse(json);
    for (const auto& s : doc.value("steps", nlohmann::json::array())) {
      Decision d;
      d.drvpath = s.at("drvpath").get<std::string>();
      d.system = s.value("system", d.system);
      d.builds = s.value("builds", d.builds);
      d.started = s.value("started", d.started);
      d.reason = s.value("reason", d.reason);
      out.steps.push_back(std::move(d));
    }
    for (const auto& j : doc.value("jobsets", nlohmann::json::array())) {
      ShareUse u;
      u.jobset_id = j.at("jobset_id").get<int>();
      u.schedulingshares = j.value("schedulingshares", u.schedulingshares);
      u.seconds = j.value("seconds", u.seconds);
      u.share_used = j.value("shareUsed", u.share_used);
      out.jobsets.push_back(u);
    }
    if (doc.contains("updated")) out.updated = doc.at("updated").get<long long>();
  } catch (const nlohmann::json::exception& e) {
    return Error::invalid(std::string("queue status: ") + e.what());
  }
  return out;
}

Summary summarize(const std::vector<db::QueueRow>& builds,
                  const std::vector<db::RunningStepRow>& running, const Decisions& decisions,
                  const std::vector<db::JobsetRef>& names) {
  std::map<std::string, SystemCount> systems;
  std::map<int, JobsetCount> jobsets;
  std::map<int, const db::QueueRow*> by_id;
  for (const auto& b : builds) {
    by_id[b.id] = &b;
    ++systems[b.system].queued;
    ++jobsetEntry(jobsets, b.jobset_id, b.project, b.jobset).queued;
  }
  for (const auto& d : decisions.steps) {
    if (d.started) continue;  // now among the steps being built
    ++systems[d.system].runnable;
    std::set<int> seen;
    for (int id : d.builds) {
      auto it = by_id.find(id);
      if (it == by_id.end() || !seen.insert(it->second->jobset_id).second) continue;
      const db::QueueRow& b = *it->second;
      ++jobsetEntry(jobsets, b.jobset_id, b.project, b.jobset).runnable;
    }
  }
  for (const auto& s : running) {
    ++systems[s.system].building;
    ++jobsetEntry(jobsets, s.jobset_id, s.project, s.jobset).building;
  }
  for (const auto& u : decisions.jobsets) {
    if (jobsets.count(u.jobset_id) == 0) {
      auto named = std::find_if(names.begin(), names.end(),
                                [&](const db::JobsetRef& r) { return r.id == u.jobset_id; });
      if (named == names.end()) continue;
      jobsetEntry(jobsets, u.jobset_id, named->project, named->name);
    }
    jobsets[u.jobset_id].share = u;
  }
  Summary out;
  for (auto& [system, count] : systems) {
    count.system = system;
    out.systems.push_back(count);
  }
  for (auto& [id, count] : jobsets) out.jobsets.push_back(count);
  std::sort(out.jobsets.begin(), out.jobsets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.project, a.jobset) < std::tie(b.project, b.jobset);
  });
  return out;
}

std::map<int, std::string> buildReasons(const std::vector<db::QueueRow>& builds,
                                        const std::vector<db::RunningStepRow>& running,
                                        const Decisions& decisions) {
  std::map<int, std::string> out;
  for (const auto& s : running) {
    out.emplace(s.build, "building " + drvName(s.drvpath) + " on " + s.machine);
  }
  std::map<int, const db::QueueRow*> by_id;
  for (const auto& b : builds) by_id[b.id] = &b;
  std::map<int, std::string> dependency;  // the first decision about a step a build needs
  for (const auto& d : decisions.steps) {
    for (int id : d.builds) {
      auto it = by_id.find(id);
      if (it == by_id.end() || out.count(id)) continue;
      if (it->second->drvpath == d.drvpath) {
        out.emplace(id, d.reason);
      } else {
        dependency.emplace(id, drvName(d.drvpath) + ": " + d.reason);
      }
    }
  }
  for (auto& [id, reason] : dependency) out.emplace(id, std::move(reason));
  return out;
}

nlohmann::json queueJson(const std::vector<db::QueueRow>& builds,
                         const std::map<int, std::string>& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : builds) {
    auto reason = reasons.find(b.id);
    out.push_back({{"id", b.id},
                   {"finished", 0},
                   {"timestamp", b.timestamp},
                   {"stoptime", nullptr},
                   {"jobset_id", b.jobset_id},
                   {"project", b.project},
                   {"jobset", b.jobset},
                   {"job", b.job},
                   {"nixname", orNull(b.nixname)},
                   {"system", b.system},
                   {"buildstatus", nullptr},
                   {"releasename", orNull(b.releasename)},
                   {"priority", b.priority},
                   {"globalpriority", b.globalpriority},
                   {"drvpath", b.drvpath},
                   {"reason", reason == reasons.end() ? nlohmann::json(nullptr)
                                                      : nlohmann::json(reason->second)}});
  }
  return out;
}

nlohmann::json summaryJson(const Summary& summary, const Decisions& decisions) {
  nlohmann::json systems = nlohmann::json::array();
  for (const auto& s : summary.systems) {
    systems.push_back({{"system", s.system},
                       {"queued", s.queued},
                       {"runnable", s.runnable},
                       {"building", s.building}});
  }
  nlohmann::json jobsets = nlohmann::json::array();
  for (const auto& j : summary.jobsets) {
    jobsets.push_back({{"jobset_id", j.jobset_id},
                       {"project", j.project},
                       {"jobset", j.jobset},
                       {"queued", j.queued},
                       {"runnable", j.runnable},
                       {"building", j.building},
                       {"schedulingshares", j.share ? nlohmann::json(j.share->schedulingshares)
                                                    : nlohmann::json(nullptr)},
                       {"seconds", j.share ? nlohmann::json(j.share->seconds) : nullptr},
                       {"shareUsed", j.share ? nlohmann::json(j.share->share_used) : nullptr}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& d : decisions.steps) {
    steps.push_back({{"drvpath", d.drvpath},
                     {"system", d.system},
                     {"builds", d.builds},
                     {"started", d.started},
                     {"reason", d.reason}});
  }
  return {{"systems", systems},
          {"jobsets", jobsets},
          {"steps", steps},
          {"updated", decisions.updated ? nlohmann::json(*decisions.updated) : nullptr}};
}

}  // namespace hydrant::web::queue
