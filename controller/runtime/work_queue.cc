#include "controller/runtime/work_queue.hh"

#include <utility>

namespace hydrant::runtime {

WorkQueue::WorkQueue(Clock& clock, BackoffPolicy policy, std::function<double()> random)
    : clock_(clock), policy_(policy), random_(std::move(random)) {}

void WorkQueue::add(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shutting_down_) return;
  // An explicit add means "look now"; a pending delayed entry would only hand the key out twice.
  removeDelayedLocked(key);
  enqueueLocked(key);
}

void WorkQueue::addAfter(const std::string& key, Duration delay) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shutting_down_) return;
  addAfterLocked(key, delay);
}

void WorkQueue::addRateLimited(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  if (shutting_down_) return;
  const int attempt = ++failures_[key];
  addAfterLocked(key, backoffDelay(policy_, attempt, random_()));
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  failures_.erase(key);
}

int WorkQueue::failures(const std::string& key) const {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

std::optional<std::string> WorkQueue::get(std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (shutting_down_ || stop.stop_requested()) {
      // add() wakes a single getter; if that was us, pass the wake-up on before leaving.
      if (!ready_.empty()) cv_.notify_one();
      return std::nullopt;
    }
    promoteDueLocked();
    if (!ready_.empty()) {
      std::string key = std::move(ready_.front());
      ready_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      // A promotion may have readied several keys while only we were awake.
      if (!ready_.empty()) cv_.notify_one();
      return key;
    }
    const MonoTime deadline = delayed_.empty() ? MonoTime::max() : delayed_.begin()->first;
    clock_.waitUntil(cv_, lock, deadline, stop);
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard<std::mutex> guard(mu_);
  processing_.erase(key);
  if (dirty_.erase(key) > 0) {
    ready_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::shutDown() {
  std::lock_guard<std::mutex> guard(mu_);
  shutting_down_ = true;
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard<std::mutex> guard(mu_);
  return shutting_down_;
}

size_t WorkQueue::depth() const {
  std::lock_guard<std::mutex> guard(mu_);
  return ready_.size();
}

size_t WorkQueue::delayedCount() const {
  std::lock_guard<std::mutex> guard(mu_);
  return delayed_.size();
}

size_t WorkQueue::processingCount() const {
  std::lock_guard<std::mutex> guard(mu_);
  return processing_.size();
}

void WorkQueue::promoteDueLocked() {
  if (delayed_.empty()) return;
  const MonoTime now = clock_.monotonic();
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = std::move(delayed_.begin()->second);
    delayed_.erase(delayed_.begin());
    delayed_at_.erase(key);
    enqueueLocked(key);
  }
}

void WorkQueue::enqueueLocked(const std::string& key) {
  if (!queued_.insert(key).second) return;
  // Handing a key to a second worker while the first still holds it would let two reconciles of
  // one object race; done() requeues it instead.
  if (processing_.contains(key)) {
    dirty_.insert(key);
    return;
  }
  ready_.push_back(key);
  cv_.notify_one();
}

void WorkQueue::addAfterLocked(const std::string& key, Duration delay) {
  if (delay <= Duration::zero()) {
    removeDelayedLocked(key);
    enqueueLocked(key);
    return;
  }
  if (queued_.contains(key)) return;  // it will be handed out sooner than any delay
  const MonoTime at = clock_.monotonic() + delay;
  auto it = delayed_at_.find(key);
  if (it != delayed_at_.end()) {
    if (it->second <= at) return;
    removeDelayedLocked(key);
  }
  delayed_.emplace(at, key);
  delayed_at_.emplace(key, at);
  // Getters sleep until the earliest deadline they saw; a new earliest one must wake them all
  // so each recomputes it.
  if (delayed_.begin()->second == key) cv_.notify_all();
}

void WorkQueue::removeDelayedLocked(const std::string& key) {
  auto at = delayed_at_.find(key);
  if (at == delayed_at_.end()) return;
  auto [first, last] = delayed_.equal_range(at->second);
  for (auto it = first; it != last; ++it) {
    if (it->second == key) {
      delayed_.erase(it);
      break;
    }
  }
  delayed_at_.erase(at);
}

}  // namespace hydrant::runtime
