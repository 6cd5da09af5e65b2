#include "reconcilers/share_account.hh"

#include <algorithm>

namespace hydrant::reconcilers {

namespace {

// std::*_heap build a max-heap; ordering by "later start is smaller" puts the oldest on top.
constexpr auto kLaterStart = [](const auto& a, const auto& b) { return a.start > b.start; };

}  // namespace

void ShareAccount::setShares(JobsetId jobset, int shares) {
  ledgers_[jobset].shares = std::max(1, shares);
}

void ShareAccount::forget(JobsetId jobset) { ledgers_.erase(jobset); }

void ShareAccount::add(std::span<const JobsetId> jobsets, UnixTime start, double seconds) {
  if (jobsets.empty() || !(seconds > 0)) return;
  const double each = seconds / static_cast<double>(jobsets.size());
  for (JobsetId id : jobsets) {
    Ledger& l = ledgers_[id];
    l.charges.push_back({start, each});
    std::push_heap(l.charges.begin(), l.charges.end(), kLaterStart);
    l.seconds += each;
  }
}

void ShareAccount::prune(UnixTime now) {
  const UnixTime oldest = now - window_;
  for (auto& [id, l] : ledgers_) {
    while (!l.charges.empty() && l.charges.front().start < oldest) {
      std::pop_heap(l.charges.begin(), l.charges.end(), kLaterStart);
      l.seconds -= l.charges.back().seconds;
      l.charges.pop_back();
    }
    // Subtracting what was added leaves rounding dust; an empty ledger has used nothing.
    if (l.charges.empty() || l.seconds < 0) l.seconds = 0;
  }
}

int ShareAccount::shares(JobsetId jobset) const {
  const auto it = ledgers_.find(jobset);
  return it == ledgers_.end() ? kDefaultShares : it->second.shares;
}

double ShareAccount::seconds(JobsetId jobset) const {
  const auto it = ledgers_.find(jobset);
  return it == ledgers_.end() ? 0 : it->second.seconds;
}

std::vector<JobsetUsage> ShareAccount::usage() const {
  std::vector<JobsetUsage> out;
  out.reserve(ledgers_.size());
  for (const auto& [id, l] : ledgers_) {
    out.push_back({id, l.shares, l.seconds, l.seconds / l.shares});
  }
  std::sort(out.begin(), out.end(),
            [](const JobsetUsage& a, const JobsetUsage& b) { return a.jobset < b.jobset; });
  return out;
}

}  // namespace hydrant::reconcilers
