#include "controller/runtime/manager.hh"

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "controller/log.hh"
#include "controller/runtime/work_queue.hh"

namespace hydrant::runtime {

struct Manager::Running {
  Running(Clock& clock, BackoffPolicy backoff, std::function<double()> random)
      : queue(clock, backoff, std::move(random)) {}
  WorkQueue queue;
  std::vector<std::jthread> threads;  // workers and the resync timer
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> errors{0};
};

namespace {

std::string objectName(const Reconciler& r, const std::string& key) {
  return std::string(r.kind()) + "=" + key;
}

void enqueueAll(Reconciler& r, WorkQueue& q) {
  auto keys = r.listKeys();
  if (!keys) {
    log::warn(std::string(r.kind()), "resync failed: {}", keys.error().message);
    return;
  }
  for (const auto& k : *keys) q.add(k);
  log::debug(std::string(r.kind()), "resync queued {} key(s)", keys->size());
}

// Applies one outcome to the queue; the key is still marked processing.
void applyOutcome(const Outcome& out, const Reconciler& r, const std::string& key, WorkQueue& q,
                  Clock& clock) {
  const std::string obj = objectName(r, key);
  if (std::holds_alternative<Done>(out)) {
    q.forget(key);
    log::debug(obj, "reconciled");
  } else if (auto* again = std::get_if<RequeueAfter>(&out)) {
    q.forget(key);
    q.addAfter(key, again->after);
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
        q.addAfter(key, std::max(wait, Duration(0)));
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

void workerLoop(std::stop_token stop, Reconciler& r, WorkQueue& q, Clock& clock,
                std::atomic<uint64_t>& reconciles, std::atomic<uint64_t>& errors) {
  while (auto key = q.get(stop)) {
    Outcome out;
    try {
      out = r.reconcile(*key, stop);
    } catch (const std::exception& e) {
      out = Error::transient(std::string("unexpected exception: ") + e.what());
    }
    ++reconciles;
    if (std::holds_alternative<Error>(out)) ++errors;
    applyOutcome(out, r, *key, q, clock);
    q.done(*key);
  }
}

void resyncLoop(std::stop_token stop, Reconciler& r, WorkQueue& q, Clock& clock,
                Duration interval) {
  while (sleepFor(clock, interval, stop)) enqueueAll(r, q);
}

}  // namespace

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

void Manager::add(ControllerSpec spec) {
  std::lock_guard lk(mu_);
  auto e = std::make_unique<Entry>();
  e->spec = std::move(spec);
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
      e->running->queue.add(*key);
    } else {
      enqueueAll(*e->spec.reconciler, e->running->queue);
    }
  }
}

void Manager::resyncAll() {
  std::lock_guard lk(mu_);
  for (auto& e : entries_) {
    if (e->running) enqueueAll(*e->spec.reconciler, e->running->queue);
  }
}

void Manager::start(Entry& e) {
  if (e.running) return;
  e.running = std::make_unique<Running>(clock_, backoff_, random_);
  Running& run = *e.running;
  Reconciler& r = *e.spec.reconciler;
  enqueueAll(r, run.queue);
  for (int i = 0; i < std::max(1, e.spec.workers); ++i) {
    run.threads.emplace_back(workerLoop, std::ref(r), std::ref(run.queue), std::ref(clock_),
                             std::ref(run.reconciles), std::ref(run.errors));
  }
  run.threads.emplace_back(resyncLoop, std::ref(r), std::ref(run.queue), std::ref(clock_),
                           resync_interval_);
  log::info(std::string(r.kind()), "started {} worker(s) for role {}", e.spec.workers, e.spec.role);
}

std::function<void()> Manager::stop(Entry& e) {
  if (!e.running) return {};
  for (auto& t : e.running->threads) t.request_stop();
  e.running->queue.shutDown();
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
      s.depth = e->running->queue.depth();
      s.delayed = e->running->queue.delayedCount();
      s.processing = e->running->queue.processingCount();
      s.reconciles = e->running->reconciles;
      s.errors = e->running->errors;
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace hydrant::runtime
