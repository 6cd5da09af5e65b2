#include "controller/db/listener.hh"

#include <memory>
#include <random>

#include "controller/db/database.hh"
#include "controller/db/tx.hh"
#include "controller/log.hh"

namespace hydrant::db {

namespace {

class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& c, const std::string& channel,
           const std::function<void(const Notification&)>& sink)
      : pqxx::notification_receiver(c, channel), sink_(sink) {}
  void operator()(const std::string& payload, int) override { sink_({channel(), payload}); }

 private:
  const std::function<void(const Notification&)>& sink_;
};

constexpr auto kPollSlice = std::chrono::milliseconds(200);

}  // namespace

Listener::Listener(Database& db, std::vector<std::string> channels, runtime::Clock& clock,
                   runtime::BackoffPolicy backoff,
                   std::function<void(const Notification&)> on_notify,
                   std::function<void()> on_connected)
    : db_(db),
      channels_(std::move(channels)),
      clock_(clock),
      backoff_(backoff),
      on_notify_(std::move(on_notify)),
      on_connected_(std::move(on_connected)) {}

bool Listener::session(std::stop_token stop) {
  auto slot = db_.reserveSlot();
  if (!slot) {
    log::error("listener", "{}", slot.error().message);
    return false;
  }
  std::unique_ptr<pqxx::connection> conn;
  std::vector<std::unique_ptr<Receiver>> receivers;
  int backend = 0;  // libpqxx may reconnect silently; a new backend means a resync is due
  try {
    conn = std::make_unique<pqxx::connection>(db_.conninfo());
    for (const auto& ch : channels_) {
      receivers.push_back(std::make_unique<Receiver>(*conn, ch, on_notify_));
    }
    // Receivers LISTEN lazily; a round trip makes sure every LISTEN is in force before the
    // resync reads state, so nothing committed after the resync's snapshot is missed.
    pqxx::nontransaction(*conn).exec("select 1");
    backend = conn->backendpid();
  } catch (const std::exception& e) {
    log::warn("listener", "cannot connect to {}: {}", redactConninfo(db_.conninfo()), e.what());
    return false;
  }
  log::info("listener", "listening on {} channel(s)", channels_.size());
  if (on_connected_) on_connected_();
  connected_ = true;  // only now: listening, and what changed before was resynced
  ++connects_;
  try {
    while (!stop.stop_requested()) {
      conn->await_notification(0, std::chrono::microseconds(kPollSlice).count());
      if (!conn->is_open() || conn->backendpid() != backend) {
        throw pqxx::broken_connection("connection closed");
      }
    }
  } catch (const std::exception& e) {
    log::warn("listener", "lost the database connection: {}", e.what());
  }
  connected_ = false;
  receivers.clear();
  return true;
}

void Listener::run(std::stop_token stop) {
  std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int failures = 0;
  while (!stop.stop_requested()) {
    if (session(stop)) {
      failures = 0;
    }
    if (stop.stop_requested()) break;
    ++failures;
    auto delay = runtime::backoffDelay(backoff_, failures, unit(rng));
    log::info("listener", "reconnecting in {} ms", delay.count());
    runtime::sleepFor(clock_, delay, stop);
  }
}

}  // namespace hydrant::db
