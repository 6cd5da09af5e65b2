#include "controller/db/web_projects.hh"

#include "controller/db/arrays.hh"
#include "controller/db/evals_sql.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

using evalsql::optInt;
using evalsql::optLong;
using evalsql::optText;

std::optional<double> optDouble(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<double>();
}

constexpr const char* kEventSelect =
    "select id, to_char(time at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), object_kind, "
    "  object_key, action, revision, message from events ";

std::vector<EventRow> eventRows(const pqxx::result& rows) {
  std::vector<EventRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), optText(r[5]),
                   r[6].as<std::string>()});
  }
  return out;
}

}  // namespace

Result<std::map<std::string, std::vector<std::string>>> jobsetNamesByProject(ReadTx& rtx) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r :
       rtx.tx.exec("select project, name from jobsets order by project, name collate \"C\"")) {
    out[r[0].as<std::string>()].push_back(r[1].as<std::string>());
  }
  return out;
}

Result<std::map<std::string, ProjectBuildCounts>> projectBuildCounts(ReadTx& rtx) {
  // Two small partial indexes do the work: the queue (finished = 0) and the current builds.
  auto rows = rtx.tx.exec(
      "select j.project, coalesce(sum(q.n), 0), coalesce(sum(c.succeeded), 0), "
      "  coalesce(sum(c.failed), 0) "
      "from jobsets j "
      "left join (select jobset_id, count(*) as n from builds where finished = 0 "
      "  group by jobset_id) q on q.jobset_id = j.id "
      "left join (select jobset_id, "
      "    count(*) filter (where finished = 1 and buildstatus = 0) as succeeded, "
      "    count(*) filter (where finished = 1 and buildstatus <> 0) as failed "
      "  from builds where iscurrent = 1 group by jobset_id) c on c.jobset_id = j.id "
      "group by j.project");
  std::map<std::string, ProjectBuildCounts> out;
  for (const auto& r : rows) {
    out[r[0].as<std::string>()] = {r[1].as<long long>(), r[2].as<long long>(),
                                   r[3].as<long long>()};
  }
  return out;
}

Result<std::vector<JobsetSummary>> jobsetSummaries(ReadTx& rtx, const std::string& project) {
  // Share usage lives in the queue's status document, not in a table (HYDRA.md §2: Hydra keeps
  // it in memory too); its entries are matched to the jobsets here.
  auto rows = rtx.tx.exec_params(
      "select j.id, j.name, c.scheduled, c.succeeded, c.failed, c.total, e.id, e.timestamp, "
      "  case when q.status is null then null else coalesce(sh.used, 0) end, "
      "  case when q.status is null then null else coalesce(sh.seconds, 0) end "
      "from jobsets j "
      "left join lateral (select count(*) filter (where b.finished = 0) as scheduled, "
      "    count(*) filter (where b.finished = 1 and b.buildstatus = 0) as succeeded, "
      "    count(*) filter (where b.finished = 1 and b.buildstatus <> 0) as failed, "
      "    count(*) as total "
      "  from builds b where b.jobset_id = j.id and b.iscurrent = 1) c on true "
      "left join lateral (select x.id, x.timestamp from jobsetevals x "
      "  where x.jobset_id = j.id and x.hasnewbuilds = 1 order by x.id desc limit 1) e on true "
      "left join systemstatus q on q.what = 'queue' "
      "left join lateral (select (u->>'shareUsed')::float8 as used, "
      "    (u->>'seconds')::float8 as seconds "
      "  from jsonb_array_elements(case when jsonb_typeof(q.status->'jobsets') = 'array' "
      "    then q.status->'jobsets' else '[]'::jsonb end) u "
      "  where u->>'jobset_id' = j.id::text limit 1) sh on true "
      "where j.project = $1 order by j.name collate \"C\"",
      project);
  std::vector<JobsetSummary> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    JobsetSummary s;
    s.jobset_id = r[0].as<int>();
    s.name = r[1].as<std::string>();
    s.current = {r[2].as<long long>(), r[3].as<long long>(), r[4].as<long long>(),
                 r[5].as<long long>()};
    s.last_eval = optInt(r[6]);
    s.last_eval_time = optLong(r[7]);
    s.share_used = optDouble(r[8]);
    s.share_seconds = optDouble(r[9]);
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<EventRow>> projectEvents(ReadTx& rtx, const std::string& project, int limit) {
  // starts_with, not LIKE: '_' is a wildcard for LIKE and a common character in project names.
  return eventRows(rtx.tx.exec_params(
      std::string(kEventSelect) +
          "where (object_kind = 'project' and object_key = $1::text) "
          "  or (object_kind = 'jobset' and starts_with(object_key, $1::text || ':')) "
          "order by id desc limit greatest($2::int, 0)",
      project, limit));
}

Result<std::vector<EventRow>> jobsetEvents(ReadTx& rtx, const std::string& project,
                                           const std::string& jobset, int limit) {
  return eventRows(rtx.tx.exec_params(
      std::string(kEventSelect) +
          "where object_kind = 'jobset' and object_key = $1::text || ':' || $2::text "
          "order by id desc limit greatest($3::int, 0)",
      project, jobset, limit));
}

Result<long long> countEvalsWithBuilds(ReadTx& rtx, int jobset_id) {
  auto rows = rtx.tx.exec_params(
      "select count(*) from jobsetevals where jobset_id = $1 and hasnewbuilds = 1", jobset_id);
  return rows[0][0].as<long long>();
}

Result<std::vector<EvalView>> evalsWithBuildsPage(ReadTx& rtx, int jobset_id, long long offset,
                                                  int limit) {
  auto rows = rtx.tx.exec_params(
      "select e.id, e.timestamp, e.checkouttime, e.evaltime, e.hasnewbuilds, e.nrbuilds, "
      "  coalesce(e.flake, ''), coalesce(x.errormsg, '') "
      "from jobsetevals e left join evaluationerrors x on x.id = e.evaluationerror_id "
      "where e.jobset_id = $1 and e.hasnewbuilds = 1 "
      "order by e.id desc offset greatest($2::bigint, 0) limit greatest($3::int, 0)",
      jobset_id, offset, limit);
  std::vector<EvalView> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(evalsql::evalViewFromRow(r));
  evalsql::attachEvalDetails(rtx.tx, out);
  return out;
}

Result<std::vector<EvalJob>> evalJobs(ReadTx& rtx, int eval_id) {
  auto rows = rtx.tx.exec_params(
      "select b.id, b.job, b.system, coalesce(b.nixname, ''), b.finished, b.buildstatus, "
      "  exists (select 1 from buildproducts p where p.build = b.id and p.type = 'channel') "
      "from jobsetevalmembers m join builds b on b.id = m.build "
      "where m.eval = $1 order by b.job collate \"C\", b.id",
      eval_id);
  std::vector<EvalJob> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<int>() != 0, optInt(r[5]), r[6].as<bool>()});
  }
  return out;
}

Result<std::optional<GeneratedOrigin>> generatedOrigin(ReadTx& rtx, const std::string& project,
                                                       const std::string& jobset,
                                                       const std::optional<std::string>& revision) {
  // The generated reconciler applies a `jobsets` build at its evaluation's declInput revision,
  // or at "build N" when that is unknown (reconcilers/generated_reconciler.cc); the jobsets it
  // writes carry that as their observed revision.
  auto rows = rtx.tx.exec_params(
      "select g.id, (select b.id from builds b "
      "  where b.jobset_id = g.id and b.job = 'jobsets' and b.finished = 1 "
      "    and b.buildstatus = 0 and ($3::text = 'build ' || b.id "
      "      or exists (select 1 from jobsetevalmembers m join jobsetevalinputs i "
      "        on i.eval = m.eval where m.build = b.id and i.name = 'declInput' "
      "        and i.revision = $3::text)) "
      "  order by b.id desc limit 1) "
      "from jobsets g where g.project = $1 and g.name = '.jobsets' and g.hidden = 0 "
      "  and $2::text <> '.jobsets'",
      project, jobset, revision);
  if (rows.empty()) return std::optional<GeneratedOrigin>();
  return std::optional<GeneratedOrigin>(GeneratedOrigin{rows[0][0].as<int>(), optInt(rows[0][1])});
}

}  // namespace hydrant::db
