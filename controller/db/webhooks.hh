// The queries behind the push webhooks (controller/web/webhooks.cc): which jobsets may take
// their inputs from a pushed repository, which projects read their spec from one, and the
// trigger itself. URLs are compared by the caller after normalisation; these queries only narrow
// the rows down by a cheap substring test. Plain rows; thread-safe as every db function is (one
// transaction per call site).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;
class WriteTx;

// An enabled jobset of an enabled project that may follow a pushed repository.
struct PushJobsetRow {
  std::string project, jobset;
  std::vector<std::string> git_values;  // its git inputs' values ("URL [ref]"), as declared
  std::string flake;                    // a flake jobset's URI; "" for a legacy one
  // The project's declarative input, which relative input URLs are resolved against; for a
  // generated-mode `.jobsets` (`generated`) it is also an input (declInput).
  std::string decltype_, declvalue;
  bool generated = false;
};

// A project whose spec is read from a git repository.
struct DeclarativeSourceRow {
  std::string project;
  std::string declvalue;  // "URL [ref]", the URL possibly relative to the root source
};

// Enabled jobsets (enabled 1, 2 or 3) of enabled projects with a git input, a flake or (for
// `.jobsets`) a declarative git input whose value contains one of `needles` (lower-case; the
// value is compared case-insensitively) or is relative (starts with "."). Sorted by project and
// jobset. No needles: no rows.
Result<std::vector<PushJobsetRow>> pushJobsetCandidates(ReadTx& tx,
                                                        const std::vector<std::string>& needles);

// Projects with a git declarative input whose value contains one of `needles` (as above) or is
// relative. Sorted by name.
Result<std::vector<DeclarativeSourceRow>> declarativeSourceCandidates(
    ReadTx& tx, const std::vector<std::string>& needles);

// Sets triggertime (as `hydrant trigger PROJECT:JOBSET` does, with the database's clock) and,
// with `force`, forceeval on those of `jobsets` (project, jobset) that exist and are enabled in
// an enabled project, and wakes the evaluator (jobsets_changed). Returns the triggered ones as
// "project:jobset", sorted.
Result<std::vector<std::string>> triggerJobsets(
    WriteTx& tx, const std::vector<std::pair<std::string, std::string>>& jobsets, bool force);

}  // namespace hydrant::db
