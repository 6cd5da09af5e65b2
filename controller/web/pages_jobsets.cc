// The jobset pages (issue 6): /jobset/P/J (the jobset with its inputs, newest evaluations, the
// jobs and channels of the latest one, and its history) and /jobset/P/J/evals (all its
// evaluations with new builds, a page at a time). Each URL answers HTML, or JSON with Hydra's
// field names (HYDRA.md §10) to `Accept: application/json`, with Hydrant's status, origin and
// events beside them. Read-only: every request reads in one read-only transaction. Handlers are
// thread-safe.
#include <algorithm>
#include <charconv>
#include <map>
#include <variant>

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

constexpr int kEvalsPerPage = 20;       // Hydra's /jobset/P/J/evals page size
constexpr int kEvalsOnJobsetPage = 10;  // Hydra's jobset page shows as many
constexpr long long kMaxPage = 1000000;

// A build as Hydra's /api/latestbuilds lists one.
Json jobJson(const db::EvalJob& j) {
  return {{"id", j.build},
          {"job", j.job},
          {"system", j.system},
          {"nixname", j.nixname},
          {"finished", j.finished ? 1 : 0},
          {"buildstatus", j.finished && j.buildstatus ? Json(*j.buildstatus) : Json(nullptr)}};
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
                      {"revision", orNull(j.observed_revision)}}
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
    rows.push_back({evalLink(e.id, "#"), escape(views::utcTime(e.timestamp)),
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
    rows.push_back({escape(job.job), buildLink(job.build, "#"), escape(job.system),
                    statusHtml(job.finished, job.buildstatus)});
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
    if (d.origin->build) body += " build " + buildLink(*d.origin->build, "#");
  }
  body += "</p>\n<p>Last check: " + timeHtml(j.lastcheckedtime, "never") +
          ". Check interval: " + std::to_string(j.spec.checkinterval) +
          " s. Scheduling shares: " + std::to_string(j.spec.schedulingshares) + ".";
  if (j.starttime) body += " Evaluating since " + timeHtml(j.starttime, "never") + ".";
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

Response jobset(const Context& context, const Request& request) {
  const std::string& p = request.captures.at(0);
  const std::string& name = request.captures.at(1);
  if (auto bad = badName(request, p, &name)) return *bad;
  auto data = context.db->read<JobsetData>(
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

Response evals(const Context& context, const Request& request) {
  const std::string& p = request.captures.at(0);
  const std::string& name = request.captures.at(1);
  if (auto bad = badName(request, p, &name)) return *bad;
  const auto page = pageParam(request);
  if (auto* message = std::get_if<std::string>(&page)) return errorResponse(request, 400, *message);
  const long long n = std::get<long long>(page);
  auto data = context.db->read<JobsetData>([&](db::ReadTx& tx) {
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

}  // namespace

std::vector<Route> jobsetRoutes(const Context& context) {
  return {
      {"GET", "/jobset/([^/]+)/([^/]+)", withDatabase(context, jobset)},
      {"GET", "/jobset/([^/]+)/([^/]+)/evals", withDatabase(context, evals)},
  };
}

}  // namespace hydrant::web
