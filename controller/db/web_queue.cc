#include "controller/db/web_queue.hh"

#include "controller/db/arrays.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

template <class T>
std::optional<T> optionalOf(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

}  // namespace

Result<std::vector<QueueRow>> queueRows(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select b.id, b.jobset_id, j.project, j.name, b.job, b.drvpath, b.system, b.nixname, "
      "  b.releasename, b.timestamp, b.priority, b.globalpriority "
      "from builds b join jobsets j on j.id = b.jobset_id where b.finished = 0 "
      "order by b.globalpriority desc, b.id");
  std::vector<QueueRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    QueueRow q;
    q.id = r[0].as<int>();
    q.jobset_id = r[1].as<int>();
    q.project = r[2].as<std::string>();
    q.jobset = r[3].as<std::string>();
    q.job = r[4].as<std::string>();
    q.drvpath = r[5].as<std::string>();
    q.system = r[6].as<std::string>();
    q.nixname = optionalOf<std::string>(r[7]);
    q.releasename = optionalOf<std::string>(r[8]);
    q.timestamp = r[9].as<long long>();
    q.priority = r[10].as<int>();
    q.globalpriority = r[11].as<long long>();
    out.push_back(std::move(q));
  }
  return out;
}

Result<std::vector<RunningStepRow>> runningStepRows(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select s.build, s.stepnr, s.drvpath, coalesce(s.system, ''), s.machine, s.busy, "
      "  s.starttime, b.jobset_id, j.project, j.name, b.job "
      "from buildsteps s join builds b on b.id = s.build join jobsets j on j.id = b.jobset_id "
      "where s.busy <> 0 order by s.starttime nulls last, s.build, s.stepnr");
  std::vector<RunningStepRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    RunningStepRow s;
    s.build = r[0].as<int>();
    s.stepnr = r[1].as<int>();
    s.drvpath = r[2].as<std::string>();
    s.system = r[3].as<std::string>();
    s.machine = r[4].as<std::string>();
    s.busy = r[5].as<int>();
    s.starttime = optionalOf<long long>(r[6]);
    s.jobset_id = r[7].as<int>();
    s.project = r[8].as<std::string>();
    s.jobset = r[9].as<std::string>();
    s.job = r[10].as<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<JobsetRef>> jobsetRefs(ReadTx& rtx, const std::vector<int>& ids) {
  std::vector<JobsetRef> out;
  if (ids.empty()) return out;
  ArrayParam a;
  for (int id : ids) a.add(id);
  auto rows = rtx.tx.exec_params(
      "select id, project, name from jobsets where id = any($1::int[]) order by project, name",
      a.literal());
  for (const auto& r : rows) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>()});
  }
  return out;
}

Result<std::vector<BuildStatusCount>> buildStatusCounts(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select case when finished = 0 then null else buildstatus end as s, count(*) "
      "from builds group by s order by s nulls first");
  std::vector<BuildStatusCount> out;
  for (const auto& r : rows) out.push_back({optionalOf<int>(r[0]), r[1].as<long long>()});
  return out;
}

Result<EvalOutcomeCounts> evalOutcomeCounts(ReadTx& rtx) {
  auto r = rtx.tx.exec1(
      "select count(*) filter (where evaluationerror_id is not null), "
      "  count(*) filter (where evaluationerror_id is null and hasnewbuilds = 1), "
      "  count(*) filter (where evaluationerror_id is null and hasnewbuilds = 0) "
      "from jobsetevals");
  return EvalOutcomeCounts{r[0].as<long long>(), r[1].as<long long>(), r[2].as<long long>()};
}

Result<std::vector<JobsetConditionCount>> jobsetConditionCounts(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select condition, condition_reason, count(*) from jobsets "
      "group by condition, condition_reason order by condition, condition_reason");
  std::vector<JobsetConditionCount> out;
  for (const auto& r : rows) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<long long>()});
  }
  return out;
}

Result<NotificationBacklog> notificationBacklog(ReadTx& rtx) {
  auto r = rtx.tx.exec1(
      "select count(*), min(notificationpendingsince) from builds "
      "where notificationpendingsince is not null");
  return NotificationBacklog{r[0].as<long long>(), optionalOf<long long>(r[1])};
}

}  // namespace hydrant::db
