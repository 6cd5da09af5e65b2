// When the build queue tries again (HYDRA.md §6.2, §6.3): a failed step's retry time, a machine's
// backoff after failing to connect, and the grace period before a step no machine can build fails
// as "unsupported system type". Pure functions of attempt counts, an injected time and an
// injected random draw; UnsupportedTracker is a small value owned by the queue reconciler and is
// not synchronized.
#pragma once

#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "reconcilers/queue_types.hh"

namespace hydrant::reconcilers {

// Delays grow as base · factor^(n−1), capped, plus a random whole number of seconds in
// [0, jitter_seconds). Hydra's constants are the defaults.
struct StepRetryPolicy {
  long long base_seconds = 60;
  double factor = 3.0;
  long long cap_seconds = 24 * 3600;
  long long jitter_seconds = 10;
  int max_tries = 5;  // attempts in all, the first one included
};

struct MachineBackoffPolicy {
  long long base_seconds = 60;
  double factor = 3.0;
  long long cap_seconds = 60 * 27;  // Hydra stops counting at 4 failures: 60·3³ s
  long long jitter_seconds = 30;
  // A failure within this long of the previous one does not count again (several steps failing
  // on one broken connection are one failure).
  long long debounce_seconds = 30;
};

// base · factor^(n−1), at most cap; n < 1 counts as 1. Never negative, never overflows.
long long exponentialSeconds(long long base, double factor, long long cap, int n);

// When a step that failed transiently for the `failed_tries`-th time (1 = its first attempt
// failed) may run again: now + base · factor^(failed_tries−1) + jitter. None when that was the
// last allowed attempt (failed_tries >= max_tries): the failure is final.
// REQUIRES: unit_random in [0, 1).
std::optional<UnixTime> stepRetryAt(const StepRetryPolicy& policy, int failed_tries, UnixTime now,
                                    double unit_random);

// The count of consecutive failures after a machine failed at `now`: one more than `current`,
// unless the previous failure was less than debounce_seconds ago.
int nextConsecutiveFailures(const MachineBackoffPolicy& policy, int current,
                            std::optional<UnixTime> last_failure, UnixTime now);

// Until when a machine with `consecutive_failures` (>= 1) is skipped by the dispatcher:
// now + base · factor^(n−1) (capped) + jitter.
// REQUIRES: unit_random in [0, 1).
UnixTime disabledUntil(const MachineBackoffPolicy& policy, int consecutive_failures, UnixTime now,
                       double unit_random);

// Remembers since when each step has had no machine at all, and says when it has waited its
// grace period and must fail with status 9 ("unsupported system type"). A grace of 0 fails at
// once (Hydra's C++ default); Hydrant's default is 120 s, so a machine briefly missing from the
// machines file does not fail a whole queue.
class UnsupportedTracker {
 public:
  static constexpr long long kDefaultGrace = 120;

  explicit UnsupportedTracker(long long grace_seconds = kDefaultGrace) : grace_(grace_seconds) {}

  struct Entry {
    StepId step = 0;
    UnixTime first_seen = 0;  // when a pass first found no machine for it
    UnixTime fail_at = 0;     // first_seen + grace
  };
  struct Report {
    std::vector<Entry> waiting;             // every unsupported step, in the order given
    std::vector<StepId> fail_now;           // those whose grace is over: fail them with status 9
    std::optional<UnixTime> next_deadline;  // the earliest fail_at still in the future
  };

  // Takes the unsupported steps of a dispatch pass at `now`. Steps not listed are forgotten (a
  // machine appeared, or the step went away), so a step that becomes unsupported again waits a
  // full grace period. A step stays tracked until it is no longer listed, so a caller that could
  // not fail it gets it in fail_now again.
  Report update(std::span<const StepId> unsupported, UnixTime now);

  size_t size() const { return first_seen_.size(); }

 private:
  long long grace_;
  std::unordered_map<StepId, UnixTime> first_seen_;
};

}  // namespace hydrant::reconcilers
