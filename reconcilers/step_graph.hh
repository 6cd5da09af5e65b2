// StepGraph: the queue's picture of what is left to build (HYDRA.md §6.1). One step per
// derivation whose outputs are not yet valid, shared by every build (of any jobset) whose
// closure contains it; a step is runnable when none of its input derivations still needs
// building. Pure bookkeeping: the queue reconciler reads the .drv files and asks the store which
// outputs are valid, then tells the graph. Not thread-safe: one owner.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hydrant::reconcilers {

struct StepInfo {
  std::string drv_path;
  std::string system;
  std::vector<std::string> required_features;
  bool prefer_local = false;
  std::vector<std::string> output_paths;
};

// One derivation of a build's closure, as the reconciler found it.
struct ClosureStep {
  StepInfo info;
  std::vector<std::string> input_drvs;  // every input derivation, built or not
  bool built = false;                   // all outputs already valid: no step needed
};

class StepGraph {
 public:
  // Adds build `id` whose own derivation is `top_drv`, with its closure (dependencies before
  // dependents, `top_drv` last; derivations the graph already has may be left out). Returns
  // true when nothing needs building at all (the build is finished as cached).
  bool addBuild(int id, const std::string& top_drv, const std::vector<ClosureStep>& closure);

  bool hasBuild(int id) const { return builds_.count(id) != 0; }
  bool hasStep(const std::string& drv) const { return steps_.count(drv) != 0; }
  const StepInfo* step(const std::string& drv) const;

  // Steps whose inputs are all built and that are not running, in drv-path order.
  std::vector<std::string> runnable() const;
  // The builds that need `drv` (directly or through their closure), ascending.
  std::vector<int> buildsNeeding(const std::string& drv) const;
  // The builds whose own derivation is `drv`.
  std::vector<int> buildsOf(const std::string& drv) const;

  void setRunning(const std::string& drv, bool running);
  bool running(const std::string& drv) const;

  // `drv` was built: it leaves the graph; returns the builds it finishes (their own
  // derivation), and the steps that became runnable.
  struct Built {
    std::vector<int> finished_builds;
    std::vector<std::string> now_runnable;
  };
  Built markBuilt(const std::string& drv);

  // `drv` failed for good: every build that needs it fails with it and leaves the graph with
  // the steps only they needed. Returns those builds, ascending, the build(s) of `drv` itself
  // first.
  std::vector<int> markFailed(const std::string& drv);

  // A build left the queue (cancelled, deleted, finished elsewhere): steps only it needed go.
  void removeBuild(int id);

  size_t steps() const { return steps_.size(); }
  size_t builds() const { return builds_.size(); }

 private:
  struct Node {
    StepInfo info;
    std::set<std::string> deps;   // unbuilt input derivations
    std::set<std::string> rdeps;  // steps that wait for this one
    std::set<int> builds;         // builds whose closure needs it
    bool running = false;
  };
  struct BuildEntry {
    std::string top_drv;
    std::set<std::string> steps;  // every step of its closure still in the graph
  };
  void dropStep(const std::string& drv);

  std::map<std::string, Node> steps_;
  std::map<int, BuildEntry> builds_;
};

}  // namespace hydrant::reconcilers
