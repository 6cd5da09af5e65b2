#include "controller/db/admin.hh"

#include <regex>

#include "controller/db/database.hh"
#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

Result<void> checkName(const std::string& name) {
  static const std::regex kName("[a-z_][a-z0-9_]*");
  if (!std::regex_match(name, kName)) {
    return Error::invalid("database name \"" + name + "\" must match [a-z_][a-z0-9_]*");
  }
  return {};
}

}  // namespace

Result<bool> ensureDatabase(const std::string& admin_conninfo, const std::string& name,
                            const std::string& template_name) {
  if (auto r = checkName(name); !r) return r.error();
  if (!template_name.empty()) {
    if (auto r = checkName(template_name); !r) return r.error();
  }
  try {
    pqxx::connection c(withConnectTimeout(admin_conninfo, 5));
    pqxx::nontransaction tx(c);
    if (!tx.exec_params("select 1 from pg_database where datname = $1", name).empty()) {
      return false;
    }
    // CREATE DATABASE takes no parameters; the names were checked against a strict pattern.
    std::string sql = "create database " + tx.quote_name(name);
    if (!template_name.empty()) sql += " template " + tx.quote_name(template_name);
    tx.exec(sql);
    return true;
  } catch (const std::exception& e) {
    return errorFrom(e, "creating database " + name);
  }
}

Result<void> dropDatabase(const std::string& admin_conninfo, const std::string& name) {
  if (auto r = checkName(name); !r) return r.error();
  try {
    pqxx::connection c(withConnectTimeout(admin_conninfo, 5));
    pqxx::nontransaction tx(c);
    tx.exec("drop database if exists " + tx.quote_name(name) + " with (force)");
    return {};
  } catch (const std::exception& e) {
    return errorFrom(e, "dropping database " + name);
  }
}

Result<void> ping(const std::string& conninfo) {
  try {
    pqxx::connection c(withConnectTimeout(conninfo, 5));
    pqxx::nontransaction(c).exec("select 1");
    return {};
  } catch (const std::exception& e) {
    return errorFrom(e, "database " + redactConninfo(conninfo));
  }
}

}  // namespace hydrant::db
