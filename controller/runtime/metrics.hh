// Histogram: a distribution of observed values (durations in seconds) over fixed buckets, the
// way Prometheus histograms count them, for the process's own metrics (reconcile and queue-wait
// times, the queue's dispatch passes). Thread-safe: observe() and snapshot() may be called from
// any thread; a snapshot is a plain value.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace hydrant::runtime {

// What a histogram has counted so far.
struct HistogramSnapshot {
  std::vector<double> bounds;  // upper bounds of the buckets, ascending, without +Inf
  // cumulative[i]: observations <= bounds[i]; one more entry at the end for +Inf (== count).
  std::vector<uint64_t> cumulative;
  double sum = 0;
  uint64_t count = 0;
};

// Upper bounds from 1 ms to 5 min, for durations in seconds.
std::vector<double> defaultSecondsBounds();

class Histogram {
 public:
  // REQUIRES: `bounds` ascending, finite.
  explicit Histogram(std::vector<double> bounds = defaultSecondsBounds());
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `value` in the first bucket whose bound is >= value (and in +Inf).
  void observe(double value);
  HistogramSnapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // guarded by mu_: per bucket (not cumulative), +Inf last
  double sum_ = 0;                // guarded by mu_
};

}  // namespace hydrant::runtime
