#include "reconcilers/dispatch_timing.hh"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hydrant::reconcilers {

namespace {

// A whole number of seconds in [0, range): the jitter added on top of a delay.
long long jitterSeconds(long long range, double unit_random) {
  if (range <= 0) return 0;
  const double draw = std::clamp(unit_random, 0.0, 1.0);
  return std::min(range - 1, static_cast<long long>(std::floor(draw * static_cast<double>(range))));
}

}  // namespace

long long exponentialSeconds(long long base, double factor, long long cap, int n) {
  base = std::max(0LL, base);
  cap = std::max(0LL, cap);
  factor = std::max(1.0, factor);
  // Computed in double and compared before converting, so huge attempt counts saturate at the cap
  // instead of overflowing.
  const double raw = static_cast<double>(base) * std::pow(factor, std::max(n, 1) - 1);
  if (!(raw < static_cast<double>(cap))) return cap;
  return static_cast<long long>(std::llround(raw));
}

std::optional<UnixTime> stepRetryAt(const StepRetryPolicy& policy, int failed_tries, UnixTime now,
                                    double unit_random) {
  if (failed_tries >= policy.max_tries) return std::nullopt;
  return now +
         exponentialSeconds(policy.base_seconds, policy.factor, policy.cap_seconds, failed_tries) +
         jitterSeconds(policy.jitter_seconds, unit_random);
}

int nextConsecutiveFailures(const MachineBackoffPolicy& policy, int current,
                            std::optional<UnixTime> last_failure, UnixTime now) {
  current = std::max(0, current);
  if (current > 0 && last_failure && now - *last_failure < policy.debounce_seconds) return current;
  return current == std::numeric_limits<int>::max() ? current : current + 1;
}

UnixTime disabledUntil(const MachineBackoffPolicy& policy, int consecutive_failures, UnixTime now,
                       double unit_random) {
  return now +
         exponentialSeconds(policy.base_seconds, policy.factor, policy.cap_seconds,
                            consecutive_failures) +
         jitterSeconds(policy.jitter_seconds, unit_random);
}

UnsupportedTracker::Report UnsupportedTracker::update(std::span<const StepId> unsupported,
                                                      UnixTime now) {
  Report report;
  std::unordered_map<StepId, UnixTime> seen;
  seen.reserve(unsupported.size());
  report.waiting.reserve(unsupported.size());
  for (StepId step : unsupported) {
    const auto old = first_seen_.find(step);
    const UnixTime first = old == first_seen_.end() ? now : old->second;
    if (!seen.emplace(step, first).second) continue;
    const UnixTime fail_at = first + std::max(0LL, grace_);
    report.waiting.push_back({step, first, fail_at});
    if (fail_at <= now) {
      report.fail_now.push_back(step);
    } else if (!report.next_deadline || fail_at < *report.next_deadline) {
      report.next_deadline = fail_at;
    }
  }
  first_seen_ = std::move(seen);
  return report;
}

}  // namespace hydrant::reconcilers
