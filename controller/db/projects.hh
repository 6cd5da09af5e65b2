// Projects, jobsets, their status and the events that record changes: every SQL statement the
// declarative reconcilers and the `get` command need, one named function per query, returning
// plain rows. Writes take a WriteTx, reads a ReadTx. Large plans are written with a few
// set-based statements (arrays unnested in SQL), not one statement per jobset.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "specs/model.hh"
#include "specs/plan.hh"
#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;
class WriteTx;

// The condition an object shows (DESIGN.md: status that observers read).
struct Status {
  std::string condition = "Reconciling";  // Ready | Reconciling | Stalled
  std::string ready = "Unknown";          // True | False | Unknown
  std::string reason;                     // CamelCase, may be empty
  std::string message;
  bool operator==(const Status&) const = default;

  static Status ready_(std::string reason, std::string message) {
    return {"Ready", "True", std::move(reason), std::move(message)};
  }
  static Status stalled(std::string reason, std::string message) {
    return {"Stalled", "False", std::move(reason), std::move(message)};
  }
  static Status reconciling(std::string reason, std::string message) {
    return {"Reconciling", "False", std::move(reason), std::move(message)};
  }
};

struct ProjectRow {
  specs::ProjectSpec spec;
  std::optional<std::string> observed_revision;
  std::optional<std::string> applied_spec_hash;
  std::string declared_by;
  Status status;
  std::string last_transition_at;  // ISO 8601 UTC, "" when never
  std::string last_reconciled_at;
  int jobsets = 0;  // how many jobsets it has
};

struct JobsetRow {
  int id = 0;
  std::string project;
  specs::JobsetSpec spec;
  bool has_builds = false;
  std::optional<std::string> observed_revision;
  Status status;
  std::string last_reconciled_at;
  // Hydra's bookkeeping columns, for the JSON API's field names.
  std::optional<long long> lastcheckedtime, triggertime, starttime, errortime;
  std::string errormsg, fetcherrormsg;
};

Result<std::vector<ProjectRow>> listProjects(ReadTx& tx);
Result<std::optional<ProjectRow>> loadProject(ReadTx& tx, const std::string& name);
// Every jobset, or those of one project, sorted by project and name.
Result<std::vector<JobsetRow>> listJobsets(ReadTx& tx, const std::optional<std::string>& project);

// What diff needs: a project's jobsets as specs, with has_builds.
Result<std::vector<specs::ActualJobset>> actualJobsets(ReadTx& tx, const std::string& project);
Result<std::optional<specs::ActualProject>> actualProject(ReadTx& tx, const std::string& name);

// Applies the project-level part of `plan` (create, update, disable and hide, delete), with an
// event per change. `desired` is the spec to write for create/update (null for a removal).
Result<void> applyProjectRow(WriteTx& tx, const specs::ProjectPlan& plan,
                             const specs::ProjectSpec* desired, const std::string& revision,
                             const std::string& declared_by);

// Applies the jobset part of `plan` (creates, updates with inputs replaced wholesale, disables,
// deletes — a jobset that has builds by now is disabled and hidden instead), an event per
// change, and marks each written jobset Ready at `revision`.
Result<void> applyJobsetChanges(WriteTx& tx, const specs::ProjectPlan& plan,
                                const std::string& revision);

// Sets a project's status; `observed_revision` and `applied_spec_hash` are only written when
// given. Writes nothing when nothing would change (so polling an unchanged spec is free).
Result<void> setProjectStatus(WriteTx& tx, const std::string& name, const Status& status,
                              const std::optional<std::string>& observed_revision,
                              const std::optional<std::string>& applied_spec_hash);

// Records the root source's last fetch (one row per url/ref/file), writing only on change.
Result<void> setSourceStatus(WriteTx& tx, const std::string& url, const std::string& ref,
                             const std::string& file, const std::optional<std::string>& revision,
                             const std::optional<std::string>& fetch_error, const Status& status);

// One events row.
Result<void> recordEvent(WriteTx& tx, const std::string& kind, const std::string& key,
                         const std::string& action, const std::optional<std::string>& revision,
                         const std::string& message);

// NOTIFY `channel` with `payload` when the transaction commits (`hydrant trigger`).
Result<void> notify(WriteTx& tx, const std::string& channel, const std::string& payload);

}  // namespace hydrant::db
