// `hydrant get projects|jobsets|evals|builds|machines`. Declared in controller/commands.hh.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "controller/command_session.hh"
#include "controller/commands.hh"
#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/projects.hh"
#include "controller/db/steps.hh"
#include "controller/db/system_status.hh"
#include "controller/runtime/clock.hh"
#include "controller/views.hh"

namespace hydrant::commands {

namespace {

constexpr int kDefaultLimit = 100;

using Table = std::vector<std::vector<std::string>>;

std::string shortRev(const std::optional<std::string>& rev) {
  if (!rev) return "-";
  return rev->size() > 12 && rev->find(':') == std::string::npos ? rev->substr(0, 12) : *rev;
}

// A message for one table cell: its first line, and how many more there are.
std::string oneLine(const std::string& message) {
  const size_t end = message.find_last_not_of('\n') + 1;  // 0 for "" or only newlines
  const size_t nl = message.find('\n');
  if (nl >= end) return message.substr(0, end);
  const auto more = std::count(message.begin() + nl, message.begin() + end, '\n');
  return message.substr(0, nl) + " (+" + std::to_string(more) + " more)";
}

void printTable(const Table& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void print(bool json, const nlohmann::json& out, const Table& rows) {
  if (json)
    std::printf("%s\n", out.dump(2).c_str());
  else
    printTable(rows);
}

// --limit N: a positive number; 100 when not given.
Result<int> limitOf(const cli::Invocation& inv) {
  const std::string text = inv.option("limit", std::to_string(kDefaultLimit));
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) {
    return Error::invalid("get: --limit: expected a positive number, got \"" + text + "\"");
  }
  return n;
}

// Errors name what is missing: `no project "x"`, `no jobset x:y`.
Result<void> requireExists(db::ReadTx& tx, const std::string& project,
                           const std::optional<std::string>& jobset) {
  auto p = db::loadProject(tx, project);
  if (!p) return p.error();
  if (!*p) return Error::stalled("no project \"" + project + "\"");
  if (!jobset) return {};
  auto jobsets = db::listJobsets(tx, project);
  if (!jobsets) return jobsets.error();
  for (const auto& j : *jobsets) {
    if (j.spec.name == *jobset) return {};
  }
  return Error::stalled("no jobset " + project + ":" + *jobset);
}

// For the INPUTS column: the locked flake, or each input's revision (else its value).
std::string inputsCell(const db::EvalView& e) {
  if (!e.flake.empty()) return e.flake;
  std::string cell;
  for (const auto& [name, in] : e.inputs) {
    const auto& shown = in.revision ? in.revision : in.value;
    cell += (cell.empty() ? "" : " ") + name + "=" + shortRev(shown);
  }
  return cell.empty() ? "-" : cell;
}

// What `get evals` (one jobset) or `get builds` (a project, or one of its jobsets) lists.
struct Scope {
  std::string project;
  std::optional<std::string> jobset;
};

Result<Scope> scopeOf(const cli::Invocation& inv, bool jobset_required) {
  const std::string what = inv.operands[0];
  const std::string form = jobset_required ? "PROJECT:JOBSET" : "PROJECT or PROJECT:JOBSET";
  if (inv.operands.size() < 2) return Error::invalid("get " + what + ": give " + form);
  const std::string& operand = inv.operands[1];
  if (!jobset_required && operand.find(':') == std::string::npos) return Scope{operand, {}};
  auto ref = parseJobsetRef(operand);
  if (!ref) return Error::invalid("get " + what + ": " + ref.error().message);
  return Scope{ref->project, ref->jobset};
}

int getEvals(Session& s, const Scope& scope, bool json, int limit) {
  auto evals = s.db->read<std::vector<db::EvalView>>(
      [&](db::ReadTx& tx) -> Result<std::vector<db::EvalView>> {
        if (auto found = requireExists(tx, scope.project, scope.jobset); !found) {
          return found.error();
        }
        return db::listEvals(tx, scope.project, *scope.jobset, limit);
      });
  if (!evals) return fail(evals.error().message);
  nlohmann::json out = nlohmann::json::array();
  Table rows = {{"ID", "TIME (UTC)", "BUILDS", "CHECKOUT", "EVAL", "INPUTS", "ERRORS"}};
  for (const auto& e : *evals) {
    out.push_back(views::eval(e));
    rows.push_back({std::to_string(e.id), views::utcTime(e.timestamp),
                    std::to_string(e.builds.size()), std::to_string(e.checkouttime) + "s",
                    std::to_string(e.evaltime) + "s", inputsCell(e),
                    e.errormsg.empty() ? "-" : oneLine(e.errormsg)});
  }
  print(json, out, rows);
  return cli::kExitOk;
}

struct BuildsWithSteps {
  std::vector<db::BuildView> builds;
  std::map<int, std::vector<db::StepView>> steps;  // by build id
};

int getBuilds(Session& s, const Scope& scope, bool json, int limit) {
  auto found = s.db->read<BuildsWithSteps>([&](db::ReadTx& tx) -> Result<BuildsWithSteps> {
    if (auto exists = requireExists(tx, scope.project, scope.jobset); !exists) {
      return exists.error();
    }
    auto builds = db::listBuilds(tx, scope.project, scope.jobset, limit);
    if (!builds) return builds.error();
    std::vector<int> ids;
    for (const auto& b : *builds) ids.push_back(b.id);
    auto steps = db::stepsOfBuilds(tx, ids);
    if (!steps) return steps.error();
    return BuildsWithSteps{std::move(*builds), std::move(*steps)};
  });
  if (!found) return fail(found.error().message);
  nlohmann::json out = nlohmann::json::array();
  Table rows = {{"ID", "JOBSET", "JOB", "SYSTEM", "STATUS", "STEPS", "QUEUED (UTC)", "NIXNAME"}};
  const std::vector<db::StepView> none;
  for (const auto& b : found->builds) {
    auto it = found->steps.find(b.id);
    const std::vector<db::StepView>& steps = it == found->steps.end() ? none : it->second;
    out.push_back(views::build(b, steps));
    rows.push_back({std::to_string(b.id), b.jobset, b.job, b.system, views::buildStatusLabel(b),
                    views::stepsSummary(steps), views::utcTime(b.timestamp),
                    b.nixname.empty() ? "-" : b.nixname});
  }
  print(json, out, rows);
  return cli::kExitOk;
}

// For the FEATURES column: "kvm,big-parallel", "kvm (mandatory: benchmark)" or "-".
std::string featuresCell(const views::MachineStatus& m) {
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
  };
  std::string cell = join(m.supported_features);
  if (!m.mandatory_features.empty()) {
    cell +=
        (cell.empty() ? "" : " ") + std::string("(mandatory: ") + join(m.mandatory_features) + ")";
  }
  return cell.empty() ? "-" : cell;
}

// "1", "2.5": a speed factor without trailing zeros.
std::string speedCell(double speed) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", speed);
  return buf;
}

int getMachines(Session& s, bool json) {
  auto stored = s.db->read<std::optional<std::string>>(
      [](db::ReadTx& tx) { return db::systemStatus(tx, views::kMachinesStatusKey); });
  if (!stored) return fail(stored.error().message);
  if (!*stored) {
    const char* kNone = "no machine status yet (is `hydrant run` with the queue role running?)";
    if (json) {
      std::printf("%s\n", nlohmann::json::object().dump(2).c_str());
      std::fprintf(stderr, "hydrant: %s\n", kNone);
    } else {
      std::printf("%s\n", kNone);
    }
    return cli::kExitOk;
  }
  auto status = views::parseMachinesStatus(**stored);
  if (!status) return fail(status.error().message);
  const runtime::SystemClock clock;
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  Table rows = {{"MACHINE", "SYSTEMS", "JOBS", "SPEED", "FEATURES", "STATE"}};
  for (const auto& m : status->machines) {
    std::string systems;
    for (const auto& sys : m.systems) systems += (systems.empty() ? "" : ",") + sys;
    rows.push_back({m.uri, systems.empty() ? "-" : systems,
                    std::to_string(m.current_jobs) + "/" + std::to_string(m.max_jobs),
                    speedCell(m.speed_factor), featuresCell(m), views::machineStateLabel(m, now)});
  }
  print(json, views::machines(*status), rows);
  if (!json) std::printf("updated %s UTC\n", views::utcTime(status->updated).c_str());
  return cli::kExitOk;
}

int getJobsets(Session& s, bool json, const std::optional<std::string>& project) {
  auto jobsets = s.db->read<std::vector<db::JobsetRow>>(
      [&](db::ReadTx& tx) { return db::listJobsets(tx, project); });
  if (!jobsets) return fail(jobsets.error().message);
  nlohmann::json out = nlohmann::json::array();
  Table rows = {{"PROJECT", "JOBSET", "ENABLED", "READY", "REVISION", "MESSAGE"}};
  for (const auto& j : *jobsets) {
    out.push_back(views::jobset(j));
    rows.push_back({j.project, j.spec.name, std::to_string(static_cast<int>(j.spec.enabled)),
                    j.status.ready, shortRev(j.observed_revision), oneLine(j.status.message)});
  }
  print(json, out, rows);
  return cli::kExitOk;
}

int getProjects(Session& s, bool json, const std::optional<std::string>& project) {
  auto jobsets = s.db->read<std::vector<db::JobsetRow>>(
      [&](db::ReadTx& tx) { return db::listJobsets(tx, project); });
  if (!jobsets) return fail(jobsets.error().message);
  auto projects =
      s.db->read<std::vector<db::ProjectRow>>([](db::ReadTx& tx) { return db::listProjects(tx); });
  if (!projects) return fail(projects.error().message);
  nlohmann::json out = nlohmann::json::array();
  Table rows = {{"PROJECT", "ENABLED", "READY", "REVISION", "JOBSETS", "MESSAGE"}};
  for (const auto& p : *projects) {
    if (project && p.spec.name != *project) continue;
    std::vector<std::string> names;
    for (const auto& j : *jobsets) {
      if (j.project == p.spec.name) names.push_back(j.spec.name);
    }
    out.push_back(views::project(p, names));
    rows.push_back({p.spec.name, p.spec.enabled ? "1" : "0", p.status.ready,
                    shortRev(p.observed_revision), std::to_string(p.jobsets),
                    oneLine(p.status.message)});
  }
  print(json, out, rows);
  return cli::kExitOk;
}

}  // namespace

int get(const cli::Invocation& inv) {
  setupClientLogging(inv.config);
  const std::string kinds = "projects, jobsets, evals, builds or machines";
  if (inv.operands.empty()) return fail("get: say what: " + kinds, cli::kExitUsage);
  const std::string what = inv.operands[0];
  const bool runs = what == "evals" || what == "builds";
  if (!runs && what != "projects" && what != "jobsets" && what != "machines") {
    return fail("get: unknown kind \"" + what + "\" (" + kinds + ")", cli::kExitUsage);
  }
  if (!runs && inv.options.count("limit") != 0) {
    return fail("get: --limit applies to evals and builds", cli::kExitUsage);
  }
  if (what == "machines" && inv.operands.size() > 1) {
    return fail("get machines: unexpected argument \"" + inv.operands[1] + "\"", cli::kExitUsage);
  }
  std::optional<Scope> scope;
  if (runs) {
    auto s = scopeOf(inv, what == "evals");
    if (!s) return fail(s.error().message, cli::kExitUsage);
    scope = *s;
  }
  auto limit = limitOf(inv);
  if (!limit) return fail(limit.error().message, cli::kExitUsage);
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
  const bool json = inv.option("output", "table") == "json";
  if (what == "evals") return getEvals(*s, *scope, json, *limit);
  if (what == "builds") return getBuilds(*s, *scope, json, *limit);
  if (what == "machines") return getMachines(*s, json);
  std::optional<std::string> project;
  if (inv.operands.size() > 1) project = inv.operands[1];
  if (what == "jobsets") return getJobsets(*s, json, project);
  return getProjects(*s, json, project);
}

}  // namespace hydrant::commands
