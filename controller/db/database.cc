#include "controller/db/database.hh"

#include <regex>

#include "controller/db/tx.hh"

namespace hydrant::db {

namespace {

bool isUrl(const std::string& s) {
  return s.rfind("postgresql://", 0) == 0 || s.rfind("postgres://", 0) == 0;
}

}  // namespace

std::string withConnectTimeout(const std::string& conninfo, int seconds) {
  if (conninfo.find("connect_timeout") != std::string::npos) return conninfo;
  std::string t = std::to_string(seconds);
  if (isUrl(conninfo)) {
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
           "connect_timeout=" + t;
  }
  return conninfo + " connect_timeout=" + t;
}

std::string redactConninfo(const std::string& conninfo) {
  if (isUrl(conninfo)) {
    // scheme://user:secret@host → scheme://user:***@host, and ?password=… in the query.
    static const std::regex kUserinfo(R"(^(postgres(?:ql)?://[^:@/]*):[^@/]*@)");
    static const std::regex kParam(R"(([?&]password=)[^&]*)");
    std::string s = std::regex_replace(conninfo, kUserinfo, "$1:***@");
    return std::regex_replace(s, kParam, "$1***");
  }
  static const std::regex kKv(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))");
  return std::regex_replace(conninfo, kKv, "$1***");
}

Error errorFrom(const std::exception& e, const std::string& what) {
  std::string msg = e.what();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  if (auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql && !sql->sqlstate().empty()) {
    msg += " (SQLSTATE " + sql->sqlstate() + ")";
  }
  return Error::transient(what + ": " + msg);
}

bool isRetryable(const std::exception& e) {
  return dynamic_cast<const pqxx::serialization_failure*>(&e) != nullptr ||
         dynamic_cast<const pqxx::deadlock_detected*>(&e) != nullptr;
}

Slot::Slot(Slot&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
Slot::~Slot() {
  if (db_) db_->releaseSlot();
}
const std::string& Slot::conninfo() const { return db_->conninfo(); }

Database::Database(std::string conninfo, int max_connections)
    : conninfo_(withConnectTimeout(conninfo, 5)), max_connections_(max_connections) {}

Database::~Database() = default;

int Database::openConnections() const {
  std::lock_guard lk(mu_);
  return open_;
}

Result<Slot> Database::reserveSlot() {
  std::unique_lock lk(mu_);
  // An idle pooled connection may give its place up; leased ones are waited for by nobody here.
  if (open_ >= max_connections_ && !idle_.empty()) {
    idle_.pop_back();
    --open_;
  }
  if (open_ >= max_connections_) {
    return Error::transient("database: all " + std::to_string(max_connections_) +
                            " connections (db_max_connections) are in use");
  }
  ++open_;
  return Slot(this);
}

void Database::releaseSlot() {
  std::lock_guard lk(mu_);
  --open_;
  cv_.notify_one();
}

Result<std::unique_ptr<Connection>> Database::lease(std::chrono::milliseconds wait) {
  std::unique_lock lk(mu_);
  bool got = cv_.wait_for(lk, wait, [&] { return !idle_.empty() || open_ < max_connections_; });
  if (!got) {
    return Error::transient("database: no free connection within " + std::to_string(wait.count()) +
                            " ms (db_max_connections=" + std::to_string(max_connections_) + ")");
  }
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  ++open_;  // claim the place before connecting, outside the lock
  lk.unlock();
  try {
    return std::make_unique<Connection>(conninfo_);
  } catch (const std::exception& e) {
    lk.lock();
    --open_;
    cv_.notify_one();
    return errorFrom(e, "database " + redactConninfo(conninfo_));
  }
}

void Database::giveBack(std::unique_ptr<Connection> c) {
  std::lock_guard lk(mu_);
  if (c && c->conn.is_open()) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  cv_.notify_one();
}

Result<void> Database::withRead(const std::function<Result<void>(ReadTx&)>& fn,
                                std::chrono::milliseconds wait) {
  return withConnection(
      [&](Connection& c) {
        pqxx::read_transaction t(c.conn);
        ReadTx tx(t);
        return fn(tx);
      },
      wait);
}

Result<void> Database::withConnection(const std::function<Result<void>(Connection&)>& fn,
                                      std::chrono::milliseconds wait) {
  auto c = lease(wait);
  if (!c) return c.error();
  Result<void> out;
  try {
    out = fn(**c);
  } catch (const std::exception& e) {
    out = errorFrom(e, "database");
  }
  giveBack(std::move(*c));
  return out;
}

Result<void> Database::withWrite(const std::function<Result<void>(WriteTx&)>& fn,
                                 std::chrono::milliseconds wait) {
  constexpr int kTries = 3;
  for (int attempt = 1;; ++attempt) {
    auto c = lease(wait);
    if (!c) return c.error();
    Result<void> out;
    bool retry = false;
    try {
      WriteTx tx((*c)->conn);
      out = fn(tx);
      if (out) tx.tx.commit();  // otherwise the destructor rolls back
    } catch (const std::exception& e) {
      retry = isRetryable(e) && attempt < kTries;
      out = errorFrom(e, "database");
    }
    giveBack(std::move(*c));
    if (!retry) return out;
  }
}

ReadTx& readView(WriteTx& tx) { return tx.read; }

}  // namespace hydrant::db
