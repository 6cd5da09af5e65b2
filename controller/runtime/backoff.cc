#include "controller/runtime/backoff.hh"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hydrant::runtime {

std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int attempt,
                                       double unit_random) {
  // Out-of-range policies degrade to the nearest sensible one rather than to negative or
  // shrinking delays.
  const double base = std::max(0.0, static_cast<double>(policy.base.count()));
  const double cap = std::max(0.0, static_cast<double>(policy.cap.count()));
  const double factor = std::max(1.0, policy.factor);
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double draw = std::clamp(unit_random, 0.0, 1.0);

  double raw = std::min(base, cap);
  if (factor > 1.0 && base > 0.0 && base < cap) {
    // Past this exponent the delay is the cap anyway; clamping first keeps pow() small and
    // finite for attempt counts in the billions.
    const double saturating = std::ceil(std::log(cap / base) / std::log(factor));
    const double exponent = std::min(static_cast<double>(std::max(attempt, 1) - 1), saturating);
    raw = std::min(cap, base * std::pow(factor, exponent));
  }

  const double delay = raw * (1.0 - jitter * draw);
  // Comparing in double before converting keeps llround() away from values beyond int64.
  if (delay >= cap) return std::max(policy.cap, std::chrono::milliseconds::zero());
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(delay)));
}

}  // namespace hydrant::runtime
