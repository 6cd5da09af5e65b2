#include "reconcilers/project_reconciler.hh"

#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/log.hh"
#include "specs/fingerprint.hh"
#include "specs/parse.hh"

namespace hydrant::reconcilers {

runtime::Duration jittered(std::chrono::seconds interval, double unit_random) {
  auto ms = std::chrono::duration_cast<runtime::Duration>(interval);
  return runtime::Duration(static_cast<long long>(ms.count() * (0.9 + 0.2 * unit_random)));
}

std::string specFingerprint(const std::string& text, specs::Prune prune) {
  return specs::fingerprint(text + "\nprune=" + specs::pruneName(prune));
}

ProjectReconciler::ProjectReconciler(db::Database& db, SpecReader& reader, PollOptions poll)
    : db_(db), reader_(reader), poll_(std::move(poll)) {}

Result<std::vector<std::string>> ProjectReconciler::listKeys() {
  return db_.read<std::vector<std::string>>(
      [](db::ReadTx& tx) -> Result<std::vector<std::string>> {
        auto projects = db::listProjects(tx);
        if (!projects) return projects.error();
        std::vector<std::string> names;
        for (const auto& p : *projects) names.push_back(p.spec.name);
        return names;
      });
}

runtime::Outcome ProjectReconciler::again() {
  return runtime::RequeueAfter{jittered(poll_.interval, poll_.random ? poll_.random() : 0.5)};
}

// Records why the spec could not be applied, keeping every jobset as it is. A transient error
// is returned for backoff; anything else waits for the next poll, which sees a new commit.
runtime::Outcome ProjectReconciler::stall(const std::string& name, const std::string& reason,
                                          const Error& e) {
  const bool transient = e.cls == ErrorClass::kTransient;
  db::Status st = transient ? db::Status::reconciling(reason, e.message)
                            : db::Status::stalled(reason, e.message);
  auto w = db_.withWrite([&](db::WriteTx& tx) {
    return db::setProjectStatus(tx, name, st, std::nullopt, std::nullopt);
  });
  if (!w) return w.error();
  if (transient) return e;
  log::error("project=" + name, "stalled ({}): {}", reason, e.message);
  return again();
}

runtime::Outcome ProjectReconciler::reconcile(const std::string& name, std::stop_token stop) {
  const std::string obj = "project=" + name;
  auto row = db_.read<std::optional<db::ProjectRow>>(
      [&](db::ReadTx& tx) { return db::loadProject(tx, name); });
  if (!row) return row.error();
  if (!*row) {
    log::debug(obj, "gone: nothing to do");
    return runtime::Done{};
  }
  const db::ProjectRow& p = **row;
  if (!p.spec.enabled) {
    log::debug(obj, "disabled: its spec is not read");
    return runtime::Done{};
  }
  const auto& decl = p.spec.declarative;
  auto fetched = reader_.read(decl.type, decl.value, decl.file, stop);
  if (!fetched) return stall(name, "FetchFailed", fetched.error());
  const std::string hash = specFingerprint(fetched->text, p.spec.prune);
  if (p.applied_spec_hash == hash && p.status.condition == "Ready") {
    if (p.observed_revision == fetched->revision) {
      log::debug(obj, "unchanged at {}", fetched->revision);
      return again();
    }
    // A new commit with the same spec: only the revision moves.
    auto w = db_.withWrite([&](db::WriteTx& tx) {
      return db::setProjectStatus(tx, name, p.status, fetched->revision, std::nullopt);
    });
    if (!w) return w.error();
    log::debug(obj, "spec unchanged at new revision {}", fetched->revision);
    return again();
  }
  auto file = specs::parseProjectFile(fetched->text, decl.file);
  if (!file) return stall(name, "InvalidSpec", file.error());

  auto w = db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    // Read inside the write transaction, so the plan is made against what it will change.
    auto actual = db::actualJobsets(db::readView(tx), name);
    if (!actual) return actual.error();
    specs::ProjectPlan plan;
    plan.project = name;
    specs::diffJobsets(*file, *actual, p.spec.prune, plan);
    if (auto r = db::applyJobsetChanges(tx, plan, fetched->revision); !r) return r;
    log::info(obj, "applied {}: {} created, {} updated, {} disabled, {} deleted", fetched->revision,
              plan.count(specs::Action::kCreate), plan.count(specs::Action::kUpdate),
              plan.count(specs::Action::kDisable), plan.count(specs::Action::kDelete));
    return db::setProjectStatus(
        tx, name, db::Status::ready_("Applied", "spec applied from " + fetched->revision),
        fetched->revision, hash);
  });
  if (!w) return w.error();
  return again();
}

}  // namespace hydrant::reconcilers
