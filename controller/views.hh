// JSON views of stored objects with Hydra's JSON API field names (so tools written for Hydra
// read them), plus Hydrant's status: {observed_revision, conditions: [{type, status, reason,
// message}]}. Used by `hydrant get -o json` and, later, the HTTP API. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/db/projects.hh"

namespace hydrant::db {
struct EvalView;
struct BuildView;
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
// buildoutputs {name: {path}}; plus iscurrent (0 or 1).
nlohmann::json build(const db::BuildView& row);

// What a person calls a build's state: "queued", "succeeded", "failed", "timed out", … (Hydra's
// buildstatus codes, HYDRA.md §2.1), "status N" for a code this binary does not know.
std::string buildStatusLabel(const db::BuildView& row);

}  // namespace hydrant::views
