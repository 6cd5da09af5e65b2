// Where the database is: the configured server, or the embedded cluster in <state_dir>/pg.
// `hydrant run` owns the embedded cluster (starts and stops it); client commands attach to the
// cluster of a running hydrant, or start it for as long as they need it. Main thread only.
#pragma once

#include <memory>
#include <string>

#include "controller/config.hh"
#include "controller/pg/embedded.hh"

namespace hydrant {

struct DatabaseSource {
  std::unique_ptr<pg::EmbeddedPostgres> embedded;  // null for an external database
  std::string conninfo;
};

enum class EmbeddedUse { kOwn, kAttach };

// Errors: the embedded cluster cannot be started (kStalled, says why), or its "hydrant"
// database cannot be created.
Result<DatabaseSource> openDatabaseSource(const config::Config& config, EmbeddedUse use);

}  // namespace hydrant
