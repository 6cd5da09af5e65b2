#include "controller/database_source.hh"

#include <filesystem>

#include "controller/db/admin.hh"
#include "controller/log.hh"

namespace hydrant {

Result<DatabaseSource> openDatabaseSource(const config::Config& c, EmbeddedUse use) {
  DatabaseSource src;
  if (c.database) {
    src.conninfo = *c.database;
    return src;
  }
  pg::EmbeddedOptions o;
  o.dir = (std::filesystem::path(c.state_dir) / "pg").string();
  o.bin_dir = c.postgres_bin_dir;
  o.run_as = c.postgres_user;
  auto pg = use == EmbeddedUse::kOwn ? pg::EmbeddedPostgres::start(o)
                                     : pg::EmbeddedPostgres::attachOrStart(o);
  if (!pg) return pg.error();
  src.embedded = std::move(*pg);
  auto created = db::ensureDatabase(src.embedded->conninfo("postgres"), "hydrant");
  if (!created) return created.error();
  if (*created) log::info("postgres", "created database hydrant");
  src.conninfo = src.embedded->conninfo("hydrant");
  return src;
}

}  // namespace hydrant
