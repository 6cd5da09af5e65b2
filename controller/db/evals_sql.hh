// SQL fragments and field readers shared by controller/db/evals*.cc, so the three ways an
// evaluation ends write the jobset's status and consume its trigger the same way. Internal to
// controller/db/; stateless.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "controller/db/evals.hh"

namespace hydrant::db::evalsql {

// SET items for a jobset's status columns from parameters $first..$first+3 (condition,
// ready_status, reason, message). last_transition_at moves only when the condition or the ready
// status changes (or was never set), so "for how long" stays true across repeated results.
inline std::string statusSet(int first) {
  auto p = [first](int i) { return "$" + std::to_string(first + i) + "::text"; };
  // Parameters are typed text: the columns are domains over text, and Postgres deduces a
  // parameter's type once for all its uses.
  return "condition = " + p(0) + ", ready_status = " + p(1) + ", condition_reason = " + p(2) +
         ", condition_message = " + p(3) +
         ", last_transition_at = case when last_transition_at is null or condition::text is "
         "distinct from " +
         p(0) + " or ready_status::text is distinct from " + p(1) +
         " then now() else last_transition_at end, last_reconciled_at = now()";
}

// SET items that consume the trigger an evaluation started with (parameter $param, may be
// null): triggertime and forceeval are cleared only while triggertime still has that value. A
// `hydrant trigger` during the evaluation changed it, so that trigger, and the force that came
// with it, stay for the next evaluation.
inline std::string consumeTriggerSet(int param) {
  const std::string unchanged =
      "triggertime is not distinct from $" + std::to_string(param) + "::bigint";
  return "triggertime = case when " + unchanged + " then null else triggertime end, " +
         "forceeval = case when " + unchanged + " then null else forceeval end";
}

inline std::optional<std::string> optText(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

inline std::optional<long long> optLong(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<long long>();
}

inline std::optional<int> optInt(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int>();
}

// An evaluation from the first eight columns of `row`: id, timestamp, checkouttime, evaltime,
// hasnewbuilds, nrbuilds, flake (not null), errormsg (not null). Members and inputs are not set.
EvalView evalViewFromRow(const pqxx::row& row);

// Attaches the member builds and inputs of `evals` (two queries for all of them).
void attachEvalDetails(pqxx::transaction_base& tx, std::vector<EvalView>& evals);

// A build from the first twelve columns of `row`: id, project, jobset, job, finished,
// buildstatus, timestamp, drvpath, system, nixname (not null), priority, iscurrent (not null).
// Outputs are not set.
BuildView buildViewFromRow(const pqxx::row& row);

}  // namespace hydrant::db::evalsql
