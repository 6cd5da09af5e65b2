// `hydrant log BUILD [--step N]`. Declared in controller/commands.hh.
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "controller/command_session.hh"
#include "controller/commands.hh"
#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/steps.hh"
#include "controller/logs.hh"

namespace hydrant::commands {

namespace {

// A positive number, or nullopt.
std::optional<int> positive(const std::string& text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n < 1) return std::nullopt;
  return n;
}

// The step whose log is shown, chosen from what the database holds about the build.
Result<db::StepView> findLogStep(db::Database& database, int build, std::optional<int> stepnr) {
  return database.read<db::StepView>([&](db::ReadTx& tx) -> Result<db::StepView> {
    auto b = db::buildById(tx, build);
    if (!b) return b.error();
    if (!*b) return Error::stalled("no build " + std::to_string(build));
    auto steps = db::stepsOfBuilds(tx, {build});
    if (!steps) return steps.error();
    auto elsewhere = db::latestStepOfDrv(tx, (*b)->drvpath, build);
    if (!elsewhere) return elsewhere.error();
    const auto own = steps->find(build);
    return logs::chooseLogStep(**b, own == steps->end() ? std::vector<db::StepView>() : own->second,
                               *elsewhere, stepnr);
  });
}

}  // namespace

int showLog(const cli::Invocation& inv) {
  setupClientLogging(inv.config);
  if (inv.operands.empty()) return fail("log: give BUILD, a build id", cli::kExitUsage);
  const std::optional<int> build = positive(inv.operands[0]);
  if (!build) {
    return fail("log: \"" + inv.operands[0] + "\" is not a build id", cli::kExitUsage);
  }
  std::optional<int> stepnr;
  if (inv.options.count("step") != 0) {
    stepnr = positive(inv.option("step"));
    if (!stepnr) {
      return fail("log: --step: expected a positive number, got \"" + inv.option("step") + "\"",
                  cli::kExitUsage);
    }
  }
  auto s = openSession(inv.config, false);
  if (!s) return fail(s.error().message);
  auto step = findLogStep(*s->db, *build, stepnr);
  if (!step) return fail(step.error().message);
  // The queue keeps its logs in <state_dir>/logs (controller/queue_wiring.cc).
  const std::string log_dir = (std::filesystem::path(inv.config.state_dir) / "logs").string();
  auto text = logs::readStepLog(logs::stepLogPath(log_dir, step->drvpath));
  if (!text) {
    const std::string nr = std::to_string(step->stepnr);
    const std::string which = step->build == *build
                                  ? " step " + nr
                                  : " (step " + nr + " of build " + std::to_string(step->build) +
                                        ", which built the same derivation)";
    // A step that never ran (unsupported system, a cached failure) has no log but says why.
    const std::string why = step->errormsg ? " (the step's error: " + *step->errormsg + ")" : "";
    return fail("build " + std::to_string(*build) + which + ": " + text.error().message + why);
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
  return cli::kExitOk;
}

}  // namespace hydrant::commands
