// Cluster-level administration: creating and dropping databases. Used by main for the embedded
// Postgres ("hydrant" database on first start) and by the test harness (a fresh database per
// test, copied from a migrated template). Thread-safe (each call opens its own connection).
#pragma once

#include <string>

#include "specs/result.hh"

namespace hydrant::db {

// Creates database `name` unless it exists; true when it was created. `admin_conninfo` names a
// database that exists (e.g. "postgres"). REQUIRES: name matches [a-z_][a-z0-9_]*.
Result<bool> ensureDatabase(const std::string& admin_conninfo, const std::string& name,
                            const std::string& template_name = "");

// Drops database `name` if it exists, ending other sessions on it first.
Result<void> dropDatabase(const std::string& admin_conninfo, const std::string& name);

// Whether a server answers at `conninfo` (SELECT 1). Error says why not.
Result<void> ping(const std::string& conninfo);

}  // namespace hydrant::db
