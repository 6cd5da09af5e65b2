// The evaluator, assembled: eval-jobs.nix installed under the state dir, the input fetcher and
// the evaluation reconciler, built from the config and added to the manager under the
// "evaluator" role. Owned by the main thread; it must outlive the manager it is added to.
#pragma once

#include <functional>
#include <memory>

#include "controller/config.hh"
#include "specs/result.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::git {
class Mirrors;
}
namespace hydrant::runtime {
class Clock;
class Manager;
}  // namespace hydrant::runtime
namespace hydrant::reconcilers {
class JobsetInputs;
class EvaluationReconciler;
}  // namespace hydrant::reconcilers

namespace hydrant {

class EvalWiring {
 public:
  // Installs eval-jobs.nix; Error (kTransient) when the state dir is not writable.
  static Result<std::unique_ptr<EvalWiring>> create(const config::Config& config,
                                                    db::Database& database, git::Mirrors& mirrors,
                                                    runtime::Clock& clock,
                                                    std::function<double()> random);
  ~EvalWiring();

  void addTo(runtime::Manager& manager);
  reconcilers::EvaluationReconciler& evaluator() { return *evaluator_; }

 private:
  EvalWiring() = default;
  std::unique_ptr<reconcilers::JobsetInputs> inputs_;
  std::shared_ptr<reconcilers::EvaluationReconciler> evaluator_;
};

}  // namespace hydrant
