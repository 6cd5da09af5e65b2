#include "controller/specs_wiring.hh"

#include <filesystem>

#include "controller/git/mirrors.hh"
#include "controller/runtime/manager.hh"
#include "reconcilers/generated_reconciler.hh"
#include "reconcilers/project_reconciler.hh"
#include "reconcilers/source_reconciler.hh"
#include "reconcilers/spec_reader.hh"

namespace hydrant {

SpecsWiring::SpecsWiring(const config::Config& config, db::Database& database,
                         std::function<double()> random) {
  const config::ProjectsConfig& p = *config.projects;
  mirrors_ = std::make_unique<git::Mirrors>(
      (std::filesystem::path(config.state_dir) / "git").string());
  reader_ = std::make_unique<reconcilers::SpecReader>(*mirrors_, p.url, p.timeout);
  reconcilers::PollOptions poll{p.interval, random};
  reconcilers::RootSource root{p.url, p.ref, p.file, p.inline_projects, "hydrant.yaml"};
  source_ = std::make_shared<reconcilers::SourceReconciler>(database, *reader_, root, poll);
  projects_ = std::make_shared<reconcilers::ProjectReconciler>(database, *reader_, poll);
  generated_ = std::make_shared<reconcilers::GeneratedJobsetsReconciler>(database);
}

SpecsWiring::~SpecsWiring() = default;

void SpecsWiring::addTo(runtime::Manager& manager) {
  using Key = std::optional<std::string>;
  manager.add({"specs", source_, {"sources_changed"},
               [](const std::string&, const std::string&) -> Key {
                 return reconcilers::SourceReconciler::kKey;
               },
               1,
               {}});
  manager.add({"specs", projects_, {"projects_changed"}, {}, 2, {}});
  // A finished `.jobsets` build brings its project's generated jobsets.
  manager.add({"specs", generated_, {"build_finished"},
               [](const std::string&, const std::string& payload) -> Key {
                 return reconcilers::GeneratedJobsetsReconciler::keyOf(payload);
               },
               1,
               {}});
}

}  // namespace hydrant
