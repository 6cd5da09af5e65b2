// Manager: runs reconcilers. Each is bound to a singleton role; while this process leads the role
// the manager keeps a work queue and worker threads for it, feeds it keys from database
// notifications, a full resync when it starts, after every listener (re)connect and every
// resync_interval, and applies the reconcile outcome (requeue, backoff, retry at, stop).
// Thread-safe: notifications, role changes and status reads may come from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/runtime/backoff.hh"
#include "controller/runtime/clock.hh"
#include "controller/runtime/metrics.hh"
#include "controller/runtime/reconciler.hh"

namespace hydrant::runtime {

struct ControllerSpec {
  std::string role;  // the singleton role that runs it
  std::shared_ptr<Reconciler> reconciler;
  std::vector<std::string> channels;  // NOTIFY channels whose payload names a key
  // Maps a notification to a key; nullopt means "cannot tell which: resync everything".
  // Default: the payload is the key (an empty payload resyncs).
  std::function<std::optional<std::string>(const std::string& channel, const std::string& payload)>
      key_of;
  int workers = 1;
  // Runs after the role's workers have stopped (lost leadership, shutdown), outside the
  // manager's lock, for reconcilers that keep work of their own running between reconciles.
  std::function<void()> on_stop;
};

// A reconciler with a single key (a scheduling pass: the evaluator, the queue) that every
// notification on `channels` enqueues.
ControllerSpec singleKeySpec(std::string role, std::shared_ptr<Reconciler> reconciler,
                             std::string key, std::vector<std::string> channels,
                             std::function<void()> on_stop = {});

struct ControllerStatus {
  std::string kind;
  std::string role;
  bool active = false;  // this process leads the role
  size_t depth = 0;     // keys ready
  size_t delayed = 0;   // keys waiting for a delay or backoff
  size_t processing = 0;
  uint64_t reconciles = 0;
  uint64_t errors = 0;
  // Since this process started, kept across role changes:
  std::map<std::string, uint64_t> results;  // reconciles by result: kResults
  HistogramSnapshot duration;               // seconds per reconcile
  // Seconds from a key being queued (or its delay ending) to a worker taking it; retries after
  // a backoff are not counted (their wait is the backoff).
  HistogramSnapshot queue_wait;
  std::optional<HistogramSnapshot> pass_times;  // when added with a source of them

  // The results a reconcile is counted under: Done, RequeueAfter, and the error classes
  // (Invalid counts as stalled, as the manager treats it).
  static constexpr const char* kResults[] = {"done", "requeue", "transient", "waiting", "stalled"};
};

class Manager {
 public:
  // `random` gives uniform doubles in [0, 1) for backoff jitter.
  Manager(Clock& clock, std::function<double()> random, BackoffPolicy backoff,
          Duration resync_interval);
  ~Manager();  // stops everything
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // REQUIRES: called before any role starts.
  void add(ControllerSpec spec);
  // The same, for a reconciler that times passes of its own (the queue's dispatch): status()
  // reports what `pass_times` returns (it must be thread-safe).
  void add(ControllerSpec spec, std::function<HistogramSnapshot()> pass_times);

  // Every channel some reconciler listens on (for the Listener).
  std::vector<std::string> channels() const;
  // Every role some reconciler is bound to.
  std::vector<std::string> roles() const;

  void notify(const std::string& channel, const std::string& payload);
  void resyncAll();  // enqueue every key of every active reconciler

  void startRole(const std::string& role);  // became leader
  void stopRole(const std::string& role);   // lost leadership: workers stop, queues drop
  void stopAll();

  std::vector<ControllerStatus> status() const;

 private:
  struct Running;
  struct Stats;
  struct Entry {
    ControllerSpec spec;
    std::unique_ptr<Running> running;  // set while the role is led here
    std::unique_ptr<Stats> stats;      // for the life of the manager
    std::function<HistogramSnapshot()> pass_times;
  };
  void start(Entry& e);
  // Stops `e`'s workers; returns its on_stop hook for the caller to run once unlocked.
  std::function<void()> stop(Entry& e);

  Clock& clock_;
  std::function<double()> random_;
  const BackoffPolicy backoff_;
  const Duration resync_interval_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_ (the vector; entries' running)
};

}  // namespace hydrant::runtime
