// The desired-state model: what a root projects file and a project's spec file say, after
// parsing and validation. Plain value types, compared field by field by specs::diff; the same
// types describe the actual state read back from the database. Not synchronized.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hydrant::specs {

// Where something was written: "spec.json:14:9". Empty file means "not from a file" (e.g. read
// from the database).
struct Location {
  std::string file;
  int line = 0;             // 1-based
  int column = 0;           // 1-based
  std::string str() const;  // "file:line:col", or "file" without a line
};

// Hydra's jobset modes (Jobsets.enabled).
enum class Enabled { kDisabled = 0, kEnabled = 1, kOneShot = 2, kOneAtATime = 3 };

// What happens to a jobset (or project) that leaves its spec.
enum class Prune {
  kDisable,  // enabled = 0, hidden = 1, history kept (Hydra's behaviour; the default)
  kDelete,   // deleted when it has no builds, otherwise disabled and hidden
};

const char* pruneName(Prune p);  // "disable", "delete"

// One jobset input (Hydra: JobsetInputs + its single JobsetInputAlts value).
struct InputSpec {
  std::string name;
  std::string type;  // git, path, string, boolean, nix, build, eval
  std::string value;
  bool emailresponsible = false;
  bool operator==(const InputSpec&) const = default;
};

// One jobset. Absent keys take these defaults: the spec is the whole truth (unlike Hydra, where
// an absent key leaves the stored value as it was).
struct JobsetSpec {
  std::string name;
  Enabled enabled = Enabled::kEnabled;
  bool hidden = false;
  int type = 0;                      // 0 legacy, 1 flake
  std::optional<std::string> flake;  // type 1 only
  std::string description;
  std::optional<std::string> nixexprinput;  // type 0 only
  std::optional<std::string> nixexprpath;   // type 0 only
  int checkinterval = 300;                  // seconds, 0 = only when triggered
  int schedulingshares = 100;               // > 0
  bool enableemail = true;
  std::string emailoverride;
  int keepnr = 3;
  std::vector<InputSpec> inputs;  // sorted by name, names unique

  Location where;  // the jobset's key in its file; not compared

  // Field-by-field equality of everything stored (not `where`).
  bool sameAs(const JobsetSpec& other) const;
};

// A project's spec file. Static mode: every top-level value is an object, and the file is the
// complete set of the project's jobsets. Generated mode: the file configures the project's
// `.jobsets` jobset, whose evaluation produces the jobsets (a later milestone).
struct ProjectFile {
  enum class Mode { kStatic, kGenerated };
  Mode mode = Mode::kStatic;
  std::vector<JobsetSpec> jobsets;  // static: sorted by name; generated: exactly one, ".jobsets"
};

inline constexpr const char* kGeneratorJobset = ".jobsets";

// Where a project's spec file comes from (Hydra: declfile / decltype / declvalue).
struct DeclarativeInput {
  std::string file;   // path of the spec file inside the input, relative
  std::string type;   // "git" or "path"
  std::string value;  // git: "URL [branch|tag|rev]"; path: a directory
  bool operator==(const DeclarativeInput&) const = default;
};

// One entry of the root projects file (Hydra's project JSON field names, plus `prune`).
struct ProjectSpec {
  std::string name;
  std::string displayname;  // defaults to the name
  std::string description;
  std::string homepage;
  bool enabled = true;
  bool hidden = false;
  Prune prune = Prune::kDisable;
  DeclarativeInput declarative;

  Location where;  // not compared
  bool sameAs(const ProjectSpec& other) const;
};

// The root projects file: project name -> spec, sorted by name.
struct RootFile {
  std::vector<ProjectSpec> projects;
};

}  // namespace hydrant::specs
