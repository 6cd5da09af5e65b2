// EmbeddedPostgres: Hydrant's private PostgreSQL cluster in <state_dir>/pg, used when no
// `database` is configured. initdb on first use, then `postgres` as a child process that listens
// only on a unix socket in that directory (no TCP port), and is stopped when Hydrant stops — or
// when Hydrant dies, since the child gets a signal on its parent's death. As root it runs as an
// unprivileged user, because Postgres refuses root. One owner thread; start() from a thread that
// lives as long as the cluster (the parent-death signal is tied to the starting thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "specs/result.hh"

namespace hydrant::proc {
class Child;
}

namespace hydrant::pg {

struct EmbeddedOptions {
  std::string dir;                                     // the cluster's home: <state_dir>/pg
  std::string bin_dir = "/usr/lib/postgresql/15/bin";  // initdb and postgres
  std::string run_as = "postgres";                     // the user to run as when we are root
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
  bool fsync = true;  // tests turn it off for speed; a real state dir keeps it on
};

class EmbeddedPostgres {
 public:
  // Creates the cluster if needed and starts it; returns once it accepts connections.
  // Errors (kStalled, the message says what to do): Postgres programs missing, the run-as user
  // missing or unable to reach `dir`, the socket path too long, the cluster already run by
  // another live process, initdb or postgres failing (with the tail of their log).
  static Result<std::unique_ptr<EmbeddedPostgres>> start(const EmbeddedOptions& options);

  // For client commands (plan, get, trigger): uses the cluster a running `hydrant run` owns when
  // there is one (this handle then never stops it), and starts it otherwise, like start().
  static Result<std::unique_ptr<EmbeddedPostgres>> attachOrStart(const EmbeddedOptions& options);

  ~EmbeddedPostgres();  // stop()
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL to the process group, within
  // `timeout` in all. Idempotent. Error when it had to be killed.
  Result<void> stop(std::chrono::milliseconds timeout = std::chrono::seconds(4));

  // key/value conninfo for `dbname` over the unix socket, as the cluster's superuser.
  std::string conninfo(const std::string& dbname) const;
  const std::string& socketDir() const { return options_.dir; }
  pid_t pid() const;
  bool running();

  static constexpr const char* kSuperuser = "hydrant";
  static constexpr int kPort = 5432;  // names the socket file only; no TCP port is opened

 private:
  EmbeddedPostgres(EmbeddedOptions options, std::unique_ptr<proc::Child> child);
  EmbeddedOptions options_;
  std::unique_ptr<proc::Child> child_;
};

}  // namespace hydrant::pg
