#include "specs/plan.hh"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>
#include <utility>

namespace hydrant::specs {
namespace {

// A rendered value (a JSON literal), or nullopt when the value is absent. Rendering valid UTF-8
// is injective, so two values are equal exactly when their renderings are.
using Rendered = std::optional<std::string>;

std::string quote(const std::string& s) {
  // `replace`: a stored string that is not valid UTF-8 must still show up in a plan, not throw.
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Rendered text(const std::string& s) { return quote(s); }
Rendered text(const std::optional<std::string>& s) { return s ? text(*s) : std::nullopt; }
Rendered text(const char*) = delete;  // would otherwise become a bool
Rendered text(int i) { return std::to_string(i); }
Rendered text(bool b) { return std::string(b ? "true" : "false"); }
Rendered text(Enabled e) { return text(static_cast<int>(e)); }
Rendered text(Prune p) { return text(std::string(pruneName(p))); }

// One stored field: its name in plans and how to render it. The order of the tables is the
// order of a plan's fields.
template <class Spec>
struct Field {
  const char* name;
  Rendered (*render)(const Spec&);
};

const Field<JobsetSpec> kJobsetFields[] = {
    {"enabled", [](const JobsetSpec& s) { return text(s.enabled); }},
    {"hidden", [](const JobsetSpec& s) { return text(s.hidden); }},
    {"type", [](const JobsetSpec& s) { return text(s.type); }},
    {"flake", [](const JobsetSpec& s) { return text(s.flake); }},
    {"description", [](const JobsetSpec& s) { return text(s.description); }},
    {"nixexprinput", [](const JobsetSpec& s) { return text(s.nixexprinput); }},
    {"nixexprpath", [](const JobsetSpec& s) { return text(s.nixexprpath); }},
    {"checkinterval", [](const JobsetSpec& s) { return text(s.checkinterval); }},
    {"schedulingshares", [](const JobsetSpec& s) { return text(s.schedulingshares); }},
    {"enableemail", [](const JobsetSpec& s) { return text(s.enableemail); }},
    {"emailoverride", [](const JobsetSpec& s) { return text(s.emailoverride); }},
    {"keepnr", [](const JobsetSpec& s) { return text(s.keepnr); }},
};

const Field<ProjectSpec> kProjectFields[] = {
    {"displayname", [](const ProjectSpec& s) { return text(s.displayname); }},
    {"description", [](const ProjectSpec& s) { return text(s.description); }},
    {"homepage", [](const ProjectSpec& s) { return text(s.homepage); }},
    {"enabled", [](const ProjectSpec& s) { return text(s.enabled); }},
    {"hidden", [](const ProjectSpec& s) { return text(s.hidden); }},
    {"prune", [](const ProjectSpec& s) { return text(s.prune); }},
    {"declarative.file", [](const ProjectSpec& s) { return text(s.declarative.file); }},
    {"declarative.type", [](const ProjectSpec& s) { return text(s.declarative.type); }},
    {"declarative.value", [](const ProjectSpec& s) { return text(s.declarative.value); }},
};

void addChange(std::vector<FieldChange>& out, std::string field, const Rendered& from,
               const Rendered& to) {
  if (from == to) return;
  out.push_back(FieldChange{std::move(field), from.value_or(""), to.value_or(""), !from.has_value(),
                            !to.has_value()});
}

// `from` is null when the row does not exist yet; then every field `to` has is listed.
template <class Spec, std::size_t N>
void diffFields(const Field<Spec> (&fields)[N], const std::type_identity_t<Spec>* from,
                const Spec& to, std::vector<FieldChange>& out) {
  for (const Field<Spec>& f : fields) {
    addChange(out, f.name, from ? f.render(*from) : std::nullopt, f.render(to));
  }
}

// Inputs are a set keyed by name: the vector order carries no meaning.
void diffInputs(const std::vector<InputSpec>& from, const std::vector<InputSpec>& to,
                std::vector<FieldChange>& out) {
  std::map<std::string, std::pair<const InputSpec*, const InputSpec*>> byName;
  for (const InputSpec& i : from) byName[i.name].first = &i;
  for (const InputSpec& i : to) byName[i.name].second = &i;
  for (const auto& [name, sides] : byName) {
    const auto [a, b] = sides;
    const std::string field = "inputs." + name;
    if (!a || !b) {
      const auto whole = [](const InputSpec* i) -> Rendered {
        return i ? text(i->type + " " + i->value) : std::nullopt;
      };
      addChange(out, field, whole(a), whole(b));
      continue;
    }
    addChange(out, field + ".type", text(a->type), text(b->type));
    addChange(out, field + ".value", text(a->value), text(b->value));
    addChange(out, field + ".emailresponsible", text(a->emailresponsible),
              text(b->emailresponsible));
  }
}

std::vector<FieldChange> jobsetFieldChanges(const JobsetSpec* from, const JobsetSpec& to) {
  std::vector<FieldChange> out;
  diffFields(kJobsetFields, from, to, out);
  diffInputs(from ? from->inputs : std::vector<InputSpec>{}, to.inputs, out);
  return out;
}

JobsetChange compareJobset(const JobsetSpec& desired, const ActualJobset* stored) {
  JobsetChange c{desired.name, Action::kCreate, {}, desired};
  if (stored == nullptr) {
    c.fields = jobsetFieldChanges(nullptr, desired);
  } else if (!desired.sameAs(stored->spec)) {
    c.action = Action::kUpdate;
    c.fields = jobsetFieldChanges(&stored->spec, desired);
  } else {
    c.action = Action::kUnchanged;
  }
  return c;
}

bool disabledAndHidden(const JobsetSpec& j) { return j.enabled == Enabled::kDisabled && j.hidden; }

// A stored jobset that left the spec. Deleting loses its history, so only a jobset without
// builds is deleted, and only when its project asked for that.
JobsetChange removeJobset(const ActualJobset& stored, Prune prune) {
  JobsetChange c{stored.spec.name, Action::kDelete, {}, stored.spec};
  if (prune == Prune::kDelete && !stored.has_builds) return c;
  if (disabledAndHidden(stored.spec)) {
    c.action = Action::kUnchanged;
    return c;
  }
  c.action = Action::kDisable;
  c.desired.enabled = Enabled::kDisabled;
  c.desired.hidden = true;
  c.fields = jobsetFieldChanges(&stored.spec, c.desired);
  return c;
}

void sortByName(std::vector<JobsetChange>& jobsets) {
  std::stable_sort(jobsets.begin(), jobsets.end(),
                   [](const JobsetChange& a, const JobsetChange& b) { return a.name < b.name; });
}

// Text layout, one line each, stable for golden tests and for people diffing two plans:
//
//   project NAME at REV7             (or "project NAME" without a revision)
//     S KIND NAME[ SUFFIX]           the project row first, then jobsets by name; unchanged
//         FIELD: VALUE               ones are left out. S is + create, ~ update, - disable,
//         FIELD: FROM → TO           x delete; SUFFIX says what - and x do. A created row lists
//                                    each value; the others list FROM → TO, "(absent)" for an
//                                    absent value. A deleted row lists no fields.
//   Plan: C to create, U to update, D to disable, X to delete, N unchanged.
//
// The last line counts jobsets; when nothing changes it reads "No changes. N jobsets
// unchanged." instead.
std::string valueText(const std::string& value, bool absent) { return absent ? "(absent)" : value; }

void renderChange(std::string& out, const char* kind, const std::string& name, Action action,
                  const std::vector<FieldChange>& fields) {
  static const std::map<Action, std::pair<const char*, const char*>> kMarks = {
      {Action::kCreate, {"+", ""}},
      {Action::kUpdate, {"~", ""}},
      {Action::kDisable, {"-", " (disable and hide)"}},
      {Action::kDelete, {"x", " (delete)"}},
  };
  const auto& [sign, suffix] = kMarks.at(action);
  out += std::string("  ") + sign + " " + kind + " " + name + suffix + "\n";
  for (const FieldChange& f : fields) {
    out += "      " + f.field + ": ";
    if (action != Action::kCreate) out += valueText(f.from, f.from_absent) + " → ";
    out += valueText(f.to, f.to_absent) + "\n";
  }
}

std::string summaryLine(const ProjectPlan& plan) {
  const int unchanged = plan.count(Action::kUnchanged);
  if (!plan.hasChanges()) {
    return "No changes. " + std::to_string(unchanged) + (unchanged == 1 ? " jobset" : " jobsets") +
           " unchanged.\n";
  }
  return "Plan: " + std::to_string(plan.count(Action::kCreate)) + " to create, " +
         std::to_string(plan.count(Action::kUpdate)) + " to update, " +
         std::to_string(plan.count(Action::kDisable)) + " to disable, " +
         std::to_string(plan.count(Action::kDelete)) + " to delete, " + std::to_string(unchanged) +
         " unchanged.\n";
}

using Json = nlohmann::ordered_json;  // keeps keys in the order written, for readable output

Json valueJson(const std::string& value, bool absent) {
  if (absent) return nullptr;
  Json v = Json::parse(value, nullptr, /*allow_exceptions=*/false);
  return v.is_discarded() ? Json(value) : v;
}

Json changeJson(const char* kind, const std::string& name, Action action,
                const std::vector<FieldChange>& fields) {
  Json list = Json::array();
  for (const FieldChange& f : fields) {
    list.push_back(Json{{"field", f.field},
                        {"from", valueJson(f.from, f.from_absent)},
                        {"to", valueJson(f.to, f.to_absent)}});
  }
  return Json{{"kind", kind}, {"name", name}, {"action", actionName(action)}, {"fields", list}};
}

}  // namespace

const char* actionName(Action a) {
  switch (a) {
    case Action::kCreate:
      return "create";
    case Action::kUpdate:
      return "update";
    case Action::kDisable:
      return "disable";
    case Action::kDelete:
      return "delete";
    case Action::kUnchanged:
      return "unchanged";
  }
  return "unknown";
}

bool ProjectPlan::hasChanges() const {
  return action != Action::kUnchanged || count(Action::kUnchanged) != std::ssize(jobsets);
}

int ProjectPlan::count(Action a) const {
  return static_cast<int>(std::count_if(jobsets.begin(), jobsets.end(),
                                        [a](const JobsetChange& j) { return j.action == a; }));
}

ProjectPlan diffProject(const ProjectSpec& desired, const std::optional<ActualProject>& actual) {
  ProjectPlan plan;
  plan.project = desired.name;
  plan.desired = desired;
  if (!actual) {
    plan.action = Action::kCreate;
    diffFields(kProjectFields, nullptr, desired, plan.project_fields);
  } else if (!desired.sameAs(actual->spec)) {
    plan.action = Action::kUpdate;
    diffFields(kProjectFields, &actual->spec, desired, plan.project_fields);
  }
  return plan;
}

void diffJobsets(const ProjectFile& file, const std::vector<ActualJobset>& actual, Prune prune,
                 ProjectPlan& plan) {
  std::map<std::string, const ActualJobset*> stored;
  for (const ActualJobset& a : actual) stored.emplace(a.spec.name, &a);
  std::set<std::string> wanted;
  for (const JobsetSpec& d : file.jobsets) {
    const auto it = stored.find(d.name);
    plan.jobsets.push_back(compareJobset(d, it == stored.end() ? nullptr : it->second));
    wanted.insert(d.name);
  }
  // A generated project's other jobsets are the generator's to remove, and ".jobsets" belongs
  // to the project row (it goes when the declarative input does), so neither is pruned here.
  if (file.mode == ProjectFile::Mode::kStatic) {
    for (const ActualJobset& a : actual) {
      if (a.spec.name != kGeneratorJobset && !wanted.contains(a.spec.name)) {
        plan.jobsets.push_back(removeJobset(a, prune));
      }
    }
  }
  sortByName(plan.jobsets);
}

ProjectPlan removeProject(const ActualProject& actual) {
  ProjectPlan plan;
  plan.project = actual.spec.name;
  plan.desired = actual.spec;
  const bool anyBuilds = std::any_of(actual.jobsets.begin(), actual.jobsets.end(),
                                     [](const ActualJobset& j) { return j.has_builds; });
  // All or nothing: a project row cannot be deleted while one of its jobsets is kept.
  const bool remove = actual.spec.prune == Prune::kDelete && !anyBuilds;
  for (const ActualJobset& j : actual.jobsets) {
    plan.jobsets.push_back(removeJobset(j, remove ? Prune::kDelete : Prune::kDisable));
  }
  sortByName(plan.jobsets);
  if (remove) {
    plan.action = Action::kDelete;
    return plan;
  }
  plan.desired.enabled = false;
  plan.desired.hidden = true;
  diffFields(kProjectFields, &actual.spec, plan.desired, plan.project_fields);
  plan.action = plan.project_fields.empty() ? Action::kUnchanged : Action::kDisable;
  return plan;
}

std::string renderText(const ProjectPlan& plan, const std::string& revision) {
  std::string out = "project " + plan.project;
  if (!revision.empty()) out += " at " + revision.substr(0, 7);
  out += "\n";
  if (plan.action != Action::kUnchanged) {
    renderChange(out, "project", plan.project, plan.action, plan.project_fields);
  }
  for (const JobsetChange& j : plan.jobsets) {
    if (j.action != Action::kUnchanged) renderChange(out, "jobset", j.name, j.action, j.fields);
  }
  return out + summaryLine(plan);
}

std::string renderJson(const ProjectPlan& plan, const std::string& revision) {
  Json changes = Json::array();
  if (plan.action != Action::kUnchanged) {
    changes.push_back(changeJson("project", plan.project, plan.action, plan.project_fields));
  }
  for (const JobsetChange& j : plan.jobsets) {
    if (j.action != Action::kUnchanged) {
      changes.push_back(changeJson("jobset", j.name, j.action, j.fields));
    }
  }
  Json summary;
  for (Action a :
       {Action::kCreate, Action::kUpdate, Action::kDisable, Action::kDelete, Action::kUnchanged}) {
    summary[actionName(a)] = plan.count(a);
  }
  const Json doc{{"project", plan.project},
                 {"revision", revision.empty() ? Json(nullptr) : Json(revision)},
                 {"action", actionName(plan.action)},
                 {"changes", changes},
                 {"summary", summary}};
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace hydrant::specs
