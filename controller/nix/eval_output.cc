#include "controller/nix/eval_output.hh"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

namespace hydrant::nix::detail {
namespace {

using nlohmann::json;

// Meta numbers that do not fit an int are dropped, as if they were absent.
std::optional<int> optionalInt(const json& meta, const char* key) {
  const auto it = meta.find(key);
  if (it == meta.end() || !it->is_number_integer()) return std::nullopt;
  const int64_t n = it->get<int64_t>();
  if (n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
    return std::nullopt;
  }
  return static_cast<int>(n);
}

// eval-jobs.nix prints only the meta fields a job has, already converted.
void readMeta(const json& meta, EvalJob& job) {
  job.description = meta.value("description", "");
  job.license = meta.value("license", "");
  job.homepage = meta.value("homepage", "");
  job.maintainers = meta.value("maintainers", "");
  job.scheduling_priority = optionalInt(meta, "schedulingPriority");
  job.timeout = optionalInt(meta, "timeout");
  job.max_silent = optionalInt(meta, "maxSilent");
  // Hydra's manual names isHydraChannel; its evaluator reads isChannel.
  job.is_channel = meta.contains("isHydraChannel") ? meta.at("isHydraChannel").get<bool>()
                                                   : meta.value("isChannel", false);
}

ParsedJob parseJob(const json& record) {
  ParsedJob parsed;
  EvalJob& job = parsed.job;
  job.attr = record.at("attr").get<std::string>();
  if (record.value("failed", false)) {
    parsed.failed_path = record.at("path").get<AttrPath>();
    return parsed;
  }
  job.nixname = record.at("nixname").get<std::string>();
  job.system = record.at("system").get<std::string>();
  job.drv_path = record.at("drvPath").get<std::string>();
  job.outputs = record.at("outputs").get<std::map<std::string, std::string>>();
  if (const auto meta = record.find("meta"); meta != record.end()) readMeta(*meta, job);
  if (const auto names = record.find("constituentNames"); names != record.end()) {
    job.is_aggregate = true;
    job.constituent_names = names->get<std::vector<std::string>>();
    job.constituent_drvs = record.at("constituentDrvs").get<std::vector<std::string>>();
  }
  return parsed;
}

Error unexpected(const std::string& what) {
  return Error::stalled("unexpected output from eval-jobs.nix: " + what);
}

}  // namespace

Result<std::vector<ParsedJob>> parseJobs(const std::string& text) {
  try {
    const json list = json::parse(text);
    if (!list.is_array()) return unexpected("not a list");
    std::vector<ParsedJob> jobs;
    jobs.reserve(list.size());
    for (const json& record : list) jobs.push_back(parseJob(record));
    return jobs;
  } catch (const json::exception& e) {
    return unexpected(e.what());
  }
}

Result<std::vector<std::string>> parseChildren(const std::string& text) {
  try {
    const json names = json::parse(text);
    if (names.is_null()) return std::vector<std::string>{};
    return names.get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return unexpected(e.what());
  }
}

std::string jobName(const AttrPath& path) {
  std::string name;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i > 0) name += '.';
    name += path[i];
  }
  return name;
}

}  // namespace hydrant::nix::detail
