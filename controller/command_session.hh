// What every database-using client command (plan, get, trigger, reconcile) starts with: the
// database, attached to a running hydrant's embedded cluster or started for the command, with
// a schema this binary can read. Main thread only.
#pragma once

#include <memory>
#include <string>

#include "controller/cli.hh"
#include "controller/database_source.hh"
#include "controller/db/database.hh"

namespace hydrant::commands {

// Prints "hydrant: <message>" on stderr and returns `code`.
int fail(const std::string& message, int code = cli::kExitFailure);

struct Session {
  DatabaseSource source;  // keeps an embedded cluster this command started alive
  std::unique_ptr<db::Database> db;
};

// Opens the database; with `migrate`, applies pending migrations first (commands that write,
// like run). Error (kStalled) when the schema is not the one this binary expects.
Result<Session> openSession(const config::Config& config, bool migrate);

}  // namespace hydrant::commands
