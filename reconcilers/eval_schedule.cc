#include "reconcilers/eval_schedule.hh"

#include <algorithm>
#include <tuple>

namespace hydrant::reconcilers {

namespace {

// When `j` becomes due by time alone; none when its interval never makes it due.
std::optional<long long> dueByTime(const JobsetTiming& j) {
  if (j.checkinterval <= 0) return std::nullopt;
  return j.lastcheckedtime ? *j.lastcheckedtime + j.checkinterval : 0;
}

}  // namespace

bool isDue(const JobsetTiming& j, long long now) {
  if (j.triggertime) return true;
  const auto at = dueByTime(j);
  if (!at || *at > now) return false;
  return !(j.enabled == 3 && j.last_eval_unfinished);
}

ScheduleDecision schedule(const ScheduleInput& in) {
  ScheduleDecision out;
  std::vector<const JobsetTiming*> due;
  auto later = [&](long long t) {
    if (!out.next_due || t < *out.next_due) out.next_due = t;
  };
  for (const auto& j : in.jobsets) {
    if (in.running.count(j.id)) continue;
    const auto retry = in.retry_after.find(j.id);
    const bool held = retry != in.retry_after.end() && retry->second > in.now;
    if (isDue(j, in.now)) {
      if (held) {
        later(retry->second);
      } else {
        due.push_back(&j);
      }
    } else if (auto at = dueByTime(j); at && !(j.enabled == 3 && j.last_eval_unfinished)) {
      // A one-at-a-time jobset waiting for its builds becomes due when they finish, which the
      // queue will announce; time alone does not make it due.
      later(held ? std::max(*at, retry->second) : *at);
    }
  }
  // Triggered first (oldest trigger), then least recently checked (never checked first).
  std::sort(due.begin(), due.end(), [](const JobsetTiming* a, const JobsetTiming* b) {
    auto key = [](const JobsetTiming* j) {
      return std::make_tuple(!j->triggertime.has_value(), j->triggertime.value_or(0),
                             j->lastcheckedtime.has_value(), j->lastcheckedtime.value_or(0),
                             j->id);
    };
    return key(a) < key(b);
  });
  const int free = std::max(0, in.max_running - static_cast<int>(in.running.size()));
  for (const auto* j : due) {
    if (static_cast<int>(out.start.size()) >= free) break;
    out.start.push_back(j->id);
  }
  return out;
}

}  // namespace hydrant::reconcilers
