// The libpqxx side of ReadTx, WriteTx and Connection. Included only by controller/db/*.cc.
#pragma once

#include <pqxx/pqxx>
#include <string>

#include "controller/db/database.hh"
#include "specs/result.hh"

namespace hydrant::db {

class Connection {
 public:
  explicit Connection(const std::string& conninfo) : conn(conninfo) {}
  pqxx::connection conn;
};

// A view for reading, over a read-only transaction or over a write transaction (which may read
// what it is about to change).
class ReadTx {
 public:
  explicit ReadTx(pqxx::transaction_base& t) : tx(t) {}
  pqxx::transaction_base& tx;
};

class WriteTx {
 public:
  explicit WriteTx(pqxx::connection& c) : tx(c), read(tx) {}
  pqxx::work tx;
  ReadTx read;
};

// Turns a libpqxx exception into a classed Error: lost connections and serialization failures
// are transient; other SQL errors are transient too (an operator must look), with the SQLSTATE.
Error errorFrom(const std::exception& e, const std::string& what);

// True for 40001 serialization_failure and 40P01 deadlock_detected.
bool isRetryable(const std::exception& e);

}  // namespace hydrant::db
