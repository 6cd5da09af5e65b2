// Exponential backoff as a pure function of the attempt number and a random draw, so it can be
// tested with a table (Nix's computeRetryDelayMs). Used by the work queue (per-key retries), the
// database connectors and, later, machines and notifications. No state; thread-safe.
#pragma once

#include <chrono>

namespace hydrant::runtime {

struct BackoffPolicy {
  std::chrono::milliseconds base{500};    // delay before the first retry
  double factor = 2.0;                    // growth per further attempt (>= 1)
  std::chrono::milliseconds cap{300000};  // no delay exceeds this
  double jitter = 0.1;  // fraction in [0, 1]: the delay is reduced by up to this much
};

// Delay before retry number `attempt` (1 = first retry): min(cap, base * factor^(attempt-1)),
// then reduced by jitter * unit_random of itself, so the result is in
// [raw * (1 - jitter), raw] and never above cap. Attempts below 1 count as 1.
// REQUIRES: unit_random in [0, 1).
std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int attempt,
                                       double unit_random);

}  // namespace hydrant::runtime
