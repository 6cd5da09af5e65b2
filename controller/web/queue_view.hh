// The queue as the status pages and the JSON API show it: the dispatcher's last decisions (the
// "queue" document the queue reconciler publishes in systemstatus) joined with the queued
// builds and the steps being built, counted per system and per jobset, and the line saying why a
// queued build is not building when the dispatcher knows. Pure functions over plain rows.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controller/db/web_queue.hh"
#include "specs/result.hh"

namespace hydrant::web::queue {

// What the dispatcher decided for one runnable step in its last pass.
struct Decision {
  std::string drvpath;
  std::string system;       // "" in documents written before steps carried it
  std::vector<int> builds;  // the queued builds that need the step
  bool started = false;
  std::string reason;  // "started on localhost", "every machine for system … is busy", …
};

// One jobset's use of its scheduling shares over the last window.
struct ShareUse {
  int jobset_id = 0;
  int schedulingshares = 0;
  double seconds = 0;
  double share_used = 0;
};

struct Decisions {
  std::vector<Decision> steps;  // in dispatch order
  std::vector<ShareUse> jobsets;
  std::optional<long long> updated;  // unix seconds
};

inline constexpr const char* kQueueStatusKey = "queue";

// Reads the published document {"steps": [{drvpath, system, builds, started, reason}],
// "jobsets": [{jobset_id, schedulingshares, seconds, shareUsed}], "updated"}. Missing keys keep
// the defaults. Error (kInvalid): "queue status: <what is wrong>".
Result<Decisions> parseDecisions(const std::string& json);

struct SystemCount {
  std::string system;
  long long queued = 0, runnable = 0, building = 0;
};

struct JobsetCount {
  int jobset_id = 0;
  std::string project, jobset;
  long long queued = 0, runnable = 0, building = 0;
  std::optional<ShareUse> share;
};

struct Summary {
  std::vector<SystemCount> systems;  // by system
  std::vector<JobsetCount> jobsets;  // by project, then jobset name
};

// Counts per system and per jobset: queued builds (by the build's system and jobset); runnable
// steps the last pass did not start (by the step's system, "" when unknown, and each jobset of
// the builds needing it, once); steps being built (by the step's system and the jobset of the
// build it is recorded on). Jobsets with share usage but nothing queued are listed too, named by
// `names` (usage of a jobset missing there is left out).
Summary summarize(const std::vector<db::QueueRow>& builds,
                  const std::vector<db::RunningStepRow>& running, const Decisions& decisions,
                  const std::vector<db::JobsetRef>& names);

// Why each queued build is not (or is) building, by build id, where something is known: a step
// recorded on it is being built ("building <name> on <machine>"), else the decision for its own
// derivation's step, else the first decision for a step it needs ("<step name>: <reason>").
std::map<int, std::string> buildReasons(const std::vector<db::QueueRow>& builds,
                                        const std::vector<db::RunningStepRow>& running,
                                        const Decisions& decisions);

// GET /queue as JSON: Hydra's list of queued builds in queue order, each with Hydra's list fields
// (id, finished, timestamp, stoptime, jobset_id, project, jobset, job, nixname, system,
// buildstatus, releasename, priority, globalpriority, drvpath) and Hydrant's `reason` (null
// when unknown).
nlohmann::json queueJson(const std::vector<db::QueueRow>& builds,
                         const std::map<int, std::string>& reasons);

// GET /queue-summary as JSON: {systems: [{system, queued, runnable, building}], jobsets:
// [{jobset_id, project, jobset, queued, runnable, building, schedulingshares, seconds,
// shareUsed}] (the last three null without usage), steps: [{drvpath, system, builds, started,
// reason}], updated (null before the queue published anything)}.
nlohmann::json summaryJson(const Summary& summary, const Decisions& decisions);

// A derivation's file name without the store directory ("abc…-hello.drv").
std::string drvName(const std::string& drvpath);

}  // namespace hydrant::web::queue
