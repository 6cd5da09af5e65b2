#include "controller/db/migrations.hh"

#include <map>

#include "controller/db/database.hh"
#include "controller/db/locks.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

constexpr const char* kCreateTable = R"(
  create table if not exists schema_migrations (
    version    integer primary key,
    name       text not null,
    checksum   text not null,
    applied_at timestamptz not null default now()
  ))";

// version -> md5 of the applied text; empty when the table does not exist yet.
std::map<int, std::string> appliedChecksums(pqxx::transaction_base& tx) {
  std::map<int, std::string> out;
  auto exists = tx.exec1("select to_regclass('schema_migrations') is not null")[0].as<bool>();
  if (!exists) return out;
  for (const auto& row : tx.exec("select version, checksum from schema_migrations")) {
    out[row[0].as<int>()] = row[1].as<std::string>();
  }
  return out;
}

std::string label(const Migration& m) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", m.version);
  return std::string(buf) + "_" + m.name;
}

int knownVersion(const std::vector<Migration>& ms) { return ms.empty() ? 0 : ms.back().version; }

// Checks that what is applied agrees with this binary; returns the migrations still to apply.
Result<std::vector<const Migration*>> plan(pqxx::transaction_base& tx,
                                           const std::vector<Migration>& ms) {
  auto applied = appliedChecksums(tx);
  if (!applied.empty() && applied.rbegin()->first > knownVersion(ms)) {
    return Error::stalled("the database schema is at version " +
                          std::to_string(applied.rbegin()->first) + " but this hydrant knows " +
                          "versions up to " + std::to_string(knownVersion(ms)) +
                          "; run a newer hydrant");
  }
  std::vector<const Migration*> pending;
  for (const auto& m : ms) {
    auto it = applied.find(m.version);
    if (it == applied.end()) {
      pending.push_back(&m);
      continue;
    }
    auto sum = tx.exec_params1("select md5($1)", m.sql)[0].as<std::string>();
    if (sum != it->second) {
      return Error::stalled("migration " + label(m) +
                            " was changed after it was applied; migrations are forward-only: "
                            "add a new one instead");
    }
  }
  return pending;
}

Result<void> applyOne(pqxx::connection& conn, const Migration& m) {
  try {
    pqxx::work tx(conn);
    tx.exec(m.sql);
    tx.exec_params(
        "insert into schema_migrations (version, name, checksum) values ($1, $2, md5($3))",
        m.version, m.name, m.sql);
    tx.commit();
    return {};
  } catch (const pqxx::broken_connection& e) {
    return errorFrom(e, "migration " + label(m));
  } catch (const std::exception& e) {
    Error err = errorFrom(e, "migration " + label(m));
    err.cls = ErrorClass::kStalled;
    return err;
  }
}

}  // namespace

Result<MigrationState> migrationState(Database& db, const std::vector<Migration>& ms) {
  return db.read<MigrationState>([&](ReadTx& rtx) -> Result<MigrationState> {
    auto applied = appliedChecksums(rtx.tx);
    MigrationState st;
    st.applied_version = applied.empty() ? 0 : applied.rbegin()->first;
    st.known_version = knownVersion(ms);
    for (const auto& m : ms) {
      if (!applied.count(m.version)) st.pending.push_back(m.version);
    }
    return st;
  });
}

namespace {

// Holds the migration advisory lock for its lifetime (session-level, on `conn`).
class MigrationLock {
 public:
  explicit MigrationLock(pqxx::connection& conn) : conn_(conn) {
    pqxx::nontransaction(conn_).exec_params("select pg_advisory_lock($1, $2)", kLockClass,
                                            kMigrationLock);
  }
  ~MigrationLock() {
    try {
      pqxx::nontransaction(conn_).exec_params("select pg_advisory_unlock($1, $2)", kLockClass,
                                              kMigrationLock);
    } catch (const std::exception&) {
      // The connection is gone, and with it the lock.
    }
  }

 private:
  pqxx::connection& conn_;
};

}  // namespace

Result<std::vector<int>> migrate(Database& db, const std::vector<Migration>& ms,
                                 const std::function<void(const Migration&)>& on_apply) {
  std::vector<int> done;
  auto r = db.withConnection([&](Connection& c) -> Result<void> {
    MigrationLock lock(c.conn);
    {
      pqxx::work setup(c.conn);
      setup.exec(kCreateTable);
      setup.commit();
    }
    std::vector<const Migration*> pending;
    {
      pqxx::read_transaction tx(c.conn);
      auto p = plan(tx, ms);
      if (!p) return p.error();
      pending = *p;
    }
    for (const Migration* m : pending) {
      if (on_apply) on_apply(*m);
      if (auto out = applyOne(c.conn, *m); !out) return out;
      done.push_back(m->version);
    }
    return {};
  });
  if (!r) return r.error();
  return done;
}

}  // namespace hydrant::db
