#include "controller/db/projects.hh"

#include <map>

#include "controller/db/arrays.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

constexpr const char* kIsoTime = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

std::string isoColumn(const std::string& col) {
  return "coalesce(to_char(" + col + " at time zone 'UTC', " + kIsoTime + "), '')";
}

std::optional<std::string> optText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

std::optional<long long> optInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

specs::Prune pruneOf(const std::string& s) {
  return s == "delete" ? specs::Prune::kDelete : specs::Prune::kDisable;
}

const std::string& projectColumns() {
  static const std::string cols =
      "p.name, p.displayname, coalesce(p.description, ''), coalesce(p.homepage, ''), p.enabled, "
      "p.hidden, coalesce(p.declfile, ''), coalesce(p.decltype, ''), coalesce(p.declvalue, ''), "
      "p.prune, p.observed_revision, p.applied_spec_hash, coalesce(p.declared_by, ''), "
      "p.condition, p.ready_status, p.condition_reason, p.condition_message, " +
      isoColumn("p.last_transition_at") + ", " + isoColumn("p.last_reconciled_at") +
      ", (select count(*) from jobsets j where j.project = p.name)";
  return cols;
}

ProjectRow projectFrom(const pqxx::row& r) {
  ProjectRow p;
  p.spec.name = r[0].as<std::string>();
  p.spec.displayname = r[1].as<std::string>();
  p.spec.description = r[2].as<std::string>();
  p.spec.homepage = r[3].as<std::string>();
  p.spec.enabled = r[4].as<int>() != 0;
  p.spec.hidden = r[5].as<int>() != 0;
  p.spec.declarative = {r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>()};
  p.spec.prune = pruneOf(r[9].as<std::string>());
  p.observed_revision = optText(r[10]);
  p.applied_spec_hash = optText(r[11]);
  p.declared_by = r[12].as<std::string>();
  p.status = {r[13].as<std::string>(), r[14].as<std::string>(), r[15].as<std::string>(),
              r[16].as<std::string>()};
  p.last_transition_at = r[17].as<std::string>();
  p.last_reconciled_at = r[18].as<std::string>();
  p.jobsets = r[19].as<int>();
  return p;
}

const std::string& jobsetColumns() {
  static const std::string cols =
      "j.id, j.project, j.name, j.enabled, j.hidden, j.type, j.flake, coalesce(j.description, ''), "
      "j.nixexprinput, j.nixexprpath, j.checkinterval, j.schedulingshares, j.enableemail, "
      "j.emailoverride, j.keepnr, exists (select 1 from builds b where b.jobset_id = j.id), "
      "j.observed_revision, j.condition, j.ready_status, j.condition_reason, "
      "j.condition_message, " +
      isoColumn("j.last_reconciled_at") +
      ", j.lastcheckedtime, j.triggertime, j.starttime, j.errortime, coalesce(j.errormsg, ''), "
      "coalesce(j.fetcherrormsg, '')";
  return cols;
}

JobsetRow jobsetFrom(const pqxx::row& r) {
  JobsetRow j;
  j.id = r[0].as<int>();
  j.project = r[1].as<std::string>();
  specs::JobsetSpec& s = j.spec;
  s.name = r[2].as<std::string>();
  s.enabled = static_cast<specs::Enabled>(r[3].as<int>());
  s.hidden = r[4].as<int>() != 0;
  s.type = r[5].as<int>();
  s.flake = optText(r[6]);
  s.description = r[7].as<std::string>();
  s.nixexprinput = optText(r[8]);
  s.nixexprpath = optText(r[9]);
  s.checkinterval = r[10].as<int>();
  s.schedulingshares = r[11].as<int>();
  s.enableemail = r[12].as<int>() != 0;
  s.emailoverride = r[13].as<std::string>();
  s.keepnr = r[14].as<int>();
  j.has_builds = r[15].as<bool>();
  j.observed_revision = optText(r[16]);
  j.status = {r[17].as<std::string>(), r[18].as<std::string>(), r[19].as<std::string>(),
              r[20].as<std::string>()};
  j.last_reconciled_at = r[21].as<std::string>();
  j.lastcheckedtime = optInt(r[22]);
  j.triggertime = optInt(r[23]);
  j.starttime = optInt(r[24]);
  j.errortime = optInt(r[25]);
  j.errormsg = r[26].as<std::string>();
  j.fetcherrormsg = r[27].as<std::string>();
  return j;
}

// Attaches each project's inputs (one query for all of them) to its jobsets.
void attachInputs(pqxx::transaction_base& tx, const std::optional<std::string>& project,
                  std::vector<JobsetRow>& jobsets) {
  std::map<std::pair<std::string, std::string>, JobsetRow*> by_name;
  for (auto& j : jobsets) by_name[{j.project, j.spec.name}] = &j;
  auto rows = tx.exec_params(
      "select project, jobset, name, type, value, emailresponsible from jobsetinputs "
      "where ($1::text is null or project = $1) order by project, jobset, name",
      project);
  for (const auto& r : rows) {
    auto it = by_name.find({r[0].as<std::string>(), r[1].as<std::string>()});
    if (it == by_name.end()) continue;
    it->second->spec.inputs.push_back({r[2].as<std::string>(), r[3].as<std::string>(),
                                       r[4].as<std::string>(), r[5].as<int>() != 0});
  }
}

}  // namespace

Result<std::vector<ProjectRow>> listProjects(ReadTx& rtx) {
  std::vector<ProjectRow> out;
  for (const auto& r : rtx.tx.exec("select " + projectColumns() + " from projects p order by 1")) {
    out.push_back(projectFrom(r));
  }
  return out;
}

Result<std::optional<ProjectRow>> loadProject(ReadTx& rtx, const std::string& name) {
  auto rows =
      rtx.tx.exec_params("select " + projectColumns() + " from projects p where p.name = $1", name);
  if (rows.empty()) return std::optional<ProjectRow>();
  return std::optional<ProjectRow>(projectFrom(rows[0]));
}

Result<std::vector<JobsetRow>> listJobsets(ReadTx& rtx, const std::optional<std::string>& project) {
  std::vector<JobsetRow> out;
  auto rows = rtx.tx.exec_params("select " + jobsetColumns() +
                                     " from jobsets j where ($1::text is null or j.project = $1) "
                                     "order by j.project, j.name",
                                 project);
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(jobsetFrom(r));
  attachInputs(rtx.tx, project, out);
  return out;
}

Result<std::vector<specs::ActualJobset>> actualJobsets(ReadTx& rtx, const std::string& project) {
  // Only what diff compares, read lean: this runs on every change of a large project.
  auto rows = rtx.tx.exec_params(
      "select j.name, j.enabled, j.hidden, j.type, j.flake, coalesce(j.description, ''), "
      "j.nixexprinput, j.nixexprpath, j.checkinterval, j.schedulingshares, j.enableemail, "
      "j.emailoverride, j.keepnr, exists (select 1 from builds b where b.jobset_id = j.id) "
      "from jobsets j where j.project = $1 order by j.name collate \"C\"",
      project);
  std::vector<specs::ActualJobset> out(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    specs::JobsetSpec& s = out[i].spec;
    s.name = r[0].c_str();
    s.enabled = static_cast<specs::Enabled>(r[1].as<int>());
    s.hidden = r[2].as<int>() != 0;
    s.type = r[3].as<int>();
    s.flake = optText(r[4]);
    s.description = r[5].c_str();
    s.nixexprinput = optText(r[6]);
    s.nixexprpath = optText(r[7]);
    s.checkinterval = r[8].as<int>();
    s.schedulingshares = r[9].as<int>();
    s.enableemail = r[10].as<int>() != 0;
    s.emailoverride = r[11].c_str();
    s.keepnr = r[12].as<int>();
    out[i].has_builds = r[13].as<bool>();
  }
  // Both sides are sorted by jobset name (byte order), so inputs are merged in one pass.
  auto inputs = rtx.tx.exec_params(
      "select jobset, name, type, value, emailresponsible from jobsetinputs where project = $1 "
      "order by jobset collate \"C\", name collate \"C\"",
      project);
  size_t j = 0;
  for (const auto& r : inputs) {
    std::string_view jobset = r[0].c_str();
    while (j < out.size() && out[j].spec.name < jobset) ++j;
    if (j == out.size()) break;
    if (out[j].spec.name != jobset) continue;
    out[j].spec.inputs.push_back({r[1].c_str(), r[2].c_str(), r[3].c_str(), r[4].as<int>() != 0});
  }
  return out;
}

Result<std::optional<specs::ActualProject>> actualProject(ReadTx& tx, const std::string& name) {
  auto p = loadProject(tx, name);
  if (!p) return p.error();
  if (!*p) return std::optional<specs::ActualProject>();
  auto jobsets = actualJobsets(tx, name);
  if (!jobsets) return jobsets.error();
  return std::optional<specs::ActualProject>(
      specs::ActualProject{std::move((*p)->spec), std::move(*jobsets)});
}

Result<void> recordEvent(WriteTx& wtx, const std::string& kind, const std::string& key,
                         const std::string& action, const std::optional<std::string>& revision,
                         const std::string& message) {
  wtx.tx.exec_params(
      "insert into events (object_kind, object_key, action, revision, message) "
      "values ($1, $2, $3, $4, $5)",
      kind, key, action, revision, message);
  return {};
}

Result<void> notify(WriteTx& wtx, const std::string& channel, const std::string& payload) {
  wtx.tx.exec_params("select pg_notify($1, $2)", channel, payload);
  return {};
}

Result<void> setProjectStatus(WriteTx& wtx, const std::string& name, const Status& s,
                              const std::optional<std::string>& observed_revision,
                              const std::optional<std::string>& applied_spec_hash) {
  wtx.tx.exec_params(
      "update projects set condition = $2, ready_status = $3, condition_reason = $4, "
      "  condition_message = $5, observed_revision = coalesce($6, observed_revision), "
      "  applied_spec_hash = coalesce($7, applied_spec_hash), "
      "  last_transition_at = case when condition is distinct from $2 "
      "    or ready_status is distinct from $3 then now() else last_transition_at end, "
      "  last_reconciled_at = now() "
      "where name = $1 and (condition::text, ready_status::text, condition_reason::text, "
      "  condition_message, observed_revision, applied_spec_hash) is distinct from "
      "  ($2, $3, $4, $5, coalesce($6, observed_revision), coalesce($7, applied_spec_hash))",
      name, s.condition, s.ready, s.reason, s.message, observed_revision, applied_spec_hash);
  return {};
}

Result<void> setSourceStatus(WriteTx& wtx, const std::string& url, const std::string& ref,
                             const std::string& file, const std::optional<std::string>& revision,
                             const std::optional<std::string>& fetch_error, const Status& s) {
  wtx.tx.exec_params(
      "insert into sources as s (url, ref, file, last_fetched_at, resolved_revision, fetch_error, "
      "  observed_revision, condition, ready_status, condition_reason, condition_message, "
      "  last_transition_at, last_reconciled_at) "
      "values ($1, $2, $3, now(), $4, $5, $4, $6, $7, $8, $9, now(), now()) "
      "on conflict (url, ref, file) do update set last_fetched_at = now(), "
      "  resolved_revision = coalesce($4, s.resolved_revision), fetch_error = $5, "
      "  observed_revision = coalesce($4, s.observed_revision), condition = $6, "
      "  ready_status = $7, condition_reason = $8, condition_message = $9, "
      "  last_transition_at = case when s.condition is distinct from $6 "
      "    or s.ready_status is distinct from $7 then now() else s.last_transition_at end, "
      "  last_reconciled_at = now() "
      "where (s.resolved_revision, s.fetch_error, s.condition::text, s.ready_status::text, "
      "  s.condition_reason::text, s.condition_message) is distinct from "
      "  (coalesce($4, s.resolved_revision), $5, $6, $7, $8, $9)",
      url, ref.empty() ? std::string("HEAD") : ref, file, revision, fetch_error, s.condition,
      s.ready, s.reason, s.message);
  return {};
}

}  // namespace hydrant::db
