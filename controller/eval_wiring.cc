#include "controller/eval_wiring.hh"

#include <filesystem>

#include "controller/nix/nix.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/evaluation_reconciler.hh"
#include "reconcilers/jobset_inputs.hh"

namespace hydrant {

Result<std::unique_ptr<EvalWiring>> EvalWiring::create(const config::Config& config,
                                                       db::Database& database,
                                                       git::Mirrors& mirrors,
                                                       runtime::Clock& clock,
                                                       std::function<double()> random) {
  namespace fs = std::filesystem;
  const fs::path state(config.state_dir);
  auto script = nix::installEvalJobsNix((state / "nix").string());
  if (!script) return script.error();
  std::unique_ptr<EvalWiring> w(new EvalWiring);
  const std::string base_url = config.projects ? config.projects->url : "";
  const auto fetch_timeout =
      config.projects ? config.projects->timeout : std::chrono::seconds(600);
  w->inputs_ = std::make_unique<reconcilers::JobsetInputs>(
      mirrors, database, base_url, (state / "tmp").string(),
      std::chrono::duration_cast<std::chrono::milliseconds>(fetch_timeout));
  reconcilers::EvaluatorOptions options;
  options.max_concurrent = config.max_concurrent_evals;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.eval_timeout);
  options.memory_limit_bytes = static_cast<size_t>(config.eval_max_memory_mib) << 20;
  options.eval_jobs_nix = *script;
  options.random = std::move(random);
  w->evaluator_ = std::make_shared<reconcilers::EvaluationReconciler>(database, *w->inputs_,
                                                                      clock, options);
  return w;
}

EvalWiring::~EvalWiring() = default;

void EvalWiring::addTo(runtime::Manager& manager) {
  reconcilers::EvaluationReconciler::addTo(manager, evaluator_);
}

}  // namespace hydrant
