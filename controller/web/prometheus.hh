// Prometheus's text exposition format (version 0.0.4) for /metrics: metric families, each a
// HELP and a TYPE line followed by its samples `name{label="value",…} value`; histograms as
// cumulative `_bucket{le="…"}` samples ending in le="+Inf", then `_sum` and `_count`. Label
// values and help texts are escaped as the format says. Pure; one thread builds an Exposition.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/runtime/metrics.hh"

namespace hydrant::web::prometheus {

using Labels = std::vector<std::pair<std::string, std::string>>;

// The Content-Type of the format.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

class Exposition {
 public:
  // Starts a family: its HELP and TYPE lines. `type` is "counter", "gauge" or "histogram".
  // The samples added next belong to it. REQUIRES: each name once per exposition.
  void family(std::string_view name, std::string_view type, std::string_view help);
  // One sample of the current family.
  void sample(std::string_view name, const Labels& labels, double value);
  // One labelled histogram of the current family `name`: its buckets, sum and count.
  void histogram(std::string_view name, const Labels& labels,
                 const runtime::HistogramSnapshot& histogram);

  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

// A sample value: integral values without a fraction ("3"), others in the shortest form that
// reads back the same ("0.25", "1e-05"), and "+Inf", "-Inf", "NaN".
std::string formatValue(double value);

// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string escapeLabelValue(std::string_view text);

}  // namespace hydrant::web::prometheus
