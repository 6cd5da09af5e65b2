// Database: Hydrant's connection pool to PostgreSQL and the only way to open a transaction.
// Callers outside controller/db/ see no libpqxx: they pass a callable that receives an opaque
// ReadTx or WriteTx and call the named query functions of controller/db/ with it. The pool opens
// at most `max_connections` connections in total, dedicated ones (listener, leader lock)
// included. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;   // a read-only transaction; defined in controller/db/tx.hh
class WriteTx;  // a read-write transaction, committed when the callable succeeds
class Connection;

// The reading side of a write transaction: read functions see what it has written so far.
ReadTx& readView(WriteTx& tx);

// Adds connect_timeout (seconds) to a libpq URL or key/value conninfo unless it has one, so an
// unreachable server fails in bounded time.
std::string withConnectTimeout(const std::string& conninfo, int seconds);

// The conninfo with any password removed, for logs and messages ("password=***").
std::string redactConninfo(const std::string& conninfo);

class Database;

// A counted place in the pool held by a long-lived connection outside it (listener, leader).
class Slot {
 public:
  Slot(Slot&& other) noexcept;
  Slot& operator=(Slot&&) = delete;
  ~Slot();
  const std::string& conninfo() const;

 private:
  friend class Database;
  explicit Slot(Database* db) : db_(db) {}
  Database* db_;
};

class Database {
 public:
  // Does not connect yet. REQUIRES: max_connections >= 1 (3 or more when a listener and a leader lock share it).
  Database(std::string conninfo, int max_connections);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& conninfo() const { return conninfo_; }

  // Runs `fn` in a read-only transaction. Errors: kTransient when no connection can be had within
  // `wait` or the server went away ("database: <libpq message>"); whatever `fn` returns.
  Result<void> withRead(const std::function<Result<void>(ReadTx&)>& fn,
                        std::chrono::milliseconds wait = std::chrono::seconds(10));
  // Runs `fn` in a read-write transaction and commits when it returns success. A serialization
  // failure or deadlock (40001/40P01) reruns `fn` up to 3 times in all.
  Result<void> withWrite(const std::function<Result<void>(WriteTx&)>& fn,
                         std::chrono::milliseconds wait = std::chrono::seconds(10));

  template <class T>
  Result<T> read(const std::function<Result<T>(ReadTx&)>& fn) {
    std::optional<T> value;
    auto r = withRead([&](ReadTx& tx) -> Result<void> {
      Result<T> v = fn(tx);
      if (!v.has_value()) return v.error();
      value.emplace(std::move(v).value());
      return {};
    });
    if (!r) return r.error();
    return std::move(*value);
  }

  // Runs `fn` with a pooled connection and no transaction (for session-level work such as
  // advisory locks). Connection is opaque outside controller/db/.
  Result<void> withConnection(const std::function<Result<void>(Connection&)>& fn,
                              std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Takes one place of the pool for a dedicated connection. Error (kTransient) when all places
  // are taken by dedicated connections already.
  Result<Slot> reserveSlot();

  int openConnections() const;  // pooled (idle or leased) plus reserved slots

 private:
  friend class Slot;
  Result<std::unique_ptr<Connection>> lease(std::chrono::milliseconds wait);
  void giveBack(std::unique_ptr<Connection> c);
  void releaseSlot();

  const std::string conninfo_;
  const int max_connections_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                   // guarded by mu_: pooled + reserved
};

}  // namespace hydrant::db
