#include "controller/db/leader.hh"

#include <memory>

#include "controller/db/database.hh"
#include "controller/db/locks.hh"
#include "controller/db/tx.hh"
#include "controller/log.hh"

namespace hydrant::db {

LeaderElector::LeaderElector(Database& db, std::vector<std::string> roles, runtime::Clock& clock,
                             runtime::Duration interval,
                             std::function<void(const std::string&)> on_acquire,
                             std::function<void(const std::string&)> on_lose)
    : db_(db),
      roles_(std::move(roles)),
      clock_(clock),
      interval_(interval),
      on_acquire_(std::move(on_acquire)),
      on_lose_(std::move(on_lose)) {
  for (const auto& r : roles_) held_[r] = false;
}

std::map<std::string, bool> LeaderElector::state() const {
  std::lock_guard lk(mu_);
  return held_;
}

void LeaderElector::setHeld(const std::string& role, bool held) {
  std::lock_guard lk(mu_);
  held_[role] = held;
}

void LeaderElector::loseAll(bool stopping) {
  for (const auto& [role, held] : state()) {
    if (!held) continue;
    setHeld(role, false);
    if (stopping) {
      log::info("role=" + role, "stepping down: hydrant is stopping");
    } else {
      log::warn("role=" + role, "no longer leader: the lock connection is gone");
    }
    on_lose_(role);
  }
}

void LeaderElector::run(std::stop_token stop) {
  std::unique_ptr<pqxx::connection> conn;
  std::optional<Slot> slot;
  int backend = 0;  // libpqxx reconnects silently; a new backend means the locks are gone
  bool reported_standby = false;
  while (!stop.stop_requested()) {
    try {
      if (!conn || !conn->is_open()) {
        if (conn) loseAll(false);
        conn.reset();
        if (!slot) {
          auto s = db_.reserveSlot();
          if (!s) throw std::runtime_error(s.error().message);
          slot.emplace(std::move(*s));
        }
        conn = std::make_unique<pqxx::connection>(db_.conninfo());
        backend = conn->backendpid();
      }
      pqxx::nontransaction tx(*conn);
      tx.exec("select 1");  // a leader's liveness check; throws when the server is gone
      if (conn->backendpid() != backend) throw pqxx::broken_connection("reconnected");
      for (const auto& role : roles_) {
        if (state()[role]) continue;
        bool got =
            tx.exec_params1("select pg_try_advisory_lock($1, $2)", kLockClass, roleLockId(role))[0]
                .as<bool>();
        if (got) {
          setHeld(role, true);
          log::info("role=" + role, "became leader");
          on_acquire_(role);
        } else if (!reported_standby) {
          log::info("role=" + role, "standby: another hydrant leads this role");
        }
      }
      reported_standby = true;
      settled_ = true;
    } catch (const std::exception& e) {
      settled_ = false;
      log::warn("leader-election", "database: {}", e.what());
      loseAll(false);
      conn.reset();
    }
    runtime::sleepFor(clock_, interval_, stop);
  }
  loseAll(true);  // closing the connection below releases the locks for a standby
}

}  // namespace hydrant::db
