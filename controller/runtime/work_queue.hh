// WorkQueue: the keys a reconciler still has to look at (controller-runtime's workqueue).
// A key is queued at most once however often it is added; a key being processed is never handed
// to a second worker at once (re-adding it while processing requeues it after done()); keys can
// be added after a delay, and per-key failures back off exponentially. Thread-safe; time comes
// from the injected Clock, randomness (jitter) from the injected source.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "controller/runtime/backoff.hh"
#include "controller/runtime/clock.hh"

namespace hydrant::runtime {

class WorkQueue {
 public:
  // `random` returns uniform doubles in [0, 1); it is called with the queue's lock held.
  WorkQueue(Clock& clock, BackoffPolicy policy, std::function<double()> random);
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` now. No-op if it is already queued (dedupe). If it is being processed it is
  // marked dirty and queued again when done() is called. No-op after shutDown().
  void add(const std::string& key);
  // Queues `key` once `delay` has passed on the clock. If the key is already waiting with a
  // later deadline, the earlier deadline wins. delay <= 0 is add().
  void addAfter(const std::string& key, Duration delay);
  // Records one more failure of `key` and queues it after backoffDelay(policy, failures, random).
  void addRateLimited(const std::string& key);
  // Clears the failure count of `key` (after a success).
  void forget(const std::string& key);
  // Failures recorded for `key` since the last forget().
  int failures(const std::string& key) const;

  // Blocks until a key is ready, then hands it out and marks it processing. Returns nullopt once
  // the queue is shut down or `stop` is requested (ready keys are then left unhanded).
  std::optional<std::string> get(std::stop_token stop);
  // Marks `key` as no longer processing; if it was added meanwhile, queues it again.
  void done(const std::string& key);

  // Wakes every get() with nullopt; later add()s are ignored.
  void shutDown();
  bool shuttingDown() const;

  size_t depth() const;         // keys ready to be handed out
  size_t delayedCount() const;  // keys waiting for their delay to pass
  size_t processingCount() const;

 private:
  void promoteDueLocked();  // moves delayed keys whose time has come to the ready queue
  void enqueueLocked(const std::string& key);
  void addAfterLocked(const std::string& key, Duration delay);
  void removeDelayedLocked(const std::string& key);

  Clock& clock_;
  const BackoffPolicy policy_;
  std::function<double()> random_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::string> ready_;                 // guarded by mu_, FIFO
  std::unordered_set<std::string> queued_;        // guarded by mu_: in ready_ or dirty_
  std::unordered_set<std::string> processing_;    // guarded by mu_
  std::unordered_set<std::string> dirty_;         // guarded by mu_: re-added while processing
  std::multimap<MonoTime, std::string> delayed_;  // guarded by mu_
  std::unordered_map<std::string, MonoTime> delayed_at_;  // guarded by mu_: key -> its deadline
  std::unordered_map<std::string, int> failures_;         // guarded by mu_
  bool shutting_down_ = false;                            // guarded by mu_
};

}  // namespace hydrant::runtime
