// `hydrant plan` and `hydrant reconcile --once`. Declared in controller/commands.hh.
#include <cstdio>
#include <filesystem>

#include "controller/command_session.hh"
#include "controller/commands.hh"
#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/git/local.hh"
#include "controller/git/mirrors.hh"
#include "controller/log.hh"
#include "controller/specs_wiring.hh"
#include "reconcilers/project_reconciler.hh"
#include "reconcilers/source_reconciler.hh"
#include "reconcilers/spec_reader.hh"
#include "specs/parse.hh"
#include "specs/plan.hh"

namespace hydrant::commands {

namespace {

// The spec text `hydrant plan` compares: from a working tree (--path), or from the project's
// declarative input at its own ref or at --revision.
Result<reconcilers::FetchedSpec> planSource(const cli::Invocation& inv,
                                            const std::optional<db::ProjectRow>& row,
                                            const std::string& file, git::Mirrors& mirrors) {
  if (auto path = inv.option("path"); !path.empty()) {
    auto text = git::readLocalFile(path, file);
    if (!text) return text.error();
    return reconcilers::FetchedSpec{"working tree " + path, std::move(*text)};
  }
  if (!row) {
    return Error::invalid("project \"" + inv.operands[0] +
                          "\" is not applied yet: give --path DIR to plan from a working tree");
  }
  const auto& decl = row->spec.declarative;
  const std::string base = inv.config.projects ? inv.config.projects->url : "";
  auto timeout = inv.config.projects ? inv.config.projects->timeout : std::chrono::seconds(60);
  reconcilers::SpecReader reader(mirrors, base, timeout);
  auto revision = inv.option("revision");
  if (revision.empty() || decl.type != "git") return reader.read(decl.type, decl.value, file, {});
  auto v = reconcilers::parseGitValue(decl.value);
  if (!v) return v.error();
  return reader.readGit(reconcilers::resolveRelativeUrl(v->url, base), revision, file, {});
}

}  // namespace

int plan(const cli::Invocation& inv) {
  log::setup(false, "warn");
  if (inv.operands.empty()) return fail("plan: give a project name", cli::kExitUsage);
  const std::string name = inv.operands[0];
  auto o = openSession(inv.config, false);
  if (!o) return fail(o.error().message);
  auto row = o->db->read<std::optional<db::ProjectRow>>(
      [&](db::ReadTx& tx) { return db::loadProject(tx, name); });
  if (!row) return fail(row.error().message);
  std::string file = inv.option("file", *row ? (*row)->spec.declarative.file : "spec.json");
  git::Mirrors mirrors((std::filesystem::path(inv.config.state_dir) / "git").string());
  auto fetched = planSource(inv, *row, file, mirrors);
  if (!fetched) return fail(fetched.error().message, 2);
  auto parsed = specs::parseProjectFile(fetched->text, file);
  if (!parsed) return fail("\n" + parsed.error().message, cli::kExitUsage);
  auto actual = o->db->read<std::vector<specs::ActualJobset>>(
      [&](db::ReadTx& tx) { return db::actualJobsets(tx, name); });
  if (!actual) return fail(actual.error().message);
  specs::ProjectPlan p;
  p.project = name;
  specs::diffJobsets(*parsed, *actual, *row ? (*row)->spec.prune : specs::Prune::kDisable, p);
  const bool json = inv.option("output", "text") == "json";
  std::fputs(
      (json ? specs::renderJson(p, fetched->revision) : specs::renderText(p, fetched->revision))
          .c_str(),
      stdout);
  return p.hasChanges() ? cli::kExitFailure : cli::kExitOk;
}

int reconcileOnce(const cli::Invocation& inv) {
  log::setup(inv.config.log_format == config::LogFormat::kJson, inv.config.log_level);
  if (inv.options.count("once") == 0) {
    return fail("reconcile: only --once is supported here; `hydrant run` reconciles continuously",
                cli::kExitUsage);
  }
  if (!inv.config.projects)
    return fail("no projects configured (add projects: to hydrant.yaml)", 2);
  auto o = openSession(inv.config, true);
  if (!o) return fail(o.error().message);
  SpecsWiring wiring(inv.config, *o->db, [] { return 0.5; });
  bool ok = true;
  auto report = [&](const std::string& what, const runtime::Outcome& out) {
    if (auto* e = std::get_if<Error>(&out)) {
      std::fprintf(stderr, "%s: %s\n", what.c_str(), e->message.c_str());
      ok = false;
    }
  };
  report("projects file", wiring.source().reconcile(reconcilers::SourceReconciler::kKey, {}));
  auto keys = wiring.projects().listKeys();
  if (!keys) return fail(keys.error().message);
  for (const auto& name : *keys) report("project " + name, wiring.projects().reconcile(name, {}));
  auto rows =
      o->db->read<std::vector<db::ProjectRow>>([](db::ReadTx& tx) { return db::listProjects(tx); });
  if (!rows) return fail(rows.error().message);
  for (const auto& p : *rows) {
    if (!p.spec.enabled) continue;
    std::printf("%s: %s %s%s%s\n", p.spec.name.c_str(), p.status.condition.c_str(),
                p.status.reason.c_str(), p.status.message.empty() ? "" : ": ",
                p.status.message.c_str());
    ok &= p.status.condition == "Ready";
  }
  return ok ? cli::kExitOk : cli::kExitFailure;
}

}  // namespace hydrant::commands
