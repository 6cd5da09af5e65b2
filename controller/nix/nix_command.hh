// Internal to controller/nix: how the adapter starts nix programs (through controller/proc) and
// turns what they print into messages. Not for use outside this folder. Stateless; thread-safe.
#pragma once

#include <chrono>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/proc/process.hh"

namespace hydrant::nix::detail {

// The experimental features the adapter needs, given on every command line so that the user's
// nix.conf does not have to enable them (appended to, never replacing, what it enables).
inline const std::vector<std::string> kFeatureFlags = {"--extra-experimental-features",
                                                       "nix-command flakes"};

// Options for running `argv` (a nix program with kFeatureFlags inserted after argv[0]) with the
// given timeout and stop token; the rest of proc::RunOptions is left at its defaults.
proc::RunOptions nixCommand(std::vector<std::string> argv, std::chrono::milliseconds timeout,
                            std::stop_token stop);

// What a user should read of a failed nix program's stderr: trailing blank space and Nix's hint
// about --show-trace (which a jobset cannot pass) removed; when longer than 64 KiB, its last
// 64 KiB, where Nix prints the error itself. Falls back to describe() when stderr is empty.
std::string errorText(const proc::RunResult& result);

// "2", "0.5", "1.25": a duration in seconds with as many decimals as its milliseconds need.
std::string secondsText(std::chrono::milliseconds d);

}  // namespace hydrant::nix::detail
