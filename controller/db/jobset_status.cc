#include "controller/db/jobset_status.hh"

#include "controller/db/tx.hh"

namespace hydrant::db {

Result<void> setJobsetStatus(WriteTx& wtx, int jobset_id, const Status& s) {
  wtx.tx.exec_params(
      "update jobsets set condition = $2, ready_status = $3, condition_reason = $4, "
      "  condition_message = $5, "
      "  last_transition_at = case when condition is distinct from $2 "
      "    or ready_status is distinct from $3 then now() else last_transition_at end, "
      "  last_reconciled_at = now() "
      "where id = $1 and (condition::text, ready_status::text, condition_reason::text, "
      "  condition_message) is distinct from ($2, $3, $4, $5)",
      jobset_id, s.condition, s.ready, s.reason, s.message);
  return {};
}

}  // namespace hydrant::db
