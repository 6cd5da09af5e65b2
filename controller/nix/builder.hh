// Building one step (one derivation) on one machine the way Hydra's queue runner does: over
// Nix's serve protocol (serve_connection.hh) to a long-lived `nix-store --serve --write`, run
// directly for "localhost" and through ssh for a remote machine. For a remote step the builder
// copies the input closure there, builds, checks the outputs' size, and copies the output
// closure back, path by path (DumpStorePath → AddToStoreNar). The result is a Hydra step status
// (HYDRA.md §2.1, §6.3) plus what the outputs' nix-support files declare.
// Connections are pooled per machine and reused by later steps, so a step costs requests, not
// process starts. At most one copy of a given path to a given machine runs at a time (a second
// step needing it waits for that copy, then finds the path valid); nothing else is locked while
// a copy or a build runs. Thread-safe: any number of build() calls may run at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::nix {

// Where a step is built: one entry of the machines file, in the terms Nix's remote-build line
// uses (HYDRA.md §6.5), plus how to reach it.
struct MachineTarget {
  // "localhost" (the local store), or "ssh://[user@]host[:port][?params]" or "ssh-ng://…".
  // The port, which Nix's URIs cannot carry, is passed to ssh as -p. Also the machine's name in
  // messages, as written here.
  std::string uri = "localhost";
  std::vector<std::string> systems;  // empty: Nix's own system
  std::string ssh_key;               // private key file; empty: ssh's default
  std::string host_key;              // base64 of the host's public key line; empty: known_hosts
  std::vector<std::string> supported_features;
  std::vector<std::string> mandatory_features;
  unsigned max_jobs = 1;  // steps the queue runs there at once
  // More ssh arguments ("-oConnectTimeout=5"), one word each (no whitespace).
  std::vector<std::string> ssh_options;
  // The store the remote nix-store opens (--store; "/root" is a chroot store) and the program
  // ssh runs there instead of nix-store, as Nix's remote-store= and remote-program= say.
  std::string remote_store;
  std::string remote_program;

  bool isLocal() const { return uri == "localhost"; }
};

// Why `machine` cannot be used, or std::nullopt when it can: an unknown URI scheme, an empty
// host, a bad port, or whitespace or characters that would break Nix's builder line.
std::optional<std::string> machineProblem(const MachineTarget& machine);

struct BuildRequest {
  std::string drv_path;                        // a .drv in the local store
  std::map<std::string, std::string> outputs;  // output name → store path, from the derivation
  MachineTarget machine;
  std::chrono::seconds timeout{36000};    // Nix's --timeout (meta.timeout); 0 = none
  std::chrono::seconds max_silent{7200};  // Nix's --max-silent-time (meta.maxSilent); 0 = none
  uint64_t max_log_size = 64 << 20;       // bytes of builder output; 0 = no limit
  uint64_t max_output_size = 0;           // total NAR size of the outputs; 0 = no limit
  // The step's log (what the server wrote on stderr while building), bzip2-compressed as `nix
  // log` and Hydra store it once the build has ended. While it runs, the uncompressed log grows
  // beside it, at log_file without ".bz2". Parent directories are created.
  // REQUIRES: ends in ".bz2".
  std::string log_file;
  // GC roots for the outputs, made indirect roots of the local store (a link to each in its
  // gcroots/auto) while the server that built or imported them still holds them as temporary
  // roots: the "out" output's root is <gc_root_dir>/<drv name>, e.g. …/abc…-hello, another
  // output's <that>-<output name>. "" = none.
  std::string gc_root_dir;
  // Called once, from build()'s thread, as soon as the machine has done its part: true when the
  // build succeeded and its outputs are valid in the local store within the size limit (the
  // step's result is then 0 or 6, whatever follows), false otherwise. What follows (GC roots,
  // nix-support files, the closure's size, the log's compression) needs no machine slot.
  std::function<void(bool outputs_valid)> on_machine_free;
  // Added to the environment of nix-store and ssh (e.g. PATH, to choose which programs run).
  std::map<std::string, std::string> env;
};

// One line of $out/nix-support/hydra-build-products (`type subtype path [defaultPath]`), or an
// output directory when no output has that file (type "nix-build", subtype "" for "out", else
// the output's name).
struct BuildProduct {
  std::string type;
  std::string subtype;
  std::string path;          // inside the store
  std::string default_path;  // "" when not given
  std::string name;          // basename of path; "" when path is the output itself
  bool is_regular = false;   // a regular file (else a directory)
  uint64_t file_size = 0;    // for regular files
  std::string sha256;        // hex, for regular files; "" when it could not be computed
};

// One line of $out/nix-support/hydra-metrics: `name value [unit]`.
struct BuildMetric {
  std::string name;
  double value = 0;
  std::string unit;
};

// Hydra's step and build status codes (HYDRA.md §2.1) that a step build can produce.
inline constexpr int kStatusSuccess = 0;
inline constexpr int kStatusFailed = 1;
inline constexpr int kStatusAborted = 3;
inline constexpr int kStatusFailedWithOutput = 6;
inline constexpr int kStatusTimedOut = 7;
inline constexpr int kStatusLogLimitExceeded = 10;
inline constexpr int kStatusOutputLimitExceeded = 11;

struct StepResult {
  // 0 success; 1 the builder failed; 3 aborted (machine, copy or Nix failure); 6 success, but an
  // output has nix-support/failed; 7 timed out; 10 log limit exceeded; 11 output limit exceeded.
  int status = kStatusAborted;
  bool transient = false;          // not the derivation's fault: retry later or elsewhere
  bool cacheable_failure = false;  // a permanent failure: remember the outputs as failed
  std::string error_message;       // "" on success; else what a user reads, naming the machine
  std::chrono::milliseconds duration{0};
  std::map<std::string, std::string> outputs;   // name → path, when the outputs exist (0, 6, 11)
  std::map<std::string, std::string> gc_roots;  // output name → root symlink that was created
  std::string log_path;  // the stored log: log_file, or the uncompressed log if compressing failed
  bool failed_marker = false;  // an output has nix-support/failed
  std::vector<BuildProduct> products;
  std::map<std::string, BuildMetric> metrics;  // by name
  std::string release_name;                    // nix-support/hydra-release-name, trimmed
  uint64_t size = 0;                           // total NAR size of the outputs
  uint64_t closure_size = 0;                   // total NAR size of their closure
};

class StepBuilder {
 public:
  StepBuilder();
  // Closes every pooled connection.
  ~StepBuilder();
  StepBuilder(const StepBuilder&) = delete;
  StepBuilder& operator=(const StepBuilder&) = delete;

  // Builds `request.drv_path` on `request.machine` (its dependencies must be valid in the local
  // store) and reads the outputs. A build that ran and failed, timed out, or could not reach the
  // machine is a StepResult, never an Error:
  //   Nix's permanent failure (builder exit, rejected input or output) → 1, cacheable; its
  //   transient failure → 1, transient; timeout → 7, "timed out after N s" or "… of silence";
  //   log limit → 10; outputs larger than max_output_size → 11, cacheable, not copied back;
  //   an output with nix-support/failed → 6; the machine unreachable (connection, host key,
  //   authentication) → 3, transient, "machine <uri>: cannot connect: <ssh's reason>"; a copy or
  //   protocol failure → 3, transient, "machine <uri>: <what failed>: <reason>". Remote messages
  //   start with "machine <uri>: ".
  // A stop request kills the build: 3, transient, "stopped". An invalid machine: 3, transient.
  // Error (kTransient) only when the builder program cannot be started: exactly
  // "cannot start nix-store: <reason>" for a local build, "cannot start ssh: <reason>" for a
  // remote one.
  // REQUIRES: request.log_file ends in ".bz2".
  Result<StepResult> build(const BuildRequest& request, std::stop_token stop);

  // Which of `paths` (store paths) are valid in the local store, asked over a pooled connection
  // (no process start). Error (kTransient) "cannot start nix-store: …" or the server's reason.
  Result<std::set<std::string>> validPaths(const std::vector<std::string>& paths,
                                           std::chrono::milliseconds timeout, std::stop_token stop);

  // Closes the idle connections (a machine left the machines file, or the queue stops).
  void closeIdle();

  // Counters since construction, for metrics and tests.
  struct Stats {
    uint64_t connections_opened = 0;  // nix-store --serve processes started (directly or by ssh)
    uint64_t paths_copied = 0;        // store paths copied between machines, either way
    uint64_t bytes_copied = 0;        // their NAR bytes
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hydrant::nix
