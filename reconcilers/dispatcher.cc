#include "reconcilers/dispatcher.hh"

#include <algorithm>
#include <ctime>

#include "reconcilers/share_account.hh"
#include "specs/text.hh"

namespace hydrant::reconcilers {

namespace {

// Signed values mapped to unsigned ones that sort the same way (or the reverse), so a step's
// whole order fits in three machine words compared without branches on its fields.
std::uint32_t ascending(std::int32_t v) { return static_cast<std::uint32_t>(v) ^ 0x80000000u; }
std::uint32_t descending(std::int32_t v) { return ~ascending(v); }

struct SortKey {
  std::uint64_t first;   // global priority (desc) · rank of the lowest share used (asc)
  std::uint64_t second;  // build priority (desc) · lowest build id (asc)
  std::uint64_t third;   // rdeps (desc)
  StepId id;
  std::uint32_t index;

  friend bool operator<(const SortKey& a, const SortKey& b) {
    if (a.first != b.first) return a.first < b.first;
    if (a.second != b.second) return a.second < b.second;
    if (a.third != b.third) return a.third < b.third;
    if (a.id != b.id) return a.id < b.id;
    return a.index < b.index;
  }
};

// How the machines look to the steps of one kind.
struct KindFit {
  std::uint32_t begin = 0, end = 0;  // its usable machines: Pass::usable_[begin, end)
  bool supported = false;            // some enabled machine fits, backed off or not
  bool exhausted = false;            // no usable machine has a free slot any more
  bool waiting = false;              // a step of this kind could not start
  UnixTime returns_at = 0;           // earliest end of backoff among fitting machines (0: none)
};

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string utc(UnixTime t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class Pass {
 public:
  Pass(const DispatchInput& in, const ShareAccount& shares) : in_(in), shares_(shares) {}

  DispatchResult run() {
    out_.verdicts.resize(in_.steps.size());
    out_.machine_jobs.reserve(in_.machines.size());
    for (const auto& m : in_.machines) out_.machine_jobs.push_back(m.current_jobs);
    fitKinds();
    std::vector<SortKey> keys = eligibleSteps();
    std::sort(keys.begin(), keys.end());
    out_.order.reserve(keys.size());
    for (const SortKey& k : keys) out_.order.push_back(k.index);
    assign();
    if (out_.assignments.empty() && nothingRunning()) startOneAnyway();
    for (const KindFit& f : fits_) {
      if (f.waiting && f.returns_at > 0) wakeAt(f.returns_at);
    }
    return std::move(out_);
  }

 private:
  bool usable(const MachineState& m) const { return m.enabled && m.disabled_until <= in_.now; }

  void wakeAt(UnixTime t) {
    if (!out_.wake_at || t < *out_.wake_at) out_.wake_at = t;
  }

  // Matching is per kind, not per step: a queue has a handful of kinds and 100,000 steps.
  void fitKinds() {
    fits_.resize(in_.kinds.size());
    for (size_t k = 0; k < in_.kinds.size(); ++k) {
      KindFit& f = fits_[k];
      f.begin = static_cast<std::uint32_t>(usable_.size());
      for (size_t m = 0; m < in_.machines.size(); ++m) {
        const MachineState& ms = in_.machines[m];
        if (!ms.enabled || !machineFits(ms.machine, in_.kinds[k])) continue;
        f.supported = true;
        if (usable(ms)) {
          usable_.push_back(static_cast<std::uint32_t>(m));
        } else if (f.returns_at == 0 || ms.disabled_until < f.returns_at) {
          f.returns_at = ms.disabled_until;
        }
      }
      f.end = static_cast<std::uint32_t>(usable_.size());
    }
    for (const MachineState& ms : in_.machines) {
      if (usable(ms) && ms.current_jobs < ms.machine.max_jobs) {
        free_slots_ += ms.machine.max_jobs - ms.current_jobs;
      }
    }
  }

  // Share used per jobset, then its rank among all jobsets: the key then carries a small exact
  // integer instead of a double, and equal usage gives equal rank.
  std::vector<std::uint32_t> shareRanks() {
    out_.share_used.reserve(in_.jobsets.size());
    for (JobsetId j : in_.jobsets) out_.share_used.push_back(shares_.shareUsed(j));
    std::vector<double> distinct = out_.share_used;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    std::vector<std::uint32_t> rank;
    rank.reserve(in_.jobsets.size());
    for (double used : out_.share_used) {
      rank.push_back(static_cast<std::uint32_t>(
          std::lower_bound(distinct.begin(), distinct.end(), used) - distinct.begin()));
    }
    return rank;
  }

  // Sets aside the steps that cannot start whatever the load (no machine, retry time ahead) and
  // returns the sort keys of the others.
  std::vector<SortKey> eligibleSteps() {
    const std::vector<std::uint32_t> rank = shareRanks();
    std::vector<SortKey> keys;
    keys.reserve(in_.steps.size());
    for (std::uint32_t i = 0; i < in_.steps.size(); ++i) {
      const RunnableStep& s = in_.steps[i];
      StepVerdict& v = out_.verdicts[i];
      if (!fits_[s.kind].supported) {
        v.wait = StepWait::kUnsupported;
        out_.unsupported.push_back(i);
        continue;
      }
      if (s.retry_after > in_.now) {
        v.wait = StepWait::kRetryLater;
        v.until = s.retry_after;
        wakeAt(s.retry_after);
        continue;
      }
      // A step needed by no jobset (should not happen) sorts after every jobset's steps.
      std::uint32_t lowest = UINT32_MAX;
      const std::uint32_t* js = in_.step_jobsets.data() + s.jobsets_begin;
      for (std::uint32_t n = 0; n < s.jobsets_count; ++n) lowest = std::min(lowest, rank[js[n]]);
      keys.push_back(
          SortKey{(std::uint64_t{descending(s.global_priority)} << 32) | lowest,
                  (std::uint64_t{descending(s.build_priority)} << 32) | ascending(s.lowest_build),
                  std::uint64_t{~s.rdeps}, s.id, i});
    }
    return keys;
  }

  // True when machine a is a better choice than b: less loaded for its speed, then faster.
  bool better(std::uint32_t a, std::uint32_t b) const {
    const double speed_a = in_.machines[a].machine.speed_factor;
    const double speed_b = in_.machines[b].machine.speed_factor;
    const double load_a = out_.machine_jobs[a] * speed_b;  // jobs_a/speed_a < jobs_b/speed_b
    const double load_b = out_.machine_jobs[b] * speed_a;
    if (load_a != load_b) return load_a < load_b;
    return speed_a > speed_b;
  }

  void start(std::uint32_t step, std::uint32_t machine) {
    out_.assignments.push_back({step, machine});
    out_.verdicts[step] = {StepWait::kStarted, machine, 0};
    ++out_.machine_jobs[machine];
  }

  void wait(std::uint32_t step, KindFit& f) {
    f.waiting = true;
    StepVerdict& v = out_.verdicts[step];
    if (f.begin == f.end) {
      v = {StepWait::kMachinesBackedOff, StepVerdict::kNoMachine, f.returns_at};
    } else {
      v = {StepWait::kMachinesBusy, StepVerdict::kNoMachine, 0};
    }
  }

  // Loads only grow during a pass, so a kind found without a free machine stays so, and once
  // the farm has no free slot every remaining step only needs its verdict.
  void assign() {
    for (std::uint32_t step : out_.order) {
      KindFit& f = fits_[in_.steps[step].kind];
      if (f.exhausted || free_slots_ == 0) {
        wait(step, f);
        continue;
      }
      std::uint32_t best = StepVerdict::kNoMachine;
      for (std::uint32_t i = f.begin; i < f.end; ++i) {
        const std::uint32_t m = usable_[i];
        if (out_.machine_jobs[m] >= in_.machines[m].machine.max_jobs) continue;
        if (best == StepVerdict::kNoMachine || better(m, best)) best = m;
      }
      if (best == StepVerdict::kNoMachine) {
        f.exhausted = true;
        wait(step, f);
        continue;
      }
      start(step, best);
      --free_slots_;
    }
  }

  bool nothingRunning() const {
    return std::all_of(in_.machines.begin(), in_.machines.end(),
                       [](const MachineState& m) { return m.current_jobs == 0; });
  }

  // Only machines at their limit with nothing running are left: maxJobs 0 ones. The first step
  // in order that one of them fits starts on the fastest of them.
  void startOneAnyway() {
    for (std::uint32_t step : out_.order) {
      const KindFit& f = fits_[in_.steps[step].kind];
      if (f.begin == f.end) continue;
      std::uint32_t best = usable_[f.begin];
      for (std::uint32_t i = f.begin + 1; i < f.end; ++i) {
        if (better(usable_[i], best)) best = usable_[i];
      }
      start(step, best);
      return;
    }
  }

  const DispatchInput& in_;
  const ShareAccount& shares_;
  DispatchResult out_;
  std::vector<KindFit> fits_;          // per kind
  std::vector<std::uint32_t> usable_;  // per kind, the fitting enabled machines not backed off
  unsigned long long free_slots_ = 0;  // over all usable machines
};

}  // namespace

bool machineFits(const Machine& m, const StepKind& kind) {
  if (kind.system != "builtin" && !contains(m.systems, kind.system)) return false;
  for (const std::string& f : m.mandatory_features) {
    if (!contains(kind.required_features, f) && !(f == "local" && kind.prefer_local)) {
      return false;
    }
  }
  for (const std::string& f : kind.required_features) {
    if (!contains(m.supported_features, f) && !contains(m.mandatory_features, f)) return false;
  }
  return true;
}

DispatchResult dispatch(const DispatchInput& in, const ShareAccount& shares) {
  return Pass(in, shares).run();
}

std::uint32_t DispatchInputBuilder::kind(std::string_view system,
                                         std::vector<std::string> required_features,
                                         bool prefer_local) {
  std::sort(required_features.begin(), required_features.end());
  required_features.erase(std::unique(required_features.begin(), required_features.end()),
                          required_features.end());
  // NUL cannot occur in a system or feature name, so the key is unambiguous.
  std::string key(system);
  for (const std::string& f : required_features) (key += '\0') += f;
  key += '\0';
  key += prefer_local ? 'L' : '-';
  const auto [it, fresh] =
      kind_index_.emplace(std::move(key), static_cast<std::uint32_t>(in_.kinds.size()));
  if (fresh) {
    in_.kinds.push_back({std::string(system), std::move(required_features), prefer_local});
  }
  return it->second;
}

void DispatchInputBuilder::addStep(RunnableStep step, std::span<const JobsetId> jobsets) {
  step.jobsets_begin = static_cast<std::uint32_t>(in_.step_jobsets.size());
  step.jobsets_count = static_cast<std::uint32_t>(jobsets.size());
  for (JobsetId j : jobsets) {
    const auto [it, fresh] =
        jobset_index_.emplace(j, static_cast<std::uint32_t>(in_.jobsets.size()));
    if (fresh) in_.jobsets.push_back(j);
    in_.step_jobsets.push_back(it->second);
  }
  in_.steps.push_back(step);
}

void DispatchInputBuilder::reserveSteps(size_t n) {
  in_.steps.reserve(n);
  in_.step_jobsets.reserve(n);
}

std::string describe(const DispatchInput& in, std::uint32_t step, const StepVerdict& verdict) {
  const StepKind& kind = in.kinds[in.steps[step].kind];
  std::string wants = "system " + specs::quote(kind.system);
  for (size_t i = 0; i < kind.required_features.size(); ++i) {
    wants += (i == 0 ? " with features " : ", ") + kind.required_features[i];
  }
  switch (verdict.wait) {
    case StepWait::kStarted:
      return "started on " + in.machines[verdict.machine].machine.uri;
    case StepWait::kUnsupported:
      return "no machine for " + wants;
    case StepWait::kRetryLater:
      return "waiting to retry until " + utc(verdict.until);
    case StepWait::kMachinesBusy:
      return "every machine for " + wants + " is busy";
    case StepWait::kMachinesBackedOff:
      return "every machine for " + wants + " is backed off until " + utc(verdict.until);
  }
  return "";
}

}  // namespace hydrant::reconcilers
