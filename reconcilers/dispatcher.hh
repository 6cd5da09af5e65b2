// One dispatch pass of the build queue (HYDRA.md §6.2, issue 5): which runnable steps start now,
// on which machines, and why each of the others waits. A pure function of the runnable steps,
// the machines, the jobsets' share usage and an injected time, laid out for speed (100,000 steps
// in well under 100 ms): steps refer to interned kinds and jobsets by index, and sort keys are
// precomputed. The queue reconciler owns the inputs; values only, not synchronized.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reconcilers/machines_file.hh"
#include "reconcilers/queue_types.hh"

namespace hydrant::reconcilers {

class ShareAccount;

// What a step asks of a machine. Many steps share one kind, so machine matching is done per kind.
struct StepKind {
  std::string system;                          // "builtin" runs on any machine's system
  std::vector<std::string> required_features;  // requiredSystemFeatures
  bool prefer_local = false;                   // preferLocalBuild: satisfies a mandatory "local"
};

struct RunnableStep {
  StepId id = 0;                    // the caller's handle; also the last tie-breaker of the order
  std::uint32_t kind = 0;           // index into DispatchInput::kinds
  int global_priority = 0;          // highest globalpriority (bump) of the builds that need it
  int build_priority = 0;           // highest meta.schedulingPriority of the builds that need it
  BuildId lowest_build = 0;         // the oldest build that needs it
  std::uint32_t rdeps = 0;          // steps waiting for this one
  UnixTime retry_after = 0;         // failed before: may not start until then (0: no wait)
  std::uint32_t jobsets_begin = 0;  // this step's jobsets: DispatchInput::step_jobsets
  std::uint32_t jobsets_count = 0;  //   [jobsets_begin, jobsets_begin + jobsets_count)
};

struct MachineState {
  Machine machine;
  unsigned current_jobs = 0;    // steps running there now
  UnixTime disabled_until = 0;  // backed off until then (dispatch_timing.hh)
  bool enabled = true;          // false: gone from the machines file, kept while its steps finish
};

struct DispatchInput {
  UnixTime now = 0;
  std::vector<MachineState> machines;
  std::vector<JobsetId> jobsets;  // steps refer to these by index
  std::vector<StepKind> kinds;
  std::vector<RunnableStep> steps;
  std::vector<std::uint32_t> step_jobsets;  // the steps' jobset indices, concatenated
};

// Fills a DispatchInput from ids and strings, interning kinds and jobsets. Not synchronized.
class DispatchInputBuilder {
 public:
  explicit DispatchInputBuilder(UnixTime now) { in_.now = now; }

  void addMachine(MachineState machine) { in_.machines.push_back(std::move(machine)); }
  // The index of the kind (system, features, prefer_local); features may come in any order.
  std::uint32_t kind(std::string_view system, std::vector<std::string> required_features,
                     bool prefer_local);
  // Appends `step` (its kind from kind()), needed by `jobsets`; fills the step's jobset range.
  void addStep(RunnableStep step, std::span<const JobsetId> jobsets);
  void reserveSteps(size_t n);

  const DispatchInput& input() const { return in_; }
  DispatchInput take() { return std::move(in_); }

 private:
  DispatchInput in_;
  std::unordered_map<std::string, std::uint32_t> kind_index_;
  std::unordered_map<JobsetId, std::uint32_t> jobset_index_;
};

// Why a step did not start (or that it did), for the queue and the status pages.
enum class StepWait : std::uint8_t {
  kStarted,            // assigned in this pass (StepVerdict::machine)
  kUnsupported,        // no machine at all has its system and features
  kRetryLater,         // failed before; waits until StepVerdict::until
  kMachinesBusy,       // every machine that could build it is at its job limit
  kMachinesBackedOff,  // every machine that could build it is backed off until StepVerdict::until
};

struct StepVerdict {
  static constexpr std::uint32_t kNoMachine = UINT32_MAX;
  StepWait wait = StepWait::kMachinesBusy;
  std::uint32_t machine = kNoMachine;  // kStarted: index into DispatchInput::machines
  UnixTime until = 0;                  // kRetryLater, kMachinesBackedOff
};

struct Assignment {
  std::uint32_t step = 0;     // index into DispatchInput::steps
  std::uint32_t machine = 0;  // index into DispatchInput::machines
};

struct DispatchResult {
  std::vector<Assignment> assignments;     // in start order
  std::vector<std::uint32_t> unsupported;  // steps no machine can build: UnsupportedTracker
  // The steps that may start now (supported, not waiting for a retry), in dispatch order.
  std::vector<std::uint32_t> order;
  std::vector<StepVerdict> verdicts;   // one per input step
  std::vector<double> share_used;      // one per DispatchInput::jobsets entry
  std::vector<unsigned> machine_jobs;  // one per machine: its load after the assignments
  // The earliest time a pass could decide differently without any other event: a retry time or
  // a backed-off machine returning for a waiting step. Finishing steps, new steps and machine
  // changes are events the caller reacts to itself; so is UnsupportedTracker's deadline.
  std::optional<UnixTime> wake_at;
};

// True when `m` can build steps of `kind`: it has the system (any system for "builtin"), every
// required feature is among its supported or mandatory features (as in Nix), and the kind
// requires every mandatory feature of the machine, a mandatory "local" being met by
// prefer_local. Says nothing about load, backoff or enabled.
bool machineFits(const Machine& m, const StepKind& kind);

// One dispatch pass.
//  Order of the steps that may start: global priority (desc), the lowest share used among the
//  step's jobsets (asc; `shares` gives each jobset's share used), build priority (desc), oldest
//  build (lowest id, asc); ties go to the step with more rdeps, then the lower StepId.
//  Each step in that order takes, among the enabled, not backed-off machines that fit it and
//  have a free slot (current_jobs < max_jobs), the least loaded relative to its speed
//  (jobs/speedFactor), then the fastest, then the first in input order; loads grow as steps are
//  assigned.
//  Never stalling: when nothing runs on any machine and the pass assigned nothing, the first
//  step in order that fits an enabled, not backed-off machine starts there even though that
//  machine is at its limit, which can only be a machine with maxJobs 0. So maxJobs 0 means
//  "one step at a time, and only while the whole farm is idle", and a lone local machine
//  configured with max-jobs 0 still builds.
// REQUIRES: every step's kind and jobset indices are valid for `in`.
DispatchResult dispatch(const DispatchInput& in, const ShareAccount& shares);

// A one-line account of a verdict for people, e.g. `waiting to retry until
// 2024-05-01T12:00:00Z` or `no machine for system "aarch64-linux" with features kvm`.
std::string describe(const DispatchInput& in, std::uint32_t step, const StepVerdict& verdict);

}  // namespace hydrant::reconcilers
