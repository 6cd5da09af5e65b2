// What every database-using client command (plan, get, trigger, reconcile) starts with: the
// database, attached to a running hydrant's embedded cluster or started for the command, with
// a schema this binary can read; and how they name a jobset. Main thread only.
#pragma once

#include <memory>
#include <string>

#include "controller/cli.hh"
#include "controller/database_source.hh"
#include "controller/db/database.hh"

namespace hydrant::commands {

// Client commands speak on stdout, so the default level (info) becomes warn for them; any other
// configured level is kept.
void setupClientLogging(const config::Config& config);

// Prints "hydrant: <message>" on stderr and returns `code`.
int fail(const std::string& message, int code = cli::kExitFailure);

struct Session {
  DatabaseSource source;  // keeps an embedded cluster this command started alive
  std::unique_ptr<db::Database> db;
};

// "PROJECT:JOBSET", as `trigger` and `get` take it.
struct JobsetRef {
  std::string project, jobset;
  std::string str() const { return project + ":" + jobset; }
};

// Splits `operand` at its colon. Error (kInvalid) unless it is two non-empty names around one
// colon: "\"hello:\" is not PROJECT:JOBSET".
Result<JobsetRef> parseJobsetRef(const std::string& operand);

// Opens the database; with `migrate`, applies pending migrations first (commands that write,
// like run). Error (kStalled) when the schema is not the one this binary expects.
Result<Session> openSession(const config::Config& config, bool migrate);

}  // namespace hydrant::commands
