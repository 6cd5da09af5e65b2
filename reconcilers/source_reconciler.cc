#include "reconcilers/source_reconciler.hh"

#include <set>

#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/log.hh"
#include "specs/parse.hh"
#include "specs/plan.hh"

namespace hydrant::reconcilers {

SourceReconciler::SourceReconciler(db::Database& db, SpecReader& reader, RootSource source,
                                   PollOptions poll)
    : db_(db), reader_(reader), source_(std::move(source)), poll_(std::move(poll)) {}

Result<std::pair<specs::RootFile, std::string>> SourceReconciler::desired(std::stop_token stop) {
  if (source_.inline_projects) {
    return std::make_pair(*source_.inline_projects, source_.inline_origin);
  }
  auto fetched = reader_.readGit(source_.url, source_.ref, source_.file, stop);
  if (!fetched) return fetched.error();
  auto root = specs::parseRootFile(fetched->text, source_.file);
  if (!root) return root.error();
  return std::make_pair(std::move(*root), fetched->revision);
}

Result<void> SourceReconciler::recordSource(const std::optional<std::string>& revision,
                                            const Error* failure) {
  if (source_.inline_projects) return {};  // nothing is fetched: no source row
  db::Status st = !failure ? db::Status::ready_("Fetched", "projects file read at " + *revision)
                  : failure->cls == ErrorClass::kTransient
                      ? db::Status::reconciling("FetchFailed", failure->message)
                      : db::Status::stalled("InvalidProjectsFile", failure->message);
  std::optional<std::string> error;
  if (failure) error = failure->message;
  return db_.withWrite([&](db::WriteTx& tx) {
    return db::setSourceStatus(tx, source_.url, source_.ref, source_.file, revision, error, st);
  });
}

Result<void> SourceReconciler::apply(const specs::RootFile& root, const std::string& revision) {
  const std::string declared_by =
      source_.inline_projects ? "inline" : source_.url + " " + source_.file;
  return db_.withWrite([&](db::WriteTx& tx) -> Result<void> {
    std::set<std::string> wanted;
    for (const auto& want : root.projects) {
      wanted.insert(want.name);
      // The project row is all diffProject compares; its jobsets are the project's own business.
      auto row = db::loadProject(db::readView(tx), want.name);
      if (!row) return row.error();
      std::optional<specs::ActualProject> actual;
      if (*row) actual = specs::ActualProject{(*row)->spec, {}};
      specs::ProjectPlan plan = specs::diffProject(want, actual);
      if (auto r = db::applyProjectRow(tx, plan, &want, revision, declared_by); !r) return r;
    }
    auto stored = db::listProjects(db::readView(tx));
    if (!stored) return stored.error();
    for (const auto& p : *stored) {
      if (wanted.count(p.spec.name)) continue;
      auto actual = db::actualProject(db::readView(tx), p.spec.name);
      if (!actual) return actual.error();
      specs::ProjectPlan plan = specs::removeProject(**actual);
      if (auto r = db::applyProjectRow(tx, plan, nullptr, revision, declared_by); !r) return r;
      if (plan.action != specs::Action::kDelete) {
        if (auto r = db::applyJobsetChanges(tx, plan, revision); !r) return r;
      }
    }
    return {};
  });
}

runtime::Outcome SourceReconciler::reconcile(const std::string&, std::stop_token stop) {
  auto want = desired(stop);
  if (!want) {
    const Error& e = want.error();
    if (auto r = recordSource(std::nullopt, &e); !r) return r.error();
    if (e.cls == ErrorClass::kTransient) return e;
    log::error("source=root", "stalled: {}", e.message);
    return runtime::RequeueAfter{jittered(poll_.interval, poll_.random ? poll_.random() : 0.5)};
  }
  const auto& [root, revision] = *want;
  if (auto r = apply(root, revision); !r) return r.error();
  if (auto r = recordSource(revision, nullptr); !r) return r.error();
  log::debug("source=root", "{} project(s) at {}", root.projects.size(), revision);
  return runtime::RequeueAfter{jittered(poll_.interval, poll_.random ? poll_.random() : 0.5)};
}

}  // namespace hydrant::reconcilers
