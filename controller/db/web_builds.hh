// What the web pages of evaluations, builds and jobs read (controller/web/pages_builds.cc and
// pages_jobs.cc): one evaluation with its jobset, its members for a comparison, builds with
// everything Hydra's GET /build/:id shows (times, products, metrics, evaluations), the queue's last
// word on a build, the newest build of a job, and /api/latestbuilds. Read-only; one named function
// per query, plain rows out, times in unix seconds. Stateless and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/db/evals.hh"
#include "controller/db/steps.hh"
#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;

// ---- evaluations ------------------------------------------------------------------------------

struct EvalPage {
  EvalView eval;  // with its member builds and inputs
  int jobset_id = 0;
  std::string project, jobset;
};

// Evaluation `id` (with or without new builds), or nullopt when there is none.
Result<std::optional<EvalPage>> evalById(ReadTx& tx, int id);

// The evaluation of jobset `jobset_id` with new builds that came last before `eval_id`: the one
// Hydra compares an evaluation with. Nullopt for the jobset's first.
Result<std::optional<int>> previousEvalWithBuilds(ReadTx& tx, int jobset_id, int eval_id);

// A member build of an evaluation, as a list or a comparison needs it.
struct EvalMember {
  int build = 0;
  std::string job, system, nixname;
  bool finished = false;
  std::optional<int> buildstatus;  // null until finished
  std::optional<long long> stoptime;
};

// The member builds of evaluation `eval_id`, by job name (byte order), then build id.
Result<std::vector<EvalMember>> evalMembers(ReadTx& tx, int eval_id);

// An evaluation with its members, and the members of the evaluation it is compared with
// (previousEvalWithBuilds; none for the jobset's first).
struct EvalComparison {
  EvalPage page;
  std::vector<EvalMember> members;
  std::optional<int> previous;
  std::vector<EvalMember> previous_members;
};

// Evaluation `id` and what it is compared with, in one snapshot; nullopt when there is no such
// evaluation.
Result<std::optional<EvalComparison>> evalComparison(ReadTx& tx, int id);

// ---- builds -----------------------------------------------------------------------------------

struct BuildProductRow {
  int productnr = 0;
  std::string type, subtype, name;
  std::optional<long long> filesize;
  std::optional<std::string> sha256hash, path, defaultpath;
};

struct BuildMetricRow {
  std::string name;
  std::optional<std::string> unit;
  double value = 0;
};

// A build with all of Hydra's build JSON beyond BuildView.
struct BuildDetail {
  BuildView view;  // with its outputs
  std::optional<long long> starttime, stoptime;
  std::optional<std::string> releasename;
  bool iscachedbuild = false;
  std::vector<int> jobsetevals;           // the evaluations it is a member of, ascending
  std::vector<BuildProductRow> products;  // by productnr
  std::vector<BuildMetricRow> metrics;    // by name
};

// The builds of `ids` that exist, in ascending id (a handful of statements for all of them).
Result<std::vector<BuildDetail>> buildDetails(ReadTx& tx, const std::vector<int>& ids);

// The member builds of evaluation `eval_id` (buildDetails) and their steps (stepsOfBuilds);
// nullopt when there is no such evaluation.
struct EvalBuilds {
  std::vector<BuildDetail> builds;
  std::map<int, std::vector<StepView>> steps;
};
Result<std::optional<EvalBuilds>> evalBuilds(ReadTx& tx, int eval_id);

// One runnable step of the queue's last dispatch pass that a build needs.
struct QueueReason {
  std::string drvpath;
  bool started = false;
  std::string reason;  // "every machine for system \"x86_64-linux\" is busy", …
};

struct QueueReasons {
  long long updated = 0;  // unix seconds: when the queue wrote them
  std::vector<QueueReason> steps;
};

// What the queue last stored (systemstatus 'queue') about the steps build `build` needs, in the
// queue's order; nullopt when the queue has stored nothing yet.
Result<std::optional<QueueReasons>> queueReasons(ReadTx& tx, int build);

// Everything the page of one build shows, in one snapshot.
struct BuildPage {
  BuildDetail build;
  std::vector<StepView> steps;  // its own, ascending stepnr
  // The latest step of another build that built this build's derivation (latestStepOfDrv).
  std::optional<StepView> elsewhere;
  std::optional<QueueReasons> reasons;  // only for a queued build
};

// Build `id`'s page; nullopt when there is no such build.
Result<std::optional<BuildPage>> buildPage(ReadTx& tx, int id);

// ---- jobs -------------------------------------------------------------------------------------

struct JobBuild {
  int id = 0;
  bool finished = false;
  std::optional<int> buildstatus;
};

// The newest build (highest id) of `job` in project:jobset, finished or not; nullopt when the job
// has none.
Result<std::optional<JobBuild>> newestBuildOfJob(ReadTx& tx, const std::string& project,
                                                 const std::string& jobset, const std::string& job);

// Hydra's GET /api/latestbuilds: the `limit` newest builds (by id), narrowed by whichever of the
// filters are given.
struct LatestBuildsFilter {
  std::optional<std::string> project, jobset, job, system;
  int limit = 10;
};

struct LatestBuildRow {
  int id = 0;
  std::string project, jobset, job, system, nixname;
  bool finished = false;
  long long timestamp = 0;
  std::optional<int> buildstatus;
  int priority = 100;
  bool busy = false;  // one of its steps is running
};

Result<std::vector<LatestBuildRow>> latestBuilds(ReadTx& tx, const LatestBuildsFilter& filter);

}  // namespace hydrant::db
