// Plans: what reconciling a project would change, computed by diff(desired, actual) and
// rendered as text (like `terraform plan`) or JSON. Pure; thread-safe (no shared state).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "specs/model.hh"

namespace hydrant::specs {

// A jobset as it is stored: its spec plus what decides how it may be removed.
struct ActualJobset {
  JobsetSpec spec;
  bool has_builds = false;  // a jobset with builds is never deleted, only disabled and hidden
};

// A project as it is stored, with its jobsets (sorted by name).
struct ActualProject {
  ProjectSpec spec;
  std::vector<ActualJobset> jobsets;
};

enum class Action {
  kCreate,
  kUpdate,
  kDisable,  // leaves the spec: enabled = 0, hidden = 1, history kept
  kDelete,   // leaves the spec under prune: delete, and has no builds
  kUnchanged,
};

const char* actionName(Action a);  // "create", "update", "disable", "delete", "unchanged"

// One field's change. Values are rendered as JSON literals, so text and JSON output agree:
// strings quoted and escaped ("\"main\""), numbers plain ("300", enabled as its number),
// booleans "true"/"false". An added or removed input is one change whose value is the quoted
// "type value".
struct FieldChange {
  std::string field;  // "checkinterval", "inputs.src.value", "inputs.src" (added/removed)
  std::string from;   // rendered value; "" with from_absent when it did not exist (or is null)
  std::string to;
  bool from_absent = false;
  bool to_absent = false;
};

struct JobsetChange {
  std::string name;
  Action action = Action::kUnchanged;
  std::vector<FieldChange> fields;  // for kUpdate (and kCreate: every field set)
  JobsetSpec desired;               // what the row must become (kCreate, kUpdate, kDisable)
};

struct ProjectPlan {
  std::string project;
  Action action = Action::kUnchanged;       // of the project row itself
  std::vector<FieldChange> project_fields;  // for kCreate, kUpdate, kDisable
  ProjectSpec desired;                      // what the row must become (kCreate, kUpdate, kDisable)
  std::vector<JobsetChange> jobsets;        // sorted by name; includes unchanged ones
  bool hasChanges() const;
  int count(Action a) const;  // jobsets with that action
};

// The project-level diff. `actual` is nullopt when the project does not exist yet.
// REQUIRES: desired.name == actual->spec.name when both are given.
ProjectPlan diffProject(const ProjectSpec& desired, const std::optional<ActualProject>& actual);

// The jobset-level diff of a project's spec file against what is stored, added to `plan`.
// Static mode: every stored jobset that is not in `file` (and is not ".jobsets") is removed
// according to `prune`: kDelete when prune is kDelete and it has no builds, else kDisable (a
// jobset already disabled and hidden is unchanged). Generated mode: only ".jobsets" is
// compared; other jobsets belong to the generator and are left alone. Jobsets that are not
// compared (those, and a stored ".jobsets" in static mode) do not appear in the plan.
void diffJobsets(const ProjectFile& file, const std::vector<ActualJobset>& actual, Prune prune,
                 ProjectPlan& plan);

// The removal of a whole project that left the root file, for a plan.
ProjectPlan removeProject(const ActualProject& actual);

// Text, as a person reads it (layout documented in plan.cc). `revision` (may be empty) is named,
// shortened to 7 characters, in the header line.
std::string renderText(const ProjectPlan& plan, const std::string& revision);
// JSON text with "project", "revision", "action", "changes": [...] (unchanged jobsets left out),
// "summary": {"create": n, "update": n, "disable": n, "delete": n, "unchanged": n} (jobsets).
// Field values are typed JSON values; absent ones are null, as is an empty revision.
std::string renderJson(const ProjectPlan& plan, const std::string& revision);

}  // namespace hydrant::specs
