// A jobset's status condition, written on its own: the evaluator names the evaluation it just
// recorded, whose id the database chose inside the same transaction.
#pragma once

#include "controller/db/projects.hh"
#include "specs/result.hh"

namespace hydrant::db {

// Sets the condition of jobset `jobset_id`; last_transition_at moves only when the condition
// or readiness changes. Writes nothing when nothing would change.
Result<void> setJobsetStatus(WriteTx& tx, int jobset_id, const Status& status);

}  // namespace hydrant::db
