#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "controller/web/prometheus.hh"

namespace hydrant::web::prometheus {
namespace {

struct ValueCase {
  std::string name;
  double value;
  std::string want;
};

class FormatValueTable : public ::testing::TestWithParam<ValueCase> {};

TEST_P(FormatValueTable, WritesTheFormatsNumber) {
  EXPECT_EQ(formatValue(GetParam().value), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FormatValueTable,
    ::testing::Values(ValueCase{"Zero", 0, "0"}, ValueCase{"Count", 42, "42"},
                      ValueCase{"Negative", -3, "-3"},
                      ValueCase{"LargeCount", 1234567890123.0, "1234567890123"},
                      ValueCase{"Fraction", 0.25, "0.25"}, ValueCase{"Millisecond", 0.001, "0.001"},
                      ValueCase{"Tiny", 0.00001, "1e-05"}, ValueCase{"Huge", 1e300, "1e+300"},
                      ValueCase{"PlusInf", std::numeric_limits<double>::infinity(), "+Inf"},
                      ValueCase{"MinusInf", -std::numeric_limits<double>::infinity(), "-Inf"},
                      ValueCase{"NotANumber", std::nan(""), "NaN"}),
    [](const auto& info) { return info.param.name; });

TEST(PrometheusLabels, QuotesBackslashesAndNewlinesAreEscaped) {
  EXPECT_EQ(escapeLabelValue("plain"), "plain");
  EXPECT_EQ(escapeLabelValue("ssh://a\"b\\c\nd"), "ssh://a\\\"b\\\\c\\nd");
  EXPECT_EQ(escapeLabelValue("<script>&'"), "<script>&'");
}

TEST(PrometheusExposition, FamiliesSamplesAndHistogramsInTheTextFormat) {
  Exposition out;
  out.family("hydrant_things_total", "counter", "Things done.\nBy kind \\ result.");
  out.sample("hydrant_things_total", {{"kind", "a\"b"}, {"result", "done"}}, 3);
  out.family("hydrant_depth", "gauge", "Depth.");
  out.sample("hydrant_depth", {}, 0);
  out.family("hydrant_wait_seconds", "histogram", "Wait.");
  runtime::HistogramSnapshot h;
  h.bounds = {0.5, 1};
  h.cumulative = {1, 1, 3};
  h.sum = 4.25;
  h.count = 3;
  out.histogram("hydrant_wait_seconds", {{"kind", "jobset"}}, h);
  EXPECT_EQ(out.text(),
            "# HELP hydrant_things_total Things done.\\nBy kind \\\\ result.\n"
            "# TYPE hydrant_things_total counter\n"
            "hydrant_things_total{kind=\"a\\\"b\",result=\"done\"} 3\n"
            "# HELP hydrant_depth Depth.\n"
            "# TYPE hydrant_depth gauge\n"
            "hydrant_depth 0\n"
            "# HELP hydrant_wait_seconds Wait.\n"
            "# TYPE hydrant_wait_seconds histogram\n"
            "hydrant_wait_seconds_bucket{kind=\"jobset\",le=\"0.5\"} 1\n"
            "hydrant_wait_seconds_bucket{kind=\"jobset\",le=\"1\"} 1\n"
            "hydrant_wait_seconds_bucket{kind=\"jobset\",le=\"+Inf\"} 3\n"
            "hydrant_wait_seconds_sum{kind=\"jobset\"} 4.25\n"
            "hydrant_wait_seconds_count{kind=\"jobset\"} 3\n");
}

TEST(PrometheusExposition, HistogramWithoutBucketsStillHasItsInfBucket) {
  Exposition out;
  out.histogram("hydrant_x_seconds", {}, runtime::HistogramSnapshot{});
  EXPECT_EQ(out.text(),
            "hydrant_x_seconds_bucket{le=\"+Inf\"} 0\n"
            "hydrant_x_seconds_sum 0\n"
            "hydrant_x_seconds_count 0\n");
}

}  // namespace
}  // namespace hydrant::web::prometheus
