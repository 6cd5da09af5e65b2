// The build queue, assembled: the queue reconciler with its machines, log and GC-root
// directories from the config, added to the manager under the "queue" role. Owned by the main
// thread; it must outlive the manager it is added to.
#pragma once

#include <functional>
#include <memory>

#include "controller/config.hh"

namespace hydrant::db {
class Database;
}
namespace hydrant::runtime {
class Clock;
class Manager;
}  // namespace hydrant::runtime
namespace hydrant::reconcilers {
class QueueReconciler;
}

namespace hydrant {

class QueueWiring {
 public:
  QueueWiring(const config::Config& config, db::Database& database, runtime::Clock& clock,
              std::function<double()> random);
  ~QueueWiring();
  void addTo(runtime::Manager& manager);

 private:
  std::shared_ptr<reconcilers::QueueReconciler> queue_;
};

// This machine's Nix system type, e.g. "x86_64-linux".
std::string localSystem();

}  // namespace hydrant
