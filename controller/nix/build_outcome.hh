// Internal to controller/nix: what a `nix-store --realise` that did not succeed means for a step,
// read from its exit code and the end of its log (builder output first, Nix's own messages last).
// Pure functions of their arguments; thread-safe. Not for use outside this folder.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace hydrant::nix::detail {

struct StepFailure {
  int status = 3;  // a Hydra status from builder.hh
  bool transient = false;
  bool cacheable = false;
  std::string message;
};

// The limits the build ran with, to word the messages ("timed out after 2 s").
struct BuildLimits {
  std::chrono::seconds timeout{0};
  std::chrono::seconds max_silent{0};
  size_t max_log_size = 0;
};

// Nix's final error message in `log`: its last line when that starts with "error: ", or the last
// such line with the indented lines that continue it, without "error: ", at most 4 KiB; the last
// non-empty line when the log does not end that way; "" for an empty log.
std::string nixErrorText(std::string_view log);

// A local build (`nix-store --realise` in the local store) that exited with `exit_code` != 0.
// Exit codes 100–111 carry Nix's failure bits: 0x01 timed out → 7 (the message tells a total
// timeout from silence), 0x02 hash mismatch → 3 (permanent), else → 1 (cacheable). Exit code 1
// with Nix's "killed after writing more than N bytes of log output" → 10; other codes → 3,
// transient, with Nix's error text.
StepFailure classifyLocal(int exit_code, std::string_view log, const BuildLimits& limits);

// A build handed to Nix's build hook for `machine` (named as the user wrote it) that exited with
// `exit_code` != 0. Nix's "error: build of '<drv_path>' on '…' failed: <cause>" → the cause as a
// local build's (builder exit → 1 cacheable, timeouts → 7, log limit → 10, else 3 transient);
// "cannot build on '…': <reason>" → 3 transient "machine <machine>: <reason>"; anything else → 3
// transient "machine <machine>: <Nix's error text>".
StepFailure classifyRemote(int exit_code, std::string_view log, std::string_view drv_path,
                           std::string_view machine, const BuildLimits& limits);

}  // namespace hydrant::nix::detail
