// The queue and machines pages (issue 6): /queue (what is queued, runnable, building, per system
// and per jobset, and why a queued build is not building), /queue-summary (the counts and the
// dispatcher's decisions as JSON) and /machines (load, systems, features, backoff). Each URL
// answers HTML, or JSON to `Accept: application/json` (/queue and /machines in Hydra's shapes,
// HYDRA.md §10). Read-only, one read-only transaction per request. Handlers are thread-safe.
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "controller/db/database.hh"
#include "controller/db/system_status.hh"
#include "controller/db/web_queue.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "controller/web/html.hh"
#include "controller/web/queue_view.hh"
#include "controller/web/routes.hh"

namespace hydrant::web {

namespace {

using html::escape;

// Longer lists are cut on the HTML page (the JSON has everything).
constexpr size_t kRowsShown = 500;

struct QueueData {
  std::vector<db::QueueRow> builds;
  std::vector<db::RunningStepRow> running;
  queue::Decisions decisions;
  std::vector<db::JobsetRef> names;  // of jobsets with share usage
  bool published = false;            // the queue has published its decisions
};

struct MachinesData {
  std::optional<views::MachinesStatus> status;
  std::vector<db::RunningStepRow> running;
};

long long nowSeconds(const Context& context) {
  const auto now = context.clock ? context.clock->now() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

Result<QueueData> loadQueue(db::Database& database) {
  return database.read<QueueData>([](db::ReadTx& tx) -> Result<QueueData> {
    QueueData d;
    auto builds = db::queueRows(tx);
    if (!builds) return builds.error();
    d.builds = std::move(*builds);
    auto running = db::runningStepRows(tx);
    if (!running) return running.error();
    d.running = std::move(*running);
    auto doc = db::systemStatus(tx, queue::kQueueStatusKey);
    if (!doc) return doc.error();
    if (*doc) {
      auto parsed = queue::parseDecisions(**doc);
      if (!parsed) return parsed.error();
      d.decisions = std::move(*parsed);
      d.published = true;
    }
    std::vector<int> ids;
    for (const auto& u : d.decisions.jobsets) ids.push_back(u.jobset_id);
    auto names = db::jobsetRefs(tx, ids);
    if (!names) return names.error();
    d.names = std::move(*names);
    return d;
  });
}

Result<MachinesData> loadMachines(db::Database& database) {
  return database.read<MachinesData>([](db::ReadTx& tx) -> Result<MachinesData> {
    MachinesData d;
    auto doc = db::systemStatus(tx, views::kMachinesStatusKey);
    if (!doc) return doc.error();
    if (*doc) {
      auto parsed = views::parseMachinesStatus(**doc);
      if (!parsed) return parsed.error();
      d.status = std::move(*parsed);
    }
    auto running = db::runningStepRows(tx);
    if (!running) return running.error();
    d.running = std::move(*running);
    return d;
  });
}

// ---- pieces of HTML -------------------------------------------------------------------------

std::string buildLink(int id) {
  return html::link("/build/" + std::to_string(id), "#" + std::to_string(id));
}

std::string jobsetLink(const std::string& project, const std::string& jobset) {
  return html::link("/jobset/" + html::urlSegment(project) + "/" + html::urlSegment(jobset),
                    project + ":" + jobset);
}

std::string muted(const std::string& text) {
  return "<span class=\"muted\">" + escape(text) + "</span>";
}

std::string code(const std::string& text) { return "<code>" + escape(text) + "</code>"; }

std::string orDash(const std::string& text) { return text.empty() ? muted("-") : escape(text); }

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// What a busy step is doing (Hydra's StepState).
std::string busyLabel(int busy) {
  switch (busy) {
    case 1:
      return "preparing";
    case 10:
      return "connecting";
    case 20:
      return "sending inputs";
    case 30:
      return "building";
    case 35:
      return "waiting for a local slot";
    case 40:
      return "receiving outputs";
    case 50:
      return "post-processing";
  }
  return "busy " + std::to_string(busy);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// "(N more not shown; the JSON lists all)" under a cut table.
std::string cutNote(size_t total) {
  if (total <= kRowsShown) return "";
  return "<p class=\"muted\">" + std::to_string(total - kRowsShown) +
         " more not shown; the JSON lists all.</p>\n";
}

// ---- /queue ---------------------------------------------------------------------------------

std::string summaryTables(const queue::Summary& summary) {
  std::vector<std::vector<std::string>> systems;
  for (const auto& s : summary.systems) {
    systems.push_back({orDash(s.system), std::to_string(s.queued), std::to_string(s.runnable),
                       std::to_string(s.building)});
  }
  std::vector<std::vector<std::string>> jobsets;
  for (const auto& j : summary.jobsets) {
    jobsets.push_back({jobsetLink(j.project, j.jobset), std::to_string(j.queued),
                       std::to_string(j.runnable), std::to_string(j.building),
                       j.share ? std::to_string(j.share->schedulingshares) : muted("-"),
                       j.share ? escape(number(j.share->share_used)) : muted("-")});
  }
  std::string out = "<h2>Per system</h2>\n";
  out += systems.empty()
             ? "<p class=\"muted\">Nothing queued.</p>\n"
             : html::table({"System", "Queued builds", "Runnable steps", "Building"}, systems);
  out += "<h2>Per jobset</h2>\n";
  out += jobsets.empty() ? "<p class=\"muted\">Nothing queued.</p>\n"
                         : html::table({"Jobset", "Queued builds", "Runnable steps", "Building",
                                        "Shares", "Share used"},
                                       jobsets);
  return out;
}

std::string runningTable(const std::vector<db::RunningStepRow>& running) {
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < running.size() && i < kRowsShown; ++i) {
    const auto& s = running[i];
    rows.push_back({buildLink(s.build), std::to_string(s.stepnr), code(queue::drvName(s.drvpath)),
                    orDash(s.system), orDash(s.machine), escape(busyLabel(s.busy)),
                    s.starttime ? escape(views::utcTime(*s.starttime)) : muted("-")});
  }
  std::string out = "<h2>Building now</h2>\n";
  if (rows.empty()) return out + "<p class=\"muted\">No step is being built.</p>\n";
  return out +
         html::table({"Build", "Step", "Derivation", "System", "Machine", "State", "Since (UTC)"},
                     rows) +
         cutNote(running.size());
}

std::string decisionsTable(const queue::Decisions& decisions) {
  std::vector<std::vector<std::string>> rows;
  size_t waiting = 0;
  for (const auto& d : decisions.steps) {
    if (d.started) continue;
    if (++waiting > kRowsShown) continue;
    std::vector<std::string> builds;
    for (int id : d.builds) builds.push_back(buildLink(id));
    rows.push_back(
        {code(queue::drvName(d.drvpath)), orDash(d.system), join(builds), escape(d.reason)});
  }
  std::string out = "<h2>Runnable steps waiting</h2>\n";
  if (rows.empty()) return out + "<p class=\"muted\">None.</p>\n";
  return out + html::table({"Derivation", "System", "Needed by", "Why it waits"}, rows) +
         cutNote(waiting);
}

std::string buildsTable(const std::vector<db::QueueRow>& builds,
                        const std::map<int, std::string>& reasons) {
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < builds.size() && i < kRowsShown; ++i) {
    const auto& b = builds[i];
    auto reason = reasons.find(b.id);
    rows.push_back({buildLink(b.id), jobsetLink(b.project, b.jobset), escape(b.job),
                    escape(b.system), escape(views::utcTime(b.timestamp)),
                    std::to_string(b.priority),
                    reason == reasons.end() ? muted("not known yet") : escape(reason->second)});
  }
  std::string out = "<h2>Queued builds</h2>\n";
  if (rows.empty()) return out + "<p class=\"muted\">The queue is empty.</p>\n";
  return out +
         html::table({"Build", "Jobset", "Job", "System", "Queued (UTC)", "Priority", "Status"},
                     rows) +
         cutNote(builds.size());
}

std::string queuePage(const QueueData& d, const queue::Summary& summary,
                      const std::map<int, std::string>& reasons) {
  long long runnable = 0;
  for (const auto& s : summary.systems) runnable += s.runnable;
  std::string body = "<p>" + std::to_string(d.builds.size()) + " queued build(s), " +
                     std::to_string(d.running.size()) + " step(s) building, " +
                     std::to_string(runnable) + " runnable step(s) waiting. ";
  if (d.decisions.updated) {
    body +=
        "The dispatcher last reported at " + escape(views::utcTime(*d.decisions.updated)) + " UTC.";
  } else {
    body += muted("The dispatcher has not reported yet (is the queue role running?)");
  }
  body += " " + html::link("/machines", "Machines") + "</p>\n";
  body += summaryTables(summary);
  body += runningTable(d.running);
  body += decisionsTable(d.decisions);
  body += buildsTable(d.builds, reasons);
  return html::page("Queue", body);
}

Response queueResponse(const Context& context, const Request& request, bool summary_only) {
  if (!context.db) return errorResponse(request, 503, "no database");
  auto d = loadQueue(*context.db);
  if (!d) {
    log::warn("web", "{}: {}", request.path, d.error().message);
    return errorResponse(request, 503, "cannot read the queue: " + d.error().message);
  }
  const queue::Summary summary = queue::summarize(d->builds, d->running, d->decisions, d->names);
  if (summary_only) {
    if (request.wantsJson()) return jsonResponse(queue::summaryJson(summary, d->decisions));
    return htmlResponse(
        html::page("Queue summary", summaryTables(summary) + decisionsTable(d->decisions) + "<p>" +
                                        html::link("/queue", "The whole queue") + "</p>\n"));
  }
  const auto reasons = queue::buildReasons(d->builds, d->running, d->decisions);
  if (request.wantsJson()) return jsonResponse(queue::queueJson(d->builds, reasons));
  return htmlResponse(queuePage(*d, summary, reasons));
}

// ---- /machines ------------------------------------------------------------------------------

std::string featuresHtml(const views::MachineStatus& m) {
  std::string out = m.supported_features.empty() ? "" : escape(join(m.supported_features));
  if (!m.mandatory_features.empty()) {
    out += (out.empty() ? "" : " ") + std::string("(mandatory: ") +
           escape(join(m.mandatory_features)) + ")";
  }
  return out.empty() ? muted("-") : out;
}

std::string machinesPage(const MachinesData& d, long long now) {
  if (!d.status) {
    return html::page("Machines",
                      "<p class=\"muted\">No machine status yet (is the queue role running?)</p>");
  }
  std::map<std::string, std::vector<std::string>> building;  // machine URI → build links
  for (const auto& s : d.running) building[s.machine].push_back(buildLink(s.build));
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : d.status->machines) {
    const std::string state = views::machineStateLabel(m, now);
    const char* cls = state == "ok" ? "ok" : state == "removed" ? "muted" : "fail";
    auto b = building.find(m.uri);
    rows.push_back({code(m.uri), m.systems.empty() ? muted("-") : escape(join(m.systems)),
                    std::to_string(m.current_jobs) + " / " + std::to_string(m.max_jobs),
                    escape(number(m.speed_factor)), featuresHtml(m),
                    std::string("<span class=\"") + cls + "\">" + escape(state) + "</span>",
                    b == building.end() ? muted("-") : join(b->second)});
  }
  std::string body = "<p>" + std::to_string(d.status->machines.size()) +
                     " machine(s); the queue reported at " +
                     escape(views::utcTime(d.status->updated)) + " UTC. " +
                     html::link("/queue", "Queue") + "</p>\n";
  body +=
      html::table({"Machine", "Systems", "Jobs", "Speed", "Features", "State", "Building"}, rows);
  return html::page("Machines", body);
}

Response machinesResponse(const Context& context, const Request& request) {
  if (!context.db) return errorResponse(request, 503, "no database");
  auto d = loadMachines(*context.db);
  if (!d) {
    log::warn("web", "{}: {}", request.path, d.error().message);
    return errorResponse(request, 503, "cannot read the machines: " + d.error().message);
  }
  if (request.wantsJson()) {
    return jsonResponse(d->status ? views::machines(*d->status) : nlohmann::json::object());
  }
  return htmlResponse(machinesPage(*d, nowSeconds(context)));
}

}  // namespace

std::vector<Route> queueRoutes(const Context& context) {
  return {
      {"GET", "/queue", [&context](const Request& r) { return queueResponse(context, r, false); }},
      {"GET", "/queue-summary",
       [&context](const Request& r) { return queueResponse(context, r, true); }},
      {"GET", "/machines", [&context](const Request& r) { return machinesResponse(context, r); }},
  };
}

}  // namespace hydrant::web
