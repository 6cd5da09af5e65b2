#include "reconcilers/jobset_inputs.hh"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "controller/crypto/hash.hh"
#include "controller/db/database.hh"
#include "controller/git/mirrors.hh"
#include "reconcilers/spec_reader.hh"

namespace hydrant::reconcilers {

namespace {

namespace fs = std::filesystem;
using nix::nixString;

Error about(const std::string& input, const Error& e) {
  Error out = e;
  out.message = "input ‘" + input + "’: " + e.message;
  return out;
}

Error stalledInput(const std::string& input, const std::string& message) {
  return Error::stalled("input ‘" + input + "’: " + message);
}

// A store path name from a file name: Nix allows [A-Za-z0-9+-._?=] and no leading dot.
std::string storeName(const std::string& base) {
  std::string out;
  for (char c : base) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
    out += ok ? c : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  return out.empty() ? "source" : out;
}

std::string storePathExpr(const std::string& path) {
  return "builtins.storePath " + nixString(path);
}

std::optional<int> parseId(const std::string& s) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::vector<std::string> splitColons(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon - start));
    if (colon == std::string::npos) return parts;
    start = colon + 1;
  }
}

// A fresh, unique directory name under `dir` (not created).
std::string scratchName(const std::string& dir) {
  static std::atomic<unsigned> counter{0};
  return (fs::path(dir) / ("checkout-" + std::to_string(::getpid()) + "-" +
                           std::to_string(counter.fetch_add(1))))
      .string();
}

}  // namespace

JobsetInputs::JobsetInputs(git::Mirrors& mirrors, db::Database& db, std::string base_url,
                           std::string scratch_dir, std::chrono::milliseconds timeout)
    : mirrors_(mirrors),
      db_(db),
      base_url_(std::move(base_url)),
      scratch_dir_(std::move(scratch_dir)),
      timeout_(timeout) {}

std::string JobsetInputs::baseFor(const db::EvalJobset& jobset) const {
  if (jobset.decltype_ == "git") {
    auto v = parseGitValue(jobset.declvalue);
    return v ? resolveRelativeUrl(v->url, base_url_) : "";
  }
  if (jobset.decltype_ == "path") return resolveRelativeUrl(jobset.declvalue, base_url_);
  return "";
}

Result<std::vector<ResolvedInput>> JobsetInputs::resolve(const db::EvalJobset& jobset,
                                                         std::stop_token stop) {
  std::vector<db::InputRow> declared = jobset.inputs;
  // Generated mode (HYDRA.md §3.2): `.jobsets` also gets the declarative input itself and the
  // project's name.
  if (jobset.name == ".jobsets" && !jobset.declfile.empty()) {
    declared.push_back({"declInput", jobset.decltype_, jobset.declvalue});
    declared.push_back({"projectName", "string", jobset.project});
  }
  std::sort(declared.begin(), declared.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  const std::string base = baseFor(jobset);
  std::vector<ResolvedInput> out;
  for (const auto& in : declared) {
    if (stop.stop_requested()) return Error::transient("stopped");
    auto r = resolveOne(jobset, in, base, stop);
    if (!r) return r.error();
    out.push_back(std::move(*r));
  }
  return out;
}

Result<ResolvedInput> JobsetInputs::resolveOne(const db::EvalJobset& jobset,
                                               const db::InputRow& in, const std::string& base,
                                               std::stop_token stop) {
  ResolvedInput r;
  r.name = in.name;
  r.type = in.type;
  r.value = in.value;
  r.record.name = in.name;
  r.record.type = in.type;
  r.record.value = in.value;
  if (in.type == "string") {
    r.identity = in.value;
    r.arg = {in.name, false, in.value};
  } else if (in.type == "boolean") {
    if (in.value != "true" && in.value != "false") {
      return stalledInput(in.name, "a boolean is \"true\" or \"false\", not \"" + in.value + "\"");
    }
    r.identity = in.value;
    r.arg = {in.name, true, in.value};
  } else if (in.type == "nix") {
    r.identity = in.value;
    r.arg = {in.name, true, in.value};
  } else if (in.type == "git") {
    auto v = parseGitValue(in.value);
    if (!v) return about(in.name, v.error());
    r.git_url = resolveRelativeUrl(v->url, base);
    auto commit = mirrors_.fetch(r.git_url, v->ref, timeout_, stop);
    if (!commit) return about(in.name, commit.error());
    auto count = mirrors_.revCount(r.git_url, *commit);
    if (!count) return about(in.name, count.error());
    r.git_rev = *commit;
    r.git_rev_count = *count;
    r.identity = r.git_url + " " + r.git_rev;
    r.record.uri = r.git_url;
    r.record.revision = r.git_rev;
  } else if (in.type == "path") {
    const std::string path = resolveRelativeUrl(in.value, base);
    std::error_code ec;
    if (!fs::exists(path, ec)) return stalledInput(in.name, path + " does not exist");
    auto stored = nix::addToStore(path, storeName(fs::path(path).filename().string()), timeout_,
                                  stop);
    if (!stored) return about(in.name, stored.error());
    r.store_path = *stored;
    r.identity = *stored;
    r.record.uri = path;
    r.record.path = *stored;
  } else if (in.type == "build") {
    // [project:][jobset:]job, defaulting to this jobset's project and jobset.
    auto parts = splitColons(in.value);
    if (parts.size() > 3 || parts.back().empty()) {
      return stalledInput(in.name, "a build input is \"[project:][jobset:]job\", not \"" +
                                       in.value + "\"");
    }
    const std::string job = parts.back();
    const std::string js = parts.size() >= 2 ? parts[parts.size() - 2] : jobset.name;
    const std::string project = parts.size() == 3 ? parts[0] : jobset.project;
    auto build = db_.read<std::optional<db::BuildOutputRef>>(
        [&](db::ReadTx& tx) { return db::latestSuccessfulBuild(tx, project, js, job); });
    if (!build) return about(in.name, build.error());
    if (!*build) {
      return stalledInput(in.name, "no successful build of job " + project + ":" + js + ":" + job +
                                       " yet");
    }
    auto valid = nix::validPaths({(*build)->out_path}, timeout_, stop);
    if (!valid) return about(in.name, valid.error());
    if (!(*valid)[0]) {
      return stalledInput(in.name, "the output " + (*build)->out_path + " of build " +
                                       std::to_string((*build)->build_id) +
                                       " is not in the store");
    }
    r.store_path = (*build)->out_path;
    r.identity = std::to_string((*build)->build_id) + " " + (*build)->out_path;
    r.record.dependency = (*build)->build_id;
    r.record.path = (*build)->out_path;
    r.arg = {in.name, true,
             "{ outPath = " + storePathExpr((*build)->out_path) +
                 "; inputType = \"build\"; id = " + std::to_string((*build)->build_id) +
                 "; name = " + nixString((*build)->nixname) + "; }"};
  } else if (in.type == "eval") {
    // An evaluation id, or project:jobset (its latest finished evaluation).
    std::optional<int> id = parseId(in.value);
    auto parts = splitColons(in.value);
    if (!id && parts.size() != 2) {
      return stalledInput(in.name, "an eval input is an evaluation id or \"project:jobset\", not \"" +
                                       in.value + "\"");
    }
    auto outputs = db_.read<std::optional<db::EvalOutputs>>([&](db::ReadTx& tx) {
      return db::evalOutputs(tx, id, id ? "" : parts[0], id ? "" : parts[1]);
    });
    if (!outputs) return about(in.name, outputs.error());
    if (!*outputs) return stalledInput(in.name, "no finished evaluation of " + in.value + " yet");
    std::vector<std::string> paths;
    for (const auto& [job, path] : (*outputs)->jobs) paths.push_back(path);
    auto valid = nix::validPaths(paths, timeout_, stop);
    if (!valid) return about(in.name, valid.error());
    // The identity is the set itself, not only the evaluation's id: a build of that
    // evaluation that is restarted and succeeds, or an output that becomes valid, changes it.
    std::string expr = "{ ";
    r.identity = std::to_string((*outputs)->eval_id);
    size_t i = 0;
    for (const auto& [job, path] : (*outputs)->jobs) {
      if (!(*valid)[i++]) continue;
      expr += nixString(job) + " = " + storePathExpr(path) + "; ";
      r.identity += " " + job + "=" + path;
    }
    expr += "}";
    r.record.dependency = std::nullopt;
    r.record.revision = std::to_string((*outputs)->eval_id);
    r.arg = {in.name, true, expr};
  } else {
    return stalledInput(in.name, "unknown input type \"" + in.type + "\"");
  }
  return r;
}

Result<std::string> JobsetInputs::checkout(const ResolvedInput& in, std::stop_token stop) {
  const std::string key = in.git_url + "\n" + in.git_rev;
  {
    std::lock_guard lk(mu_);
    auto it = checkouts_.find(key);
    // A store path that is still on disk has not been garbage-collected; asking Nix would
    // cost two processes on every evaluation.
    std::error_code ec;
    if (it != checkouts_.end() && fs::exists(it->second, ec)) return it->second;
  }
  const std::string dir = scratchName(scratch_dir_);
  auto exported = mirrors_.exportTree(in.git_url, in.git_rev, dir);
  if (!exported) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return exported.error();
  }
  auto stored = nix::addToStore(dir, "source", timeout_, stop);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!stored) return stored.error();
  std::lock_guard lk(mu_);
  checkouts_[key] = *stored;
  return *stored;
}

Result<void> JobsetInputs::materialize(std::vector<ResolvedInput>& inputs, std::stop_token stop) {
  for (auto& in : inputs) {
    if (in.type == "git") {
      auto path = checkout(in, stop);
      if (!path) return about(in.name, path.error());
      in.store_path = *path;
      in.record.path = *path;
      in.arg = {in.name, true,
                "{ outPath = " + storePathExpr(*path) + "; inputType = \"git\"; uri = " +
                    nixString(in.git_url) + "; rev = " + nixString(in.git_rev) +
                    "; shortRev = " + nixString(in.git_rev.substr(0, 7)) +
                    "; revCount = " + std::to_string(in.git_rev_count) + "; }"};
    } else if (in.type == "path") {
      in.arg = {in.name, true,
                "{ outPath = " + storePathExpr(*in.store_path) +
                    "; inputType = \"path\"; uri = " + nixString(*in.record.uri) + "; }"};
    }
  }
  return {};
}

std::string evaluationHash(const db::EvalJobset& jobset, const std::vector<ResolvedInput>& inputs,
                           const std::string& locked_flake) {
  std::string text;
  if (jobset.type == 1) {
    text = "flake\n" + locked_flake + "\n";
  } else {
    text = "legacy\n" + jobset.nixexprinput + "\n" + jobset.nixexprpath + "\n";
  }
  for (const auto& in : inputs) {
    text += in.name + "\t" + in.type + "\t" + in.identity + "\n";
  }
  return crypto::sha256Hex(text);
}

}  // namespace hydrant::reconcilers
