// The build machines, read from Nix's machines-file format (HYDRA.md §6.5): one machine per line
// (or per `;`-separated entry), whitespace-separated fields, `#` comments, `-` for a default.
// Pure: the caller reads the file and keeps the previous list when parsing fails. Plain values;
// not synchronized.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "specs/result.hh"

namespace hydrant::reconcilers {

// One build machine, as the machines file (or the "no file" default) describes it.
struct Machine {
  // "localhost" (build in the local store with `nix-store --realise`), or an SSH store URI:
  // "ssh://[user@]host[?params]" or "ssh-ng://…". A bare host in the file becomes "ssh://host".
  // Also the machine's identity: two entries with the same URI are an error.
  std::string uri;
  std::vector<std::string> systems;             // sorted, no duplicates, never empty
  std::string ssh_key;                          // identity file; empty: ssh's default
  unsigned max_jobs = 1;                        // 0: only when nothing else runs (dispatcher.hh)
  double speed_factor = 1.0;                    // > 0
  std::vector<std::string> supported_features;  // sorted, no duplicates
  std::vector<std::string> mandatory_features;  // sorted, no duplicates
  std::string host_key;                         // base64 SSH public host key; empty: none
  int line = 0;                                 // where the file defines it; 0 for the default

  bool isLocal() const { return uri == "localhost"; }
  bool operator==(const Machine&) const = default;
};

// Parses a machines file. Fields, in order: URI, systems (comma list; default `local_system`),
// SSH identity file, maxJobs (non-negative integer, default 1), speedFactor (positive number,
// default 1), supported features (comma list), mandatory features (comma list), base64 host key.
// `-` or a missing trailing field means the default. `#` starts a comment that runs to the end of
// the line (unlike Nix, a `;` inside a comment does not start a new entry). Entries are numbered
// by their physical line.
// Success: the machines in file order (an empty or comment-only file gives none).
// Error (Stalled): the first bad entry, as `<file_name>:<line>: <what>`, e.g.
//   machines:3: maxJobs "x" is not a non-negative integer
// Nix's `@file` includes are not supported (an error). One bad entry rejects the whole file.
Result<std::vector<Machine>> parseMachinesFile(std::string_view text, std::string_view local_system,
                                               std::string_view file_name = "machines");

// The machine used when there is no machines file: this machine, building in the local store,
// with the configured max jobs and the given supported features (e.g. Nix's system-features).
// Extra platforms (Nix's `extra-platforms`) are not added; callers wanting them add systems.
Machine defaultLocalMachine(std::string_view system, unsigned max_jobs,
                            std::vector<std::string> features);

// True when `text` is base64 (RFC 4648 alphabet; `=` padding optional but, when present, only at
// the end and to a multiple of 4). Empty text is not base64.
bool isBase64(std::string_view text);

}  // namespace hydrant::reconcilers
