#include "controller/web/prometheus.hh"

#include <charconv>
#include <cmath>

namespace hydrant::web::prometheus {

namespace {

// HELP text: only backslash and newline are escaped (quotes are not, unlike label values).
std::string escapeHelp(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void appendLabels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escapeLabelValue(value);
    out += '"';
  }
  out += '}';
}

}  // namespace

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Counts are integers; below 2^53 a double holds them exactly.
  if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(value));
    return std::string(buf, end);
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

std::string escapeLabelValue(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void Exposition::sample(std::string_view name, const Labels& labels, double value) {
  out_ += name;
  appendLabels(out_, labels);
  out_ += ' ';
  out_ += formatValue(value);
  out_ += '\n';
}

void Exposition::histogram(std::string_view name, const Labels& labels,
                           const runtime::HistogramSnapshot& h) {
  const std::string base(name);
  for (size_t i = 0; i < h.cumulative.size(); ++i) {
    Labels with_le = labels;
    with_le.emplace_back("le", i < h.bounds.size() ? formatValue(h.bounds[i]) : "+Inf");
    sample(base + "_bucket", with_le, static_cast<double>(h.cumulative[i]));
  }
  // A snapshot with no buckets at all still needs its +Inf bucket.
  if (h.cumulative.empty()) {
    Labels with_le = labels;
    with_le.emplace_back("le", "+Inf");
    sample(base + "_bucket", with_le, static_cast<double>(h.count));
  }
  sample(base + "_sum", labels, h.sum);
  sample(base + "_count", labels, static_cast<double>(h.count));
}

}  // namespace hydrant::web::prometheus
