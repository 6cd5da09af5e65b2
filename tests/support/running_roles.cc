#include "tests/support/running_roles.hh"

#include <gtest/gtest.h>

#include "controller/db/listener.hh"
#include "tests/support/wait.hh"

namespace hydrant::testing {

using namespace std::chrono_literals;

RunningRoles::RunningRoles(db::Database& db, runtime::Clock& clock)
    : db_(db), clock_(clock), manager_(clock, [] { return 0.5; }, runtime::BackoffPolicy{}, 300s) {}

RunningRoles::~RunningRoles() {
  if (listening_.joinable()) {
    listening_.request_stop();
    listening_.join();
  }
  manager_.stopAll();
}

void RunningRoles::start(const std::vector<std::string>& roles) {
  for (const auto& role : roles) manager_.startRole(role);
  listener_ = std::make_unique<db::Listener>(
      db_, manager_.channels(), clock_, runtime::BackoffPolicy{100ms, 2.0, 1s, 0.0},
      [this](const db::Notification& n) { manager_.notify(n.channel, n.payload); },
      [this] { manager_.resyncAll(); });
  listening_ = std::jthread([this](std::stop_token st) { listener_->run(st); });
  EXPECT_TRUE(eventually([&] { return listener_->connected(); }, 10s));
}

}  // namespace hydrant::testing
