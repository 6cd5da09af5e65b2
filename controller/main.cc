// hydrant: the composition root. Declares the commands and hands them to the CLI; everything
// else is built by the command that runs. Only this file ends the process.
#include "controller/app.hh"
#include "controller/cli.hh"
#include "controller/signals.hh"

int main(int argc, char** argv) {
  using hydrant::cli::Command;
  hydrant::signals::blockTermination();
  const std::vector<std::string> kServerFlags = {
      "database",           "state-dir", "listen",          "log-format",       "log-level",
      "db-max-connections", "roles",     "resync-interval", "postgres-bin-dir", "postgres-user"};
  const std::vector<std::string> kDbFlags = {"database",  "state-dir",        "log-format",
                                             "log-level", "postgres-bin-dir", "postgres-user"};
  const std::vector<Command> commands = {
      {"run", "run the controller (every role, or --roles) and its HTTP server",
       "Usage: hydrant run [flags]\n\nApplies pending migrations, then runs the singleton roles "
       "(leader or standby\nper role), the database listener and the HTTP server (/healthz, "
       "/readyz)\nuntil SIGTERM or SIGINT. Without `database`, starts the embedded Postgres\nin "
       "<state_dir>/pg and stops it on exit.",
       kServerFlags, 0, [](const auto& inv) { return hydrant::app::run(inv.config); }},
      {"migrate", "apply pending database migrations and exit",
       "Usage: hydrant migrate [flags]\n\nApplies the migrations compiled into this binary "
       "(schema/db/) that the\ndatabase lacks, each in its own transaction, and prints the schema "
       "version.",
       kDbFlags, 0, [](const auto& inv) { return hydrant::app::migrate(inv.config); }},
      {"version",
       "print the version and schema version",
       "Usage: hydrant version\n\nPrints hydrant's version and the newest schema version it "
       "carries.",
       {},
       0,
       [](const auto&) { return hydrant::app::version(); }},
  };
  return hydrant::cli::dispatch(argc, argv, commands);
}
