#include "controller/app.hh"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <thread>

#include "controller/cli.hh"
#include "controller/database_source.hh"
#include "controller/db/admin.hh"
#include "controller/db/database.hh"
#include "controller/db/leader.hh"
#include "controller/db/listener.hh"
#include "controller/db/migrations.hh"
#include "controller/eval_wiring.hh"
#include "controller/git/mirrors.hh"
#include "controller/log.hh"
#include "controller/pg/embedded.hh"
#include "controller/queue_wiring.hh"
#include "controller/runtime/manager.hh"
#include "controller/signals.hh"
#include "controller/specs_wiring.hh"
#include "controller/web/server.hh"

namespace hydrant::app {

namespace {

using namespace std::chrono_literals;

constexpr auto kLeaderInterval = 1s;
constexpr auto kShutdownBudget = 5s;
const runtime::BackoffPolicy kDatabaseBackoff{500ms, 2.0, 30s, 0.2};

void setupLogging(const config::Config& c) {
  log::setup(c.log_format == config::LogFormat::kJson, c.log_level);
}

std::function<double()> randomSource() {
  auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
  auto mu = std::make_shared<std::mutex>();
  return [rng, mu] {
    std::lock_guard lk(*mu);
    return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
  };
}

// Applies migrations, retrying with backoff while the database cannot be reached. Returns 0 when
// migrated, 1 on a fatal error, or the signal number if one arrived while waiting.
int migrateWithRetry(db::Database& database, const std::function<double()>& random) {
  for (int attempt = 1;; ++attempt) {
    auto r = db::migrate(database, db::embeddedMigrations(), [](const db::Migration& m) {
      log::info("schema", "applying migration {:04d}_{}", m.version, m.name);
    });
    if (r) return 0;
    if (r.error().cls != ErrorClass::kTransient) {
      log::error("schema", "{}", r.error().message);
      return 1;
    }
    auto delay = runtime::backoffDelay(kDatabaseBackoff, attempt, random());
    log::error("database", "cannot reach {}: {}; retrying in {} ms",
               db::redactConninfo(database.conninfo()), r.error().message, delay.count());
    if (int sig = signals::waitTermination(delay)) return sig;
  }
}

web::Readiness readiness(db::Database& database, const std::atomic<db::LeaderElector*>& elector,
                         const std::vector<std::string>& roles) {
  web::Readiness r;
  r.schema_expected =
      db::embeddedMigrations().empty() ? 0 : db::embeddedMigrations().back().version;
  auto st = db::migrationState(database, db::embeddedMigrations());
  if (st) {
    r.database_ok = true;
    r.schema_version = st->applied_version;
  } else {
    r.database_message = st.error().message;
  }
  for (const auto& role : roles) r.roles[role] = false;
  if (auto* e = elector.load()) {
    for (const auto& [role, leading] : e->state()) r.roles[role] = leading;
    r.roles_settled = e->settled();
  }
  return r;
}

// After the first signal, the rest of the shutdown has kShutdownBudget; a second signal or the
// budget running out ends the process at once (transactions roll back as connections close, and
// the embedded Postgres gets its parent-death signal).
void armShutdownWatchdog() {
  std::thread([] {
    int sig = signals::waitTermination(kShutdownBudget);
    log::error("hydrant", "{}",
               sig ? "second signal: exiting now"
                   : "shutdown took longer than 5 s: abandoning in-flight work");
    std::fflush(nullptr);
    std::_Exit(cli::kExitFailure);
  }).detach();
}

}  // namespace

int run(const config::Config& cfg) {
  setupLogging(cfg);
  auto endpoint = web::parseEndpoint(cfg.listen);
  if (!endpoint) {
    log::error("hydrant", "{}", endpoint.error().message);
    return cli::kExitUsage;
  }
  auto src = openDatabaseSource(cfg, EmbeddedUse::kOwn);
  if (!src) {
    log::error("database", "{}", src.error().message);
    return cli::kExitFailure;
  }
  db::Database database(src->conninfo, cfg.db_max_connections);
  runtime::SystemClock clock;
  auto random = randomSource();
  // Declared before the manager: its workers use these until the manager has stopped them.
  std::unique_ptr<SpecsWiring> specs;
  if (cfg.projects) specs = std::make_unique<SpecsWiring>(cfg, database, random);
  std::unique_ptr<git::Mirrors> own_mirrors;
  if (!specs) {
    own_mirrors =
        std::make_unique<git::Mirrors>((std::filesystem::path(cfg.state_dir) / "git").string());
  }
  auto evals =
      EvalWiring::create(cfg, database, specs ? specs->mirrors() : *own_mirrors, clock, random);
  if (!evals) {
    log::error("evaluator", "{}", evals.error().message);
    return cli::kExitFailure;
  }
  QueueWiring queue(cfg, database, clock, random);
  runtime::Manager manager(clock, random, runtime::BackoffPolicy{}, cfg.resync_interval);
  if (specs) specs->addTo(manager);
  (*evals)->addTo(manager);
  queue.addTo(manager);
  std::vector<std::string> roles = cfg.roles.empty() ? config::knownRoles() : cfg.roles;

  std::atomic<db::LeaderElector*> elector_ptr{nullptr};
  web::Context web_context;
  web_context.db = &database;
  web_context.config = &cfg;
  web_context.readiness = [&] { return readiness(database, elector_ptr, roles); };
  web_context.controllers = [&manager] { return manager.status(); };
  web_context.clock = &clock;
  web::WebServer web(web_context);
  if (auto r = web.start(*endpoint); !r) {
    log::error("web", "{}", r.error().message);
    return cli::kExitFailure;
  }
  if (int rc = migrateWithRetry(database, random); rc != 0) {
    return rc == 1 ? cli::kExitFailure : cli::kExitOk;
  }
  db::LeaderElector elector(
      database, roles, clock, kLeaderInterval, [&](const std::string& r) { manager.startRole(r); },
      [&](const std::string& r) { manager.stopRole(r); });
  db::Listener listener(
      database, manager.channels(), clock, kDatabaseBackoff,
      [&](const db::Notification& n) { manager.notify(n.channel, n.payload); },
      [&] { manager.resyncAll(); });
  elector_ptr = &elector;
  std::jthread elector_thread([&](std::stop_token st) { elector.run(st); });
  std::jthread listener_thread([&](std::stop_token st) { listener.run(st); });
  log::info("hydrant", "running (roles: {})", fmt::join(roles, ","));

  int sig = 0;
  while (!(sig = signals::waitTermination(std::chrono::hours(1)))) {
  }
  log::info("hydrant", "received signal {}: stopping", sig);
  armShutdownWatchdog();
  elector_thread.request_stop();
  listener_thread.request_stop();
  elector_thread.join();
  elector_ptr = nullptr;
  listener_thread.join();
  manager.stopAll();
  web.stop();
  if (src->embedded) (void)src->embedded->stop();
  log::info("hydrant", "stopped");
  return cli::kExitOk;
}

int migrate(const config::Config& cfg) {
  setupLogging(cfg);
  auto src = openDatabaseSource(cfg, EmbeddedUse::kAttach);
  if (!src) {
    log::error("database", "{}", src.error().message);
    return cli::kExitFailure;
  }
  db::Database database(src->conninfo, cfg.db_max_connections);
  auto r = db::migrate(database, db::embeddedMigrations(), [](const db::Migration& m) {
    std::printf("applying %04d_%s\n", m.version, m.name.c_str());
  });
  if (!r) {
    log::error("schema", "{}", r.error().message);
    return cli::kExitFailure;
  }
  auto st = db::migrationState(database, db::embeddedMigrations());
  if (!st) {
    log::error("schema", "{}", st.error().message);
    return cli::kExitFailure;
  }
  std::printf("schema is at version %d (%zu migration(s) applied now)\n", st->applied_version,
              r->size());
  return cli::kExitOk;
}

int version() {
  const auto& ms = db::embeddedMigrations();
  std::printf("hydrant %s\nschema version %d\n", HYDRANT_VERSION,
              ms.empty() ? 0 : ms.back().version);
  return cli::kExitOk;
}

}  // namespace hydrant::app
