#include "controller/db/webhooks.hh"

#include "controller/db/arrays.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

// Each needle as a LIKE pattern "%needle%", its own '%', '_' and '\\' taken literally.
std::string containsPatterns(const std::vector<std::string>& needles) {
  ArrayParam a;
  for (const auto& needle : needles) {
    std::string pattern = "%";
    for (char c : needle) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    a.add(pattern + "%");
  }
  return a.literal();
}

}  // namespace

Result<std::vector<PushJobsetRow>> pushJobsetCandidates(ReadTx& rtx,
                                                        const std::vector<std::string>& needles) {
  std::vector<PushJobsetRow> out;
  if (needles.empty()) return out;
  // Relative values are always candidates: what they point at is only known once resolved
  // against the project's declarative URL, which the caller does.
  auto rows = rtx.tx.exec_params(
      "with hit as ("
      "  select i.project, i.jobset from jobsetinputs i where i.type = 'git' and ("
      "    i.value like '.%' or lower(i.value) like any($1::text[]))"
      "  union "
      "  select j.project, j.name from jobsets j "
      "  where j.type = 1 and lower(j.flake) like any($1::text[])"
      "  union "
      "  select j.project, j.name from jobsets j join projects p on p.name = j.project "
      "  where j.name = '.jobsets' and coalesce(p.declfile, '') <> '' and p.decltype = 'git' and ("
      "    p.declvalue like '.%' or lower(p.declvalue) like any($1::text[]))) "
      "select j.project, j.name, j.type = 1, coalesce(j.flake, ''), coalesce(p.decltype, ''), "
      "  coalesce(p.declvalue, ''), j.name = '.jobsets' and coalesce(p.declfile, '') <> '', "
      "  i.value "
      "from hit h join jobsets j on j.project = h.project and j.name = h.jobset "
      "join projects p on p.name = j.project "
      "left join jobsetinputs i on i.project = j.project and i.jobset = j.name and i.type = 'git' "
      "where j.enabled <> 0 and p.enabled = 1 "
      "order by j.project, j.name, i.name",
      containsPatterns(needles));
  for (const auto& r : rows) {
    const auto project = r[0].as<std::string>();
    const auto jobset = r[1].as<std::string>();
    if (out.empty() || out.back().project != project || out.back().jobset != jobset) {
      PushJobsetRow row;
      row.project = project;
      row.jobset = jobset;
      if (r[2].as<bool>()) row.flake = r[3].as<std::string>();
      row.decltype_ = r[4].as<std::string>();
      row.declvalue = r[5].as<std::string>();
      row.generated = r[6].as<bool>();
      out.push_back(std::move(row));
    }
    if (!r[7].is_null()) out.back().git_values.push_back(r[7].as<std::string>());
  }
  return out;
}

Result<std::vector<DeclarativeSourceRow>> declarativeSourceCandidates(
    ReadTx& rtx, const std::vector<std::string>& needles) {
  std::vector<DeclarativeSourceRow> out;
  if (needles.empty()) return out;
  auto rows = rtx.tx.exec_params(
      "select p.name, p.declvalue from projects p "
      "where p.decltype = 'git' and coalesce(p.declfile, '') <> '' and ("
      "  p.declvalue like '.%' or lower(p.declvalue) like any($1::text[])) "
      "order by p.name",
      containsPatterns(needles));
  for (const auto& r : rows) out.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
  return out;
}

Result<std::vector<std::string>> triggerJobsets(
    WriteTx& wtx, const std::vector<std::pair<std::string, std::string>>& jobsets, bool force) {
  std::vector<std::string> out;
  if (jobsets.empty()) return out;
  ArrayParam projects, names;
  for (const auto& [project, jobset] : jobsets) {
    projects.add(project);
    names.add(jobset);
  }
  // The same update as triggerJobset (evals.cc), set-based: while an evaluation runs the new
  // value must differ from the one it started with; otherwise an older pending trigger keeps its
  // place. The explicit notify wakes the evaluator even when the value did not change.
  auto rows = wtx.tx.exec_params(
      "with want as (select distinct w.project, w.name "
      "  from unnest($1::text[], $2::text[]) as w(project, name)), "
      "clock as (select floor(extract(epoch from now()))::bigint as now), "
      "j as (update jobsets s set "
      "  triggertime = case when s.starttime is not null "
      "    then greatest(c.now, coalesce(s.triggertime, 0) + 1) "
      "    else least(coalesce(s.triggertime, c.now), c.now) end, "
      "  forceeval = case when $3::boolean then true else s.forceeval end "
      "  from want w, clock c, projects p "
      "  where s.project = w.project and s.name = w.name and p.name = s.project "
      "    and s.enabled <> 0 and p.enabled = 1 "
      "  returning s.id, s.project, s.name) "
      "select j.project, j.name, pg_notify('jobsets_changed', j.id::text) from j "
      "order by j.project, j.name",
      projects.literal(), names.literal(), force);
  for (const auto& r : rows) out.push_back(r[0].as<std::string>() + ":" + r[1].as<std::string>());
  return out;
}

}  // namespace hydrant::db
