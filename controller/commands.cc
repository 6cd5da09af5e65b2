#include "controller/commands.hh"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controller/command_session.hh"
#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/projects.hh"
#include "controller/runtime/clock.hh"
#include "specs/parse.hh"

namespace hydrant::commands {

namespace {

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

// Sets the jobset's triggertime (and forceeval), which the evaluator sees through the
// jobsets_changed notification.
int triggerOneJobset(const cli::Invocation& inv, const JobsetRef& ref, bool force) {
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
  const runtime::SystemClock clock;
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  bool found = false;
  auto r = s->db->withWrite([&](db::WriteTx& tx) -> Result<void> {
    auto t = db::triggerJobset(tx, ref.project, ref.jobset, force, now);
    if (!t) return t.error();
    found = *t;
    return {};
  });
  if (!r) return fail(r.error().message);
  if (!found) return fail("no jobset " + ref.str());
  std::printf("triggered %s%s\n", ref.str().c_str(), force ? " (forced)" : "");
  return cli::kExitOk;
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

int trigger(const cli::Invocation& inv) {
  setupClientLogging(inv.config);
  const bool root = inv.operands.empty();
  const std::string name = root ? "" : inv.operands[0];
  const bool force = inv.options.count("force") != 0;
  if (name.find(':') != std::string::npos) {
    auto ref = parseJobsetRef(name);
    if (!ref) return fail("trigger: " + ref.error().message, cli::kExitUsage);
    return triggerOneJobset(inv, *ref, force);
  }
  if (force) {
    return fail("trigger: --force needs PROJECT:JOBSET (it makes one jobset evaluate)",
                cli::kExitUsage);
  }
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
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
