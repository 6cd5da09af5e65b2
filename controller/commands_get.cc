// `hydrant get projects|jobsets|evals|builds`. Declared in controller/commands.hh.
#include <time.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

#include "controller/command_session.hh"
#include "controller/commands.hh"
#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/projects.hh"
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

// Unix seconds as "2024-05-01 12:00:00" (UTC), for a table cell.
std::string utcTime(long long unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm parts {};
  char buf[32];
  if (gmtime_r(&t, &parts) == nullptr || strftime(buf, sizeof buf, "%F %T", &parts) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
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
    rows.push_back({std::to_string(e.id), utcTime(e.timestamp), std::to_string(e.builds.size()),
                    std::to_string(e.checkouttime) + "s", std::to_string(e.evaltime) + "s",
                    inputsCell(e), e.errormsg.empty() ? "-" : oneLine(e.errormsg)});
  }
  print(json, out, rows);
  return cli::kExitOk;
}

int getBuilds(Session& s, const Scope& scope, bool json, int limit) {
  auto builds = s.db->read<std::vector<db::BuildView>>(
      [&](db::ReadTx& tx) -> Result<std::vector<db::BuildView>> {
        if (auto found = requireExists(tx, scope.project, scope.jobset); !found) {
          return found.error();
        }
        return db::listBuilds(tx, scope.project, scope.jobset, limit);
      });
  if (!builds) return fail(builds.error().message);
  nlohmann::json out = nlohmann::json::array();
  Table rows = {{"ID", "JOBSET", "JOB", "SYSTEM", "STATUS", "QUEUED (UTC)", "NIXNAME"}};
  for (const auto& b : *builds) {
    out.push_back(views::build(b));
    rows.push_back({std::to_string(b.id), b.jobset, b.job, b.system, views::buildStatusLabel(b),
                    utcTime(b.timestamp), b.nixname.empty() ? "-" : b.nixname});
  }
  print(json, out, rows);
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
  if (inv.operands.empty()) {
    return fail("get: say what: projects, jobsets, evals or builds", cli::kExitUsage);
  }
  const std::string what = inv.operands[0];
  const bool runs = what == "evals" || what == "builds";
  if (!runs && what != "projects" && what != "jobsets") {
    return fail("get: unknown kind \"" + what + "\" (projects, jobsets, evals or builds)",
                cli::kExitUsage);
  }
  if (!runs && inv.options.count("limit") != 0) {
    return fail("get: --limit applies to evals and builds", cli::kExitUsage);
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
  std::optional<std::string> project;
  if (inv.operands.size() > 1) project = inv.operands[1];
  if (what == "jobsets") return getJobsets(*s, json, project);
  return getProjects(*s, json, project);
}

}  // namespace hydrant::commands
