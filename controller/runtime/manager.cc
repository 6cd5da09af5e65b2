#include "controller/runtime/manager.hh"

#include <algorithm>
#include <array>
#include <atomic>
#include <set>
#include <thread>
#include <unordered_map>

#include "controller/log.hh"
#include "controller/runtime/work_queue.hh"

namespace hydrant::runtime {

namespace {

// When each key became ready to be handed out: the earliest add (or end of a delay) since a
// worker last took it. Marked just before the key is added, so a worker never takes a key
// before its mark exists.
class ReadySince {
 public:
  void mark(const std::string& key, MonoTime at) {
    std::lock_guard lk(mu_);
    auto [it, fresh] = since_.emplace(key, at);
    if (!fresh) it->second = std::min(it->second, at);
  }
  std::optional<MonoTime> take(const std::string& key) {
    std::lock_guard lk(mu_);
    auto it = since_.find(key);
    if (it == since_.end()) return std::nullopt;
    const MonoTime at = it->second;
    since_.erase(it);
    return at;
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, MonoTime> since_;  // guarded by mu_
};

double seconds(std::chrono::steady_clock::duration d) {
  return std::max(0.0, std::chrono::duration<double>(d).count());
}

// A reconciler's work queue, with the time each key became ready.
struct TimedQueue {
  TimedQueue(Clock& clock, BackoffPolicy backoff, std::function<double()> random)
      : queue(clock, backoff, std::move(random)) {}
  void add(const std::string& key, Clock& clock) {
    ready_since.mark(key, clock.monotonic());
    queue.add(key);
  }
  void addAfter(const std::string& key, Duration delay, Clock& clock) {
    ready_since.mark(key, clock.monotonic() + std::max(delay, Duration(0)));
    queue.addAfter(key, delay);
  }
  WorkQueue queue;
  ReadySince ready_since;
};

// What one reconciler's workers did since the manager was made.
struct ReconcileStats {
  std::array<std::atomic<uint64_t>, std::size(ControllerStatus::kResults)> results{};
  Histogram duration;
  Histogram queue_wait;
};

// The index in ControllerStatus::kResults that `out` is counted under.
size_t resultIndex(const Outcome& out) {
  if (std::holds_alternative<Done>(out)) return 0;
  if (std::holds_alternative<RequeueAfter>(out)) return 1;
  switch (std::get<Error>(out).cls) {
    case ErrorClass::kTransient:
      return 2;
    case ErrorClass::kWaiting:
      return 3;
    case ErrorClass::kStalled:
    case ErrorClass::kInvalid:
      break;
  }
  return 4;
}

std::string objectName(const Reconciler& r, const std::string& key) {
  return std::string(r.kind()) + "=" + key;
}

void enqueueAll(Reconciler& r, TimedQueue& q, Clock& clock) {
  auto keys = r.listKeys();
  if (!keys) {
    log::warn(std::string(r.kind()), "resync failed: {}", keys.error().message);
    return;
  }
  for (const auto& k : *keys) q.add(k, clock);
  log::debug(std::string(r.kind()), "resync queued {} key(s)", keys->size());
}

// Applies one outcome to the queue; the key is still marked processing.
void applyOutcome(const Outcome& out, const Reconciler& r, const std::string& key,
                  TimedQueue& timed, Clock& clock) {
  const std::string obj = objectName(r, key);
  WorkQueue& q = timed.queue;
  if (std::holds_alternative<Done>(out)) {
    q.forget(key);
    log::debug(obj, "reconciled");
  } else if (auto* again = std::get_if<RequeueAfter>(&out)) {
    q.forget(key);
    timed.addAfter(key, again->after, clock);
    log::debug(obj, "reconciled; next look in {} ms", again->after.count());
  } else {
    const Error& e = std::get<Error>(out);
    switch (e.cls) {
      case ErrorClass::kTransient:
        q.addRateLimited(key);
        log::warn(obj, "transient error (attempt {}): {}", q.failures(key), e.message);
        break;
      case ErrorClass::kWaiting: {
        q.forget(key);
        auto wait =
            std::chrono::duration_cast<Duration>(e.retry_at.value_or(clock.now()) - clock.now());
        timed.addAfter(key, std::max(wait, Duration(0)), clock);
        log::warn(obj, "waiting {} ms: {}", std::max<int64_t>(wait.count(), 0), e.message);
        break;
      }
      case ErrorClass::kStalled:
      case ErrorClass::kInvalid:
        q.forget(key);
        log::error(obj, "stalled: {}", e.message);
        break;
    }
  }
}

void workerLoop(std::stop_token stop, Reconciler& r, TimedQueue& q, Clock& clock,
                std::atomic<uint64_t>& reconciles, std::atomic<uint64_t>& errors,
                ReconcileStats& stats) {
  while (auto key = q.queue.get(stop)) {
    const MonoTime taken = clock.monotonic();
    if (auto since = q.ready_since.take(*key)) stats.queue_wait.observe(seconds(taken - *since));
    Outcome out;
    try {
      out = r.reconcile(*key, stop);
    } catch (const std::exception& e) {
      out = Error::transient(std::string("unexpected exception: ") + e.what());
    }
    stats.duration.observe(seconds(clock.monotonic() - taken));
    ++stats.results[resultIndex(out)];
    ++reconciles;
    if (std::holds_alternative<Error>(out)) ++errors;
    applyOutcome(out, r, *key, q, clock);
    q.queue.done(*key);
  }
}

void resyncLoop(std::stop_token stop, Reconciler& r, TimedQueue& q, Clock& clock,
                Duration interval) {
  while (sleepFor(clock, interval, stop)) enqueueAll(r, q, clock);
}

}  // namespace

struct Manager::Running {
  Running(Clock& clock, BackoffPolicy backoff, std::function<double()> random)
      : queue(clock, backoff, std::move(random)) {}
  TimedQueue queue;
  std::vector<std::jthread> threads;  // workers and the resync timer
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> errors{0};
};

struct Manager::Stats : ReconcileStats {};

Manager::Manager(Clock& clock, std::function<double()> random, BackoffPolicy backoff,
                 Duration resync_interval)
    : clock_(clock),
      random_(std::move(random)),
      backoff_(backoff),
      resync_interval_(resync_interval) {}

ControllerSpec singleKeySpec(std::string role, std::shared_ptr<Reconciler> reconciler,
                             std::string key, std::vector<std::string> channels,
                             std::function<void()> on_stop) {
  ControllerSpec spec;
  spec.role = std::move(role);
  spec.reconciler = std::move(reconciler);
  spec.channels = std::move(channels);
  spec.key_of = [key = std::move(key)](const std::string&, const std::string&) {
    return std::optional<std::string>(key);
  };
  spec.workers = 1;
  spec.on_stop = std::move(on_stop);
  return spec;
}

Manager::~Manager() { stopAll(); }

void Manager::add(ControllerSpec spec) { add(std::move(spec), {}); }

void Manager::add(ControllerSpec spec, std::function<HistogramSnapshot()> pass_times) {
  std::lock_guard lk(mu_);
  auto e = std::make_unique<Entry>();
  e->spec = std::move(spec);
  e->stats = std::make_unique<Stats>();
  e->pass_times = std::move(pass_times);
  entries_.push_back(std::move(e));
}

std::vector<std::string> Manager::channels() const {
  std::lock_guard lk(mu_);
  std::set<std::string> all;
  for (const auto& e : entries_) all.insert(e->spec.channels.begin(), e->spec.channels.end());
  return {all.begin(), all.end()};
}

std::vector<std::string> Manager::roles() const {
  std::lock_guard lk(mu_);
  std::set<std::string> all;
  for (const auto& e : entries_) all.insert(e->spec.role);
  return {all.begin(), all.end()};
}

void Manager::notify(const std::string& channel, const std::string& payload) {
  std::lock_guard lk(mu_);
  for (auto& e : entries_) {
    const auto& chans = e->spec.channels;
    if (!e->running || std::find(chans.begin(), chans.end(), channel) == chans.end()) continue;
    std::optional<std::string> key =
        e->spec.key_of ? e->spec.key_of(channel, payload)
                       : (payload.empty() ? std::nullopt : std::optional<std::string>(payload));
    if (key) {
      e->running->queue.add(*key, clock_);
    } else {
      enqueueAll(*e->spec.reconciler, e->running->queue, clock_);
    }
  }
}

void Manager::resyncAll() {
  std::lock_guard lk(mu_);
  for (auto& e : entries_) {
    if (e->running) enqueueAll(*e->spec.reconciler, e->running->queue, clock_);
  }
}

void Manager::start(Entry& e) {
  if (e.running) return;
  e.running = std::make_unique<Running>(clock_, backoff_, random_);
  Running& run = *e.running;
  Reconciler& r = *e.spec.reconciler;
  enqueueAll(r, run.queue, clock_);
  for (int i = 0; i < std::max(1, e.spec.workers); ++i) {
    run.threads.emplace_back(workerLoop, std::ref(r), std::ref(run.queue), std::ref(clock_),
                             std::ref(run.reconciles), std::ref(run.errors),
                             std::ref(static_cast<ReconcileStats&>(*e.stats)));
  }
  run.threads.emplace_back(resyncLoop, std::ref(r), std::ref(run.queue), std::ref(clock_),
                           resync_interval_);
  log::info(std::string(r.kind()), "started {} worker(s) for role {}", e.spec.workers, e.spec.role);
}

std::function<void()> Manager::stop(Entry& e) {
  if (!e.running) return {};
  for (auto& t : e.running->threads) t.request_stop();
  e.running->queue.queue.shutDown();
  e.running->threads.clear();  // joins; in-flight reconciles see their stop token
  e.running.reset();
  log::info(std::string(e.spec.reconciler->kind()), "stopped (role {})", e.spec.role);
  return e.spec.on_stop;
}

void Manager::startRole(const std::string& role) {
  std::lock_guard lk(mu_);
  for (auto& e : entries_) {
    if (e->spec.role == role) start(*e);
  }
}

void Manager::stopRole(const std::string& role) {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lk(mu_);
    for (auto& e : entries_) {
      if (e->spec.role != role) continue;
      if (auto hook = stop(*e)) hooks.push_back(std::move(hook));
    }
  }
  for (auto& hook : hooks) hook();
}

void Manager::stopAll() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lk(mu_);
    for (auto& e : entries_) {
      if (auto hook = stop(*e)) hooks.push_back(std::move(hook));
    }
  }
  for (auto& hook : hooks) hook();
}

std::vector<ControllerStatus> Manager::status() const {
  std::lock_guard lk(mu_);
  std::vector<ControllerStatus> out;
  for (const auto& e : entries_) {
    ControllerStatus s;
    s.kind = std::string(e->spec.reconciler->kind());
    s.role = e->spec.role;
    if (e->running) {
      s.active = true;
      const WorkQueue& q = e->running->queue.queue;
      s.depth = q.depth();
      s.delayed = q.delayedCount();
      s.processing = q.processingCount();
      s.reconciles = e->running->reconciles;
      s.errors = e->running->errors;
    }
    for (size_t i = 0; i < e->stats->results.size(); ++i) {
      s.results[ControllerStatus::kResults[i]] = e->stats->results[i];
    }
    s.duration = e->stats->duration.snapshot();
    s.queue_wait = e->stats->queue_wait.snapshot();
    if (e->pass_times) s.pass_times = e->pass_times();
    out.push_back(s);
  }
  return out;
}

}  // namespace hydrant::runtime
