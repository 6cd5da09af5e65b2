// Listener: a dedicated Postgres connection that LISTENs on the channels the reconcilers react to
// and hands each notification to a callback (which only enqueues keys). When the server goes
// away it reconnects with backoff; after every (re)connect it calls on_connected first, so the
// owner resyncs everything and no change made while it was away is missed. run() is called by
// one thread; connected() and reconnects() may be read from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/runtime/backoff.hh"
#include "controller/runtime/clock.hh"

namespace hydrant::db {

class Database;

struct Notification {
  std::string channel;
  std::string payload;
};

class Listener {
 public:
  Listener(Database& db, std::vector<std::string> channels, runtime::Clock& clock,
           runtime::BackoffPolicy backoff, std::function<void(const Notification&)> on_notify,
           std::function<void()> on_connected);

  // Runs until `stop` is requested. Never throws; every failure is logged and retried.
  void run(std::stop_token stop);

  // Listening, with the resync after the (re)connect done.
  bool connected() const { return connected_; }
  int connects() const { return connects_; }  // completed (re)connections so far

 private:
  bool session(std::stop_token stop);  // one connection's lifetime; false if it could not connect

  Database& db_;
  const std::vector<std::string> channels_;
  runtime::Clock& clock_;
  const runtime::BackoffPolicy backoff_;
  std::function<void(const Notification&)> on_notify_;
  std::function<void()> on_connected_;
  std::atomic<bool> connected_{false};
  std::atomic<int> connects_{0};
};

}  // namespace hydrant::db
