#include "controller/runtime/metrics.hh"

#include <algorithm>
#include <utility>

namespace hydrant::runtime {

std::vector<double> defaultSecondsBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  // Prometheus buckets are "less than or equal": a value on a bound belongs to that bucket.
  const size_t bucket = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  std::lock_guard lk(mu_);
  ++counts_[bucket];
  sum_ += value;
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  std::lock_guard lk(mu_);
  uint64_t running = 0;
  s.cumulative.reserve(counts_.size());
  for (const uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_;
  return s;
}

}  // namespace hydrant::runtime
