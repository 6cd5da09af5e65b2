// Read queries of the evaluation, build and job pages. Declared in controller/db/web_builds.hh.
#include "controller/db/web_builds.hh"

#include <map>

#include "controller/db/arrays.hh"
#include "controller/db/evals_sql.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

using evalsql::optInt;
using evalsql::optLong;
using evalsql::optText;

// Each of `ids` once, as an int[] parameter.
ArrayParam idArray(const std::vector<int>& ids) {
  ArrayParam out;
  for (int id : ids) out.add(id);
  return out;
}

// The rows of `details` by build id.
std::map<int, BuildDetail*> byId(std::vector<BuildDetail>& details) {
  std::map<int, BuildDetail*> out;
  for (auto& d : details) out[d.view.id] = &d;
  return out;
}

// Adds outputs, evaluations, products and metrics to `details` (one statement each).
void attachBuildRelations(pqxx::transaction_base& tx, std::vector<BuildDetail>& details,
                          const std::string& ids) {
  const auto by_id = byId(details);
  for (const auto& r : tx.exec_params(
           "select build, name, coalesce(path, '') from buildoutputs where build = any($1::int[])",
           ids)) {
    by_id.at(r[0].as<int>())->view.buildoutputs[r[1].as<std::string>()] = r[2].as<std::string>();
  }
  for (const auto& r :
       tx.exec_params("select build, eval from jobsetevalmembers where build = any($1::int[]) "
                      "order by build, eval",
                      ids)) {
    by_id.at(r[0].as<int>())->jobsetevals.push_back(r[1].as<int>());
  }
  for (const auto& r : tx.exec_params(
           "select build, productnr, type, subtype, name, filesize, sha256hash, path, defaultpath "
           "from buildproducts where build = any($1::int[]) order by build, productnr",
           ids)) {
    by_id.at(r[0].as<int>())
        ->products.push_back({r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
                              r[4].as<std::string>(), optLong(r[5]), optText(r[6]), optText(r[7]),
                              optText(r[8])});
  }
  for (const auto& r : tx.exec_params(
           "select build, name, unit, value from buildmetrics where build = any($1::int[]) "
           "order by build, name collate \"C\"",
           ids)) {
    by_id.at(r[0].as<int>())
        ->metrics.push_back({r[1].as<std::string>(), optText(r[2]), r[3].as<double>()});
  }
}

}  // namespace

Result<std::optional<EvalPage>> evalById(ReadTx& rtx, int id) {
  auto& tx = rtx.tx;
  auto rows = tx.exec_params(
      "select e.id, e.timestamp, e.checkouttime, e.evaltime, e.hasnewbuilds, e.nrbuilds, "
      "  coalesce(e.flake, ''), coalesce(x.errormsg, ''), j.id, j.project, j.name "
      "from jobsetevals e join jobsets j on j.id = e.jobset_id "
      "left join evaluationerrors x on x.id = e.evaluationerror_id "
      "where e.id = $1",
      id);
  if (rows.empty()) return std::optional<EvalPage>();
  const auto& r = rows[0];
  EvalPage page;
  page.eval = evalsql::evalViewFromRow(r);
  page.jobset_id = r[8].as<int>();
  page.project = r[9].as<std::string>();
  page.jobset = r[10].as<std::string>();
  std::vector<EvalView> one{std::move(page.eval)};
  evalsql::attachEvalDetails(tx, one);
  page.eval = std::move(one.front());
  return std::optional<EvalPage>(std::move(page));
}

Result<std::optional<int>> previousEvalWithBuilds(ReadTx& rtx, int jobset_id, int eval_id) {
  auto rows = rtx.tx.exec_params(
      "select id from jobsetevals where jobset_id = $1 and hasnewbuilds = 1 and id < $2 "
      "order by id desc limit 1",
      jobset_id, eval_id);
  if (rows.empty()) return std::optional<int>();
  return std::optional<int>(rows[0][0].as<int>());
}

Result<std::vector<EvalMember>> evalMembers(ReadTx& rtx, int eval_id) {
  std::vector<EvalMember> out;
  for (const auto& r : rtx.tx.exec_params(
           "select b.id, b.job, b.system, coalesce(b.nixname, ''), b.finished, b.buildstatus, "
           "  b.stoptime "
           "from jobsetevalmembers m join builds b on b.id = m.build "
           "where m.eval = $1 order by b.job collate \"C\", b.id",
           eval_id)) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<int>() != 0, optInt(r[5]), optLong(r[6])});
  }
  return out;
}

Result<std::optional<EvalComparison>> evalComparison(ReadTx& tx, int id) {
  auto page = evalById(tx, id);
  if (!page) return page.error();
  if (!*page) return std::optional<EvalComparison>();
  EvalComparison out{std::move(**page), {}, {}, {}};
  auto members = evalMembers(tx, id);
  if (!members) return members.error();
  out.members = std::move(*members);
  auto previous = previousEvalWithBuilds(tx, out.page.jobset_id, id);
  if (!previous) return previous.error();
  out.previous = *previous;
  if (out.previous) {
    auto earlier = evalMembers(tx, *out.previous);
    if (!earlier) return earlier.error();
    out.previous_members = std::move(*earlier);
  }
  return std::optional<EvalComparison>(std::move(out));
}

Result<std::vector<BuildDetail>> buildDetails(ReadTx& rtx, const std::vector<int>& ids) {
  std::vector<BuildDetail> out;
  if (ids.empty()) return out;
  auto& tx = rtx.tx;
  const std::string id_list = idArray(ids).literal();
  for (const auto& r : tx.exec_params(
           "select b.id, j.project, j.name, b.job, b.finished, b.buildstatus, b.timestamp, "
           "  b.drvpath, b.system, coalesce(b.nixname, ''), b.priority, "
           "  coalesce(b.iscurrent, 0), b.starttime, b.stoptime, b.releasename, "
           "  coalesce(b.iscachedbuild, 0) "
           "from builds b join jobsets j on j.id = b.jobset_id "
           "where b.id = any($1::int[]) order by b.id",
           id_list)) {
    BuildDetail d;
    d.view = evalsql::buildViewFromRow(r);
    d.starttime = optLong(r[12]);
    d.stoptime = optLong(r[13]);
    d.releasename = optText(r[14]);
    d.iscachedbuild = r[15].as<int>() != 0;
    out.push_back(std::move(d));
  }
  if (!out.empty()) attachBuildRelations(tx, out, id_list);
  return out;
}

Result<std::optional<EvalBuilds>> evalBuilds(ReadTx& tx, int eval_id) {
  auto page = evalById(tx, eval_id);
  if (!page) return page.error();
  if (!*page) return std::optional<EvalBuilds>();
  const std::vector<int>& ids = (*page)->eval.builds;
  auto builds = buildDetails(tx, ids);
  if (!builds) return builds.error();
  auto steps = stepsOfBuilds(tx, ids);
  if (!steps) return steps.error();
  return std::optional<EvalBuilds>(EvalBuilds{std::move(*builds), std::move(*steps)});
}

Result<std::optional<QueueReasons>> queueReasons(ReadTx& rtx, int build) {
  // The document lists up to a thousand steps; only the ones this build needs leave Postgres.
  // A JSON array contains a number when one of its elements is that number.
  auto rows = rtx.tx.exec_params(
      "select coalesce((q.status->>'updated')::bigint, 0), s.step->>'drvpath', "
      "  coalesce((s.step->>'started')::boolean, false), coalesce(s.step->>'reason', '') "
      "from systemstatus q "
      "left join lateral jsonb_array_elements(case jsonb_typeof(q.status->'steps') "
      "  when 'array' then q.status->'steps' else '[]'::jsonb end) "
      "  with ordinality as s(step, nr) "
      "  on s.step->'builds' @> to_jsonb($1::int) "
      "where q.what = 'queue' order by s.nr",
      build);
  if (rows.empty()) return std::optional<QueueReasons>();
  QueueReasons out;
  out.updated = rows[0][0].as<long long>();
  for (const auto& r : rows) {
    if (r[1].is_null()) continue;  // the left join found no step of this build
    out.steps.push_back({r[1].as<std::string>(), r[2].as<bool>(), r[3].as<std::string>()});
  }
  return std::optional<QueueReasons>(std::move(out));
}

Result<std::optional<BuildPage>> buildPage(ReadTx& tx, int id) {
  auto builds = buildDetails(tx, {id});
  if (!builds) return builds.error();
  if (builds->empty()) return std::optional<BuildPage>();
  BuildPage out{std::move(builds->front()), {}, {}, {}};
  auto steps = stepsOfBuilds(tx, {id});
  if (!steps) return steps.error();
  if (auto it = steps->find(id); it != steps->end()) out.steps = std::move(it->second);
  auto elsewhere = latestStepOfDrv(tx, out.build.view.drvpath, id);
  if (!elsewhere) return elsewhere.error();
  out.elsewhere = std::move(*elsewhere);
  if (!out.build.view.finished) {
    auto reasons = queueReasons(tx, id);
    if (!reasons) return reasons.error();
    out.reasons = std::move(*reasons);
  }
  return std::optional<BuildPage>(std::move(out));
}

Result<std::optional<JobBuild>> newestBuildOfJob(ReadTx& rtx, const std::string& project,
                                                 const std::string& jobset,
                                                 const std::string& job) {
  auto rows = rtx.tx.exec_params(
      "select b.id, b.finished, b.buildstatus "
      "from builds b join jobsets j on j.id = b.jobset_id "
      "where j.project = $1 and j.name = $2 and b.job = $3 "
      "order by b.id desc limit 1",
      project, jobset, job);
  if (rows.empty()) return std::optional<JobBuild>();
  const auto& r = rows[0];
  return std::optional<JobBuild>(JobBuild{r[0].as<int>(), r[1].as<int>() != 0, optInt(r[2])});
}

Result<std::vector<LatestBuildRow>> latestBuilds(ReadTx& rtx, const LatestBuildsFilter& f) {
  std::vector<LatestBuildRow> out;
  for (const auto& r : rtx.tx.exec_params(
           "select b.id, j.project, j.name, b.job, b.system, coalesce(b.nixname, ''), "
           "  b.finished, b.timestamp, b.buildstatus, b.priority, "
           "  exists (select 1 from buildsteps s where s.build = b.id and s.busy <> 0) "
           "from builds b join jobsets j on j.id = b.jobset_id "
           "where ($1::text is null or j.project = $1::text) "
           "  and ($2::text is null or j.name = $2::text) "
           "  and ($3::text is null or b.job = $3::text) "
           "  and ($4::text is null or b.system = $4::text) "
           "order by b.id desc limit greatest($5::int, 0)",
           f.project, f.jobset, f.job, f.system, f.limit)) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                   r[6].as<int>() != 0, r[7].as<long long>(), optInt(r[8]), r[9].as<int>(),
                   r[10].as<bool>()});
  }
  return out;
}

}  // namespace hydrant::db
