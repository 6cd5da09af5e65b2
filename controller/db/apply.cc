// Writing plans: projects and jobsets created, updated, disabled or deleted in set-based
// statements, each change recorded in events. Declared in controller/db/projects.hh.
#include <algorithm>

#include "controller/db/arrays.hh"
#include "controller/db/projects.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

// The columns a jobset spec is written to, one array parameter each.
struct JobsetColumns {
  ArrayParam name, description, type, flake, nixexprinput, nixexprpath, enabled, hidden,
      enableemail, emailoverride, keepnr, checkinterval, schedulingshares;

  void add(const specs::JobsetSpec& s) {
    name.add(s.name);
    description.add(s.description);
    type.add(s.type);
    flake.add(s.flake);
    nixexprinput.add(s.nixexprinput);
    nixexprpath.add(s.nixexprpath);
    enabled.add(static_cast<int>(s.enabled));
    hidden.add(s.hidden);
    enableemail.add(s.enableemail);
    emailoverride.add(s.emailoverride);
    keepnr.add(s.keepnr);
    checkinterval.add(s.checkinterval);
    schedulingshares.add(s.schedulingshares);
  }
};

// unnest of the JobsetColumns parameters $2..$14 as d(...).
constexpr const char* kUnnestJobsets =
    "unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[], "
    "$9::int[], $10::int[], $11::text[], $12::int[], $13::int[], $14::int[]) as d(name, "
    "description, type, flake, nixexprinput, nixexprpath, enabled, hidden, enableemail, "
    "emailoverride, keepnr, checkinterval, schedulingshares)";

struct Events {
  ArrayParam kind, key, action, message;
  void add(const std::string& k, const std::string& obj, const std::string& a,
           const std::string& m) {
    kind.add(k);
    key.add(obj);
    action.add(a);
    message.add(m);
  }
  void write(pqxx::transaction_base& tx, const std::string& revision) const {
    if (kind.empty()) return;
    tx.exec_params(
        "insert into events (object_kind, object_key, action, revision, message) "
        "select d.kind, d.key, d.action, $5, d.message "
        "from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as d(kind, key, action, "
        "message)",
        kind.literal(), key.literal(), action.literal(), message.literal(), revision);
  }
};

std::string describeFields(const std::vector<specs::FieldChange>& fields) {
  std::string out;
  for (const auto& f : fields) {
    if (!out.empty()) out += "; ";
    out += f.field + ": " + (f.from_absent ? "(absent)" : f.from) + " → " +
           (f.to_absent ? "(absent)" : f.to);
  }
  return out;
}

// A change the evaluator must see at once: what is evaluated, or whether it is.
bool evaluationChanged(const specs::JobsetChange& c) {
  const std::vector<std::string> fields = {"inputs", "nixexprinput", "nixexprpath",
                                           "flake",  "type",         "enabled"};
  for (const auto& f : c.fields) {
    for (const auto& k : fields) {
      if (f.field.rfind(k, 0) == 0) return true;
    }
  }
  return false;
}

// Jobsets whose evaluation-relevant spec changed are triggered (an existing, older trigger is
// kept so they do not lose their place).
void triggerJobsets(pqxx::transaction_base& tx, const std::string& project,
                    const std::vector<std::string>& names) {
  if (names.empty()) return;
  ArrayParam list;
  for (const auto& n : names) list.add(n);
  tx.exec_params(
      "update jobsets set triggertime = coalesce(triggertime, extract(epoch from now())::bigint) "
      "where project = $1 and name = any($2::text[])",
      project, list.literal());
}

bool inputsChanged(const specs::JobsetChange& c) {
  return c.action == specs::Action::kCreate ||
         std::any_of(c.fields.begin(), c.fields.end(),
                     [](const auto& f) { return f.field.rfind("inputs", 0) == 0; });
}

void insertJobsets(pqxx::transaction_base& tx, const std::string& project, const JobsetColumns& c,
                   const std::string& revision) {
  tx.exec_params(
      std::string("insert into jobsets (project, name, description, type, flake, nixexprinput, "
                  "nixexprpath, enabled, hidden, enableemail, emailoverride, keepnr, "
                  "checkinterval, schedulingshares, triggertime, observed_revision, ready_status, "
                  "condition, condition_reason, condition_message, last_transition_at, "
                  "last_reconciled_at) "
                  "select $1, d.name, d.description, d.type, d.flake, d.nixexprinput, "
                  "d.nixexprpath, d.enabled, d.hidden, d.enableemail, d.emailoverride, d.keepnr, "
                  "d.checkinterval, d.schedulingshares, extract(epoch from now())::bigint, $15, "
                  "'True', 'Ready', 'Applied', $16, "
                  "now(), now() from ") +
          kUnnestJobsets,
      project, c.name.literal(), c.description.literal(), c.type.literal(), c.flake.literal(),
      c.nixexprinput.literal(), c.nixexprpath.literal(), c.enabled.literal(), c.hidden.literal(),
      c.enableemail.literal(), c.emailoverride.literal(), c.keepnr.literal(),
      c.checkinterval.literal(), c.schedulingshares.literal(), revision,
      "applied from " + revision);
}

void updateJobsets(pqxx::transaction_base& tx, const std::string& project, const JobsetColumns& c,
                   const std::string& revision, const std::string& reason,
                   const std::string& message) {
  tx.exec_params(
      std::string("update jobsets j set description = d.description, type = d.type, "
                  "flake = d.flake, nixexprinput = d.nixexprinput, nixexprpath = d.nixexprpath, "
                  "enabled = d.enabled, hidden = d.hidden, enableemail = d.enableemail, "
                  "emailoverride = d.emailoverride, keepnr = d.keepnr, "
                  "checkinterval = d.checkinterval, schedulingshares = d.schedulingshares, "
                  "observed_revision = $15, ready_status = 'True', condition = 'Ready', "
                  "condition_reason = $16, condition_message = $17, "
                  "last_transition_at = case when j.condition <> 'Ready' then now() "
                  "else j.last_transition_at end, last_reconciled_at = now() from ") +
          kUnnestJobsets + " where j.project = $1 and j.name = d.name",
      project, c.name.literal(), c.description.literal(), c.type.literal(), c.flake.literal(),
      c.nixexprinput.literal(), c.nixexprpath.literal(), c.enabled.literal(), c.hidden.literal(),
      c.enableemail.literal(), c.emailoverride.literal(), c.keepnr.literal(),
      c.checkinterval.literal(), c.schedulingshares.literal(), revision, reason, message);
}

// Inputs are replaced wholesale for the given jobsets.
void replaceInputs(pqxx::transaction_base& tx, const std::string& project,
                   const std::vector<const specs::JobsetSpec*>& jobsets) {
  if (jobsets.empty()) return;
  ArrayParam names, in_jobset, in_name, in_type, in_value, in_email;
  for (const auto* s : jobsets) {
    names.add(s->name);
    for (const auto& in : s->inputs) {
      in_jobset.add(s->name);
      in_name.add(in.name);
      in_type.add(in.type);
      in_value.add(in.value);
      in_email.add(in.emailresponsible);
    }
  }
  tx.exec_params("delete from jobsetinputs where project = $1 and jobset = any($2::text[])",
                 project, names.literal());
  if (in_jobset.empty()) return;
  tx.exec_params(
      "insert into jobsetinputs (project, jobset, name, type, value, emailresponsible) "
      "select $1, d.jobset, d.name, d.type, d.value, d.email from unnest($2::text[], $3::text[], "
      "$4::text[], $5::text[], $6::int[]) as d(jobset, name, type, value, email)",
      project, in_jobset.literal(), in_name.literal(), in_type.literal(), in_value.literal(),
      in_email.literal());
}

// Deletes the named jobsets that have no builds; returns those that had builds by now.
std::vector<std::string> deleteJobsets(pqxx::transaction_base& tx, const std::string& project,
                                       const std::vector<std::string>& names) {
  ArrayParam arr;
  for (const auto& n : names) arr.add(n);
  auto gone = tx.exec_params(
      "delete from jobsets j where j.project = $1 and j.name = any($2::text[]) "
      "and not exists (select 1 from builds b where b.jobset_id = j.id) returning j.name",
      project, arr.literal());
  std::vector<std::string> kept = names;
  for (const auto& r : gone) {
    kept.erase(std::remove(kept.begin(), kept.end(), r[0].as<std::string>()), kept.end());
  }
  return kept;
}

}  // namespace

Result<void> applyJobsetChanges(WriteTx& wtx, const specs::ProjectPlan& plan,
                                const std::string& revision) {
  auto& tx = wtx.tx;
  const std::string& project = plan.project;
  JobsetColumns created, updated, disabled;
  std::vector<const specs::JobsetSpec*> new_inputs;
  std::vector<std::string> to_delete, retrigger;
  Events events;
  for (const auto& c : plan.jobsets) {
    const std::string key = project + ":" + c.name;
    switch (c.action) {
      case specs::Action::kCreate:
        created.add(c.desired);
        events.add("jobset", key, "create", "created");
        break;
      case specs::Action::kUpdate:
        updated.add(c.desired);
        if (evaluationChanged(c)) retrigger.push_back(c.name);
        events.add("jobset", key, "update", describeFields(c.fields));
        break;
      case specs::Action::kDisable:
        disabled.add(c.desired);
        events.add("jobset", key, "disable", "disabled and hidden: it left the spec");
        break;
      case specs::Action::kDelete:
        to_delete.push_back(c.name);
        break;
      case specs::Action::kUnchanged:
        break;
    }
    if (c.action != specs::Action::kUnchanged && c.action != specs::Action::kDelete &&
        c.action != specs::Action::kDisable && inputsChanged(c)) {
      new_inputs.push_back(&c.desired);
    }
  }
  if (!created.name.empty()) insertJobsets(tx, project, created, revision);
  if (!updated.name.empty()) {
    updateJobsets(tx, project, updated, revision, "Applied", "applied from " + revision);
  }
  replaceInputs(tx, project, new_inputs);
  triggerJobsets(tx, project, retrigger);
  const std::vector<std::string> kept = deleteJobsets(tx, project, to_delete);
  for (const auto& c : plan.jobsets) {
    if (c.action != specs::Action::kDelete) continue;
    const std::string key = project + ":" + c.name;
    if (std::find(kept.begin(), kept.end(), c.name) == kept.end()) {
      events.add("jobset", key, "delete", "deleted: it left the spec");
      continue;
    }
    // It gained builds since the plan was made: keep its history, disable and hide it.
    specs::JobsetSpec s = c.desired;
    s.enabled = specs::Enabled::kDisabled;
    s.hidden = true;
    disabled.add(s);
    events.add("jobset", key, "disable", "disabled and hidden: it has builds");
  }
  if (!disabled.name.empty()) {
    updateJobsets(tx, project, disabled, revision, "LeftSpec",
                  "disabled and hidden: not in the spec at " + revision);
  }
  events.write(tx, revision);
  return {};
}

Result<void> applyProjectRow(WriteTx& wtx, const specs::ProjectPlan& plan,
                             const specs::ProjectSpec* desired, const std::string& revision,
                             const std::string& declared_by) {
  auto& tx = wtx.tx;
  const std::string& name = plan.project;
  switch (plan.action) {
    case specs::Action::kUnchanged:
      return {};
    case specs::Action::kCreate:
    case specs::Action::kUpdate: {
      const auto& d = *desired;
      tx.exec_params(
          "insert into projects (name, displayname, description, homepage, enabled, hidden, "
          "  declfile, decltype, declvalue, prune, declared_by) "
          "values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
          "on conflict (name) do update set displayname = $2, description = $3, homepage = $4, "
          "  enabled = $5, hidden = $6, declfile = $7, decltype = $8, declvalue = $9, "
          "  prune = $10, declared_by = $11",
          name, d.displayname, d.description, d.homepage, d.enabled ? 1 : 0, d.hidden ? 1 : 0,
          d.declarative.file, d.declarative.type, d.declarative.value,
          std::string(specs::pruneName(d.prune)), declared_by);
      bool created = plan.action == specs::Action::kCreate;
      return recordEvent(wtx, "project", name, created ? "create" : "update", revision,
                         created ? "created" : describeFields(plan.project_fields));
    }
    case specs::Action::kDisable:
      tx.exec_params("update projects set enabled = 0, hidden = 1 where name = $1", name);
      return recordEvent(wtx, "project", name, "disable", revision,
                         "disabled and hidden: it left the projects file");
    case specs::Action::kDelete: {
      auto gone = tx.exec_params(
          "delete from projects p where p.name = $1 and not exists (select 1 from builds b "
          "join jobsets j on j.id = b.jobset_id where j.project = p.name) returning p.name",
          name);
      if (gone.empty()) {
        tx.exec_params("update projects set enabled = 0, hidden = 1 where name = $1", name);
        return recordEvent(wtx, "project", name, "disable", revision,
                           "disabled and hidden: it left the projects file and has builds");
      }
      return recordEvent(wtx, "project", name, "delete", revision,
                         "deleted: it left the projects file");
    }
  }
  return {};
}

}  // namespace hydrant::db
