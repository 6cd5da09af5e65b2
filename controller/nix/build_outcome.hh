// Internal to controller/nix: what Nix's answer to a build request (serve_connection.hh) means
// for a step in Hydra's terms (HYDRA.md §2.1, §6.3: Hydra's queue runner maps the same
// BuildResult statuses), with Nix's message made readable. Pure functions of their arguments;
// thread-safe. Not for use outside this folder.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "controller/nix/serve_connection.hh"

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

// Nix's error message as a user should read it: without ANSI colour sequences, without the
// "last N log lines" Nix appends (the log is stored anyway), trimmed, at most 4 KiB.
std::string readableNixMessage(std::string_view message);

// A build whose answer was not a success (not Built, Substituted, AlreadyValid or
// ResolvesToAlreadyValid):
//   PermanentFailure, InputRejected, OutputRejected, NotDeterministic, CachedFailure → 1,
//     cacheable (the outputs are remembered as failed), with Nix's message;
//   TransientFailure → 1, transient (retried);
//   TimedOut → 7, "timed out after N s" or, when Nix says "of silence", "timed out after N s of
//     silence" (N from `limits`);
//   LogLimitExceeded → 10, "log limit exceeded: the builder wrote more than N bytes";
//   anything else (DependencyFailed, MiscFailure, NoSubstituters, …) → 3, transient, with Nix's
//     message (or "Nix gave up with status S" when it has none).
StepFailure stepFailureFor(NixBuildStatus status, std::string_view nix_message,
                           const BuildLimits& limits);

// Whether the answer means the outputs are valid now.
bool builtOrValid(NixBuildStatus status);

}  // namespace hydrant::nix::detail
