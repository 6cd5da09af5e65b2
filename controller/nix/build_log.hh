// Internal to controller/nix: compressing a step's log once the build has ended. Thread-safe:
// each call owns its files. Not for use outside this folder.
#pragma once

#include <stop_token>
#include <string>

namespace hydrant::nix::detail {

// Compresses `log_path` into `log_path`.bz2 (bzip2, in this process), which appears only
// complete and then replaces the uncompressed file; returns the path of the log as it is now
// stored: `log_path`.bz2, or `log_path` itself when compressing failed (logged as a warning) or
// `stop` was requested.
std::string compressLog(const std::string& log_path, const std::stop_token& stop);

}  // namespace hydrant::nix::detail
