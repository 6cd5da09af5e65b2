// JSON views of stored objects with Hydra's JSON API field names (so tools written for Hydra
// read them), plus Hydrant's status: {observed_revision, conditions: [{type, status, reason,
// message}]}. Used by `hydrant get -o json` and, later, the HTTP API. Pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/db/projects.hh"

namespace hydrant::views {

// Ready always; Reconciling or Stalled as True when that is the current condition.
nlohmann::json conditions(const db::Status& status);

nlohmann::json project(const db::ProjectRow& row, const std::vector<std::string>& jobset_names);
nlohmann::json jobset(const db::JobsetRow& row);

}  // namespace hydrant::views
