#include "controller/command_session.hh"

#include <cstdio>

#include "controller/db/migrations.hh"
#include "controller/log.hh"

namespace hydrant::commands {

void setupClientLogging(const config::Config& c) {
  log::setup(c.log_format == config::LogFormat::kJson,
             c.log_level == "info" ? "warn" : c.log_level);
}

int fail(const std::string& message, int code) {
  std::fprintf(stderr, "hydrant: %s\n", message.c_str());
  return code;
}

Result<JobsetRef> parseJobsetRef(const std::string& operand) {
  const size_t colon = operand.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == operand.size() ||
      operand.find(':', colon + 1) != std::string::npos) {
    return Error::invalid("\"" + operand + "\" is not PROJECT:JOBSET");
  }
  return JobsetRef{operand.substr(0, colon), operand.substr(colon + 1)};
}

Result<Session> openSession(const config::Config& c, bool migrate) {
  auto src = openDatabaseSource(c, EmbeddedUse::kAttach);
  if (!src) return src.error();
  Session s{std::move(*src), nullptr};
  s.db = std::make_unique<db::Database>(s.source.conninfo, c.db_max_connections);
  if (migrate) {
    auto m = db::migrate(*s.db, db::embeddedMigrations());
    if (!m) return m.error();
  }
  auto st = db::migrationState(*s.db, db::embeddedMigrations());
  if (!st) return st.error();
  if (!st->upToDate()) {
    return Error::stalled("the database schema is at version " +
                          std::to_string(st->applied_version) + " but this hydrant expects " +
                          std::to_string(st->known_version) + ": run `hydrant migrate`");
  }
  return s;
}

}  // namespace hydrant::commands
