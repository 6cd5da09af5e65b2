#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "controller/runtime/metrics.hh"

namespace hydrant::runtime {
namespace {

TEST(Histogram, EmptyHasEveryBucketAtZero) {
  const Histogram h({0.1, 1});
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.sum, 0);
}

TEST(Histogram, BucketsAreCumulativeAndABoundBelongsToItsBucket) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 3.0, 100.0}) h.observe(v);
  const HistogramSnapshot s = h.snapshot();
  // <= 0.1: 0.05 and 0.1; <= 1: and 0.5, 1.0; <= 10: and 3.0; +Inf: and 100.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 104.65);
}

TEST(Histogram, DefaultBoundsSpanMillisecondsToMinutes) {
  const std::vector<double> b = defaultSecondsBounds();
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(b.front(), 0.001);
  EXPECT_EQ(b.back(), 300);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
}

TEST(Histogram, ObservationsFromManyThreadsAreAllCounted) {
  Histogram h({1});
  constexpr int kThreads = 4, kEach = 10000;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&h, t] {
        for (int i = 0; i < kEach; ++i) h.observe(t % 2 == 0 ? 0.5 : 2.0);
      });
    }
  }
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2 * kEach, 4 * kEach}));
  EXPECT_DOUBLE_EQ(s.sum, 2 * kEach * 0.5 + 2 * kEach * 2.0);
}

}  // namespace
}  // namespace hydrant::runtime
