// Evaluations and builds: /eval/ID (with what changed against the jobset's previous evaluation),
// /eval/ID/builds, /build/ID and /build/ID/log. HTML for people, Hydra's JSON for tools (same URL,
// Accept header). A job's latest build and badges are in pages_jobs.cc. Declared in
// controller/web/routes.hh.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/db/database.hh"
#include "controller/db/steps.hh"
#include "controller/db/web_builds.hh"
#include "controller/log.hh"
#include "controller/logs.hh"
#include "controller/views.hh"
#include "controller/web/html.hh"
#include "controller/web/page_parts.hh"
#include "controller/web/routes.hh"

namespace hydrant::web {

namespace {

namespace fs = std::filesystem;

// A log larger than this is cut, with a note saying so.
constexpr size_t kMaxLogBytes = size_t{64} << 20;

// ---- small pieces ---------------------------------------------------------------------------

Response badId(const Request& request, const std::string& what, const std::string& text) {
  return errorResponse(request, 400, what + ": expected a positive number, got \"" + text + "\"");
}

std::string duration(long long seconds) {
  if (seconds < 60) return std::to_string(seconds) + "s";
  const long long m = seconds / 60, s = seconds % 60;
  if (m < 60) return std::to_string(m) + "m " + std::to_string(s) + "s";
  return std::to_string(m / 60) + "h " + std::to_string(m % 60) + "m";
}

std::string jobsetLinks(const std::string& project, const std::string& jobset) {
  return html::link(projectHref(project), project) + ":" +
         html::link(jobsetHref(project, jobset), jobset);
}

// A two-column table of named facts; values are HTML already.
std::string facts(const std::vector<std::pair<std::string, std::string>>& rows) {
  std::string out = "<table class=\"facts\">\n";
  for (const auto& [name, value] : rows) {
    out += "<tr><th>" + html::escape(name) + "</th><td>" + value + "</td></tr>\n";
  }
  return out + "</table>\n";
}

std::string baseName(const std::string& path) { return fs::path(path).filename().string(); }

// ---- evaluations ----------------------------------------------------------------------------

struct JobChange {
  std::string job;
  int build = 0;
  std::optional<int> previous;  // the build of the previous evaluation
};

struct EvalChanges {
  std::optional<int> compared_with;
  std::vector<JobChange> new_jobs, removed_jobs, now_failing, now_succeeding;
};

enum class Outcome { kQueued, kSucceeded, kFailed, kAborted };

Outcome outcomeOf(const db::EvalMember& m) {
  if (!m.finished) return Outcome::kQueued;
  const int status = m.buildstatus.value_or(0);
  if (status == 0) return Outcome::kSucceeded;
  // Aborted and cancelled builds say nothing about the job itself.
  if (status == 3 || status == 4) return Outcome::kAborted;
  return Outcome::kFailed;
}

// Jobs are matched by name, as Hydra's evaluation page does; a job that only changed between
// queued and finished is not a change of outcome.
EvalChanges compareEvals(const std::vector<db::EvalMember>& now,
                         const std::vector<db::EvalMember>& before) {
  EvalChanges out;
  std::map<std::string, const db::EvalMember*> earlier;
  for (const auto& m : before) earlier[m.job] = &m;
  std::map<std::string, bool> seen;
  for (const auto& m : now) {
    seen[m.job] = true;
    auto it = earlier.find(m.job);
    if (it == earlier.end()) {
      out.new_jobs.push_back({m.job, m.build, std::nullopt});
      continue;
    }
    const Outcome was = outcomeOf(*it->second), is = outcomeOf(m);
    const JobChange change{m.job, m.build, it->second->build};
    if (is == Outcome::kFailed && was == Outcome::kSucceeded) out.now_failing.push_back(change);
    if (is == Outcome::kSucceeded && was == Outcome::kFailed) out.now_succeeding.push_back(change);
  }
  for (const auto& m : before) {
    if (seen.count(m.job) == 0) out.removed_jobs.push_back({m.job, m.build, std::nullopt});
  }
  return out;
}

nlohmann::json changesJson(const EvalChanges& c) {
  auto list = [](const std::vector<JobChange>& changes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& x : changes) {
      nlohmann::json j = {{"job", x.job}, {"build", x.build}};
      if (x.previous) j["previous"] = *x.previous;
      out.push_back(std::move(j));
    }
    return out;
  };
  return {{"compared_with", orNull(c.compared_with)},
          {"new_jobs", list(c.new_jobs)},
          {"removed_jobs", list(c.removed_jobs)},
          {"now_failing", list(c.now_failing)},
          {"now_succeeding", list(c.now_succeeding)}};
}

std::string changesHtml(const EvalChanges& c) {
  if (!c.compared_with) return "<p class=\"muted\">The first evaluation of this jobset.</p>\n";
  std::string out = "<p>Compared with evaluation " + evalLink(*c.compared_with) + ".</p>\n";
  auto section = [&](const std::string& title, const std::vector<JobChange>& list) {
    if (list.empty()) return;
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : list) {
      rows.push_back(
          {html::escape(x.job), buildLink(x.build), x.previous ? buildLink(*x.previous) : ""});
    }
    out += "<h3>" + html::escape(title) + " (" + std::to_string(list.size()) + ")</h3>\n" +
           html::table({"Job", "Build", "Before"}, rows);
  };
  section("Now failing", c.now_failing);
  section("Now succeeding", c.now_succeeding);
  section("New jobs", c.new_jobs);
  section("Removed jobs", c.removed_jobs);
  if (c.now_failing.empty() && c.now_succeeding.empty() && c.new_jobs.empty() &&
      c.removed_jobs.empty()) {
    out += "<p class=\"muted\">No job was added or removed, and none changed its outcome.</p>\n";
  }
  return out;
}

std::string evalHtml(const db::EvalComparison& d, const EvalChanges& changes) {
  const db::EvalView& e = d.page.eval;
  std::vector<std::pair<std::string, std::string>> summary = {
      {"Jobset", jobsetLinks(d.page.project, d.page.jobset)},
      {"Evaluated", html::escape(views::utcTime(e.timestamp))},
      {"Took", html::escape(duration(e.checkouttime)) + " to fetch, " +
                   html::escape(duration(e.evaltime)) + " to evaluate"},
      {"Builds", std::to_string(d.members.size())}};
  if (!e.flake.empty()) summary.push_back({"Flake", html::escape(e.flake)});
  std::string body = facts(summary);
  if (!e.inputs.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [name, in] : e.inputs) {
      rows.push_back({html::escape(name), html::escape(in.type),
                      html::escape(in.uri.value_or(in.value.value_or(""))),
                      html::escape(in.revision.value_or(""))});
    }
    body += "<h2>Inputs</h2>\n" + html::table({"Name", "Type", "Value", "Revision"}, rows);
  }
  if (!e.errormsg.empty()) {
    body += "<h2>Errors</h2>\n<pre class=\"error\">" + html::escape(e.errormsg) + "</pre>\n";
  }
  body += "<h2>Changes</h2>\n" + changesHtml(changes);
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : d.members) {
    rows.push_back({buildLink(m.build), html::escape(m.job), html::escape(m.system),
                    statusHtml(m.finished, m.buildstatus), timeHtml(m.stoptime, "—")});
  }
  body += "<h2>Builds</h2>\n" + html::table({"Build", "Job", "System", "Status", "Finished"}, rows);
  return html::page("Evaluation " + std::to_string(e.id), body);
}

Response evalPage(const Context& context, const Request& request) {
  const auto id = positive(request.captures[0]);
  if (!id) return badId(request, "evaluation id", request.captures[0]);
  auto data = context.db->read<std::optional<db::EvalComparison>>(
      [&](db::ReadTx& tx) { return db::evalComparison(tx, *id); });
  if (!data) return readFailed(request, data.error(), false);
  if (!*data) return errorResponse(request, 404, "no evaluation " + std::to_string(*id));
  const db::EvalComparison& d = **data;
  // The first evaluation of a jobset is compared with nothing: no job is "new" in it.
  EvalChanges changes = d.previous ? compareEvals(d.members, d.previous_members) : EvalChanges{};
  changes.compared_with = d.previous;
  if (!request.wantsJson()) return htmlResponse(evalHtml(d, changes));
  nlohmann::json j = views::eval(d.page.eval);
  j["project"] = d.page.project;
  j["jobset"] = d.page.jobset;
  j["changes"] = changesJson(changes);
  return jsonResponse(j);
}

// ---- builds ---------------------------------------------------------------------------------

// Hydra's build object (GET /build/:id, and each of /eval/:id/builds), with Hydrant's
// iscurrent, iscachedbuild and steps beside it.
nlohmann::json buildJson(const db::BuildDetail& d, const std::vector<db::StepView>& steps) {
  nlohmann::json j = views::build(d.view, steps);
  j["starttime"] = orNull(d.starttime);
  j["stoptime"] = orNull(d.stoptime);
  j["releasename"] = orNull(d.releasename);
  j["iscachedbuild"] = d.iscachedbuild ? 1 : 0;
  j["jobsetevals"] = d.jobsetevals;
  nlohmann::json products = nlohmann::json::object();
  for (const auto& p : d.products) {
    products[std::to_string(p.productnr)] = {{"type", p.type},
                                             {"subtype", p.subtype},
                                             {"name", p.name},
                                             {"filesize", orNull(p.filesize)},
                                             {"sha256hash", orNull(p.sha256hash)},
                                             {"path", orNull(p.path)},
                                             {"defaultpath", orNull(p.defaultpath)}};
  }
  j["buildproducts"] = products;
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& m : d.metrics) {
    metrics[m.name] = {{"name", m.name}, {"unit", orNull(m.unit)}, {"value", m.value}};
  }
  j["buildmetrics"] = metrics;
  return j;
}

Result<std::optional<db::BuildPage>> readBuild(const Context& context, int id) {
  return context.db->read<std::optional<db::BuildPage>>(
      [&](db::ReadTx& tx) { return db::buildPage(tx, id); });
}

// Where the build's own derivation was built: its own latest step of it, else the step of
// another build that built it.
std::string machineHtml(const db::BuildPage& d) {
  for (auto it = d.steps.rbegin(); it != d.steps.rend(); ++it) {
    if (it->drvpath == d.build.view.drvpath && !it->machine.empty()) {
      return html::escape(it->machine);
    }
  }
  if (d.elsewhere && !d.elsewhere->machine.empty()) {
    return html::escape(d.elsewhere->machine) + " <span class=\"muted\">(for build " +
           buildLink(d.elsewhere->build) + ")</span>";
  }
  return "<span class=\"muted\">—</span>";
}

// "Why is this not building": what the queue said about the steps the build needs.
std::string reasonsHtml(const db::QueueReasons& r) {
  std::string out = "<ul>";
  for (const auto& s : r.steps) {
    out += "<li>" + html::escape(baseName(s.drvpath)) + ": " + html::escape(s.reason) + "</li>";
  }
  return out + "</ul><span class=\"muted\">as of " + html::escape(views::utcTime(r.updated)) +
         "</span>";
}

std::string buildFactsHtml(const db::BuildPage& d) {
  const db::BuildDetail& b = d.build;
  const db::BuildView& v = b.view;
  std::string status = statusHtml(v.finished, v.buildstatus);
  if (b.iscachedbuild) status += " <span class=\"muted\">(cached)</span>";
  std::vector<std::pair<std::string, std::string>> rows = {{"Status", status}};
  if (d.reasons && !d.reasons->steps.empty()) rows.push_back({"Waiting", reasonsHtml(*d.reasons)});
  rows.push_back({"Jobset", jobsetLinks(v.project, v.jobset)});
  rows.push_back({"Job", html::escape(v.job)});
  std::string evals;
  for (int e : b.jobsetevals) evals += (evals.empty() ? "" : ", ") + evalLink(e);
  if (!evals.empty()) rows.push_back({"Evaluations", evals});
  rows.push_back({"System", html::escape(v.system)});
  rows.push_back({"Nix name", html::escape(v.nixname)});
  if (b.releasename) rows.push_back({"Release name", html::escape(*b.releasename)});
  rows.push_back({"Derivation", html::escape(v.drvpath)});
  rows.push_back({"Queued", html::escape(views::utcTime(v.timestamp))});
  rows.push_back({"Started", timeHtml(b.starttime, "—")});
  rows.push_back({"Stopped", timeHtml(b.stoptime, "—")});
  if (b.starttime && b.stoptime) {
    rows.push_back({"Duration", html::escape(duration(*b.stoptime - *b.starttime))});
  }
  rows.push_back({"Machine", machineHtml(d)});
  rows.push_back({"Priority", std::to_string(v.priority)});
  rows.push_back({"Log", html::link("/build/" + std::to_string(v.id) + "/log", "log")});
  return facts(rows);
}

std::string stepsHtml(int build, const std::vector<db::StepView>& steps) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : steps) {
    std::string status =
        s.busy != 0 ? "<span class=\"wait\">running</span>" : statusHtml(true, s.status);
    if (s.propagatedfrom)
      status += " <span class=\"muted\">(in build " + buildLink(*s.propagatedfrom) + ")</span>";
    const std::string took =
        s.starttime && s.stoptime ? html::escape(duration(*s.stoptime - *s.starttime)) : "";
    const std::string log = html::link(
        "/build/" + std::to_string(build) + "/log?step=" + std::to_string(s.stepnr), "log");
    rows.push_back(
        {std::to_string(s.stepnr), html::escape(baseName(s.drvpath)), html::escape(s.machine),
         status, timeHtml(s.starttime, "—"), took,
         s.errormsg ? "<pre class=\"error\">" + html::escape(*s.errormsg) + "</pre>" : "", log});
  }
  return html::table({"Nr", "Derivation", "Machine", "Status", "Started", "Took", "Error", "Log"},
                     rows);
}

std::string buildHtml(const db::BuildPage& d) {
  const db::BuildDetail& b = d.build;
  std::string body = buildFactsHtml(d);
  std::vector<std::vector<std::string>> outputs;
  for (const auto& [name, path] : b.view.buildoutputs) {
    outputs.push_back({html::escape(name), html::escape(path)});
  }
  if (!outputs.empty()) body += "<h2>Outputs</h2>\n" + html::table({"Name", "Path"}, outputs);
  if (!d.steps.empty()) body += "<h2>Steps</h2>\n" + stepsHtml(b.view.id, d.steps);
  if (!b.products.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : b.products) {
      rows.push_back({std::to_string(p.productnr), html::escape(p.type + " " + p.subtype),
                      html::escape(p.name), html::escape(p.path.value_or("")),
                      p.filesize ? std::to_string(*p.filesize) : "",
                      html::escape(p.sha256hash.value_or(""))});
    }
    body += "<h2>Products</h2>\n" +
            html::table({"Nr", "Type", "Name", "Path", "Size (bytes)", "SHA-256"}, rows);
  }
  if (!b.metrics.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : b.metrics) {
      rows.push_back({html::escape(m.name), html::escape(nlohmann::json(m.value).dump()),
                      html::escape(m.unit.value_or(""))});
    }
    body += "<h2>Metrics</h2>\n" + html::table({"Name", "Value", "Unit"}, rows);
  }
  return html::page("Build " + std::to_string(b.view.id) + " · " + b.view.job, body);
}

Response buildPage(const Context& context, const Request& request) {
  const auto id = positive(request.captures[0]);
  if (!id) return badId(request, "build id", request.captures[0]);
  auto data = readBuild(context, *id);
  if (!data) return readFailed(request, data.error(), false);
  if (!*data) return errorResponse(request, 404, "no build " + std::to_string(*id));
  const db::BuildPage& d = **data;
  if (!request.wantsJson()) return htmlResponse(buildHtml(d));
  nlohmann::json j = buildJson(d.build, d.steps);
  nlohmann::json reasons = nlohmann::json::array();
  if (d.reasons) {
    for (const auto& s : d.reasons->steps) {
      reasons.push_back({{"drvpath", s.drvpath}, {"started", s.started}, {"reason", s.reason}});
    }
  }
  j["queue_reasons"] = reasons;
  return jsonResponse(j);
}

Response evalBuilds(const Context& context, const Request& request) {
  const auto id = positive(request.captures[0]);
  if (!id) return badId(request, "evaluation id", request.captures[0]);
  auto list = context.db->read<std::optional<db::EvalBuilds>>(
      [&](db::ReadTx& tx) { return db::evalBuilds(tx, *id); });
  if (!list) return readFailed(request, list.error(), false);
  if (!*list) return errorResponse(request, 404, "no evaluation " + std::to_string(*id));
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : (*list)->builds) {
    const auto it = (*list)->steps.find(b.view.id);
    out.push_back(
        buildJson(b, it == (*list)->steps.end() ? std::vector<db::StepView>() : it->second));
  }
  return jsonResponse(out);
}

// ---- logs -----------------------------------------------------------------------------------

Response buildLog(const Context& context, const Request& request) {
  const auto id = positive(request.captures[0]);
  if (!id) return badId(request, "build id", request.captures[0]);
  std::optional<int> stepnr;
  if (const auto step = request.param("step")) {
    stepnr = positive(*step);
    if (!stepnr) return badId(request, "step", *step);
  }
  auto data = readBuild(context, *id);
  if (!data) return readFailed(request, data.error(), false);
  if (!*data) return errorResponse(request, 404, "no build " + std::to_string(*id));
  const db::BuildPage& d = **data;
  auto step = logs::chooseLogStep(d.build.view, d.steps, d.elsewhere, stepnr);
  if (!step) return errorResponse(request, 404, step.error().message);
  const std::string which =
      "build " + std::to_string(step->build) + " step " + std::to_string(step->stepnr);
  const std::string base = baseName(step->drvpath);
  if (context.config == nullptr || base.size() < 2) {
    return errorResponse(request, 404, which + " has no log");
  }
  const std::string path =
      logs::stepLogPath((fs::path(context.config->state_dir) / "logs").string(), step->drvpath);
  std::error_code ec;
  const std::string plain = path.substr(0, path.size() - 4);  // without ".bz2"
  if (!fs::exists(path, ec) && !fs::exists(plain, ec)) {
    // A step that never ran (unsupported system, a cached failure) has no log but says why.
    const std::string why = step->errormsg ? " (the step's error: " + *step->errormsg + ")" : "";
    return errorResponse(request, 404, which + " has no log" + why);
  }
  auto text = logs::readStepLog(path, kMaxLogBytes);
  if (!text) {
    log::warn("web", "build={} log of {}: {}", *id, which, text.error().message);
    return errorResponse(request, 500, "the log of " + which + " cannot be read");
  }
  Response r = textResponse(std::move(*text));
  // Build output is anything a builder printed: never let a browser take it for HTML.
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

std::vector<Route> buildRoutes(const Context& context) {
  return {
      {"GET", "/eval/([^/]+)", withDatabase(context, evalPage)},
      {"GET", "/eval/([^/]+)/builds", withDatabase(context, evalBuilds)},
      {"GET", "/build/([^/]+)", withDatabase(context, buildPage)},
      {"GET", "/build/([^/]+)/log", withDatabase(context, buildLog)},
  };
}

}  // namespace hydrant::web
