// The declarative side, assembled: git mirrors, the spec reader, and the source and project
// reconcilers, built from the config. Used by `hydrant run` (added to the manager under the
// "specs" role) and by `hydrant reconcile --once`. Owned by the main thread; it must outlive
// the manager it is added to.
#pragma once

#include <functional>
#include <memory>

#include "controller/config.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::git {
class Mirrors;
}
namespace hydrant::runtime {
class Manager;
}
namespace hydrant::reconcilers {
class SpecReader;
class SourceReconciler;
class ProjectReconciler;
class GeneratedJobsetsReconciler;
}  // namespace hydrant::reconcilers

namespace hydrant {

class SpecsWiring {
 public:
  // REQUIRES: config.projects is set.
  SpecsWiring(const config::Config& config, db::Database& database,
              std::function<double()> random);
  ~SpecsWiring();

  void addTo(runtime::Manager& manager);
  reconcilers::SourceReconciler& source() { return *source_; }
  reconcilers::ProjectReconciler& projects() { return *projects_; }
  git::Mirrors& mirrors() { return *mirrors_; }
  reconcilers::SpecReader& reader() { return *reader_; }

 private:
  std::unique_ptr<git::Mirrors> mirrors_;
  std::unique_ptr<reconcilers::SpecReader> reader_;
  std::shared_ptr<reconcilers::SourceReconciler> source_;
  std::shared_ptr<reconcilers::ProjectReconciler> projects_;
  std::shared_ptr<reconcilers::GeneratedJobsetsReconciler> generated_;
};

}  // namespace hydrant
