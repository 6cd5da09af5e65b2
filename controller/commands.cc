#include "controller/commands.hh"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/command_session.hh"
#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "specs/parse.hh"

namespace hydrant::commands {

namespace {

void setupLogging(const config::Config& c) {
  // Client commands speak on stdout; only warnings and worse go to the log.
  log::setup(c.log_format == config::LogFormat::kJson,
             c.log_level == "info" ? "warn" : c.log_level);
}

std::string readText(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool isRootFile(const std::string& path, const std::string& as) {
  if (!as.empty()) return as == "projects";
  return std::filesystem::path(path).filename().string().rfind("projects.", 0) == 0;
}

std::string shortRev(const std::optional<std::string>& rev) {
  if (!rev) return "-";
  return rev->size() > 12 && rev->find(':') == std::string::npos ? rev->substr(0, 12) : *rev;
}

// A message for one table cell: its first line, and how many more there are.
std::string oneLine(const std::string& message) {
  auto nl = message.find('\n');
  if (nl == std::string::npos) return message;
  size_t more = std::count(message.begin() + nl, message.end(), '\n');
  return message.substr(0, nl) + " (+" + std::to_string(more) + " more)";
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
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

}  // namespace

int validate(const cli::Invocation& inv) {
  if (inv.operands.empty()) return fail("validate: give one or more spec files", cli::kExitUsage);
  bool all_ok = true;
  for (const auto& path : inv.operands) {
    bool readable = false;
    std::string text = readText(path, readable);
    if (!readable) {
      std::fprintf(stderr, "%s: cannot read\n", path.c_str());
      all_ok = false;
      continue;
    }
    std::string summary;
    std::optional<Error> error;
    if (isRootFile(path, inv.option("as"))) {
      auto root = specs::parseRootFile(text, path);
      if (root)
        summary = "projects file, " + std::to_string(root->projects.size()) + " project(s)";
      else
        error = root.error();
    } else {
      auto file = specs::parseProjectFile(text, path);
      if (!file)
        error = file.error();
      else if (file->mode == specs::ProjectFile::Mode::kGenerated)
        summary = "generated mode: configures .jobsets";
      else
        summary = "static mode, " + std::to_string(file->jobsets.size()) + " jobset(s)";
    }
    if (error) {
      std::fprintf(stderr, "%s\n", error->message.c_str());
      all_ok = false;
    } else {
      std::printf("%s: ok (%s)\n", path.c_str(), summary.c_str());
    }
  }
  return all_ok ? cli::kExitOk : cli::kExitUsage;
}

int get(const cli::Invocation& inv) {
  setupLogging(inv.config);
  if (inv.operands.empty()) return fail("get: say what: projects or jobsets", cli::kExitUsage);
  const std::string what = inv.operands[0];
  if (what != "projects" && what != "jobsets") {
    return fail("get: unknown kind \"" + what + "\" (projects or jobsets)", cli::kExitUsage);
  }
  std::optional<std::string> project;
  if (inv.operands.size() > 1) project = inv.operands[1];
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
  const bool json = inv.option("output", "table") == "json";
  auto jobsets = s->db->read<std::vector<db::JobsetRow>>(
      [&](db::ReadTx& tx) { return db::listJobsets(tx, project); });
  if (!jobsets) return fail(jobsets.error().message);
  if (what == "jobsets") {
    nlohmann::json out = nlohmann::json::array();
    std::vector<std::vector<std::string>> rows = {
        {"PROJECT", "JOBSET", "ENABLED", "READY", "REVISION", "MESSAGE"}};
    for (const auto& j : *jobsets) {
      out.push_back(views::jobset(j));
      rows.push_back({j.project, j.spec.name, std::to_string(static_cast<int>(j.spec.enabled)),
                      j.status.ready, shortRev(j.observed_revision), oneLine(j.status.message)});
    }
    if (json)
      std::printf("%s\n", out.dump(2).c_str());
    else
      printTable(rows);
    return cli::kExitOk;
  }
  auto projects =
      s->db->read<std::vector<db::ProjectRow>>([](db::ReadTx& tx) { return db::listProjects(tx); });
  if (!projects) return fail(projects.error().message);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows = {
      {"PROJECT", "ENABLED", "READY", "REVISION", "JOBSETS", "MESSAGE"}};
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
  if (json)
    std::printf("%s\n", out.dump(2).c_str());
  else
    printTable(rows);
  return cli::kExitOk;
}

int trigger(const cli::Invocation& inv) {
  setupLogging(inv.config);
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
  const bool root = inv.operands.empty();
  const std::string name = root ? "" : inv.operands[0];
  auto r = s->db->withWrite([&](db::WriteTx& tx) -> Result<void> {
    if (root) return db::notify(tx, "sources_changed", "root");
    auto p = db::loadProject(db::readView(tx), name);
    if (!p) return p.error();
    if (!*p) return Error::invalid("no project \"" + name + "\"");
    return db::notify(tx, "projects_changed", name);
  });
  if (!r) return fail(r.error().message, r.error().cls == ErrorClass::kInvalid ? 2 : 1);
  std::printf("triggered %s\n", root ? "the projects file" : ("project " + name).c_str());
  return cli::kExitOk;
}

}  // namespace hydrant::commands
