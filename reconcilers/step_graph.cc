#include "reconcilers/step_graph.hh"

#include <algorithm>

namespace hydrant::reconcilers {

const StepInfo* StepGraph::step(const std::string& drv) const {
  auto it = steps_.find(drv);
  return it == steps_.end() ? nullptr : &it->second.info;
}

bool StepGraph::addBuild(int id, const std::string& top_drv,
                         const std::vector<ClosureStep>& closure) {
  BuildEntry& entry = builds_[id];
  entry.top_drv = top_drv;
  std::set<std::string> built;
  for (const auto& c : closure) {
    if (c.built) built.insert(c.info.drv_path);
  }
  for (const auto& c : closure) {
    if (c.built || steps_.count(c.info.drv_path)) continue;
    Node& n = steps_[c.info.drv_path];
    n.info = c.info;
    for (const auto& in : c.input_drvs) {
      // An input is unbuilt when the graph has a step for it (added now or before).
      if (built.count(in) == 0 && steps_.count(in)) n.deps.insert(in);
    }
    for (const auto& dep : n.deps) steps_[dep].rdeps.insert(c.info.drv_path);
  }
  // The build needs every step reachable from its own derivation.
  std::vector<std::string> stack;
  if (steps_.count(top_drv)) stack.push_back(top_drv);
  while (!stack.empty()) {
    const std::string drv = stack.back();
    stack.pop_back();
    if (!entry.steps.insert(drv).second) continue;
    Node& n = steps_[drv];
    n.builds.insert(id);
    for (const auto& dep : n.deps) stack.push_back(dep);
  }
  if (entry.steps.empty()) {
    builds_.erase(id);
    return true;
  }
  return false;
}

std::vector<std::string> StepGraph::runnable() const {
  std::vector<std::string> out;
  for (const auto& [drv, n] : steps_) {
    if (n.deps.empty() && !n.running) out.push_back(drv);
  }
  return out;
}

std::vector<int> StepGraph::buildsNeeding(const std::string& drv) const {
  auto it = steps_.find(drv);
  if (it == steps_.end()) return {};
  return {it->second.builds.begin(), it->second.builds.end()};
}

std::vector<int> StepGraph::buildsOf(const std::string& drv) const {
  std::vector<int> out;
  auto it = steps_.find(drv);
  if (it == steps_.end()) return out;
  for (int id : it->second.builds) {
    if (builds_.at(id).top_drv == drv) out.push_back(id);
  }
  return out;
}

void StepGraph::setRunning(const std::string& drv, bool running) {
  auto it = steps_.find(drv);
  if (it != steps_.end()) it->second.running = running;
}

bool StepGraph::running(const std::string& drv) const {
  auto it = steps_.find(drv);
  return it != steps_.end() && it->second.running;
}

void StepGraph::dropStep(const std::string& drv) {
  auto it = steps_.find(drv);
  if (it == steps_.end()) return;
  for (const auto& dep : it->second.deps) {
    auto d = steps_.find(dep);
    if (d != steps_.end()) d->second.rdeps.erase(drv);
  }
  for (const auto& rdep : it->second.rdeps) {
    auto r = steps_.find(rdep);
    if (r != steps_.end()) r->second.deps.erase(drv);
  }
  steps_.erase(it);
}

StepGraph::Built StepGraph::markBuilt(const std::string& drv) {
  Built out;
  auto it = steps_.find(drv);
  if (it == steps_.end()) return out;
  const std::set<std::string> rdeps = it->second.rdeps;
  const std::set<int> needing = it->second.builds;
  for (int id : needing) {
    BuildEntry& b = builds_.at(id);
    b.steps.erase(drv);
    if (b.top_drv == drv) out.finished_builds.push_back(id);
  }
  dropStep(drv);
  for (int id : out.finished_builds) {
    // Its own derivation is built, so nothing else of its closure is needed by it any more.
    removeBuild(id);
  }
  for (const auto& r : rdeps) {
    auto n = steps_.find(r);
    if (n != steps_.end() && n->second.deps.empty() && !n->second.running) {
      out.now_runnable.push_back(r);
    }
  }
  return out;
}

std::vector<int> StepGraph::markFailed(const std::string& drv) {
  auto it = steps_.find(drv);
  if (it == steps_.end()) return {};
  std::vector<int> own = buildsOf(drv);
  std::vector<int> all(it->second.builds.begin(), it->second.builds.end());
  std::vector<int> out = own;
  for (int id : all) {
    if (std::find(own.begin(), own.end(), id) == own.end()) out.push_back(id);
  }
  for (int id : all) removeBuild(id);
  dropStep(drv);
  return out;
}

void StepGraph::removeBuild(int id) {
  auto it = builds_.find(id);
  if (it == builds_.end()) return;
  const std::set<std::string> steps = it->second.steps;
  builds_.erase(it);
  for (const auto& drv : steps) {
    auto n = steps_.find(drv);
    if (n == steps_.end()) continue;
    n->second.builds.erase(id);
    // A running step finishes on its own; its result is then simply not needed.
    if (n->second.builds.empty() && !n->second.running) dropStep(drv);
  }
}

}  // namespace hydrant::reconcilers
