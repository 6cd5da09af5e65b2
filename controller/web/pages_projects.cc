// The project and jobset pages (issue 6): / (projects), /project/P, /jobset/P/J,
// /jobset/P/J/evals and /api/jobsets. Each URL answers HTML, or JSON with Hydra's field names
// (HYDRA.md §10) to `Accept: application/json`, with Hydrant's status, events and counts beside
// them. Read-only: every request reads in one read-only transaction. Handlers are thread-safe.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iterator>
#include <map>
#include <variant>

#include "controller/db/database.hh"
#include "controller/db/web_projects.hh"
#include "controller/log.hh"
#include "controller/views.hh"
#include "controller/web/html.hh"
#include "controller/web/routes.hh"
#include "specs/parse.hh"

namespace hydrant::web {

namespace {

using html::escape;
using Json = nlohmann::json;

constexpr int kEvalsPerPage = 20;       // Hydra's /jobset/P/J/evals page size
constexpr int kEvalsOnJobsetPage = 10;  // Hydra's jobset page shows as many
constexpr int kEventsShown = 50;
constexpr long long kMaxPage = 1000000;
constexpr size_t kErrorPreview = 300;

// ---- pieces of HTML ---------------------------------------------------------------------------

std::string projectHref(const std::string& p) { return "/project/" + html::urlSegment(p); }

std::string jobsetHref(const std::string& p, const std::string& j) {
  return "/jobset/" + html::urlSegment(p) + "/" + html::urlSegment(j);
}

std::string evalLink(int id) {
  return html::link("/eval/" + std::to_string(id), "#" + std::to_string(id));
}

std::string buildLink(int id) {
  return html::link("/build/" + std::to_string(id), "#" + std::to_string(id));
}

std::string muted(const std::string& text) {
  return "<span class=\"muted\">" + escape(text) + "</span>";
}

// Hydra's jobset modes (Jobsets.enabled 0-3) as the page names them.
const char* enabledLabel(specs::Enabled e) {
  static const char* const kLabels[] = {"disabled", "enabled", "one-shot", "one-at-a-time"};
  const auto i = static_cast<size_t>(e);
  return i < std::size(kLabels) ? kLabels[i] : "unknown";
}

std::string timeHtml(const std::optional<long long>& t) {
  return t ? escape(views::utcTime(*t)) : muted("never");
}

// A git commit shortened to 12 characters, the whole revision in its title.
std::string revisionHtml(const std::optional<std::string>& rev) {
  if (!rev || rev->empty()) return muted("none");
  const bool commit =
      rev->size() == 40 && rev->find_first_not_of("0123456789abcdef") == std::string::npos;
  return "<code title=\"" + escape(*rev) + "\">" + escape(commit ? rev->substr(0, 12) : *rev) +
         "</code>";
}

// The Ready condition, or the condition that keeps the object from it, with reason and message.
// Phrasing content only, so it may stand inside a paragraph.
std::string conditionHtml(const db::Status& s) {
  const char* cls = s.condition == "Ready" ? "ok" : s.condition == "Stalled" ? "fail" : "wait";
  std::string out = std::string("<span class=\"") + cls + "\">" + escape(s.condition) + "</span>";
  if (!s.reason.empty()) out += " (" + escape(s.reason) + ")";
  if (!s.message.empty()) {
    out += std::string("<br><span class=\"") + (s.condition == "Stalled" ? "error" : "muted") +
           "\">" + escape(s.message) + "</span>";
  }
  return out;
}

std::string countHtml(long long n, const char* cls) {
  if (n == 0) return "0";
  return std::string("<span class=\"") + cls + "\">" + std::to_string(n) + "</span>";
}

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The start of a possibly long error text (a whole evaluation's job errors).
std::string errorPreview(const std::string& label, const std::string& text) {
  if (text.empty()) return "";
  const bool cut = text.size() > kErrorPreview;
  return "<div class=\"error\">" + escape(label) + ": " +
         escape(cut ? text.substr(0, kErrorPreview) : text) + (cut ? "…" : "") + "</div>";
}

// A link only for web addresses: a spec's homepage must not become a javascript: link.
std::string homepageHtml(const std::string& url) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) return html::link(url, url);
  return escape(url);
}

std::string eventsTable(const std::vector<db::EventRow>& events) {
  if (events.empty()) return "<p class=\"muted\">No events recorded.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : events) {
    // "2024-05-01T12:00:00Z" as the other times on these pages read: "2024-05-01 12:00:00".
    std::string time = e.time;
    if (time.size() == 20 && time[10] == 'T') time = time.substr(0, 10) + " " + time.substr(11, 8);
    rows.push_back({escape(time), escape(e.kind + " " + e.key), escape(e.action),
                    revisionHtml(e.revision), escape(e.message)});
  }
  return html::table({"Time", "Object", "Action", "Revision", "Message"}, rows);
}

// ---- pieces of JSON ---------------------------------------------------------------------------

template <class T>
Json optJson(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json eventsJson(const std::vector<db::EventRow>& events) {
  Json out = Json::array();
  for (const auto& e : events) {
    out.push_back({{"id", e.id},
                   {"time", e.time},
                   {"kind", e.kind},
                   {"key", e.key},
                   {"action", e.action},
                   {"revision", optJson(e.revision)},
                   {"message", e.message}});
  }
  return out;
}

// A build as Hydra's /api/latestbuilds lists one.
Json jobJson(const db::EvalJob& j) {
  return {{"id", j.build},
          {"job", j.job},
          {"system", j.system},
          {"nixname", j.nixname},
          {"finished", j.finished ? 1 : 0},
          {"buildstatus", j.finished && j.buildstatus ? Json(*j.buildstatus) : Json(nullptr)}};
}

std::string jobStatusHtml(const db::EvalJob& j) {
  db::BuildView b;
  b.finished = j.finished;
  b.buildstatus = j.buildstatus;
  const std::string label = views::buildStatusLabel(b);
  const char* cls = !j.finished ? "wait" : j.buildstatus.value_or(-1) == 0 ? "ok" : "fail";
  return std::string("<span class=\"") + cls + "\">" + escape(label) + "</span>";
}

// ---- answers that are not pages ---------------------------------------------------------------

Response jsonError(int status, const std::string& message) {
  return jsonResponse({{"error", message}, {"status", status}}, status);
}

Response readFailed(const Request& request, const Error& e, bool always_json) {
  log::error("web", "{} {}: {}", request.method, request.path, e.message);
  const bool transient = e.cls == ErrorClass::kTransient;
  const int status = transient ? 503 : 500;
  const std::string message = transient ? "database unavailable, try again" : "internal error";
  return always_json ? jsonError(status, message) : errorResponse(request, status, message);
}

std::optional<Response> badName(const Request& request, const std::string& project,
                                const std::string* jobset) {
  if (!specs::validProjectName(project)) {
    return errorResponse(request, 400, "\"" + project + "\" is not a valid project name");
  }
  if (jobset && !specs::validJobsetName(*jobset)) {
    return errorResponse(request, 400, "\"" + *jobset + "\" is not a valid jobset name");
  }
  return std::nullopt;
}

// ?page=N: 1 when absent; an error message when it is not a whole number from 1 to kMaxPage.
std::variant<long long, std::string> pageParam(const Request& request) {
  const auto text = request.param("page");
  if (!text) return 1LL;
  long long page = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, page);
  if (ec != std::errc() || ptr != end || page < 1 || page > kMaxPage) {
    return "page must be a whole number from 1 to " + std::to_string(kMaxPage) + ", not \"" +
           *text + "\"";
  }
  return page;
}

// ---- / ----------------------------------------------------------------------------------------

struct HomeData {
  std::vector<db::ProjectRow> projects;
  std::map<std::string, std::vector<std::string>> jobsets;
  std::map<std::string, db::ProjectBuildCounts> counts;
};

Result<HomeData> loadHome(db::ReadTx& tx) {
  auto projects = db::listProjects(tx);
  if (!projects) return projects.error();
  auto names = db::jobsetNamesByProject(tx);
  if (!names) return names.error();
  auto counts = db::projectBuildCounts(tx);
  if (!counts) return counts.error();
  return HomeData{std::move(*projects), std::move(*names), std::move(*counts)};
}

template <class V>
V lookup(const std::map<std::string, V>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? V{} : it->second;
}

Json homeJson(const HomeData& d) {
  Json out = Json::array();
  for (const auto& p : d.projects) {
    Json j = views::project(p, lookup(d.jobsets, p.spec.name));
    const db::ProjectBuildCounts c = lookup(d.counts, p.spec.name);
    j["nrjobsets"] = p.jobsets;
    j["nrqueued"] = c.queued;
    j["nrsucceeded"] = c.succeeded;
    j["nrfailed"] = c.failed;
    out.push_back(std::move(j));
  }
  return out;
}

std::string projectNameHtml(const db::ProjectRow& p) {
  std::string out = html::link(projectHref(p.spec.name), p.spec.name);
  if (!p.spec.displayname.empty() && p.spec.displayname != p.spec.name) {
    out += "<div>" + escape(p.spec.displayname) + "</div>";
  }
  if (!p.spec.enabled) out += " " + muted("disabled");
  if (p.spec.hidden) out += " " + muted("hidden");
  return out;
}

std::string homeHtml(const HomeData& d) {
  if (d.projects.empty()) {
    return html::page("Projects",
                      "<p class=\"muted\">No projects yet: they appear when a spec "
                      "source declares them.</p>");
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : d.projects) {
    const db::ProjectBuildCounts c = lookup(d.counts, p.spec.name);
    rows.push_back({projectNameHtml(p), escape(p.spec.description), conditionHtml(p.status),
                    revisionHtml(p.observed_revision), std::to_string(p.jobsets),
                    countHtml(c.queued, "wait"), countHtml(c.succeeded, "ok"),
                    countHtml(c.failed, "fail")});
  }
  return html::page(
      "Projects", html::table({"Project", "Description", "Status", "Revision", "Jobsets", "Queued",
                               "Succeeded", "Failed"},
                              rows) +
                      "<p class=\"muted\">Succeeded and failed: builds of each jobset's latest "
                      "evaluation. Queued: every unfinished build.</p>");
}

Response home(db::Database* db, const Request& request) {
  auto data = db->read<HomeData>(loadHome);
  if (!data) return readFailed(request, data.error(), false);
  if (request.wantsJson()) return jsonResponse(homeJson(*data));
  return htmlResponse(homeHtml(*data));
}

// ---- /project/P -------------------------------------------------------------------------------

struct ProjectData {
  db::ProjectRow project;
  std::vector<db::JobsetRow> jobsets;
  std::map<std::string, db::JobsetSummary> summaries;  // by jobset name
  std::vector<db::EventRow> events;
};

// The project with its jobsets; with `events`, also its history.
Result<std::optional<ProjectData>> loadProjectPage(db::ReadTx& tx, const std::string& name,
                                                   bool events) {
  auto project = db::loadProject(tx, name);
  if (!project) return project.error();
  if (!*project) return std::optional<ProjectData>();
  ProjectData d{std::move(**project), {}, {}, {}};
  auto jobsets = db::listJobsets(tx, name);
  if (!jobsets) return jobsets.error();
  d.jobsets = std::move(*jobsets);
  auto summaries = db::jobsetSummaries(tx, name);
  if (!summaries) return summaries.error();
  for (auto& s : *summaries) d.summaries[s.name] = std::move(s);
  if (!events) return std::optional<ProjectData>(std::move(d));
  auto history = db::projectEvents(tx, name, kEventsShown);
  if (!history) return history.error();
  d.events = std::move(*history);
  return std::optional<ProjectData>(std::move(d));
}

// A jobset as Hydra's /api/jobsets lists it.
Json apiJobsetJson(const db::JobsetRow& j, const db::JobsetSummary& s) {
  return {{"project", j.project},
          {"name", j.spec.name},
          {"nrscheduled", s.current.scheduled},
          {"nrsucceeded", s.current.succeeded},
          {"nrfailed", s.current.failed},
          {"nrtotal", s.current.total},
          {"lastcheckedtime", optJson(j.lastcheckedtime)},
          {"starttime", optJson(j.starttime)},
          {"checkinterval", j.spec.checkinterval},
          {"triggertime", optJson(j.triggertime)},
          {"fetcherrormsg", j.fetcherrormsg},
          {"errortime", optJson(j.errortime)},
          {"haserrormsg", !j.errormsg.empty()}};
}

// /api/jobsets' fields, and what the project page shows besides.
Json jobsetOverviewJson(const db::JobsetRow& j, const db::JobsetSummary& s) {
  Json out = apiJobsetJson(j, s);
  out["enabled"] = static_cast<int>(j.spec.enabled);
  out["hidden"] = j.spec.hidden;
  out["errormsg"] = j.errormsg;
  out["schedulingshares"] = j.spec.schedulingshares;
  out["shareUsed"] = optJson(s.share_used);
  out["seconds"] = optJson(s.share_seconds);
  out["latesteval"] = s.last_eval
                          ? Json{{"id", *s.last_eval}, {"timestamp", optJson(s.last_eval_time)}}
                          : Json(nullptr);
  out["status"] = {{"observed_revision", optJson(j.observed_revision)},
                   {"conditions", views::conditions(j.status)}};
  return out;
}

Json projectJson(const ProjectData& d) {
  std::vector<std::string> names;
  Json overview = Json::array();
  for (const auto& j : d.jobsets) {
    names.push_back(j.spec.name);
    overview.push_back(jobsetOverviewJson(j, lookup(d.summaries, j.spec.name)));
  }
  Json out = views::project(d.project, names);
  out["jobset_overview"] = std::move(overview);
  out["events"] = eventsJson(d.events);
  return out;
}

std::vector<std::string> jobsetRowHtml(const db::JobsetRow& j, const db::JobsetSummary& s) {
  std::string name = html::link(jobsetHref(j.project, j.spec.name), j.spec.name);
  if (!j.spec.description.empty())
    name += "<div class=\"muted\">" + escape(j.spec.description) + "</div>";
  std::string state = enabledLabel(j.spec.enabled);
  if (j.spec.hidden) state += ", hidden";
  const std::string last_eval =
      s.last_eval ? evalLink(*s.last_eval) + "<br>" + timeHtml(s.last_eval_time) : muted("none");
  const std::string used = s.share_used ? fixed2(*s.share_used) + "<br>" +
                                              muted(fixed2(s.share_seconds.value_or(0)) + " s")
                                        : muted("unknown");
  const std::string builds = countHtml(s.current.succeeded, "ok") + " / " +
                             countHtml(s.current.failed, "fail") + " / " +
                             countHtml(s.current.scheduled, "wait");
  return {name,
          escape(state),
          conditionHtml(j.status),
          last_eval,
          timeHtml(j.lastcheckedtime),
          std::to_string(j.spec.schedulingshares),
          used,
          builds,
          errorPreview("fetch", j.fetcherrormsg) + errorPreview("evaluation", j.errormsg)};
}

std::string projectHtml(const ProjectData& d) {
  const auto& p = d.project;
  std::string body = "<p>";
  if (!p.spec.displayname.empty()) body += "<strong>" + escape(p.spec.displayname) + "</strong> ";
  body += escape(p.spec.description) + "</p>\n<p>Status: " + conditionHtml(p.status) + "</p>\n";
  body += "<p>Spec revision: " + revisionHtml(p.observed_revision);
  if (!p.declared_by.empty()) body += " from " + escape(p.declared_by);
  if (!p.spec.declarative.file.empty()) {
    body += "; declarative: " + escape(p.spec.declarative.file) + " in " +
            escape(p.spec.declarative.type) + " " + escape(p.spec.declarative.value);
  }
  body += "</p>\n";
  if (!p.spec.homepage.empty()) body += "<p>Homepage: " + homepageHtml(p.spec.homepage) + "</p>\n";
  if (!p.spec.enabled) body += "<p class=\"wait\">This project is disabled.</p>\n";
  body += "<h2>Jobsets</h2>\n";
  if (d.jobsets.empty()) {
    body += "<p class=\"muted\">No jobsets.</p>\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& j : d.jobsets)
      rows.push_back(jobsetRowHtml(j, lookup(d.summaries, j.spec.name)));
    body += html::table({"Jobset", "State", "Status", "Last evaluation", "Last check", "Shares",
                         "Share used", "Succeeded / failed / queued", "Errors"},
                        rows);
  }
  body += "<h2>History</h2>\n" + eventsTable(d.events);
  return html::page("Project " + p.spec.name, body);
}

Response project(db::Database* db, const Request& request) {
  const std::string& name = request.captures.at(0);
  if (auto bad = badName(request, name, nullptr)) return *bad;
  auto data = db->read<std::optional<ProjectData>>(
      [&](db::ReadTx& tx) { return loadProjectPage(tx, name, true); });
  if (!data) return readFailed(request, data.error(), false);
  if (!*data) return errorResponse(request, 404, "Project " + name + " doesn't exist.");
  if (request.wantsJson()) return jsonResponse(projectJson(**data));
  return htmlResponse(projectHtml(**data));
}

// ---- /jobset/P/J and /jobset/P/J/evals ---------------------------------------------------------

struct JobsetData {
  bool project_found = false;
  std::optional<db::JobsetRow> jobset;
  long long eval_count = 0;
  std::vector<db::EvalView> evals;  // newest first; the first is the latest
  std::vector<db::EvalJob> jobs;    // of the latest evaluation
  std::optional<db::GeneratedOrigin> origin;
  std::vector<db::EventRow> events;
};

// The jobset and one page of its evaluations; with `details`, also what the jobset page shows
// besides (the latest evaluation's jobs, the origin, events).
Result<JobsetData> loadJobset(db::ReadTx& tx, const std::string& project, const std::string& name,
                              long long offset, int limit, bool details) {
  JobsetData d;
  auto jobsets = db::listJobsets(tx, project);
  if (!jobsets) return jobsets.error();
  for (auto& j : *jobsets) {
    if (j.spec.name == name) d.jobset = std::move(j);
  }
  if (!d.jobset) {
    auto p = db::loadProject(tx, project);
    if (!p) return p.error();
    d.project_found = p->has_value();
    return d;
  }
  d.project_found = true;
  auto count = db::countEvalsWithBuilds(tx, d.jobset->id);
  if (!count) return count.error();
  d.eval_count = *count;
  auto evals = db::evalsWithBuildsPage(tx, d.jobset->id, offset, limit);
  if (!evals) return evals.error();
  d.evals = std::move(*evals);
  if (!details) return d;
  if (!d.evals.empty()) {
    auto jobs = db::evalJobs(tx, d.evals.front().id);
    if (!jobs) return jobs.error();
    d.jobs = std::move(*jobs);
  }
  auto origin = db::generatedOrigin(tx, project, name, d.jobset->observed_revision);
  if (!origin) return origin.error();
  d.origin = *origin;
  auto events = db::jobsetEvents(tx, project, name, kEventsShown);
  if (!events) return events.error();
  d.events = std::move(*events);
  return d;
}

std::optional<Response> jobsetMissing(const Request& request, const JobsetData& d,
                                      const std::string& project, const std::string& jobset) {
  if (!d.project_found)
    return errorResponse(request, 404, "Project " + project + " doesn't exist.");
  if (!d.jobset) return errorResponse(request, 404, "Jobset " + jobset + " doesn't exist.");
  return std::nullopt;
}

Json jobsetJson(const JobsetData& d) {
  const db::JobsetRow& j = *d.jobset;
  Json out = views::jobset(j);
  out["status"]["origin"] =
      d.origin ? Json{{"jobset", specs::kGeneratorJobset},
                      {"build", d.origin->build ? Json(*d.origin->build) : Json(nullptr)},
                      {"revision", optJson(j.observed_revision)}}
               : Json(nullptr);
  out["latest_eval"] = d.evals.empty() ? Json(nullptr) : views::eval(d.evals.front());
  Json jobs = Json::array(), channels = Json::array();
  for (const auto& job : d.jobs) {
    jobs.push_back(jobJson(job));
    if (job.channel) channels.push_back(jobJson(job));
  }
  out["jobs"] = std::move(jobs);
  out["channels"] = std::move(channels);
  out["events"] = eventsJson(d.events);
  return out;
}

std::string evalsTable(const std::vector<db::EvalView>& evals) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : evals) {
    std::string inputs;
    for (const auto& [name, in] : e.inputs) {
      if (!in.revision) continue;
      inputs += "<div>" + escape(name) + " " + revisionHtml(in.revision) + "</div>";
    }
    rows.push_back({evalLink(e.id), escape(views::utcTime(e.timestamp)),
                    std::to_string(e.builds.size()), inputs,
                    std::to_string(e.checkouttime) + " s / " + std::to_string(e.evaltime) + " s",
                    errorPreview("jobs", e.errormsg)});
  }
  return html::table(
      {"Evaluation", "Time", "Builds", "Input revisions", "Fetch / evaluation", "Errors"}, rows);
}

// The jobset's inputs as its spec declares them, with the revision the latest evaluation used;
// then inputs only the evaluation had (declInput of `.jobsets`).
std::string inputsTable(const db::JobsetRow& j, const db::EvalView* latest) {
  std::vector<std::vector<std::string>> rows;
  std::map<std::string, db::EvalInputView> used;
  if (latest) used = latest->inputs;
  for (const auto& in : j.spec.inputs) {
    auto it = used.find(in.name);
    rows.push_back({escape(in.name), escape(in.type), escape(in.value),
                    revisionHtml(it == used.end() ? std::nullopt : it->second.revision)});
    if (it != used.end()) used.erase(it);
  }
  for (const auto& [name, in] : used) {
    rows.push_back({escape(name), escape(in.type), escape(in.value.value_or(in.uri.value_or(""))),
                    revisionHtml(in.revision)});
  }
  if (rows.empty()) return "<p class=\"muted\">No inputs.</p>\n";
  return html::table({"Input", "Type", "Value", "Revision (latest evaluation)"}, rows);
}

std::string jobsTable(const std::vector<db::EvalJob>& jobs, bool channels_only) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& job : jobs) {
    if (channels_only && !job.channel) continue;
    rows.push_back({escape(job.job), buildLink(job.build), escape(job.system), jobStatusHtml(job)});
  }
  if (rows.empty()) return "<p class=\"muted\">None.</p>\n";
  return html::table({"Job", "Build", "System", "Status"}, rows);
}

std::string jobsetHeaderHtml(const JobsetData& d) {
  const db::JobsetRow& j = *d.jobset;
  std::string body = "<p>Project " + html::link(projectHref(j.project), j.project);
  if (!j.spec.description.empty()) body += " — " + escape(j.spec.description);
  body += "</p>\n<p>State: " + escape(enabledLabel(j.spec.enabled)) +
          (j.spec.hidden ? ", hidden" : "") + ". Status: " + conditionHtml(j.status) + "</p>\n";
  body += "<p>Spec revision: " + revisionHtml(j.observed_revision);
  if (d.origin) {
    body += "; generated by " + html::link(jobsetHref(j.project, specs::kGeneratorJobset),
                                           j.project + ":" + specs::kGeneratorJobset);
    if (d.origin->build) body += " build " + buildLink(*d.origin->build);
  }
  body += "</p>\n<p>Last check: " + timeHtml(j.lastcheckedtime) +
          ". Check interval: " + std::to_string(j.spec.checkinterval) +
          " s. Scheduling shares: " + std::to_string(j.spec.schedulingshares) + ".";
  if (j.starttime) body += " Evaluating since " + timeHtml(j.starttime) + ".";
  body += "</p>\n";
  if (!j.fetcherrormsg.empty()) {
    body += "<h2>Fetch error</h2>\n<pre class=\"error\">" + escape(j.fetcherrormsg) + "</pre>\n";
  }
  if (!j.errormsg.empty()) {
    body += "<h2>Evaluation errors</h2>\n<pre class=\"error\">" + escape(j.errormsg) + "</pre>\n";
  }
  return body;
}

std::string jobsetHtml(const JobsetData& d) {
  const db::JobsetRow& j = *d.jobset;
  const db::EvalView* latest = d.evals.empty() ? nullptr : &d.evals.front();
  std::string body = jobsetHeaderHtml(d);
  body += "<h2>Inputs</h2>\n" + inputsTable(j, latest);
  body += "<h2>Evaluations</h2>\n";
  if (d.evals.empty()) {
    body += "<p class=\"muted\">No evaluations yet.</p>\n";
  } else {
    body += evalsTable(d.evals) + "<p>" +
            html::link(jobsetHref(j.project, j.spec.name) + "/evals",
                       "All " + std::to_string(d.eval_count) + " evaluations") +
            "</p>\n";
  }
  body += "<h2>Jobs of the latest evaluation</h2>\n";
  body += latest ? jobsTable(d.jobs, false) : "<p class=\"muted\">None.</p>\n";
  body += "<h2>Channels</h2>\n" + jobsTable(d.jobs, true);
  body += "<h2>History</h2>\n" + eventsTable(d.events);
  return html::page("Jobset " + j.project + ":" + j.spec.name, body);
}

Response jobset(db::Database* db, const Request& request) {
  const std::string& p = request.captures.at(0);
  const std::string& name = request.captures.at(1);
  if (auto bad = badName(request, p, &name)) return *bad;
  auto data = db->read<JobsetData>(
      [&](db::ReadTx& tx) { return loadJobset(tx, p, name, 0, kEvalsOnJobsetPage, true); });
  if (!data) return readFailed(request, data.error(), false);
  if (auto missing = jobsetMissing(request, *data, p, name)) return *missing;
  if (request.wantsJson()) return jsonResponse(jobsetJson(*data));
  return htmlResponse(jobsetHtml(*data));
}

std::string pagerHtml(const std::string& base, long long page, long long last) {
  std::string out = "<p>";
  auto add = [&](const std::string& label, long long to) {
    out += html::link(base + "?page=" + std::to_string(to), label) + " ";
  };
  add("First", 1);
  if (page > 1) add("Previous", page - 1);
  out += "Page " + std::to_string(page) + " of " + std::to_string(last) + " ";
  if (page < last) add("Next", page + 1);
  add("Last", last);
  return out + "</p>\n";
}

Response evals(db::Database* db, const Request& request) {
  const std::string& p = request.captures.at(0);
  const std::string& name = request.captures.at(1);
  if (auto bad = badName(request, p, &name)) return *bad;
  const auto page = pageParam(request);
  if (auto* message = std::get_if<std::string>(&page)) return errorResponse(request, 400, *message);
  const long long n = std::get<long long>(page);
  auto data = db->read<JobsetData>([&](db::ReadTx& tx) {
    return loadJobset(tx, p, name, (n - 1) * kEvalsPerPage, kEvalsPerPage, false);
  });
  if (!data) return readFailed(request, data.error(), false);
  if (auto missing = jobsetMissing(request, *data, p, name)) return *missing;
  // Hydra says ?page=0 for the last page of nothing; page 1 is where such a list is.
  const long long last = std::max(1LL, (data->eval_count + kEvalsPerPage - 1) / kEvalsPerPage);
  if (request.wantsJson()) {
    Json list = Json::array();
    for (const auto& e : data->evals) list.push_back(views::eval(e));
    Json out = {{"evals", std::move(list)},
                {"first", "?page=1"},
                {"last", "?page=" + std::to_string(last)}};
    if (n > 1) out["previous"] = "?page=" + std::to_string(n - 1);
    if (n < last) out["next"] = "?page=" + std::to_string(n + 1);
    return jsonResponse(out);
  }
  const std::string base = jobsetHref(p, name) + "/evals";
  std::string body = "<p>Jobset " + html::link(jobsetHref(p, name), p + ":" + name) + ", " +
                     std::to_string(data->eval_count) + " evaluations with new builds.</p>\n";
  body += data->evals.empty() ? "<p class=\"muted\">No evaluations on this page.</p>\n"
                              : evalsTable(data->evals);
  body += pagerHtml(base, n, last);
  return htmlResponse(html::page("Evaluations of " + p + ":" + name, body));
}

// ---- /api/jobsets?project=P -------------------------------------------------------------------

Response apiJobsets(db::Database* db, const Request& request) {
  const auto name = request.param("project");
  if (!name) return jsonError(400, "Parameter 'project' not defined!");
  if (!specs::validProjectName(*name)) {
    return jsonError(400, "\"" + *name + "\" is not a valid project name");
  }
  auto data = db->read<std::optional<ProjectData>>(
      [&](db::ReadTx& tx) { return loadProjectPage(tx, *name, false); });
  if (!data) return readFailed(request, data.error(), true);
  if (!*data) return jsonError(404, "Project " + *name + " doesn't exist.");
  Json out = Json::array();
  for (const auto& j : (*data)->jobsets) {
    out.push_back(apiJobsetJson(j, lookup((*data)->summaries, j.spec.name)));
  }
  return jsonResponse(out);
}

}  // namespace

std::vector<Route> projectRoutes(const Context& context) {
  db::Database* db = context.db;
  auto with_db = [db](Response (*handler)(db::Database*, const Request&), bool always_json) {
    return [db, handler, always_json](const Request& request) {
      if (db == nullptr) {
        return always_json ? jsonError(503, "no database")
                           : errorResponse(request, 503, "no database");
      }
      return handler(db, request);
    };
  };
  return {
      {"GET", "/", with_db(home, false)},
      {"GET", "/project/([^/]+)", with_db(project, false)},
      {"GET", "/jobset/([^/]+)/([^/]+)", with_db(jobset, false)},
      {"GET", "/jobset/([^/]+)/([^/]+)/evals", with_db(evals, false)},
      {"GET", "/api/jobsets", with_db(apiJobsets, true)},
  };
}

}  // namespace hydrant::web
