// ProjectReconciler: makes a project's jobsets match the spec file its declarative input points
// at. Key: the project name. Reads the spec at the input's current revision, and when it
// differs from what was last applied, diffs it against the database and applies the plan in one
// transaction, with an event per change. A spec that cannot be fetched, parsed or validated
// leaves every jobset as it was and shows on the project's status (Stalled, or Reconciling while
// a transient fetch error is retried). Looks again every poll interval. Thread-safe: the work
// queue never hands one project to two workers at once.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "controller/runtime/reconciler.hh"
#include "reconcilers/spec_reader.hh"
#include "specs/plan.hh"

namespace hydrant::db {
class Database;
}

namespace hydrant::reconcilers {

struct PollOptions {
  std::chrono::seconds interval{60};  // between polls; each is jittered by ±10 %
  std::function<double()> random;     // uniform in [0, 1), for the jitter
};

// interval × (1 ± 10 %), from a draw in [0, 1).
runtime::Duration jittered(std::chrono::seconds interval, double unit_random);

// The fingerprint of what decides a project's jobset plan: the spec text and the prune policy.
std::string specFingerprint(const std::string& text, specs::Prune prune);

// Everything `hydrant plan` and a reconcile need to know about one project's spec.
struct ProjectSpecState {
  FetchedSpec fetched;
  specs::ProjectFile file;
};

class ProjectReconciler final : public runtime::Reconciler {
 public:
  ProjectReconciler(db::Database& db, SpecReader& reader, PollOptions poll);

  std::string_view kind() const override { return "project"; }
  runtime::Outcome reconcile(const std::string& name, std::stop_token stop) override;
  Result<std::vector<std::string>> listKeys() override;

 private:
  runtime::Outcome stall(const std::string& name, const std::string& reason, const Error& e);
  runtime::Outcome again();

  db::Database& db_;
  SpecReader& reader_;
  PollOptions poll_;
};

}  // namespace hydrant::reconcilers
