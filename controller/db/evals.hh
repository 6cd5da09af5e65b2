// Evaluations and the builds they queue: every SQL statement the evaluation reconciler and the
// `get evals` / `get builds` / `trigger` commands need. One named function per query, plain
// rows in and out. The big write — an evaluation with its builds, members, inputs and
// notifications — is one transaction with set-based statements (arrays unnested in SQL), so a
// thousand jobs cost a handful of statements. Times are unix seconds (Hydra's columns).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/nix/jobs.hh"
#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;
class WriteTx;
struct Status;

// ---- scheduling -------------------------------------------------------------------------------

// What the scheduler needs of one jobset that may be evaluated: enabled (1, 2 or 3) and in an
// enabled project.
struct ScheduleRow {
  int id = 0;
  std::string project, name;
  int enabled = 1;
  int checkinterval = 300;
  std::optional<long long> lastcheckedtime, triggertime, starttime;
  // The jobset's newest evaluation (by id) still has a member build with finished = 0.
  bool last_eval_unfinished = false;
};

// Every enabled jobset of every enabled project.
Result<std::vector<ScheduleRow>> scheduleRows(ReadTx& tx);

// At startup: every jobset with a starttime (an evaluation a crashed controller left running)
// gets starttime = null and triggertime = coalesce(triggertime, starttime), so it is redone
// first. Returns how many there were.
Result<int> clearStaleStarts(WriteTx& tx);

// ---- one evaluation ---------------------------------------------------------------------------

struct InputRow {
  std::string name, type, value;
};

// Everything an evaluation reads about its jobset, in one snapshot.
struct EvalJobset {
  int id = 0;
  std::string project, name;
  int type = 0;  // 0 legacy, 1 flake
  std::string nixexprinput, nixexprpath, flake;
  int enabled = 1;
  bool forceeval = false;
  std::optional<long long> triggertime;
  std::vector<InputRow> inputs;  // sorted by name
  // The project's declarative input ("" when the project is not declarative), for `.jobsets`.
  std::string decltype_, declvalue, declfile;
  // The jobset's current condition and reason (the evaluator decides from them whether an
  // unchanged input hash may count as "cached": not after a failed evaluation).
  std::string condition, condition_reason, condition_message;
};

// Null when the jobset does not exist (any more).
Result<std::optional<EvalJobset>> loadEvalJobset(ReadTx& tx, int jobset_id);

// An evaluation starts: starttime = now, and NOTIFY eval_started "<trace>\t<jobset id>".
Result<void> markEvalStarted(WriteTx& tx, int jobset_id, long long now, const std::string& trace);

// What every way an evaluation ends has in common. `consumed_trigger` is the triggertime the
// evaluation started with: triggertime is cleared only while it still has that value, so a
// trigger that arrived during the evaluation survives (`hydrant trigger` always changes the
// value while an evaluation runs).
struct EvalEnd {
  int jobset_id = 0;
  long long now = 0;
  std::string trace;
  std::optional<long long> consumed_trigger;
};

// The newest evaluation row of a jobset, for eval caching (Hydra compares with the latest row,
// with or without new builds).
struct LatestEval {
  int id = 0;
  std::string hash;
  std::string flake;
};
Result<std::optional<LatestEval>> latestEval(ReadTx& tx, int jobset_id);

// The inputs' hash matched `previous`: lastcheckedtime = now, fetcherrormsg and forceeval
// cleared, starttime cleared, the trigger consumed, NOTIFY eval_cached
// "<trace>\t<jobset id>\t<previous eval id>", and `status` written. No evaluation row.
Result<void> finishEvalCached(WriteTx& tx, const EvalEnd& end, int previous_eval,
                              const Status& status);

// An input could not be fetched: fetcherrormsg = message, lastcheckedtime = now, starttime
// cleared, the trigger KEPT (the evaluator retries with backoff), NOTIFY eval_failed
// "<trace>\t<jobset id>", `status` written.
Result<void> finishEvalFetchFailed(WriteTx& tx, const EvalEnd& end, const std::string& message,
                                   const Status& status);

// The evaluation failed as a whole (parse error, an aggregate error, a timeout, a crash):
// errormsg = message, errortime = now, lastcheckedtime = now, fetcherrormsg cleared, starttime
// cleared, the trigger consumed, forceeval cleared, NOTIFY eval_failed "<trace>\t<jobset id>",
// `status` written. No evaluation row; builds already queued are untouched.
Result<void> finishEvalFailed(WriteTx& tx, const EvalEnd& end, const std::string& message,
                              const Status& status);

// One input as the evaluation used it (JobsetEvalInputs).
struct EvalInputRecord {
  std::string name, type;
  std::optional<std::string> uri, revision, value, path, sha256hash;
  std::optional<int> dependency;  // the build id, for `build` inputs
};

struct NewEval {
  std::string hash;  // of the exact evaluator inputs
  int checkouttime = 0, evaltime = 0;  // seconds
  std::string flake;                   // locked flake URL, "" for legacy jobsets
  std::string nixexprinput, nixexprpath;
  std::vector<EvalInputRecord> inputs;
  // Every job, failed ones included (they only contribute their error text).
  std::vector<nix::EvalJob> jobs;
};

struct RecordedEval {
  int eval_id = 0;
  bool has_new_builds = false;
  int new_builds = 0;        // builds created by this evaluation
  int reused_builds = 0;     // jobs mapped to builds of the previous evaluation
  int failed_jobs = 0;       // jobs with an error
  std::optional<int> lowest_new_build;
  std::string error_text;    // "in job ‘a’:\n<error>\n\n…", "" when every job evaluated
};

// Records a successful evaluation in one transaction (HYDRA.md §4.2 step 8, §4.3, §4.4):
//  - the jobsetevals row (hash, times, flake, nixexpr*) and, when jobs failed, an
//    evaluationerrors row with the joined error text;
//  - per job without error: reuse the build of the previous evaluation with hasnewbuilds = 1
//    whose job name and first output (alphabetically first name) path are the same, else a new
//    builds row (finished 0, iscurrent 1, meta, priority = schedulingPriority or 100, maxsilent
//    and timeout when given) with its buildoutputs; NOTIFY build_queued "<id>" for each new
//    build, cached_build_queued / cached_build_finished "<eval>\t<build>" for each reused one;
//  - hasnewbuilds = any new build, or the member count differs from the previous such eval;
//    only then jobsetevalmembers (isnew), aggregateconstituents (constituents by name or by
//    drv path, mapped to this evaluation's builds; the shortest, then smallest job name wins
//    when several jobs share a drv) and jobsetevalinputs are written, and iscurrent moves to
//    this evaluation's builds;
//  - NOTIFY eval_added "<trace>\t<jobset id>\t<eval id>", then, when there are new builds,
//    builds_added "<lowest new build id>";
//  - the jobset: lastcheckedtime = now, starttime cleared, the trigger consumed, forceeval
//    cleared, fetcherrormsg cleared, errormsg/errortime = the joined per-job errors (null when
//    none), enabled 2 (one-shot) → 0 (this evaluation was not "cached"), `status` written,
//    and an events row ("jobset", "<project>:<name>", "evaluated", message).
// REQUIRES: every aggregate's constituent names name jobs of `eval.jobs` (the caller checks).
Result<RecordedEval> recordEval(WriteTx& tx, const EvalEnd& end, const NewEval& eval,
                                const Status& status);

// ---- inputs that refer to other jobsets -------------------------------------------------------

struct BuildOutputRef {
  int build_id = 0;
  std::string out_path;  // the "out" output (else the alphabetically first)
  std::string drv_path, nixname, releasename;
};

// The latest successful (finished, buildstatus 0) build of `job` in project:jobset.
Result<std::optional<BuildOutputRef>> latestSuccessfulBuild(ReadTx& tx, const std::string& project,
                                                            const std::string& jobset,
                                                            const std::string& job);

// For an `eval` input: the evaluation `eval_id` (when given) or the latest evaluation of
// project:jobset with new builds whose builds have all finished; null when there is none.
// Returns the eval id and its successful builds' "out" paths by job name.
struct EvalOutputs {
  int eval_id = 0;
  std::map<std::string, std::string> jobs;
};
Result<std::optional<EvalOutputs>> evalOutputs(ReadTx& tx, std::optional<int> eval_id,
                                               const std::string& project,
                                               const std::string& jobset);

// ---- triggers ---------------------------------------------------------------------------------

// `hydrant trigger PROJECT:JOBSET [--force]`: sets triggertime (now, or — while an evaluation
// runs — a value different from the one it started with), and forceeval with `force`. The
// jobsets_changed notification wakes the evaluator. False when there is no such jobset.
Result<bool> triggerJobset(WriteTx& tx, const std::string& project, const std::string& jobset,
                           bool force, long long now);

// ---- reading, for the CLI and the API -----------------------------------------------------------

struct EvalInputView {
  std::string type;
  std::optional<std::string> uri, revision, value;
  std::optional<int> dependency;
};

struct EvalView {
  int id = 0;
  long long timestamp = 0;
  int checkouttime = 0, evaltime = 0;
  bool hasnewbuilds = false;
  std::optional<int> nrbuilds;
  std::string flake;
  std::vector<int> builds;  // member build ids, ascending
  std::map<std::string, EvalInputView> inputs;
  std::string errormsg;  // per-job errors of this evaluation, "" when none
};

// A jobset's evaluations with new builds, newest first (at most `limit`).
Result<std::vector<EvalView>> listEvals(ReadTx& tx, const std::string& project,
                                        const std::string& jobset, int limit);

struct BuildView {
  int id = 0;
  std::string project, jobset, job;
  bool finished = false;
  std::optional<int> buildstatus;
  long long timestamp = 0;
  std::string drvpath, system, nixname;
  int priority = 100;
  bool iscurrent = false;
  std::map<std::string, std::string> buildoutputs;  // name → path
};

// Builds of a project, or of one jobset, newest first (at most `limit`).
Result<std::vector<BuildView>> listBuilds(ReadTx& tx, const std::string& project,
                                          const std::optional<std::string>& jobset, int limit);

// Build `id`, or nullopt when there is none.
Result<std::optional<BuildView>> buildById(ReadTx& tx, int id);

}  // namespace hydrant::db
