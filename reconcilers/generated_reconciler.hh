// GeneratedJobsetsReconciler: closes the declarative loop of generated-mode projects (HYDRA.md
// §3.2 step 6). Its key is a build id: when the `jobsets` job of a project's `.jobsets` jobset
// has finished successfully and is current, its output — a JSON file of jobset name → spec — is
// validated and applied through exactly the same diff and apply as a static spec file, with the
// same status and events. A bad generated spec changes nothing: `.jobsets` goes Stalled with a
// located message. Thread-safe (the work queue never runs one key twice at once).
#pragma once

#include <string>

#include "controller/runtime/reconciler.hh"

namespace hydrant::db {
class Database;
}

namespace hydrant::reconcilers {

class GeneratedJobsetsReconciler final : public runtime::Reconciler {
 public:
  explicit GeneratedJobsetsReconciler(db::Database& db) : db_(db) {}

  std::string_view kind() const override { return "generated"; }
  runtime::Outcome reconcile(const std::string& build_id, std::stop_token stop) override;
  // The current successful `jobsets` build of every generated-mode project.
  Result<std::vector<std::string>> listKeys() override;

  // The key a build_finished payload ("<build>\t<dependent>…") names: its first build.
  static std::string keyOf(const std::string& payload);

 private:
  db::Database& db_;
};

}  // namespace hydrant::reconcilers
