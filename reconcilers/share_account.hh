// Scheduling-share accounting (HYDRA.md §6.4): how much build time each jobset used in the last
// 24 hours, relative to its `schedulingshares`. The dispatcher starts first the steps of the
// jobset that used least of its share. Owned by the queue reconciler; pure (the caller passes the
// time); not synchronized.
#pragma once

#include <span>
#include <unordered_map>
#include <vector>

#include "reconcilers/queue_types.hh"

namespace hydrant::reconcilers {

// One jobset's line on a status page.
struct JobsetUsage {
  JobsetId jobset = 0;
  int shares = 0;
  double seconds = 0;     // build time charged within the window
  double share_used = 0;  // seconds / shares
};

class ShareAccount {
 public:
  static constexpr long long kDefaultWindow = 24 * 3600;
  static constexpr int kDefaultShares = 100;  // Hydra's default `schedulingshares`

  explicit ShareAccount(long long window_seconds = kDefaultWindow) : window_(window_seconds) {}

  // Records a jobset's `schedulingshares`. Values below 1 count as 1. A jobset never given shares
  // has kDefaultShares.
  void setShares(JobsetId jobset, int shares);

  // Forgets a jobset (deleted), its shares and usage.
  void forget(JobsetId jobset);

  // Charges a step that started at `start` and built for `seconds`: each of the `jobsets` that
  // needed it is charged seconds / jobsets.size(). Negative durations charge nothing.
  // REQUIRES: `jobsets` has no duplicates.
  void add(std::span<const JobsetId> jobsets, UnixTime start, double seconds);

  // Drops the charges of steps that started before now - window.
  void prune(UnixTime now);

  int shares(JobsetId jobset) const;
  double seconds(JobsetId jobset) const;  // 0 for a jobset with no charges
  double shareUsed(JobsetId jobset) const { return seconds(jobset) / shares(jobset); }

  // Every jobset with shares or charges, by id.
  std::vector<JobsetUsage> usage() const;

 private:
  struct Charge {
    UnixTime start;
    double seconds;
  };
  struct Ledger {
    int shares = kDefaultShares;
    double seconds = 0;
    std::vector<Charge> charges;  // a min-heap on start, so pruning pops only what expires
  };

  long long window_;
  std::unordered_map<JobsetId, Ledger> ledgers_;
};

}  // namespace hydrant::reconcilers
