// Read-only queries over evaluations and builds: what `build` and `eval` inputs resolve to, and
// the lists `hydrant get evals` / `get builds` print, and the build `hydrant log` shows. Declared
// in controller/db/evals.hh.
#include <map>

#include "controller/db/arrays.hh"
#include "controller/db/evals.hh"
#include "controller/db/evals_sql.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

using evalsql::optInt;
using evalsql::optText;

constexpr const char* kBuildViewSelect =
    "select b.id, j.project, j.name, b.job, b.finished, b.buildstatus, b.timestamp, "
    "  b.drvpath, b.system, coalesce(b.nixname, ''), b.priority, coalesce(b.iscurrent, 0) "
    "from builds b join jobsets j on j.id = b.jobset_id ";

// Builds from rows of kBuildViewSelect, in the rows' order, with their outputs (one more query).
std::vector<BuildView> buildViews(pqxx::transaction_base& tx, const pqxx::result& rows) {
  std::vector<BuildView> out;
  out.reserve(rows.size());
  ArrayParam ids;
  for (const auto& r : rows) {
    out.push_back(evalsql::buildViewFromRow(r));
    ids.add(out.back().id);
  }
  if (out.empty()) return out;
  std::map<int, BuildView*> by_id;
  for (auto& b : out) by_id[b.id] = &b;
  for (const auto& r : tx.exec_params(
           "select build, name, coalesce(path, '') from buildoutputs where build = any($1::int[])",
           ids.literal())) {
    by_id.at(r[0].as<int>())->buildoutputs[r[1].as<std::string>()] = r[2].as<std::string>();
  }
  return out;
}

}  // namespace

namespace evalsql {

EvalView evalViewFromRow(const pqxx::row& r) {
  EvalView e;
  e.id = r[0].as<int>();
  e.timestamp = r[1].as<long long>();
  e.checkouttime = r[2].as<int>();
  e.evaltime = r[3].as<int>();
  e.hasnewbuilds = r[4].as<int>() != 0;
  e.nrbuilds = optInt(r[5]);
  e.flake = r[6].as<std::string>();
  e.errormsg = r[7].as<std::string>();
  return e;
}

void attachEvalDetails(pqxx::transaction_base& tx, std::vector<EvalView>& evals) {
  if (evals.empty()) return;
  ArrayParam ids;
  std::map<int, EvalView*> by_id;
  for (auto& e : evals) {
    ids.add(e.id);
    by_id[e.id] = &e;
  }
  for (const auto& r :
       tx.exec_params("select eval, build from jobsetevalmembers where eval = any($1::int[]) "
                      "order by eval, build",
                      ids.literal())) {
    by_id.at(r[0].as<int>())->builds.push_back(r[1].as<int>());
  }
  for (const auto& r : tx.exec_params(
           "select eval, name, type, uri, revision, value, dependency from jobsetevalinputs "
           "where eval = any($1::int[])",
           ids.literal())) {
    by_id.at(r[0].as<int>())->inputs[r[1].as<std::string>()] = {
        r[2].as<std::string>(), optText(r[3]), optText(r[4]), optText(r[5]), optInt(r[6])};
  }
}

BuildView buildViewFromRow(const pqxx::row& r) {
  BuildView b;
  b.id = r[0].as<int>();
  b.project = r[1].as<std::string>();
  b.jobset = r[2].as<std::string>();
  b.job = r[3].as<std::string>();
  b.finished = r[4].as<int>() != 0;
  b.buildstatus = optInt(r[5]);
  b.timestamp = r[6].as<long long>();
  b.drvpath = r[7].as<std::string>();
  b.system = r[8].as<std::string>();
  b.nixname = r[9].as<std::string>();
  b.priority = r[10].as<int>();
  b.iscurrent = r[11].as<int>() != 0;
  return b;
}

}  // namespace evalsql

Result<std::optional<BuildOutputRef>> latestSuccessfulBuild(ReadTx& rtx, const std::string& project,
                                                            const std::string& jobset,
                                                            const std::string& job) {
  auto rows = rtx.tx.exec_params(
      "select b.id, coalesce(o.path, ''), b.drvpath, coalesce(b.nixname, ''), "
      "  coalesce(b.releasename, '') "
      "from builds b join jobsets j on j.id = b.jobset_id "
      "left join lateral (select path from buildoutputs where build = b.id "
      "  order by name <> 'out', name collate \"C\" limit 1) o on true "
      "where j.project = $1 and j.name = $2 and b.job = $3 and b.finished = 1 "
      "  and b.buildstatus = 0 "
      "order by b.id desc limit 1",
      project, jobset, job);
  if (rows.empty()) return std::optional<BuildOutputRef>();
  const auto& r = rows[0];
  return std::optional<BuildOutputRef>(
      BuildOutputRef{r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(),
                     r[3].as<std::string>(), r[4].as<std::string>()});
}

Result<std::optional<EvalOutputs>> evalOutputs(ReadTx& rtx, std::optional<int> eval_id,
                                               const std::string& project,
                                               const std::string& jobset) {
  // An explicit evaluation id stands on its own, as in Hydra's `eval` input: project and jobset
  // only name where to look for the latest finished one.
  auto found = rtx.tx.exec_params(
      "select e.id from jobsetevals e where e.id = $1::int "
      "union all "
      "select e.id from jobsetevals e join jobsets j on j.id = e.jobset_id "
      "where $1::int is null and j.project = $2 and j.name = $3 and e.hasnewbuilds = 1 "
      "  and not exists (select 1 from jobsetevalmembers m join builds b on b.id = m.build "
      "                  where m.eval = e.id and b.finished = 0) "
      "order by 1 desc limit 1",
      eval_id, project, jobset);
  if (found.empty()) return std::optional<EvalOutputs>();
  EvalOutputs out;
  out.eval_id = found[0][0].as<int>();
  for (const auto& r : rtx.tx.exec_params(
           "select b.job, o.path from jobsetevalmembers m join builds b on b.id = m.build "
           "join buildoutputs o on o.build = b.id and o.name = 'out' "
           "where m.eval = $1 and b.finished = 1 and b.buildstatus = 0 and o.path is not null",
           out.eval_id)) {
    out.jobs[r[0].as<std::string>()] = r[1].as<std::string>();
  }
  return std::optional<EvalOutputs>(std::move(out));
}

Result<std::vector<EvalView>> listEvals(ReadTx& rtx, const std::string& project,
                                        const std::string& jobset, int limit) {
  auto rows = rtx.tx.exec_params(
      "select e.id, e.timestamp, e.checkouttime, e.evaltime, e.hasnewbuilds, e.nrbuilds, "
      "  coalesce(e.flake, ''), coalesce(x.errormsg, '') "
      "from jobsetevals e join jobsets j on j.id = e.jobset_id "
      "left join evaluationerrors x on x.id = e.evaluationerror_id "
      "where j.project = $1 and j.name = $2 and e.hasnewbuilds = 1 "
      "order by e.id desc limit greatest($3::int, 0)",
      project, jobset, limit);
  std::vector<EvalView> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(evalsql::evalViewFromRow(r));
  evalsql::attachEvalDetails(rtx.tx, out);
  return out;
}

Result<std::vector<BuildView>> listBuilds(ReadTx& rtx, const std::string& project,
                                          const std::optional<std::string>& jobset, int limit) {
  return buildViews(rtx.tx, rtx.tx.exec_params(std::string(kBuildViewSelect) +
                                                   "where j.project = $1 and ($2::text is null "
                                                   "or j.name = $2::text) "
                                                   "order by b.id desc limit greatest($3::int, 0)",
                                               project, jobset, limit));
}

Result<std::optional<BuildView>> buildById(ReadTx& rtx, int id) {
  auto builds =
      buildViews(rtx.tx, rtx.tx.exec_params(std::string(kBuildViewSelect) + "where b.id = $1", id));
  if (builds.empty()) return std::optional<BuildView>();
  return std::optional<BuildView>(std::move(builds.front()));
}

}  // namespace hydrant::db
