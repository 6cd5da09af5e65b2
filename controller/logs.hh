// Step logs as the queue stores them and `hydrant log` reads them back: where a derivation's
// log lives under the log directory (Hydra's layout), which of a build's steps a user means,
// and reading a stored log, compressed or not. The queue writes; the CLI reads. Stateless and
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {
struct BuildView;
struct StepView;
}  // namespace hydrant::db

namespace hydrant::logs {

// Where the log of derivation `drv_path` is stored once compressed:
// <log_dir>/<first two characters of the drv's base name>/<the rest>.bz2, as Hydra lays out
// its logs. While the step runs, or when compressing it failed, the log is that path without
// ".bz2".
// REQUIRES: the base name of drv_path has at least two characters.
std::string stepLogPath(const std::string& log_dir, const std::string& drv_path);

// Which step's log `hydrant log BUILD` prints. With `stepnr`, that step of the build. Otherwise:
// for a failed build, the step that failed it (its latest step with a non-zero status, which
// may be a step propagated from another build); else the latest step of the build's own
// derivation, among its own steps or, when another build ran that derivation
// (`same_drv_elsewhere`), that build's step; else the build's latest step (a dependency being
// built). `own` are the build's steps in ascending stepnr.
// Errors (kStalled): "build N has no step M"; "build N has no steps (it was cached or has not
// started)".
Result<db::StepView> chooseLogStep(const db::BuildView& build, const std::vector<db::StepView>& own,
                                   const std::optional<db::StepView>& same_drv_elsewhere,
                                   std::optional<int> stepnr);

// The log stored at `path` (as stepLogPath names it): the uncompressed file when there is one
// (the step is running, is being compressed, or compressing failed), else `path` decompressed
// (in this process). Logs longer than `cap` bytes are cut there, with a note at the end.
// Errors: kStalled "no log file at <path>" when neither file exists, or the file cannot be
// read; kStalled "cannot decompress <path>: <reason>" when it is not bzip2 data or is corrupt,
// kTransient the same message when it cannot be opened or read.
Result<std::string> readStepLog(const std::string& path, size_t cap = size_t{256} << 20);

}  // namespace hydrant::logs
