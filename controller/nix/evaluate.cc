// evaluate(): runs nix/eval-jobs.nix once for the whole jobset. builtins.tryEval catches only
// `throw` and `assert`, and never tells the error's text, so two follow-ups may be needed:
//  - jobs that tryEval caught are evaluated once more, each alone and without tryEval, so that
//    Nix prints their error;
//  - when an error escapes tryEval (abort, a missing attribute, a type error), the failing run
//    lost every job. The jobset's top-level names are then evaluated in halves, recursively,
//    until each failing name is alone (a walked attribute set is split into its own names),
//    so k broken jobs among n cost about 2k·log2(n) runs and the other jobs are kept. A half is
//    passed as a range of its parent's names, so command lines stay short for any jobset.
// All runs share the request's deadline and stop token.
#include <signal.h>
#include <string.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "controller/nix/eval_output.hh"
#include "controller/nix/nix.hh"
#include "controller/nix/nix_command.hh"
#include "controller/proc/process.hh"

namespace hydrant::nix {
namespace {

using detail::AttrPath;
using detail::ParsedJob;
using std::chrono::steady_clock;

// Enough for the JSON of a nixpkgs-sized jobset (about 50 MiB) several times over.
constexpr size_t kOutputCap = 256 << 20;
// Failed jobs evaluated alone for their error text; the rest get kNotProbed. Each probe is a
// nix-instantiate run that parses the jobset's expression again.
constexpr size_t kMaxErrorProbes = 100;
constexpr const char* kNotProbed =
    "error: this job failed to evaluate; its error text was not collected because more than 100 "
    "jobs failed";
constexpr const char* kNotReproduced =
    "error: this job failed to evaluate (caught by builtins.tryEval), but evaluated without error "
    "when evaluated alone";

// What one run of eval-jobs.nix gave, when nix ran to its end.
struct Attempt {
  bool ok = false;
  std::string out;    // the JSON, when ok
  std::string error;  // Nix's error text, when not
};

bool looksOutOfMemory(const std::string& err) {
  for (std::string_view sign : {"out of memory", "Out of Memory", "std::bad_alloc",
                                "Cannot allocate memory", "memory exhausted"}) {
    if (err.find(sign) != std::string::npos) return true;
  }
  return false;
}

std::string signalText(int sig) {
  const char* name = ::sigdescr_np(sig);
  return "signal " + std::to_string(sig) + " (" + (name != nullptr ? name : "unknown") + ")";
}

// The jobset function's arguments as one Nix attribute set. An expression is parenthesized on
// lines of its own, so a trailing comment in it cannot swallow the rest.
std::string argsExpression(const std::vector<EvalArg>& args) {
  std::string text = "{\n";
  for (const EvalArg& arg : args) {
    text += "  " + nixString(arg.name) + " = ";
    text += arg.is_expr ? "(\n" + arg.value + "\n)" : nixString(arg.value);
    text += ";\n";
  }
  return text + "}";
}

// What one run evaluates: the subtree at `path`, or with `names`, the subtrees of the path's
// names [from, to) in attrNames order (the order "children" mode lists them in).
struct Selection {
  AttrPath path;
  std::optional<std::pair<size_t, size_t>> names;

  std::string json() const {
    nlohmann::json selection = {{"path", path}};
    if (names) {
      selection["from"] = names->first;
      selection["to"] = names->second;
    }
    return selection.dump();
  }
};

AttrPath childPath(const AttrPath& parent, const std::string& name) {
  AttrPath path = parent;
  path.push_back(name);
  return path;
}

std::string absolutePath(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.string();
}

ParsedJob failedJob(const AttrPath& path, std::string error) {
  ParsedJob failed;
  failed.job.attr = detail::jobName(path);
  failed.job.error = std::move(error);
  return failed;
}

class Evaluation {
 public:
  Evaluation(const EvalRequest& request, std::stop_token stop)
      : request_(request),
        stop_(std::move(stop)),
        deadline_(steady_clock::now() + request.timeout) {}

  Result<EvalResult> run();

 private:
  enum class Mode { kJobs, kChildren };
  std::vector<std::string> argv(Mode mode, const Selection& select, bool catch_errors) const;
  Result<Attempt> attempt(Mode mode, const Selection& select, bool catch_errors);
  Result<Attempt> judge(const proc::RunResult& result) const;
  Error timedOut() const;
  Result<std::vector<std::string>> childNames(const AttrPath& path);
  Result<std::vector<ParsedJob>> bisect(const AttrPath& parent,
                                        const std::vector<std::string>& names, size_t from,
                                        size_t to);
  Result<std::vector<ParsedJob>> isolate(const AttrPath& path, std::string error);
  Result<void> explainFailures(std::vector<ParsedJob>& jobs);

  const EvalRequest& request_;
  std::stop_token stop_;
  steady_clock::time_point deadline_;
};

std::vector<std::string> Evaluation::argv(Mode mode, const Selection& select,
                                          bool catch_errors) const {
  std::vector<std::string> argv = {"nix-instantiate", "--eval", "--strict", "--json",
                                   "--read-write-mode"};
  for (const auto& [name, path] : request_.search_path) {
    argv.insert(argv.end(), {"-I", name.empty() ? path : name + "=" + path});
  }
  argv.push_back(absolutePath(request_.eval_jobs_nix));
  if (request_.flake) {
    argv.insert(argv.end(), {"--argstr", "hydrantFlake", *request_.flake});
  } else {
    argv.insert(argv.end(), {"--argstr", "hydrantExpr", absolutePath(request_.expr_file), "--arg",
                             "hydrantArgs", argsExpression(request_.args)});
  }
  argv.insert(argv.end(), {"--argstr", "hydrantSelect", select.json(), "--arg", "hydrantCatch",
                           catch_errors ? "true" : "false", "--argstr", "hydrantMode",
                           mode == Mode::kJobs ? "jobs" : "children"});
  return argv;
}

Error Evaluation::timedOut() const {
  return Error::stalled("evaluation timed out after " + detail::secondsText(request_.timeout) +
                        " s");
}

Result<Attempt> Evaluation::attempt(Mode mode, const Selection& select, bool catch_errors) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - steady_clock::now());
  if (left.count() <= 0) return timedOut();
  proc::RunOptions options = detail::nixCommand(argv(mode, select, catch_errors), left, stop_);
  options.memory_limit_bytes = request_.memory_limit_bytes;
  options.output_cap = kOutputCap;
  // Like Hydra: the expression finds only the search path its inputs give it.
  options.unset_env = {"NIX_PATH"};
  Result<proc::RunResult> result = proc::run(options);
  if (!result) return result.error();
  return judge(*result);
}

Result<Attempt> Evaluation::judge(const proc::RunResult& result) const {
  if (result.stopped) return Error::transient("evaluation stopped");
  if (result.timed_out) return timedOut();
  if (!result.ok() && looksOutOfMemory(result.err)) {
    if (request_.memory_limit_bytes == 0) return Error::stalled(detail::errorText(result));
    return Error::stalled("evaluation ran out of memory (limit " +
                          std::to_string(request_.memory_limit_bytes >> 20) + " MiB)");
  }
  if (result.signaled) {
    return Error::stalled("evaluation failed due to " + signalText(result.term_signal));
  }
  if (result.exit_code != 0) return Attempt{false, "", detail::errorText(result)};
  if (result.out_truncated) {
    return Error::stalled("evaluation printed more than " + std::to_string(kOutputCap >> 20) +
                          " MiB of jobs");
  }
  return Attempt{true, result.out, ""};
}

// The names below `path` that the walk visits; empty when it is no walked attribute set, or
// when listing them fails.
Result<std::vector<std::string>> Evaluation::childNames(const AttrPath& path) {
  Result<Attempt> below = attempt(Mode::kChildren, {path, std::nullopt}, false);
  if (!below) return below.error();
  if (!below->ok) return std::vector<std::string>{};
  return detail::parseChildren(below->out);
}

// The jobs below `parent`'s names [from, to), which fail together.
Result<std::vector<ParsedJob>> Evaluation::bisect(const AttrPath& parent,
                                                  const std::vector<std::string>& names,
                                                  size_t from, size_t to) {
  Result<Attempt> all = attempt(Mode::kJobs, {parent, std::pair{from, to}}, true);
  if (!all) return all.error();
  if (all->ok) return detail::parseJobs(all->out);
  if (to - from == 1) return isolate(childPath(parent, names[from]), std::move(all->error));
  const size_t middle = from + (to - from) / 2;
  Result<std::vector<ParsedJob>> jobs = bisect(parent, names, from, middle);
  if (!jobs) return jobs.error();
  Result<std::vector<ParsedJob>> more = bisect(parent, names, middle, to);
  if (!more) return more.error();
  jobs->insert(jobs->end(), std::make_move_iterator(more->begin()),
               std::make_move_iterator(more->end()));
  return jobs;
}

// `path` alone fails with `error`: it is one failed job, unless it is a walked attribute set
// whose own names can be told apart.
Result<std::vector<ParsedJob>> Evaluation::isolate(const AttrPath& path, std::string error) {
  Result<std::vector<std::string>> names = childNames(path);
  if (!names) return names.error();
  if (names->empty()) return std::vector<ParsedJob>{failedJob(path, std::move(error))};
  return bisect(path, *names, 0, names->size());
}

Result<void> Evaluation::explainFailures(std::vector<ParsedJob>& jobs) {
  size_t probes = 0;
  for (ParsedJob& parsed : jobs) {
    if (!parsed.failed_path) continue;
    if (probes++ == kMaxErrorProbes) {
      parsed.job.error = kNotProbed;
      continue;
    }
    Result<Attempt> alone = attempt(Mode::kJobs, {*parsed.failed_path, std::nullopt}, false);
    if (!alone) return alone.error();
    parsed.job.error = alone->ok ? kNotReproduced : alone->error;
  }
  return {};
}

Result<EvalResult> Evaluation::run() {
  if (request_.expr_file.empty() && !request_.flake) {
    return Error::stalled("nothing to evaluate: neither an expression file nor a flake");
  }
  Result<Attempt> whole = attempt(Mode::kJobs, {AttrPath{}, std::nullopt}, true);
  if (!whole) return whole.error();
  Result<std::vector<ParsedJob>> jobs = std::vector<ParsedJob>{};
  if (whole->ok) {
    jobs = detail::parseJobs(whole->out);
  } else {
    // Either the expression fails as a whole (then listing its names fails too), or some job
    // failed in a way tryEval does not catch.
    Result<Attempt> top = attempt(Mode::kChildren, {AttrPath{}, std::nullopt}, false);
    if (!top) return top.error();
    if (!top->ok) return Error::stalled(top->error);
    Result<std::vector<std::string>> names = detail::parseChildren(top->out);
    if (!names) return names.error();
    if (names->empty()) return Error::stalled(whole->error);
    jobs = bisect({}, *names, 0, names->size());
  }
  if (!jobs) return jobs.error();
  std::sort(jobs->begin(), jobs->end(),
            [](const ParsedJob& a, const ParsedJob& b) { return a.job.attr < b.job.attr; });
  if (Result<void> explained = explainFailures(*jobs); !explained) return explained.error();
  EvalResult result;
  result.jobs.reserve(jobs->size());
  for (ParsedJob& parsed : *jobs) result.jobs.push_back(std::move(parsed.job));
  return result;
}

}  // namespace

Result<EvalResult> evaluate(const EvalRequest& request, std::stop_token stop) {
  return Evaluation(request, std::move(stop)).run();
}

}  // namespace hydrant::nix
