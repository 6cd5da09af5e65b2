#include "controller/queue_wiring.hh"

#include <sys/utsname.h>

#include <filesystem>

#include "controller/runtime/manager.hh"
#include "reconcilers/queue_reconciler.hh"

namespace hydrant {

std::string localSystem() {
  struct utsname u {};
  if (::uname(&u) != 0) return "x86_64-linux";
  std::string machine = u.machine;
  if (machine == "arm64") machine = "aarch64";
  return machine + "-linux";
}

QueueWiring::QueueWiring(const config::Config& config, db::Database& database,
                         runtime::Clock& clock, std::function<double()> random) {
  namespace fs = std::filesystem;
  reconcilers::QueueOptions o;
  o.machines_file = config.machines_file;
  o.local_system = localSystem();
  o.local_max_jobs = static_cast<unsigned>(config.max_jobs);
  o.log_dir = (fs::path(config.state_dir) / "logs").string();
  o.gc_roots_dir = (fs::path(config.state_dir) / "gcroots").string();
  o.unsupported_grace = config.unsupported_grace.count();
  o.max_log_size = config.max_log_size;
  o.max_output_size = config.max_output_size;
  o.random = std::move(random);
  queue_ = std::make_shared<reconcilers::QueueReconciler>(database, clock, o);
}

QueueWiring::~QueueWiring() = default;

void QueueWiring::addTo(runtime::Manager& manager) {
  reconcilers::QueueReconciler::addTo(manager, queue_);
}

}  // namespace hydrant
