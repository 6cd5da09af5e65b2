// SourceReconciler: makes the set of projects match the root projects file (or the projects
// written inline in hydrant.yaml). Key: "root". Creates and updates project rows, and removes
// the projects that left the file by their prune policy (disable and hide, or delete when they
// have no builds); each change is an event, and the row change wakes that project's
// reconciler. A root file that cannot be fetched or parsed changes nothing and shows on the
// source's status. Looks again every poll interval. Thread-safe (one key).
#pragma once

#include <optional>
#include <string>

#include "controller/runtime/reconciler.hh"
#include "reconcilers/project_reconciler.hh"
#include "reconcilers/spec_reader.hh"
#include "specs/model.hh"

namespace hydrant::db {
class Database;
}

namespace hydrant::reconcilers {

// Where the projects come from: a root file in git, or inline projects.
struct RootSource {
  std::string url;   // git URL or absolute path ("" when inline)
  std::string ref;   // "" = the remote's HEAD
  std::string file = "projects.json";
  std::optional<specs::RootFile> inline_projects;  // set: use these, fetch nothing
  std::string inline_origin = "hydrant.yaml";      // names the inline projects' revision
};

class SourceReconciler final : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = "root";

  SourceReconciler(db::Database& db, SpecReader& reader, RootSource source, PollOptions poll);

  std::string_view kind() const override { return "source"; }
  runtime::Outcome reconcile(const std::string& key, std::stop_token stop) override;
  Result<std::vector<std::string>> listKeys() override { return std::vector<std::string>{kKey}; }

 private:
  // The desired projects and the revision they were read at.
  Result<std::pair<specs::RootFile, std::string>> desired(std::stop_token stop);
  Result<void> apply(const specs::RootFile& root, const std::string& revision);
  Result<void> recordSource(const std::optional<std::string>& revision, const Error* failure);

  db::Database& db_;
  SpecReader& reader_;
  const RootSource source_;
  PollOptions poll_;
};

}  // namespace hydrant::reconcilers
