// Plain SQL for tests: set up rows and read results behind the code under test's back, each
// statement in a transaction of its own on a fresh connection. One test thread.
#pragma once

#include <pqxx/pqxx>
#include <string>

namespace hydrant::testing {

// Runs `statement` and commits; returns its rows.
pqxx::result sqlExec(const std::string& conninfo, const std::string& statement);

// The first column of the first row `query` returns, as text ("" for null or no row).
std::string sqlValue(const std::string& conninfo, const std::string& query);

}  // namespace hydrant::testing
