// What the project and jobset pages read (controller/web/pages_projects.cc and pages_jobsets.cc):
// jobset names and build counts per project, an overview row per jobset (Hydra's counts, newest
// evaluation, the queue's share usage), the events recorded for a project or a jobset, one page of
// a jobset's evaluations, the jobs of an evaluation and where a generated jobset came from.
// Read-only; one named function per query, plain rows out, Hydra's times in unix seconds.
// Stateless.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/db/evals.hh"
#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;

// ---- home page --------------------------------------------------------------------------------

// The names of every project's jobsets, by project, each list in byte order. Projects without
// jobsets have no entry.
Result<std::map<std::string, std::vector<std::string>>> jobsetNamesByProject(ReadTx& tx);

struct ProjectBuildCounts {
  long long queued = 0;     // unfinished builds of its jobsets, current or not: what is queued
  long long succeeded = 0;  // finished with status 0, of its jobsets' current evaluations
  long long failed = 0;     // finished with any other status, of the current evaluations
};

// Build counts by project, for every project that has jobsets.
Result<std::map<std::string, ProjectBuildCounts>> projectBuildCounts(ReadTx& tx);

// ---- jobset overview --------------------------------------------------------------------------

// Hydra's jobset overview counts (nrscheduled, nrsucceeded, nrfailed, nrtotal): builds of the
// jobset's current evaluation (iscurrent = 1) by state.
struct BuildCounts {
  long long scheduled = 0;  // finished = 0
  long long succeeded = 0;  // finished, buildstatus 0
  long long failed = 0;     // finished, any other buildstatus
  long long total = 0;
};

struct JobsetSummary {
  int jobset_id = 0;
  std::string name;
  BuildCounts current;
  std::optional<int> last_eval;  // the newest evaluation with new builds
  std::optional<long long> last_eval_time;
  // From the queue's last published status (systemstatus 'queue'): null when the queue never
  // published; 0 when it did and charged this jobset nothing.
  std::optional<double> share_used, share_seconds;
};

// One row per jobset of `project`, by name (byte order); empty for an unknown project.
Result<std::vector<JobsetSummary>> jobsetSummaries(ReadTx& tx, const std::string& project);

// ---- events -----------------------------------------------------------------------------------

struct EventRow {
  long long id = 0;
  std::string time;  // ISO 8601 UTC, "2024-05-01T12:00:00Z"
  std::string kind, key, action;
  std::optional<std::string> revision;
  std::string message;
};

// The newest `limit` events of project `project` itself and of its jobsets (keys "P:J"), newest
// first; events of jobsets deleted since are included.
Result<std::vector<EventRow>> projectEvents(ReadTx& tx, const std::string& project, int limit);

// The newest `limit` events of jobset `project`:`jobset`, newest first.
Result<std::vector<EventRow>> jobsetEvents(ReadTx& tx, const std::string& project,
                                           const std::string& jobset, int limit);

// ---- evaluations ------------------------------------------------------------------------------

// How many evaluations with new builds jobset `jobset_id` has (what Hydra pages over).
Result<long long> countEvalsWithBuilds(ReadTx& tx, int jobset_id);

// Evaluations with new builds of jobset `jobset_id`, newest first, after skipping `offset` of
// them, at most `limit`; each with its member builds and inputs.
Result<std::vector<EvalView>> evalsWithBuildsPage(ReadTx& tx, int jobset_id, long long offset,
                                                  int limit);

// A member build of an evaluation, as the jobset page lists it.
struct EvalJob {
  int build = 0;
  std::string job, system, nixname;
  bool finished = false;
  std::optional<int> buildstatus;  // null until finished
  bool channel = false;            // it has a build product of type "channel"
};

// The member builds of evaluation `eval_id`, by job name (byte order), then build id.
Result<std::vector<EvalJob>> evalJobs(ReadTx& tx, int eval_id);

// ---- generated jobsets ------------------------------------------------------------------------

// Where a jobset of a generated-mode project came from: the project's `.jobsets` jobset, and
// the successful `jobsets` build of it whose output declared the jobset at `revision` (the
// jobset's observed revision: the `.jobsets` evaluation's declInput revision, or "build N").
struct GeneratedOrigin {
  int generator_jobset = 0;  // the `.jobsets` jobset's id
  std::optional<int> build;  // null when no such build can be found (any more)
};

// Nullopt when `jobset` is `.jobsets` itself or the project has no visible `.jobsets` jobset
// (its jobsets then come from the spec file).
Result<std::optional<GeneratedOrigin>> generatedOrigin(ReadTx& tx, const std::string& project,
                                                       const std::string& jobset,
                                                       const std::optional<std::string>& revision);

}  // namespace hydrant::db
