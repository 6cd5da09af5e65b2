// Which jobsets to evaluate now, and when to look again: the evaluator's scheduling rules
// (HYDRA.md §4.1) as a pure function of the jobsets' bookkeeping, what is running, and the
// clock. A trigger makes a jobset due whatever its interval or mode; otherwise it is due when
// `checkinterval` seconds have passed since it was last checked (0: never by time), except that
// a one-at-a-time jobset (enabled 3) waits while its newest evaluation has unfinished builds.
// Due jobsets start in order — triggered first (oldest trigger), then least recently checked,
// then by id — until `max_running` evaluations run. A jobset whose last attempt failed to fetch
// its inputs is held back until its retry time, trigger or not.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

namespace hydrant::reconcilers {

struct JobsetTiming {
  int id = 0;
  int enabled = 1;  // 1 periodic, 2 one-shot, 3 one-at-a-time (0 never reaches the scheduler)
  int checkinterval = 300;
  std::optional<long long> lastcheckedtime, triggertime;  // unix seconds
  bool last_eval_unfinished = false;
};

struct ScheduleInput {
  std::vector<JobsetTiming> jobsets;
  std::set<int> running;                 // jobsets being evaluated now
  std::map<int, long long> retry_after;  // jobset → unix seconds before which it must wait
  long long now = 0;                     // unix seconds
  int max_running = 4;
};

struct ScheduleDecision {
  std::vector<int> start;  // in order
  // When a jobset that is not due now becomes due by time (or its retry time passes); none when
  // nothing will. Jobsets that are due but wait for a free slot do not count: a finishing
  // evaluation wakes the scheduler.
  std::optional<long long> next_due;
};

// True when `j` should be evaluated at `now` (not counting running or retry state).
bool isDue(const JobsetTiming& j, long long now);

ScheduleDecision schedule(const ScheduleInput& in);

}  // namespace hydrant::reconcilers
