#include "controller/db/queue.hh"

#include <algorithm>

#include "controller/db/arrays.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

ArrayParam intArray(const std::vector<int>& ids) {
  ArrayParam a;
  for (int id : ids) a.add(id);
  return a;
}

ArrayParam textArray(const std::vector<std::string>& values) {
  ArrayParam a;
  for (const auto& v : values) a.add(v);
  return a;
}

std::optional<std::string> nonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// NOTIFY build_finished for every payload, in order, at commit.
void notifyFinished(pqxx::transaction_base& tx, const std::vector<std::string>& payloads) {
  if (payloads.empty()) return;
  tx.exec_params(
      "select pg_notify('build_finished', p) from unnest($1::text[]) with ordinality as u(p, n) "
      "order by n",
      textArray(payloads).literal());
}

}  // namespace

Result<std::vector<QueuedBuild>> queuedBuilds(ReadTx& rtx) {
  auto rows = rtx.tx.exec(
      "select b.id, b.jobset_id, j.project, j.name, b.job, b.drvpath, b.system, b.priority, "
      "  b.globalpriority, b.timestamp, coalesce(b.maxsilent, 3600), coalesce(b.timeout, 36000) "
      "from builds b join jobsets j on j.id = b.jobset_id where b.finished = 0");
  std::vector<QueuedBuild> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    out.push_back({r[0].as<int>(), r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
                   r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(),
                   r[7].as<int>(), r[8].as<long long>(), r[9].as<long long>(), r[10].as<int>(),
                   r[11].as<int>()});
  }
  return out;
}

Result<std::vector<int>> stillQueued(ReadTx& rtx, const std::vector<int>& ids) {
  std::vector<int> out;
  if (ids.empty()) return out;
  auto rows = rtx.tx.exec_params(
      "select id from builds where id = any($1::int[]) and finished = 0 order by id",
      intArray(ids).literal());
  for (const auto& r : rows) out.push_back(r[0].as<int>());
  return out;
}

Result<std::vector<JobsetShares>> jobsetShares(ReadTx& rtx) {
  auto rows = rtx.tx.exec("select id, project, name, schedulingshares from jobsets");
  std::vector<JobsetShares> out;
  for (const auto& r : rows) {
    out.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>()});
  }
  return out;
}

Result<std::vector<StepTime>> stepTimesSince(ReadTx& rtx, long long since) {
  auto rows = rtx.tx.exec_params(
      "select b.jobset_id, s.starttime, s.stoptime - s.starttime from buildsteps s "
      "join builds b on b.id = s.build "
      "where s.starttime is not null and s.stoptime is not null and s.stoptime >= $1::bigint "
      "  and s.busy = 0 and s.propagatedfrom is null",
      since);
  std::vector<StepTime> out;
  for (const auto& r : rows) {
    out.push_back({r[0].as<int>(), r[1].as<long long>(), std::max(0LL, r[2].as<long long>())});
  }
  return out;
}

Result<std::vector<std::string>> failedPaths(ReadTx& rtx, const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  if (paths.empty()) return out;
  auto rows =
      rtx.tx.exec_params("select path from failedpaths where path = any($1::text[]) order by path",
                         textArray(paths).literal());
  for (const auto& r : rows) out.push_back(r[0].as<std::string>());
  return out;
}

Result<int> abortBusySteps(WriteTx& wtx, long long now) {
  auto r = wtx.tx.exec_params(
      "update buildsteps set busy = 0, status = 3, stoptime = $1::bigint, "
      "  errormsg = 'the controller stopped while it was running' where busy <> 0",
      now);
  return static_cast<int>(r.affected_rows());
}

Result<int> startStep(WriteTx& wtx, const StepStart& s) {
  // Step numbers are per build; the build row is locked so two steps recorded on one build at
  // once get different numbers.
  wtx.tx.exec_params("select 1 from builds where id = $1 for update", s.build);
  // One statement inserts the step and sends its notifications, in this order.
  auto r = wtx.tx.exec_params(
      "insert into buildsteps (build, stepnr, type, drvpath, busy, starttime, machine, system) "
      "select $1, coalesce(max(stepnr), 0) + 1, 0, $2, 1, $3::bigint, $4, $5 "
      "from buildsteps where build = $1 "
      "returning stepnr, pg_notify('step_started', $1::text || E'\\t' || stepnr::text), "
      "  case when $6::boolean then pg_notify('build_started', $1::text) end",
      s.build, s.drvpath, s.now, s.machine, s.system, s.top_level);
  return r[0][0].as<int>();
}

Result<void> setStepBusy(WriteTx& wtx, int build, int stepnr, int busy) {
  wtx.tx.exec_params(
      "update buildsteps set busy = $3 where build = $1 and stepnr = $2 and "
      "busy <> 0",
      build, stepnr, busy);
  return {};
}

Result<void> finishStep(WriteTx& wtx, const StepEnd& s) {
  ArrayParam names, paths;
  for (const auto& [name, path] : s.outputs) {
    names.add(name);
    paths.add(path);
  }
  // One statement: the step's row, its outputs, and the notification.
  wtx.tx.exec_params(
      "with step as ("
      "  update buildsteps set busy = 0, status = $3, errormsg = $4, stoptime = $5::bigint, "
      "    overhead = $6 where build = $1 and stepnr = $2 returning build), "
      "outputs as ("
      "  insert into buildstepoutputs (build, stepnr, name, path) "
      "  select $1, $2, n, p from unnest($7::text[], $8::text[]) as u(n, p) "
      "  on conflict (build, stepnr, name) do update set path = excluded.path) "
      "select pg_notify('step_finished', $1::text || E'\\t' || $2::text || E'\\t' || $9)",
      s.build, s.stepnr, s.status, nonEmpty(s.errormsg), s.now, s.overhead_ms, names.literal(),
      paths.literal(), s.log_file);
  return {};
}

Result<std::vector<int>> finishBuilds(WriteTx& wtx, const std::vector<BuildDone>& builds) {
  std::vector<int> done;
  if (builds.empty()) return done;
  ArrayParam id, status, cached, start, stop, release, size, closure;
  for (const auto& b : builds) {
    id.add(b.id);
    status.add(b.status);
    cached.add(b.cached);
    start.add(b.starttime);
    stop.add(b.stoptime);
    release.add(b.releasename);
    size.add(b.size ? std::optional<std::string>(std::to_string(*b.size)) : std::nullopt);
    closure.add(b.closuresize ? std::optional<std::string>(std::to_string(*b.closuresize))
                              : std::nullopt);
  }
  auto rows = wtx.tx.exec_params(
      "update builds b set finished = 1, buildstatus = d.status, iscachedbuild = d.cached, "
      "  starttime = d.start, stoptime = d.stop, notificationpendingsince = d.stop, "
      "  releasename = d.release, size = d.size, closuresize = d.closure "
      "from unnest($1::int[], $2::int[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], "
      "  $7::bigint[], $8::bigint[]) as d(id, status, cached, start, stop, release, size, "
      "  closure) "
      "where b.id = d.id and b.finished = 0 returning b.id",
      id.literal(), status.literal(), cached.literal(), start.literal(), stop.literal(),
      release.literal(), size.literal(), closure.literal());
  for (const auto& r : rows) done.push_back(r[0].as<int>());
  std::sort(done.begin(), done.end());
  auto finishedNow = [&](int build) { return std::binary_search(done.begin(), done.end(), build); };

  ArrayParam p_build, p_nr, p_type, p_subtype, p_path, p_name, p_default, p_size, p_hash;
  ArrayParam m_build, m_name, m_unit, m_value;
  std::vector<std::string> payloads;
  for (const auto& b : builds) {
    if (!finishedNow(b.id)) continue;
    payloads.push_back(std::to_string(b.id));
    int nr = 0;
    for (const auto& p : b.products) {
      p_build.add(b.id);
      p_nr.add(++nr);
      p_type.add(p.type);
      p_subtype.add(p.subtype);
      p_path.add(p.path);
      p_name.add(p.name);
      p_default.add(p.defaultpath);
      p_size.add(p.filesize ? std::optional<std::string>(std::to_string(*p.filesize))
                            : std::nullopt);
      p_hash.add(p.sha256hash);
    }
    for (const auto& m : b.metrics) {
      m_build.add(b.id);
      m_name.add(m.name);
      m_unit.add(m.unit);
      m_value.add(std::to_string(m.value));
    }
  }
  if (!p_build.empty()) {
    wtx.tx.exec_params(
        "insert into buildproducts (build, productnr, type, subtype, path, name, defaultpath, "
        "  filesize, sha256hash) "
        "select * from unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::text[], "
        "  $6::text[], $7::text[], $8::bigint[], $9::text[]) "
        "on conflict (build, productnr) do nothing",
        p_build.literal(), p_nr.literal(), p_type.literal(), p_subtype.literal(), p_path.literal(),
        p_name.literal(), p_default.literal(), p_size.literal(), p_hash.literal());
  }
  if (!m_build.empty()) {
    wtx.tx.exec_params(
        "insert into buildmetrics (build, name, unit, value, project, jobset, job, timestamp) "
        "select d.build, d.name, d.unit, d.value, j.project, j.name, b.job, b.timestamp "
        "from unnest($1::int[], $2::text[], $3::text[], $4::float8[]) as d(build, name, unit, "
        "  value) join builds b on b.id = d.build join jobsets j on j.id = b.jobset_id "
        "on conflict (build, name) do nothing",
        m_build.literal(), m_name.literal(), m_unit.literal(), m_value.literal());
  }
  notifyFinished(wtx.tx, payloads);
  return done;
}

Result<std::vector<int>> failBuilds(WriteTx& wtx, const FailedStep& f) {
  std::vector<int> own = {f.build};
  own.insert(own.end(), f.same_drv.begin(), f.same_drv.end());
  std::vector<int> all = own;
  all.insert(all.end(), f.dependents.begin(), f.dependents.end());
  auto rows = wtx.tx.exec_params(
      "update builds set finished = 1, "
      "  buildstatus = case when id = any($2::int[]) then $3 else 2 end, "
      "  iscachedbuild = $4::int, starttime = coalesce(nullif(starttime, 0), $5::bigint), "
      "  stoptime = $6::bigint, notificationpendingsince = $6::bigint "
      "where id = any($1::int[]) and finished = 0 returning id",
      intArray(all).literal(), intArray(own).literal(), f.status, f.cached ? 1 : 0,
      f.starttime ? f.starttime : f.now, f.now);
  std::vector<int> done;
  for (const auto& r : rows) done.push_back(r[0].as<int>());
  std::sort(done.begin(), done.end());
  // Every other build that finished with it shows the failed step, propagated from `build`.
  std::vector<int> dependents;
  for (const auto& group : {f.same_drv, f.dependents}) {
    for (int d : group) {
      if (std::binary_search(done.begin(), done.end(), d)) dependents.push_back(d);
    }
  }
  if (!dependents.empty()) {
    // Each dependent shows the failed step, propagated from the build it really ran for.
    wtx.tx.exec_params(
        "insert into buildsteps (build, stepnr, type, drvpath, busy, status, errormsg, "
        "  starttime, stoptime, propagatedfrom) "
        "select d.id, coalesce((select max(stepnr) from buildsteps where build = d.id), 0) + 1, "
        "  0, $2, 0, $3, $4, $5::bigint, $6::bigint, $7 from unnest($1::int[]) as d(id)",
        intArray(dependents).literal(), f.drvpath, f.cached ? 8 : f.status, nonEmpty(f.errormsg),
        f.starttime ? f.starttime : f.now, f.now, f.build);
  }
  const bool build_done = std::binary_search(done.begin(), done.end(), f.build);
  if (build_done || !dependents.empty()) {
    notifyFinished(wtx.tx, buildFinishedPayloads(f.build, dependents));
  }
  return done;
}

Result<void> addFailedPaths(WriteTx& wtx, const std::vector<std::string>& paths) {
  if (paths.empty()) return {};
  wtx.tx.exec_params(
      "insert into failedpaths (path) select unnest($1::text[]) on conflict do nothing",
      textArray(paths).literal());
  return {};
}

std::vector<std::string> buildFinishedPayloads(int build, const std::vector<int>& dependents,
                                               size_t limit) {
  std::vector<std::string> out;
  std::string current = std::to_string(build);
  for (int d : dependents) {
    const std::string item = "\t" + std::to_string(d);
    if (current.size() + item.size() > limit) {
      out.push_back(current);
      current = std::to_string(build);
    }
    current += item;
  }
  out.push_back(current);
  return out;
}

}  // namespace hydrant::db
