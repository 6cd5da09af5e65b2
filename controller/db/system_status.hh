// Status documents in Hydra's SystemStatus table, keyed by what they describe: the running
// queue writes its machines under "machines" ({"updated", "machines": […]}, see
// controller/views.hh), `hydrant get machines` reads them. The document is opaque JSON here.
#pragma once

#include <optional>
#include <string>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;
class WriteTx;

// Stores `json` as the status of `what`, replacing the previous one; writes nothing when the
// stored document is already equal to it (as jsonb, so key order and spacing do not count).
// REQUIRES: `json` is a JSON document (else the statement fails: kTransient with the SQLSTATE).
Result<void> setSystemStatus(WriteTx& tx, const std::string& what, const std::string& json);

// The status document of `what`, as JSON text; nullopt when none was written yet.
Result<std::optional<std::string>> systemStatus(ReadTx& tx, const std::string& what);

}  // namespace hydrant::db
