// recordEval: an evaluation, its builds, members, constituents and inputs, the jobset's
// bookkeeping and the notifications, in one transaction whose statement count does not grow
// with the number of jobs (HYDRA.md §4.2 step 8, §4.3, §4.4). Declared in controller/db/evals.hh.
#include <algorithm>
#include <map>
#include <set>

#include "controller/db/arrays.hh"
#include "controller/db/evals.hh"
#include "controller/db/evals_sql.hh"
#include "controller/db/projects.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

using evalsql::consumeTriggerSet;
using evalsql::optInt;
using evalsql::statusSet;

// The column defaults of builds.maxsilent and builds.timeout (0001_init.sql): a set-based insert
// cannot say DEFAULT for some rows only.
constexpr int kDefaultMaxSilent = 3600;
constexpr int kDefaultTimeout = 36000;
constexpr int kDefaultPriority = 100;

// The jobs that get a build, by name (a name evaluated twice keeps its first result), and the
// error text of those that failed, in name order so the text is stable across evaluations.
struct SortedJobs {
  std::map<std::string, const nix::EvalJob*> good;
  std::string error_text;
  int failed = 0;
};

SortedJobs sortJobs(const std::vector<nix::EvalJob>& jobs) {
  SortedJobs out;
  std::vector<const nix::EvalJob*> failed;
  for (const auto& j : jobs) {
    if (j.error) {
      failed.push_back(&j);
    } else {
      out.good.emplace(j.attr, &j);
    }
  }
  std::stable_sort(failed.begin(), failed.end(),
                   [](const auto* a, const auto* b) { return a->attr < b->attr; });
  for (const auto* j : failed) {
    // Hydra's wording, typographic quotes included, so its error views read the same.
    out.error_text += (j->attr.empty() ? std::string("at top-level") : "in job ‘" + j->attr + "’") +
                      ":\n" + *j->error + "\n\n";
  }
  out.failed = static_cast<int>(failed.size());
  return out;
}

// The alphabetically first output: name and path ("" when unknown, e.g. content-addressed).
std::pair<std::string, std::string> firstOutput(const nix::EvalJob& j) {
  if (j.outputs.empty()) return {"", ""};
  return *j.outputs.begin();
}

std::optional<std::string> nonEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

struct LockedJobset {
  std::string project, name;
  std::optional<int> prev_eval;  // newest evaluation with new builds
  long long prev_members = 0;
};

// Locks the jobset row, so two recordings for one jobset cannot interleave their reuse
// decisions, and reads the evaluation whose builds may be reused.
std::optional<LockedJobset> lockJobset(pqxx::transaction_base& tx, int jobset_id) {
  auto rows = tx.exec_params(
      "select j.project, j.name, prev.id, "
      "  (select count(*) from jobsetevalmembers m where m.eval = prev.id) "
      "from jobsets j left join lateral (select e.id from jobsetevals e "
      "  where e.jobset_id = j.id and e.hasnewbuilds = 1 order by e.id desc limit 1) prev on true "
      "where j.id = $1 for update of j",
      jobset_id);
  if (rows.empty()) return std::nullopt;
  LockedJobset l{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), optInt(rows[0][2]),
                 rows[0][3].as<long long>()};
  return l;
}

struct Reused {
  int build = 0;
  bool finished = false;
};

// The previous evaluation's build per job, matched on job name and first output path (on the
// drv path when the output path is not known yet).
std::map<std::string, Reused> findReusable(pqxx::transaction_base& tx, int prev_eval,
                                           const SortedJobs& jobs) {
  std::map<std::string, Reused> out;
  ArrayParam job, oname, opath, drv;
  for (const auto& [name, j] : jobs.good) {
    auto [n, p] = firstOutput(*j);
    job.add(name);
    oname.add(n);
    opath.add(p);
    drv.add(j->drv_path);
  }
  if (job.empty()) return out;
  auto rows = tx.exec_params(
      "select distinct on (d.job) d.job, b.id, b.finished "
      "from unnest($2::text[], $3::text[], $4::text[], $5::text[]) as d(job, oname, opath, drv) "
      "join builds b on b.job = d.job "
      "join jobsetevalmembers m on m.build = b.id and m.eval = $1 "
      "join buildoutputs o on o.build = b.id and o.name = d.oname "
      "where case when d.opath = '' then b.drvpath = d.drv else o.path = d.opath end "
      "order by d.job, b.id",
      prev_eval, job.literal(), oname.literal(), opath.literal(), drv.literal());
  for (const auto& r : rows) {
    out[r[0].as<std::string>()] = {r[1].as<int>(), r[2].as<int>() != 0};
  }
  return out;
}

int insertEval(pqxx::transaction_base& tx, int jobset_id, long long now, const NewEval& e,
               const std::string& error_text, bool has_new, int members) {
  std::optional<int> nrbuilds;
  if (has_new) nrbuilds = members;
  auto r = tx.exec_params1(
      "with err as (insert into evaluationerrors (errormsg, errortime) "
      "  select $9::text, $2::bigint where $9::text is not null returning id) "
      "insert into jobsetevals (jobset_id, evaluationerror_id, timestamp, checkouttime, "
      "  evaltime, hasnewbuilds, hash, nrbuilds, flake, nixexprinput, nixexprpath) "
      "values ($1, (select id from err), $2::bigint, $3, $4, $5, $6, $7, $8, $10, $11) "
      "returning id",
      jobset_id, now, e.checkouttime, e.evaltime, has_new ? 1 : 0, e.hash, nrbuilds,
      nonEmpty(e.flake), nonEmpty(error_text), nonEmpty(e.nixexprinput), nonEmpty(e.nixexprpath));
  return r[0].as<int>();
}

// Inserts one build and its outputs per job; returns the new build ids by job name.
std::map<std::string, int> insertBuilds(pqxx::transaction_base& tx, int jobset_id, long long now,
                                        const std::vector<const nix::EvalJob*>& jobs) {
  ArrayParam job, nixname, system, drv, descr, license, homepage, maint, prio, silent, timeout,
      channel, out_job, out_name, out_path;
  for (const auto* j : jobs) {
    job.add(j->attr);
    nixname.add(j->nixname);
    system.add(j->system);
    drv.add(j->drv_path);
    descr.add(nonEmpty(j->description));
    license.add(nonEmpty(j->license));
    homepage.add(nonEmpty(j->homepage));
    maint.add(nonEmpty(j->maintainers));
    prio.add(j->scheduling_priority.value_or(kDefaultPriority));
    silent.add(j->max_silent.value_or(kDefaultMaxSilent));
    timeout.add(j->timeout.value_or(kDefaultTimeout));
    channel.add(j->is_channel);
    for (const auto& [name, path] : j->outputs) {
      out_job.add(j->attr);
      out_name.add(name);
      out_path.add(nonEmpty(path));
    }
  }
  auto rows = tx.exec_params(
      "with d as (select * from unnest($3::text[], $4::text[], $5::text[], $6::text[], "
      "    $7::text[], $8::text[], $9::text[], $10::text[], $11::int[], $12::int[], $13::int[], "
      "    $14::int[]) with ordinality as d(job, nixname, system, drvpath, description, license, "
      "    homepage, maintainers, priority, maxsilent, timeout, ischannel, ord)), "
      "ins as (insert into builds (finished, timestamp, jobset_id, job, nixname, description, "
      "    drvpath, system, license, homepage, maintainers, maxsilent, timeout, ischannel, "
      "    iscurrent, priority) "
      "  select 0, $2::bigint, $1, d.job, d.nixname, d.description, d.drvpath, d.system, "
      "    d.license, d.homepage, d.maintainers, d.maxsilent, d.timeout, d.ischannel, 1, "
      "    d.priority from d order by d.ord returning id, job), "
      "outs as (insert into buildoutputs (build, name, path) select ins.id, o.name, o.path "
      "  from ins join unnest($15::text[], $16::text[], $17::text[]) as o(job, name, path) "
      "  on o.job = ins.job) "
      "select id, job from ins",
      jobset_id, now, job.literal(), nixname.literal(), system.literal(), drv.literal(),
      descr.literal(), license.literal(), homepage.literal(), maint.literal(), prio.literal(),
      silent.literal(), timeout.literal(), channel.literal(), out_job.literal(), out_name.literal(),
      out_path.literal());
  std::map<std::string, int> ids;
  for (const auto& r : rows) ids[r[1].as<std::string>()] = r[0].as<int>();
  return ids;
}

// One job's place in this evaluation.
struct Member {
  const nix::EvalJob* job = nullptr;
  int build = 0;
  bool is_new = false;
  bool finished = false;  // reused builds only
};

// (aggregate, constituent) build pairs. Constituents given as drv paths map to the build of the
// job with that drv; when several jobs share it, the shortest, then smallest, name wins.
std::set<std::pair<int, int>> constituentPairs(const std::map<std::string, Member>& members) {
  std::map<std::string, const Member*> by_drv;
  for (const auto& [name, m] : members) {
    auto [it, fresh] = by_drv.emplace(m.job->drv_path, &m);
    const std::string& held = it->second->job->attr;
    if (!fresh && (name.size() < held.size() || (name.size() == held.size() && name < held))) {
      it->second = &m;
    }
  }
  std::set<std::pair<int, int>> pairs;
  for (const auto& [name, m] : members) {
    if (!m.job->is_aggregate) continue;
    for (const auto& c : m.job->constituent_names) {
      auto it = members.find(c);
      if (it != members.end() && it->second.build != m.build)
        pairs.insert({m.build, it->second.build});
    }
    for (const auto& d : m.job->constituent_drvs) {
      auto it = by_drv.find(d);
      if (it != by_drv.end() && it->second->build != m.build) {
        pairs.insert({m.build, it->second->build});
      }
    }
  }
  return pairs;
}

// Members, constituents and inputs: written only for an evaluation with new builds.
void writeMembership(pqxx::transaction_base& tx, int jobset_id, int eval_id,
                     const std::map<std::string, Member>& members,
                     const std::vector<EvalInputRecord>& inputs) {
  ArrayParam build, isnew;
  for (const auto& [name, m] : members) {
    build.add(m.build);
    isnew.add(m.is_new);
  }
  if (!build.empty()) {
    tx.exec_params(
        "insert into jobsetevalmembers (eval, build, isnew) select $1, d.build, d.isnew "
        "from unnest($2::int[], $3::int[]) as d(build, isnew)",
        eval_id, build.literal(), isnew.literal());
  }
  // Only rows whose flag flips are written, so reused builds cost nothing.
  tx.exec_params(
      "update builds set iscurrent = case when id = any($2::int[]) then 1 else 0 end "
      "where ((jobset_id = $1 and iscurrent = 1) or id = any($2::int[])) "
      "  and iscurrent is distinct from case when id = any($2::int[]) then 1 else 0 end",
      jobset_id, build.literal());
  ArrayParam agg, con;
  for (const auto& [a, c] : constituentPairs(members)) {
    agg.add(a);
    con.add(c);
  }
  if (!agg.empty()) {
    // A reused aggregate has its rows from an earlier evaluation already.
    tx.exec_params(
        "insert into aggregateconstituents (aggregate, constituent) select d.a, d.c "
        "from unnest($1::int[], $2::int[]) as d(a, c) on conflict do nothing",
        agg.literal(), con.literal());
  }
  ArrayParam name, type, uri, rev, value, dep, path, sha;
  for (const auto& in : inputs) {
    name.add(in.name);
    type.add(in.type);
    uri.add(in.uri);
    rev.add(in.revision);
    value.add(in.value);
    dep.add(in.dependency ? std::optional<std::string>(std::to_string(*in.dependency))
                          : std::nullopt);
    path.add(in.path);
    sha.add(in.sha256hash);
  }
  if (name.empty()) return;
  tx.exec_params(
      "insert into jobsetevalinputs (eval, name, type, uri, revision, value, dependency, path, "
      "  sha256hash) select $1, d.* from unnest($2::text[], $3::text[], $4::text[], $5::text[], "
      "  $6::text[], $7::int[], $8::text[], $9::text[]) as d(name, type, uri, revision, value, "
      "  dependency, path, sha256hash)",
      eval_id, name.literal(), type.literal(), uri.literal(), rev.literal(), value.literal(),
      dep.literal(), path.literal(), sha.literal());
}

// One-shot (enabled 2) ends with any evaluation that was not "cached" (HYDRA.md §4.2), new
// builds or not.
void updateJobset(pqxx::transaction_base& tx, const EvalEnd& end, const std::string& error_text,
                  const Status& s) {
  tx.exec_params(
      "update jobsets set lastcheckedtime = $2::bigint, starttime = null, fetcherrormsg = null, "
      "  errormsg = $4::text, errortime = case when $4::text is null then null "
      "    else $2::bigint end, "
      "  enabled = case when enabled = 2 then 0 else enabled end, " +
          consumeTriggerSet(3) + ", " + statusSet(5) + " where id = $1",
      end.jobset_id, end.now, end.consumed_trigger, nonEmpty(error_text), s.condition, s.ready,
      s.reason, s.message);
}

// Sent in one statement, in this order, at commit.
class Notifications {
 public:
  void add(const std::string& channel, const std::string& payload) {
    channel_.add(channel);
    payload_.add(payload);
  }
  void send(pqxx::transaction_base& tx) const {
    if (channel_.empty()) return;
    tx.exec_params(
        "select pg_notify(n.channel, n.payload) from unnest($1::text[], $2::text[]) "
        "with ordinality as n(channel, payload, i) order by n.i",
        channel_.literal(), payload_.literal());
  }

 private:
  ArrayParam channel_, payload_;
};

std::string eventMessage(const RecordedEval& r, int jobs) {
  auto plural = [](int n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  return "evaluation " + std::to_string(r.eval_id) + ": " + plural(jobs, "job") + ", " +
         plural(r.new_builds, "new build") + ", " + std::to_string(r.failed_jobs) + " failed" +
         (r.has_new_builds ? "" : " (no change)");
}

// Each good job's place: a reused build of the previous evaluation, or a new one (build 0 until
// inserted).
std::map<std::string, Member> classify(const SortedJobs& jobs,
                                       const std::map<std::string, Reused>& reusable) {
  std::map<std::string, Member> members;
  for (const auto& [name, j] : jobs.good) {
    auto it = reusable.find(name);
    if (it == reusable.end()) {
      members[name] = {j, 0, true, false};
    } else {
      members[name] = {j, it->second.build, false, it->second.finished};
    }
  }
  return members;
}

// Inserts the new members' builds and fills in their ids; returns the ids, ascending.
std::vector<int> createBuilds(pqxx::transaction_base& tx, const EvalEnd& end,
                              std::map<std::string, Member>& members) {
  std::vector<const nix::EvalJob*> fresh;
  for (const auto& [name, m] : members) {
    if (m.is_new) fresh.push_back(m.job);
  }
  if (fresh.empty()) return {};
  auto ids = insertBuilds(tx, end.jobset_id, end.now, fresh);
  std::vector<int> sorted;
  for (auto& [name, m] : members) {
    if (!m.is_new) continue;
    m.build = ids.at(name);
    sorted.push_back(m.build);
  }
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace

Result<RecordedEval> recordEval(WriteTx& wtx, const EvalEnd& end, const NewEval& eval,
                                const Status& status) {
  auto& tx = wtx.tx;
  auto jobset = lockJobset(tx, end.jobset_id);
  if (!jobset) {
    return Error::stalled("jobset " + std::to_string(end.jobset_id) + " does not exist");
  }
  const SortedJobs jobs = sortJobs(eval.jobs);
  std::map<std::string, Reused> reusable;
  if (jobset->prev_eval) reusable = findReusable(tx, *jobset->prev_eval, jobs);
  std::map<std::string, Member> members = classify(jobs, reusable);

  RecordedEval out;
  out.failed_jobs = jobs.failed;
  out.error_text = jobs.error_text;
  const int count = static_cast<int>(members.size());
  out.reused_builds = static_cast<int>(reusable.size());
  out.new_builds = count - out.reused_builds;
  out.has_new_builds = out.new_builds > 0 || (jobset->prev_eval && jobset->prev_members != count);
  out.eval_id =
      insertEval(tx, end.jobset_id, end.now, eval, out.error_text, out.has_new_builds, count);

  Notifications notes;
  const std::vector<int> created = createBuilds(tx, end, members);
  if (!created.empty()) out.lowest_new_build = created.front();
  for (int id : created) notes.add("build_queued", std::to_string(id));
  const std::string eval_str = std::to_string(out.eval_id);
  for (const auto& [name, m] : members) {
    if (m.is_new) continue;
    notes.add(m.finished ? "cached_build_finished" : "cached_build_queued",
              eval_str + "\t" + std::to_string(m.build));
  }
  if (out.has_new_builds) writeMembership(tx, end.jobset_id, out.eval_id, members, eval.inputs);
  updateJobset(tx, end, out.error_text, status);
  auto ev = recordEvent(wtx, "jobset", jobset->project + ":" + jobset->name, "evaluated",
                        std::nullopt, eventMessage(out, static_cast<int>(eval.jobs.size())));
  if (!ev) return ev.error();

  notes.add("eval_added", end.trace + "\t" + std::to_string(end.jobset_id) + "\t" + eval_str);
  if (out.lowest_new_build) notes.add("builds_added", std::to_string(*out.lowest_new_build));
  notes.send(tx);
  return out;
}

}  // namespace hydrant::db
