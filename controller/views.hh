// JSON views of stored objects with Hydra's JSON API field names (so tools written for Hydra
// read them), plus Hydrant's status: {observed_revision, conditions: [{type, status, reason,
// message}]}; and the machine status document the queue stores and `get machines` reads. Used
// by `hydrant get -o json` and, later, the HTTP API. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/db/projects.hh"
#include "specs/result.hh"

namespace hydrant::db {
struct EvalView;
struct BuildView;
struct StepView;
}  // namespace hydrant::db

namespace hydrant::views {

// Ready always; Reconciling or Stalled as True when that is the current condition.
nlohmann::json conditions(const db::Status& status);

nlohmann::json project(const db::ProjectRow& row, const std::vector<std::string>& jobset_names);
nlohmann::json jobset(const db::JobsetRow& row);

// An evaluation as Hydra's GET /eval/:id shows it: id, timestamp, checkouttime, evaltime,
// hasnewbuilds (0 or 1), flake (null for a legacy jobset), nrbuilds (null until counted),
// builds [member ids], jobsetevalinputs {name: {uri, type, revision, value, dependency}}; plus
// Hydrant's errormsg (the per-job errors, "" when every job evaluated).
nlohmann::json eval(const db::EvalView& row);

// A build as Hydra's GET /build/:id shows it: id, project, jobset, job, finished (0 or 1),
// buildstatus (null until finished), timestamp, drvpath, system, nixname, priority,
// buildoutputs {name: {path}}; plus iscurrent (0 or 1) and steps, its BuildSteps rows in the
// order given: [{stepnr, drvpath, machine, status, busy, starttime, stoptime, errormsg,
// propagatedfrom}] (null for what is not set).
nlohmann::json build(const db::BuildView& row, const std::vector<db::StepView>& steps);

// A build's steps for a table cell: "0", "3", "3 (1 running)", "2 (1 failed, 1 aborted)".
// Running: busy; aborted: status 3 or 4 (redone or cancelled); failed: any other non-zero status.
std::string stepsSummary(const std::vector<db::StepView>& steps);

// What a person calls a build's state: "queued", "succeeded", "failed", "timed out", … (Hydra's
// buildstatus codes, HYDRA.md §2.1), "status N" for a code this binary does not know.
std::string buildStatusLabel(const db::BuildView& row);

// Unix seconds as "2024-05-01 12:00:00" (UTC); the number itself if it cannot be formatted.
std::string utcTime(long long unix_seconds);

// ---- machines -------------------------------------------------------------------------------

// One build machine as the queue sees it.
struct MachineStatus {
  std::string uri;  // "localhost" for this machine
  std::vector<std::string> systems, supported_features, mandatory_features;
  int max_jobs = 1;
  double speed_factor = 1;
  int current_jobs = 0;
  bool enabled = true;           // false: gone from the machines file, finishing its steps
  long long disabled_until = 0;  // unix seconds: backed off until then (0: never)
  int consecutive_failures = 0;
};

// What the queue stores in systemstatus under kMachinesStatusKey.
struct MachinesStatus {
  long long updated = 0;  // unix seconds
  std::vector<MachineStatus> machines;
};

inline constexpr const char* kMachinesStatusKey = "machines";

// The stored document: {"updated": N, "machines": [{"uri", "systems", "maxJobs",
// "speedFactor", "supportedFeatures", "mandatoryFeatures", "currentJobs", "enabled",
// "disabledUntil", "consecutiveFailures"}]}, machines in the given order.
std::string machinesStatusDocument(const MachinesStatus& status);

// Reads a stored document back; keys a machine lacks keep MachineStatus's defaults, except
// "uri", which is required. Error (kInvalid): "machine status: <what is wrong>".
Result<MachinesStatus> parseMachinesStatus(const std::string& json);

// Hydra's GET /machines: an object keyed by machine URI, each {systemTypes, maxJobs,
// speedFactor, supportedFeatures, mandatoryFeatures, currentJobs, disabledUntil,
// consecutiveFailures, enabled}.
nlohmann::json machines(const MachinesStatus& status);

// A machine's state for a table cell at `now` (unix seconds): "removed" when it left the
// machines file, "backed off until 2024-05-01 12:00:00 (3 failures)" while disabled, else "ok".
std::string machineStateLabel(const MachineStatus& machine, long long now);

}  // namespace hydrant::views
