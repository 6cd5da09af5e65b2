#include "tests/support/notes.hh"

#include <gtest/gtest.h>

#include <chrono>

namespace hydrant::testing {
namespace {

constexpr const char* kFence = "hydrant_test_fence";

}  // namespace

class NoteCollector::Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, const std::string& channel, Notes& out)
      : pqxx::notification_receiver(c, channel), out_(out) {}
  void operator()(const std::string& payload, int) override {
    out_.push_back({channel(), payload});
  }

 private:
  Notes& out_;
};

NoteCollector::NoteCollector(const std::string& conninfo, const std::vector<std::string>& channels)
    : conn_(conninfo) {
  for (const std::string& channel : channels) {
    receivers_.push_back(std::make_unique<Receiver>(conn_, channel, got_));
  }
  receivers_.push_back(std::make_unique<Receiver>(conn_, kFence, got_));
}

NoteCollector::~NoteCollector() = default;

bool NoteCollector::fenced() const {
  for (const auto& n : got_) {
    if (n.first == kFence) return true;
  }
  return false;
}

Notes NoteCollector::take() {
  {
    pqxx::nontransaction n(conn_);
    n.exec(std::string("notify ") + kFence);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!fenced() && std::chrono::steady_clock::now() < deadline) {
    conn_.await_notification(1, 0);
  }
  EXPECT_TRUE(fenced()) << "the fence notification never arrived";
  Notes out;
  for (auto& n : got_) {
    if (n.first != kFence) out.push_back(std::move(n));
  }
  got_.clear();
  return out;
}

}  // namespace hydrant::testing
