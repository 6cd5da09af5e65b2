// /metrics: what this process's reconcilers did (from the manager) and what the database holds
// (builds, evaluations, jobsets, machines as the queue last published them, the notification
// backlog), in Prometheus's text format. Database figures are read in one transaction per
// scrape; when the database cannot be read, the process's own figures are still served and
// hydrant_database_up says so.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "controller/db/database.hh"
#include "controller/db/evals.hh"
#include "controller/db/system_status.hh"
#include "controller/db/web_queue.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "controller/web/prometheus.hh"
#include "controller/web/routes.hh"

namespace hydrant::web {

namespace {

using prometheus::Exposition;
using prometheus::Labels;

struct DatabaseFigures {
  std::vector<db::BuildStatusCount> builds;
  db::EvalOutcomeCounts evals;
  std::vector<db::JobsetConditionCount> jobsets;
  db::NotificationBacklog backlog;
  std::optional<std::string> machines;  // the queue's machines document
};

Result<DatabaseFigures> readFigures(db::Database& database) {
  return database.read<DatabaseFigures>([](db::ReadTx& tx) -> Result<DatabaseFigures> {
    DatabaseFigures f;
    auto builds = db::buildStatusCounts(tx);
    if (!builds) return builds.error();
    auto evals = db::evalOutcomeCounts(tx);
    if (!evals) return evals.error();
    auto jobsets = db::jobsetConditionCounts(tx);
    if (!jobsets) return jobsets.error();
    auto backlog = db::notificationBacklog(tx);
    if (!backlog) return backlog.error();
    auto machines = db::systemStatus(tx, views::kMachinesStatusKey);
    if (!machines) return machines.error();
    return DatabaseFigures{std::move(*builds), *evals, std::move(*jobsets), *backlog,
                           std::move(*machines)};
  });
}

void writeControllers(Exposition& out, const std::vector<runtime::ControllerStatus>& all) {
  out.family("hydrant_reconciles_total", "counter",
             "Reconciles finished, by kind of object and result.");
  for (const auto& c : all) {
    for (const char* result : runtime::ControllerStatus::kResults) {
      auto it = c.results.find(result);
      out.sample("hydrant_reconciles_total", {{"kind", c.kind}, {"result", result}},
                 it == c.results.end() ? 0.0 : static_cast<double>(it->second));
    }
  }
  out.family("hydrant_reconcile_duration_seconds", "histogram", "Time spent in one reconcile.");
  for (const auto& c : all) {
    out.histogram("hydrant_reconcile_duration_seconds", {{"kind", c.kind}}, c.duration);
  }
  out.family("hydrant_controller_leading", "gauge",
             "1 while this process leads the role that runs the reconciler, else 0.");
  for (const auto& c : all) {
    out.sample("hydrant_controller_leading", {{"kind", c.kind}, {"role", c.role}},
               c.active ? 1 : 0);
  }
  auto gauge = [&](const char* name, const char* help, auto value) {
    out.family(name, "gauge", help);
    for (const auto& c : all) out.sample(name, {{"kind", c.kind}}, static_cast<double>(value(c)));
  };
  gauge("hydrant_workqueue_depth", "Keys ready to be reconciled.",
        [](const runtime::ControllerStatus& c) { return c.depth; });
  gauge("hydrant_workqueue_delayed", "Keys waiting for a delay or a backoff to pass.",
        [](const runtime::ControllerStatus& c) { return c.delayed; });
  gauge("hydrant_workqueue_processing", "Keys being reconciled now.",
        [](const runtime::ControllerStatus& c) { return c.processing; });
  out.family("hydrant_workqueue_wait_seconds", "histogram",
             "Time from a key being queued (or its delay passing) to a worker taking it.");
  for (const auto& c : all) {
    out.histogram("hydrant_workqueue_wait_seconds", {{"kind", c.kind}}, c.queue_wait);
  }
  out.family("hydrant_dispatch_pass_seconds", "histogram",
             "Time the queue spent in one dispatch pass (ordering runnable steps, assigning "
             "machines, starting steps).");
  for (const auto& c : all) {
    if (c.pass_times) out.histogram("hydrant_dispatch_pass_seconds", {}, *c.pass_times);
  }
}

// "dependency failed" → "dependency_failed": label values that read well in queries.
std::string statusLabel(std::optional<int> buildstatus) {
  db::BuildView b;
  b.finished = buildstatus.has_value();
  b.buildstatus = buildstatus;
  std::string label = views::buildStatusLabel(b);
  for (char& c : label) {
    if (c == ' ') c = '_';
  }
  return label;
}

void writeBuilds(Exposition& out, const DatabaseFigures& f) {
  // Every known status is exported, 0 when no build has it, so series do not come and go.
  constexpr int kKnownStatuses = 13;
  std::vector<std::pair<std::optional<int>, long long>> counts = {{std::nullopt, 0}};
  for (int s = 0; s < kKnownStatuses; ++s) counts.emplace_back(s, 0);
  for (const auto& b : f.builds) {
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == b.buildstatus; });
    if (it == counts.end()) {
      counts.emplace_back(b.buildstatus, b.count);
    } else {
      it->second = b.count;
    }
  }
  out.family("hydrant_builds", "gauge", "Builds in the database: queued, or finished by status.");
  for (const auto& [status, n] : counts) {
    out.sample("hydrant_builds", {{"status", statusLabel(status)}}, static_cast<double>(n));
  }
  out.family("hydrant_evaluations", "gauge",
             "Evaluations in the database by outcome (a failed evaluation leaves no evaluation; "
             "see hydrant_jobsets).");
  out.sample("hydrant_evaluations", {{"result", "new_builds"}},
             static_cast<double>(f.evals.new_builds));
  out.sample("hydrant_evaluations", {{"result", "no_new_builds"}},
             static_cast<double>(f.evals.no_new_builds));
  out.sample("hydrant_evaluations", {{"result", "job_errors"}},
             static_cast<double>(f.evals.job_errors));
  out.family("hydrant_jobsets", "gauge", "Jobsets by condition and reason.");
  for (const auto& j : f.jobsets) {
    out.sample("hydrant_jobsets", {{"condition", j.condition}, {"reason", j.reason}},
               static_cast<double>(j.count));
  }
  out.family("hydrant_notifications_pending", "gauge",
             "Finished builds whose notifications have not all been sent.");
  out.sample("hydrant_notifications_pending", {}, static_cast<double>(f.backlog.pending));
  out.family("hydrant_notifications_oldest_pending_timestamp_seconds", "gauge",
             "When the oldest build still waiting for its notifications finished (unix time).");
  if (f.backlog.oldest) {
    out.sample("hydrant_notifications_oldest_pending_timestamp_seconds", {},
               static_cast<double>(*f.backlog.oldest));
  }
}

void writeMachines(Exposition& out, const std::optional<views::MachinesStatus>& status,
                   long long now) {
  out.family("hydrant_steps_running", "gauge", "Steps building on each machine.");
  if (status) {
    for (const auto& m : status->machines) {
      out.sample("hydrant_steps_running", {{"machine", m.uri}}, m.current_jobs);
    }
  }
  out.family("hydrant_machine_max_jobs", "gauge", "Steps each machine may build at once.");
  if (status) {
    for (const auto& m : status->machines) {
      out.sample("hydrant_machine_max_jobs", {{"machine", m.uri}}, m.max_jobs);
    }
  }
  out.family("hydrant_machine_backed_off", "gauge",
             "1 while a machine is backed off after failures, else 0.");
  if (status) {
    for (const auto& m : status->machines) {
      out.sample("hydrant_machine_backed_off", {{"machine", m.uri}},
                 m.disabled_until > now ? 1 : 0);
    }
  }
  out.family("hydrant_machines_status_timestamp_seconds", "gauge",
             "When the queue last published its machines (unix time).");
  if (status) {
    out.sample("hydrant_machines_status_timestamp_seconds", {},
               static_cast<double>(status->updated));
  }
}

long long nowSeconds(const Context& context) {
  const auto now = context.clock ? context.clock->now() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

Response metrics(const Context& context) {
  Exposition out;
  writeControllers(
      out, context.controllers ? context.controllers() : std::vector<runtime::ControllerStatus>{});
  std::optional<Result<DatabaseFigures>> figures;
  if (context.db) figures = readFigures(*context.db);
  const bool db_ok = figures && figures->has_value();
  if (figures && !db_ok) log::warn("web", "/metrics: {}", figures->error().message);
  out.family("hydrant_database_up", "gauge",
             "1 when /metrics could read the database, else 0 (its figures are then left out).");
  out.sample("hydrant_database_up", {}, db_ok ? 1 : 0);
  if (db_ok) {
    const DatabaseFigures& f = **figures;
    writeBuilds(out, f);
    std::optional<views::MachinesStatus> machines;
    if (f.machines) {
      auto parsed = views::parseMachinesStatus(*f.machines);
      if (parsed) {
        machines = std::move(*parsed);
      } else {
        log::warn("web", "/metrics: {}", parsed.error().message);
      }
    }
    writeMachines(out, machines, nowSeconds(context));
  }
  Response r;
  r.content_type = prometheus::kContentType;
  r.body = out.text();
  return r;
}

}  // namespace

std::vector<Route> metricsRoutes(const Context& context) {
  return {{"GET", "/metrics", [&context](const Request&) { return metrics(context); }}};
}

}  // namespace hydrant::web
