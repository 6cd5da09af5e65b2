// hydrant: the composition root. Declares the commands and hands them to the CLI; everything
// else is built by the command that runs. Only this file ends the process.
#include "controller/app.hh"
#include "controller/cli.hh"
#include "controller/commands.hh"
#include "controller/signals.hh"

int main(int argc, char** argv) {
  using hydrant::cli::Command;
  hydrant::signals::blockTermination();
  const std::vector<std::string> kServerFlags = {
      "database", "state-dir", "listen", "log-format", "log-level", "db-max-connections", "roles",
      "resync-interval", "max-concurrent-evals", "eval-timeout", "eval-max-memory", "machines-file",
      "max-jobs", "unsupported-grace", "max-log-size", "max-output-size",
      // Secrets only from files: a flag's value would show in the process list.
      "github-webhook-secrets-file", "gitea-webhook-secrets-file", "push-tokens-file",
      "postgres-bin-dir", "postgres-user"};
  const std::vector<std::string> kDbFlags = {"database",  "state-dir",        "log-format",
                                             "log-level", "postgres-bin-dir", "postgres-user"};
  const std::vector<std::string> kClientFlags = {"database",  "state-dir",        "log-format",
                                                 "log-level", "postgres-bin-dir", "postgres-user"};
  using hydrant::cli::Option;
  const Option kOutputTable{"output", 'o', true, "table (default) or json", {"table", "json"}};
  const Option kOutputText{"output", 'o', true, "text (default) or json", {"text", "json"}};
  const std::vector<Command> commands = {
      {"run",
       "run the controller (every role, or --roles) and its HTTP server",
       "Usage: hydrant run [flags]\n\nApplies pending migrations, then runs the singleton roles "
       "(leader or standby\nper role), the database listener and the HTTP server (status "
       "pages,\nHydra's JSON API, webhooks, /metrics, /healthz, /readyz)\nuntil SIGTERM or SIGINT. "
       "Without `database`, starts the embedded Postgres\nin "
       "<state_dir>/pg and stops it on exit.",
       kServerFlags,
       0,
       [](const auto& inv) { return hydrant::app::run(inv.config); },
       {}},
      {"migrate",
       "apply pending database migrations and exit",
       "Usage: hydrant migrate [flags]\n\nApplies the migrations compiled into this binary "
       "(schema/db/) that the\ndatabase lacks, each in its own transaction, and prints the schema "
       "version.",
       kDbFlags,
       0,
       [](const auto& inv) { return hydrant::app::migrate(inv.config); },
       {}},
      {"validate",
       "check spec files (projects.* as a root file, others as project specs)",
       "Usage: hydrant validate FILE...\n\nParses and validates spec files offline, JSON or YAML, "
       "and prints every problem\nas FILE:LINE:COL: message. Exit 0 when all are valid, 2 "
       "otherwise.",
       {},
       1000,
       [](const auto& inv) { return hydrant::commands::validate(inv); },
       {{"as",
         0,
         true,
         "read every FILE as: projects (a root file) or spec",
         {"projects", "spec"}}}},
      {"plan",
       "show what reconciling a project would change",
       "Usage: hydrant plan PROJECT [--revision REV | --path DIR] [-o json]\n\nReads the "
       "project's spec at its input's ref (or REV, or from the working tree DIR)\nand prints "
       "what applying it would change. Exit 0 no change, 1 changes, 2 error.",
       kClientFlags,
       1,
       [](const auto& inv) { return hydrant::commands::plan(inv); },
       {kOutputText,
        {"revision", 0, true, "a branch, tag or commit of the project's git input", {}},
        {"path", 0, true, "a local working tree holding the spec file", {}},
        {"file", 0, true, "the spec file's path (default: the project's declarative file)", {}}}},
      {"get",
       "list projects, jobsets, evaluations, builds or machines",
       "Usage: hydrant get projects|jobsets [PROJECT] [-o json]\n"
       "       hydrant get evals PROJECT:JOBSET [-o json] [--limit N]\n"
       "       hydrant get builds PROJECT[:JOBSET] [-o json] [--limit N]\n"
       "       hydrant get machines [-o json]\n\n"
       "Prints a table, or with -o json the objects with Hydra's JSON API field names.\n"
       "Projects and jobsets carry a status: {observed_revision, conditions}. Evaluations\n"
       "(those with new builds, newest first) are Hydra's /eval/ID objects plus errormsg;\n"
       "builds (newest first) are Hydra's /build/ID objects plus iscurrent and steps\n"
       "(the table's STEPS column counts them, and those running, failed or aborted).\n"
       "Machines are those the running queue last reported, with their load and backoff;\n"
       "-o json gives Hydra's /machines object, keyed by machine URI. Exit 1 when the\n"
       "project or jobset does not exist.",
       kClientFlags,
       2,
       [](const auto& inv) { return hydrant::commands::get(inv); },
       {kOutputTable,
        {"limit", 0, true, "evals and builds: at most N, newest first (default 100)", {}}}},
      {"log",
       "print a build's log",
       "Usage: hydrant log BUILD [--step N]\n\nPrints the log of build BUILD (an id from `hydrant "
       "get builds`): of the step\nthat failed it, else of the step that built its own "
       "derivation (or, while that\nhas not started, of its latest step). --step N prints "
       "step N's log instead\n(the steps are in `hydrant get builds -o json`). Logs are read "
       "from\n<state_dir>/logs, so run it where the queue runs. Exit 1 when there is no such\n"
       "build or step, the build has no steps, or the log file is missing.",
       kClientFlags,
       1,
       [](const auto& inv) { return hydrant::commands::showLog(inv); },
       {{"step", 0, true, "print the log of step N of the build", {}}}},
      {"trigger",
       "reconcile PROJECT (or the projects file) now, or evaluate PROJECT:JOBSET",
       "Usage: hydrant trigger [PROJECT]\n       hydrant trigger PROJECT:JOBSET [--force]\n\n"
       "Notifies the running hydrant: with PROJECT, that project's spec is read\nagain; "
       "without, the root projects file is. With PROJECT:JOBSET, the jobset is\nevaluated "
       "as soon as an evaluator is free (Hydra's triggertime); --force\nevaluates it even "
       "when its inputs have not changed.\nExit 1 for an unknown PROJECT:JOBSET, 2 for an "
       "unknown PROJECT.",
       kClientFlags,
       1,
       [](const auto& inv) { return hydrant::commands::trigger(inv); },
       {{"force", 0, false, "with PROJECT:JOBSET: evaluate even if no input changed", {}}}},
      {"reconcile",
       "reconcile the projects file and every project once, then exit",
       "Usage: hydrant reconcile --once\n\nOne pass of what `hydrant run` does continuously for "
       "projects: reads the\nroot file and every project's spec and applies them. Exit 0 when "
       "every enabled\nproject is Ready, 1 otherwise.",
       kServerFlags,
       0,
       [](const auto& inv) { return hydrant::commands::reconcileOnce(inv); },
       {{"once", 0, false, "one pass, then exit", {}}}},
      {"version",
       "print the version and schema version",
       "Usage: hydrant version\n\nPrints hydrant's version and the newest schema version it "
       "carries.",
       {},
       0,
       [](const auto&) { return hydrant::app::version(); },
       {}},
  };
  return hydrant::cli::dispatch(argc, argv, commands);
}
