// The outputs are read in the local store's directories, never through a symbolic link: a
// builder controls what its outputs contain, and must not make us read files outside the store.
#include "controller/nix/build_outputs.hh"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <system_error>

#include "controller/nix/nix_command.hh"
#include "controller/proc/process.hh"

namespace hydrant::nix::detail {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr size_t kMaxSupportFile = 1 << 20;
constexpr auto kHashTimeout = 10min;

std::string_view trimmed(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

std::vector<std::string_view> linesOf(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::vector<std::string> fieldsOf(std::string_view line) {
  std::vector<std::string> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    const size_t begin = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > begin) fields.emplace_back(line.substr(begin, i - begin));
  }
  return fields;
}

bool insideStore(const std::string& path, std::string_view store_dir) {
  return path.size() > store_dir.size() + 1 && path.starts_with(store_dir) &&
         path[store_dir.size()] == '/';
}

bool isRealDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::directory;
}

// The text of `output`/nix-support/`name` when it is a regular file reached without following a
// symbolic link; at most kMaxSupportFile bytes.
std::optional<std::string> supportFile(const std::string& output, const std::string& name) {
  const fs::path dir = fs::path(output) / "nix-support";
  std::error_code ec;
  if (!isRealDirectory(output) || !isRealDirectory(dir) ||
      fs::symlink_status(dir / name, ec).type() != fs::file_type::regular) {
    return std::nullopt;
  }
  std::ifstream in(dir / name, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kMaxSupportFile, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

std::string sha256Of(const std::string& file, const std::stop_token& stop) {
  proc::RunOptions options;
  options.argv = {"sha256sum", "--", file};
  options.timeout = kHashTimeout;
  options.output_cap = 64 << 10;
  options.stop = stop;
  const Result<proc::RunResult> result = proc::run(options);
  if (!result || !result->ok() || result->out.size() < 64) return "";
  return result->out.substr(0, 64);
}

// Fills in what Hydra records of a product that exists; false when it does not (or leads out of
// the store through a symbolic link).
bool describeProduct(BuildProduct& product, const std::string& output, std::string_view store_dir,
                     const std::stop_token& stop) {
  std::error_code ec;
  const fs::path real_store = fs::canonical(std::string(store_dir), ec);
  if (ec) return false;
  const fs::path real = fs::canonical(product.path, ec);
  if (ec || !insideStore(real.string(), real_store.string())) return false;
  const fs::file_status status = fs::status(real, ec);
  if (ec) return false;
  product.name = product.path == output ? "" : fs::path(product.path).filename().string();
  if (status.type() == fs::file_type::regular) {
    product.is_regular = true;
    product.file_size = fs::file_size(real, ec);
    product.sha256 = sha256Of(real.string(), stop);
  }
  return true;
}

// "hello-1.0" for "/nix/store/<hash>-hello-1.0".
std::string storePathName(const std::string& path) {
  const std::string base = fs::path(path).filename().string();
  const size_t dash = base.find('-');
  return dash == std::string::npos ? base : base.substr(dash + 1);
}

}  // namespace

std::vector<BuildProduct> parseBuildProducts(std::string_view text, std::string_view store_dir) {
  static const std::regex kLine(
      R"(([a-zA-Z0-9_-]+)\s+([a-zA-Z0-9_-]+)\s+("[^"]+"|[^"\s<>]+)(\s+([^"\s<>]+))?)");
  std::vector<BuildProduct> products;
  for (std::string_view raw : linesOf(text)) {
    const std::string line(trimmed(raw));
    std::smatch match;
    if (!std::regex_match(line, match, kLine)) continue;
    std::string path = match[3].str();
    if (path.size() >= 2 && path.front() == '"') path = path.substr(1, path.size() - 2);
    path = fs::path(path).lexically_normal().string();
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (!fs::path(path).is_absolute() || !insideStore(path, store_dir)) continue;
    BuildProduct product;
    product.type = match[1].str();
    product.subtype = match[2].str();
    product.path = std::move(path);
    product.default_path = match[5].str();
    products.push_back(std::move(product));
  }
  return products;
}

std::map<std::string, BuildMetric> parseMetrics(std::string_view text) {
  static const std::regex kName(R"([A-Za-z0-9._-]+)");
  std::map<std::string, BuildMetric> metrics;
  for (std::string_view line : linesOf(text)) {
    const std::vector<std::string> fields = fieldsOf(line);
    if (fields.size() < 2 || !std::regex_match(fields[0], kName)) continue;
    char* end = nullptr;
    const double value = std::strtod(fields[1].c_str(), &end);
    if (end == fields[1].c_str() || *end != '\0' || !std::isfinite(value)) continue;
    metrics[fields[0]] = BuildMetric{fields[0], value, fields.size() >= 3 ? fields[2] : ""};
  }
  return metrics;
}

void readNixSupport(const std::map<std::string, std::string>& outputs, std::string_view store_dir,
                    StepResult& result, const std::stop_token& stop) {
  bool explicit_products = false;
  for (const auto& [name, output] : outputs) {
    if (supportFile(output, "failed")) result.failed_marker = true;
    if (std::optional<std::string> text = supportFile(output, "hydra-build-products")) {
      explicit_products = true;
      for (BuildProduct& product : parseBuildProducts(*text, store_dir)) {
        if (describeProduct(product, output, store_dir, stop)) {
          result.products.push_back(std::move(product));
        }
      }
    }
    if (std::optional<std::string> text = supportFile(output, "hydra-release-name")) {
      result.release_name = std::string(trimmed(*text));
    }
    if (std::optional<std::string> text = supportFile(output, "hydra-metrics")) {
      for (auto& [metric, value] : parseMetrics(*text)) result.metrics[metric] = value;
    }
  }
  if (explicit_products) return;
  for (const auto& [name, output] : outputs) {
    if (!isRealDirectory(output)) continue;
    BuildProduct product;
    product.type = "nix-build";
    product.subtype = name == "out" ? "" : name;
    product.path = output;
    product.name = storePathName(output);
    result.products.push_back(std::move(product));
  }
}

}  // namespace hydrant::nix::detail
