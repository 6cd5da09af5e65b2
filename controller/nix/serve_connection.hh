// A client of Nix's serve protocol: the protocol `nix-store --serve --write` speaks on its
// standard streams, locally or at the far end of ssh, and which Hydra's queue runner builds
// with. One connection is one long-lived nix-store process, so a step costs a request instead of
// a process start. Requests go one at a time; each waits for its answer.
//
// Wire format (Nix 2.8, protocol 2.7): little-endian 64-bit integers; a string is its length,
// its bytes and zero padding to a multiple of 8; a list or set is a count and its strings.
// Greeting: we send 0x390c9deb and our version, the server answers 0x5452eecb and its version.
// The server's stderr carries the build log during a build and its error text when it fails;
// it is read all along (so the server never blocks on it) and goes to the current LogSink.
//
// Any failure (end of file, a garbled answer, a deadline, a stop) breaks the connection for good:
// the process is killed and every later request fails at once. Not thread-safe: one user at a
// time (a pool hands connections out). Opening one ignores SIGPIPE in this process, so writing
// to a dead server is an error value.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "controller/nix/derivation.hh"
#include "controller/proc/process.hh"
#include "specs/result.hh"

namespace hydrant::nix {

// What a store knows about one valid path (the serve protocol's QueryPathInfos answer).
struct StorePathInfo {
  std::string path;
  std::string deriver;  // "" when unknown
  std::vector<std::string> references;
  uint64_t nar_size = 0;
  std::string nar_hash;  // "sha256:<base32>"
  std::string ca;        // content address, "" for input-addressed paths
  std::vector<std::string> sigs;
};

// Nix's BuildResult::Status, as the serve protocol sends it.
enum class NixBuildStatus : uint64_t {
  kBuilt = 0,
  kSubstituted = 1,
  kAlreadyValid = 2,
  kPermanentFailure = 3,
  kInputRejected = 4,
  kOutputRejected = 5,
  kTransientFailure = 6,
  kCachedFailure = 7,
  kTimedOut = 8,
  kMiscFailure = 9,
  kDependencyFailed = 10,
  kLogLimitExceeded = 11,
  kNotDeterministic = 12,
  kResolvesToAlreadyValid = 13,
  kNoSubstituters = 14,
};

struct ServeBuildResult {
  NixBuildStatus status = NixBuildStatus::kMiscFailure;
  std::string error_message;  // Nix's, "" on success
  int64_t start_time = 0;     // Unix seconds, 0 when nothing was built
  int64_t stop_time = 0;
};

// The limits a build runs with (Nix's max-silent-time, timeout, max-build-log-size); 0 = none.
struct ServeBuildLimits {
  std::chrono::seconds max_silent{0};
  std::chrono::seconds timeout{0};
  uint64_t max_log_size = 0;
};

// Receives what the server writes on stderr during a build. Returning false aborts the build
// (the connection breaks with "aborted by the log sink").
using LogSink = std::function<bool(std::string_view)>;

// When a request gives up: a deadline and a stop token, checked at least every 100 ms.
struct Patience {
  std::chrono::steady_clock::time_point deadline;
  std::stop_token stop;
};

class ServeConnection {
 public:
  // Starts `program` (e.g. {"nix-store", "--serve", "--write"}, or ssh running it). Error
  // (kTransient) "cannot start <program>: <reason>" when it cannot start. greet() must follow.
  static Result<std::unique_ptr<ServeConnection>> start(const proc::Program& program);
  // Exchanges the greeting. Error (kTransient): what the server wrote on stderr (ssh's
  // "Connection refused", "Host key verification failed", …), or "protocol mismatch",
  // "connection closed", "unsupported serve protocol version …" when it wrote nothing;
  // "stopped" / "timed out" when `patience` ran out.
  Result<void> greet(const Patience& patience);
  ~ServeConnection();
  ServeConnection(const ServeConnection&) = delete;
  ServeConnection& operator=(const ServeConnection&) = delete;

  // False once any request failed; such a connection must be dropped.
  bool usable() const { return child_ != nullptr; }
  // Whether the server is still running (it may have exited while the connection sat idle:
  // killed, or ssh lost the machine). Reaps it when it has exited.
  bool alive();
  unsigned serverVersion() const { return server_version_; }

  // The subset of `paths` that is valid in the server's store.
  Result<std::set<std::string>> queryValidPaths(const std::vector<std::string>& paths,
                                                const Patience& patience);
  // Infos of the valid ones among `paths` (invalid ones are left out).
  Result<std::vector<StorePathInfo>> queryPathInfos(const std::vector<std::string>& paths,
                                                    const Patience& patience);
  // The closure of `paths` (references, transitively, themselves included). Requires them valid.
  Result<std::vector<std::string>> queryClosure(const std::vector<std::string>& paths,
                                                const Patience& patience);
  // Builds `drv` (whose inputs must all be valid in the server's store: `input_paths` lists
  // them, the outputs of its input derivations and its sources) as `drv_path`. The server's
  // stderr goes to `log` while it builds. When `output_infos` is given, the infos of the
  // outputs that are valid afterwards are asked for in the same round trip (the request is
  // sent right behind the build's) and stored there. A local server's stderr is complete when
  // its answer arrives; through ssh, the last of it may come a little later (its own channel):
  // `settle` > 0 keeps reading stderr until it has been quiet that long (at most 1 s).
  Result<ServeBuildResult> buildDerivation(const std::string& drv_path, const Derivation& drv,
                                           const std::vector<std::string>& input_paths,
                                           const ServeBuildLimits& limits, const LogSink& log,
                                           const Patience& patience,
                                           std::vector<StorePathInfo>* output_infos = nullptr,
                                           std::chrono::milliseconds settle = {});
  // Copies one path from this connection's store into `to`'s, streaming its NAR
  // (DumpStorePath here, AddToStoreNar there). `info` is this store's info for the path; its
  // references must already be valid in `to`'s store.
  Result<void> copyPathTo(ServeConnection& to, const StorePathInfo& info, const Patience& patience);

  // The end of what the server wrote on stderr outside builds (at most 8 KiB), for messages.
  const std::string& diagnostics() const { return diagnostics_; }

 private:
  explicit ServeConnection(std::unique_ptr<proc::PipedChild> child);

  // Wire primitives; every failure breaks the connection.
  void putNumber(uint64_t n);
  void putString(std::string_view s);
  void putStrings(const std::vector<std::string>& items);
  Result<void> flush(const Patience& patience);
  Result<uint64_t> getNumber(const Patience& patience);
  Result<std::string> getString(const Patience& patience);
  Result<std::vector<std::string>> getStrings(const Patience& patience);
  Result<std::vector<StorePathInfo>> getPathInfos(const Patience& patience);
  Result<void> fill(size_t want, const Patience& patience);
  // Waits for `fd` to be ready for `events`, reading stderr meanwhile.
  Result<void> await(int fd, short events, const Patience& patience);
  void drainStderr();
  Error broken(const std::string& why);

  std::unique_ptr<proc::PipedChild> child_;
  unsigned server_version_ = 0;
  std::string out_;  // written, not yet sent
  std::string in_;   // received, not yet consumed from in_pos_
  size_t in_pos_ = 0;
  std::string diagnostics_;
  const LogSink* sink_ = nullptr;  // during a build
  bool sink_refused_ = false;
  uint64_t bytes_from_stderr_ = 0;
};

}  // namespace hydrant::nix
