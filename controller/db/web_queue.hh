// Reads for the queue and machines pages and for /metrics: the queued builds in Hydra's queue
// order, the steps being built now, the jobsets that share usage names by id, and the counts
// /metrics exports (builds by status, evaluations by outcome, jobsets by condition, the
// notification backlog). One named function per query, plain rows out; read-only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;

// An unfinished build with the columns of Hydra's queue listing (and its jobset's names).
struct QueueRow {
  int id = 0;
  int jobset_id = 0;
  std::string project, jobset, job, drvpath, system;
  std::optional<std::string> nixname, releasename;
  long long timestamp = 0;  // when it was queued
  int priority = 100;
  long long globalpriority = 0;
};

// Every unfinished build, highest globalpriority first, then by id (Hydra's /queue order).
Result<std::vector<QueueRow>> queueRows(ReadTx& tx);

// A step being built (busy <> 0), with the build it is recorded on.
struct RunningStepRow {
  int build = 0;
  int stepnr = 0;
  std::string drvpath, system, machine;  // system "" when the row has none
  int busy = 1;                          // Hydra's StepState: 1, 10, 20, 30, 35, 40, 50
  std::optional<long long> starttime;
  int jobset_id = 0;
  std::string project, jobset, job;
};

// Every busy step, oldest start first.
Result<std::vector<RunningStepRow>> runningStepRows(ReadTx& tx);

struct JobsetRef {
  int id = 0;
  std::string project, name;
};

// The jobsets among `ids` that exist, by id.
Result<std::vector<JobsetRef>> jobsetRefs(ReadTx& tx, const std::vector<int>& ids);

// ---- counts for /metrics --------------------------------------------------------------------

struct BuildStatusCount {
  std::optional<int> buildstatus;  // nullopt: queued (finished = 0)
  long long count = 0;
};
// Builds by buildstatus, queued ones as nullopt; only statuses some build has.
Result<std::vector<BuildStatusCount>> buildStatusCounts(ReadTx& tx);

// Evaluation rows by outcome: with per-job errors (an evaluationerrors row), else with new
// builds (hasnewbuilds = 1), else without.
struct EvalOutcomeCounts {
  long long job_errors = 0, new_builds = 0, no_new_builds = 0;
};
Result<EvalOutcomeCounts> evalOutcomeCounts(ReadTx& tx);

struct JobsetConditionCount {
  std::string condition, reason;  // reason "" when none
  long long count = 0;
};
// Jobsets by their condition and reason (a failed evaluation leaves no evaluation row: it
// shows here, e.g. Stalled/EvaluationFailed), ordered by condition and reason.
Result<std::vector<JobsetConditionCount>> jobsetConditionCounts(ReadTx& tx);

struct NotificationBacklog {
  long long pending = 0;            // builds with notificationpendingsince set
  std::optional<long long> oldest;  // the smallest notificationpendingsince (unix seconds)
};
Result<NotificationBacklog> notificationBacklog(ReadTx& tx);

}  // namespace hydrant::db
