// Scheduling, starting and ending evaluations, and triggers. recordEval lives in
// evals_record.cc, the read-only queries for inputs and the CLI in evals_read.cc.
#include "controller/db/evals.hh"

#include "controller/db/evals_sql.hh"
#include "controller/db/projects.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

using evalsql::consumeTriggerSet;
using evalsql::optLong;
using evalsql::statusSet;

Result<std::vector<ScheduleRow>> scheduleRows(ReadTx& rtx) {
  // Hydra's one-at-a-time rule looks at the newest evaluation row, cached ones included (those
  // have no members, so they never count as unfinished).
  auto rows = rtx.tx.exec(
      "select j.id, j.project, j.name, j.enabled, j.checkinterval, j.lastcheckedtime, "
      "  j.triggertime, j.starttime, coalesce(( "
      "    select exists (select 1 from jobsetevalmembers m join builds b on b.id = m.build "
      "                   where m.eval = e.id and b.finished = 0) "
      "    from jobsetevals e where e.jobset_id = j.id order by e.id desc limit 1), false) "
      "from jobsets j join projects p on p.name = j.project "
      "where j.enabled <> 0 and p.enabled <> 0 order by j.id");
  std::vector<ScheduleRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    ScheduleRow s;
    s.id = r[0].as<int>();
    s.project = r[1].as<std::string>();
    s.name = r[2].as<std::string>();
    s.enabled = r[3].as<int>();
    s.checkinterval = r[4].as<int>();
    s.lastcheckedtime = optLong(r[5]);
    s.triggertime = optLong(r[6]);
    s.starttime = optLong(r[7]);
    s.last_eval_unfinished = r[8].as<bool>();
    out.push_back(std::move(s));
  }
  return out;
}

Result<int> clearStaleStarts(WriteTx& wtx) {
  auto r = wtx.tx.exec(
      "update jobsets set triggertime = coalesce(triggertime, starttime), starttime = null "
      "where starttime is not null");
  return static_cast<int>(r.affected_rows());
}

Result<std::optional<EvalJobset>> loadEvalJobset(ReadTx& rtx, int jobset_id) {
  auto rows = rtx.tx.exec_params(
      "select j.id, j.project, j.name, j.type, coalesce(j.nixexprinput, ''), "
      "  coalesce(j.nixexprpath, ''), coalesce(j.flake, ''), j.enabled, "
      "  coalesce(j.forceeval, false), j.triggertime, coalesce(p.declfile, ''), "
      "  coalesce(p.decltype, ''), coalesce(p.declvalue, ''), j.condition, j.condition_reason, "
      "  j.condition_message "
      "from jobsets j join projects p on p.name = j.project where j.id = $1",
      jobset_id);
  if (rows.empty()) return std::optional<EvalJobset>();
  const auto& r = rows[0];
  EvalJobset j;
  j.id = r[0].as<int>();
  j.project = r[1].as<std::string>();
  j.name = r[2].as<std::string>();
  j.type = r[3].as<int>();
  j.nixexprinput = r[4].as<std::string>();
  j.nixexprpath = r[5].as<std::string>();
  j.flake = r[6].as<std::string>();
  j.enabled = r[7].as<int>();
  j.forceeval = r[8].as<bool>();
  j.triggertime = optLong(r[9]);
  j.declfile = r[10].as<std::string>();
  if (!j.declfile.empty()) {  // a project is declarative exactly when declfile is set
    j.decltype_ = r[11].as<std::string>();
    j.declvalue = r[12].as<std::string>();
  }
  j.condition = r[13].as<std::string>();
  j.condition_reason = r[14].as<std::string>();
  j.condition_message = r[15].as<std::string>();
  // Byte order, so the inputs hash the same whatever the database's collation.
  auto inputs = rtx.tx.exec_params(
      "select name, type, value from jobsetinputs where project = $1 and jobset = $2 "
      "order by name collate \"C\"",
      j.project, j.name);
  for (const auto& in : inputs) {
    j.inputs.push_back({in[0].as<std::string>(), in[1].as<std::string>(), in[2].as<std::string>()});
  }
  return std::optional<EvalJobset>(std::move(j));
}

Result<void> markEvalStarted(WriteTx& wtx, int jobset_id, long long now, const std::string& trace) {
  auto r = wtx.tx.exec_params(
      "with j as (update jobsets set starttime = $2::bigint where id = $1 returning id) "
      "select pg_notify('eval_started', $3::text || E'\\t' || j.id) from j",
      jobset_id, now, trace);
  if (r.empty()) return Error::stalled("jobset " + std::to_string(jobset_id) + " does not exist");
  return {};
}

Result<std::optional<LatestEval>> latestEval(ReadTx& rtx, int jobset_id) {
  auto rows = rtx.tx.exec_params(
      "select id, hash, coalesce(flake, '') from jobsetevals where jobset_id = $1 "
      "order by id desc limit 1",
      jobset_id);
  if (rows.empty()) return std::optional<LatestEval>();
  return std::optional<LatestEval>(
      LatestEval{rows[0][0].as<int>(), rows[0][1].as<std::string>(), rows[0][2].as<std::string>()});
}

// The finish* functions write nothing and send nothing when the jobset was deleted meanwhile:
// there is nobody left to tell.

Result<void> finishEvalCached(WriteTx& wtx, const EvalEnd& end, int previous_eval,
                              const Status& s) {
  wtx.tx.exec_params(
      "with j as (update jobsets set lastcheckedtime = $2::bigint, fetcherrormsg = null, "
      "  starttime = null, " +
          consumeTriggerSet(3) + ", " + statusSet(6) +
          " where id = $1 returning id) "
          "select pg_notify('eval_cached', $4::text || E'\\t' || j.id || E'\\t' || $5::int) "
          "from j",
      end.jobset_id, end.now, end.consumed_trigger, end.trace, previous_eval, s.condition, s.ready,
      s.reason, s.message);
  return {};
}

Result<void> finishEvalFetchFailed(WriteTx& wtx, const EvalEnd& end, const std::string& message,
                                   const Status& s) {
  // The trigger stays: the fetch is retried with backoff until it works.
  wtx.tx.exec_params(
      "with j as (update jobsets set fetcherrormsg = $3, lastcheckedtime = $2::bigint, "
      "  starttime = null, " +
          statusSet(5) +
          " where id = $1 returning id) "
          "select pg_notify('eval_failed', $4::text || E'\\t' || j.id) from j",
      end.jobset_id, end.now, message, end.trace, s.condition, s.ready, s.reason, s.message);
  return {};
}

Result<void> finishEvalFailed(WriteTx& wtx, const EvalEnd& end, const std::string& message,
                              const Status& s) {
  wtx.tx.exec_params(
      "with j as (update jobsets set errormsg = $4, errortime = $2::bigint, "
      "  lastcheckedtime = $2::bigint, fetcherrormsg = null, starttime = null, " +
          consumeTriggerSet(3) + ", " + statusSet(6) +
          " where id = $1 returning id) "
          "select pg_notify('eval_failed', $5::text || E'\\t' || j.id) from j",
      end.jobset_id, end.now, end.consumed_trigger, message, end.trace, s.condition, s.ready,
      s.reason, s.message);
  return {};
}

Result<bool> triggerJobset(WriteTx& wtx, const std::string& project, const std::string& jobset,
                           bool force, long long now) {
  // While an evaluation runs, the new value must differ from the one it started with, or its
  // end would consume this trigger too. Otherwise an older pending trigger keeps its place in
  // the queue (oldest trigger first). The explicit notify wakes the evaluator even when the
  // value did not change (the jobsets_changed trigger then stays silent); Postgres folds it
  // with the trigger's own identical notification when both fire.
  auto r = wtx.tx.exec_params(
      "with j as (update jobsets set "
      "  triggertime = case when starttime is not null "
      "    then greatest($3::bigint, coalesce(triggertime, 0) + 1) "
      "    else least(coalesce(triggertime, $3::bigint), $3::bigint) end, "
      "  forceeval = case when $4::boolean then true else forceeval end "
      "  where project = $1 and name = $2 returning id) "
      "select pg_notify('jobsets_changed', j.id::text) from j",
      project, jobset, now, force);
  return !r.empty();
}

}  // namespace hydrant::db
