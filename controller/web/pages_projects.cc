// The project pages (issue 6): / (projects), /project/P and /api/jobsets. Each page answers
// HTML, or JSON with Hydra's field names (HYDRA.md §10) to `Accept: application/json`, with
// Hydrant's status, events and counts beside them; /api/jobsets always answers JSON. Read-only:
// every request reads in one read-only transaction. Handlers are thread-safe. The jobset pages
// are in pages_jobsets.cc.
#include <cstdio>
#include <map>

#include "controller/db/database.hh"
#include "controller/db/web_projects.hh"
#include "controller/views.hh"
#include "controller/web/html.hh"
#include "controller/web/page_parts.hh"
#include "controller/web/routes.hh"
#include "specs/parse.hh"

namespace hydrant::web {

namespace {

using html::escape;
using Json = nlohmann::json;

// ---- pieces of HTML ---------------------------------------------------------------------------

std::string countHtml(long long n, const char* cls) {
  if (n == 0) return "0";
  return std::string("<span class=\"") + cls + "\">" + std::to_string(n) + "</span>";
}

std::string fixed2(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A link only for web addresses: a spec's homepage must not become a javascript: link.
std::string homepageHtml(const std::string& url) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) return html::link(url, url);
  return escape(url);
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

Response home(const Context& context, const Request& request) {
  auto data = context.db->read<HomeData>(loadHome);
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
          {"lastcheckedtime", orNull(j.lastcheckedtime)},
          {"starttime", orNull(j.starttime)},
          {"checkinterval", j.spec.checkinterval},
          {"triggertime", orNull(j.triggertime)},
          {"fetcherrormsg", j.fetcherrormsg},
          {"errortime", orNull(j.errortime)},
          {"haserrormsg", !j.errormsg.empty()}};
}

// /api/jobsets' fields, and what the project page shows besides.
Json jobsetOverviewJson(const db::JobsetRow& j, const db::JobsetSummary& s) {
  Json out = apiJobsetJson(j, s);
  out["enabled"] = static_cast<int>(j.spec.enabled);
  out["hidden"] = j.spec.hidden;
  out["errormsg"] = j.errormsg;
  out["schedulingshares"] = j.spec.schedulingshares;
  out["shareUsed"] = orNull(s.share_used);
  out["seconds"] = orNull(s.share_seconds);
  out["latesteval"] = s.last_eval
                          ? Json{{"id", *s.last_eval}, {"timestamp", orNull(s.last_eval_time)}}
                          : Json(nullptr);
  out["status"] = {{"observed_revision", orNull(j.observed_revision)},
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
      s.last_eval ? evalLink(*s.last_eval, "#") + "<br>" + timeHtml(s.last_eval_time, "never")
                  : muted("none");
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
          timeHtml(j.lastcheckedtime, "never"),
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

Response project(const Context& context, const Request& request) {
  const std::string& name = request.captures.at(0);
  if (auto bad = badName(request, name, nullptr)) return *bad;
  auto data = context.db->read<std::optional<ProjectData>>(
      [&](db::ReadTx& tx) { return loadProjectPage(tx, name, true); });
  if (!data) return readFailed(request, data.error(), false);
  if (!*data) return errorResponse(request, 404, "Project " + name + " doesn't exist.");
  if (request.wantsJson()) return jsonResponse(projectJson(**data));
  return htmlResponse(projectHtml(**data));
}

// ---- /api/jobsets?project=P -------------------------------------------------------------------

Response apiJobsets(const Context& context, const Request& request) {
  const auto name = request.param("project");
  if (!name) return jsonError(400, "Parameter 'project' not defined!");
  if (!specs::validProjectName(*name)) {
    return jsonError(400, "\"" + *name + "\" is not a valid project name");
  }
  auto data = context.db->read<std::optional<ProjectData>>(
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
  return {
      {"GET", "/", withDatabase(context, home)},
      {"GET", "/project/([^/]+)", withDatabase(context, project)},
      {"GET", "/api/jobsets", withDatabase(context, apiJobsets, true)},
  };
}

}  // namespace hydrant::web
