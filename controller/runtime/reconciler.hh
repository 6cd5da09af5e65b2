// The reconciler contract (DESIGN.md): a reconciler is handed a key, never an event; it re-reads
// desired and actual state, converges, and says what should happen next. A second run with
// nothing changed writes nothing. One instance serves many worker threads, but the work queue
// never hands one key to two workers at once, so per-key work needs no extra locking.
#pragma once

#include <stop_token>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "controller/runtime/clock.hh"
#include "specs/result.hh"

namespace hydrant::runtime {

struct Done {};  // converged; look again only when something changes
struct RequeueAfter {
  Duration after;
};  // converged for now; look again after `after`

// What a reconcile produced: Done, RequeueAfter, or an Error whose class decides the retry
// (Transient: backoff; Waiting: at retry_at; Stalled/Invalid: not until the key is added again).
// A variant, so "a result and an error at once" cannot be expressed.
using Outcome = std::variant<Done, RequeueAfter, Error>;

class Reconciler {
 public:
  virtual ~Reconciler() = default;

  // The kind of object, for logs and metrics ("jobset", "project").
  virtual std::string_view kind() const = 0;

  // Converges the object named by `key`. Long work checks `stop` and returns early with a
  // Transient error when it is requested. Must not throw.
  virtual Outcome reconcile(const std::string& key, std::stop_token stop) = 0;

  // Every key that exists now, for a full resync (at start, after a reconnect, periodically).
  virtual Result<std::vector<std::string>> listKeys() = 0;
};

}  // namespace hydrant::runtime
