// NoteCollector: LISTENs to Postgres channels on a connection of its own and hands out what was
// delivered, in delivery order, for tests that check which notifications a transaction sent.
// take() uses a fence: it sends a notification of its own and waits for it, and since
// notifications arrive in commit order, everything committed before has arrived by then (no
// waiting on a clock). One test thread.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

namespace hydrant::testing {

using Note = std::pair<std::string, std::string>;  // channel, payload
using Notes = std::vector<Note>;

class NoteCollector {
 public:
  NoteCollector(const std::string& conninfo, const std::vector<std::string>& channels);
  ~NoteCollector();

  // Everything delivered since the last call (the fence excluded). Fails the test (non-fatal)
  // when the fence has not arrived within 10 s.
  Notes take();

 private:
  class Receiver;
  bool fenced() const;

  pqxx::connection conn_;
  Notes got_;
  std::vector<std::unique_ptr<Receiver>> receivers_;
};

}  // namespace hydrant::testing
