// Jobs: /job/P/J/JOB/latest (a redirect to the newest successful build of the job),
// /job/P/J/JOB/shield and /job/P/J/JOB/badge.svg (the state of its newest build for shields.io
// and as an SVG badge), and /api/latestbuilds (Hydra's list of the newest builds, as JSON).
// Read-only, one read-only transaction per request; handlers are thread-safe. Declared in
// controller/web/routes.hh.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "controller/db/database.hh"
#include "controller/db/web_builds.hh"
#include "controller/web/html.hh"
#include "controller/web/page_parts.hh"
#include "controller/web/routes.hh"

namespace hydrant::web {

namespace {

// /api/latestbuilds answers at most this many builds (Hydra answers at most 10).
constexpr int kMaxLatestBuilds = 1000;

// ---- jobs -----------------------------------------------------------------------------------

struct JobName {
  std::string project, jobset, job;
  std::string text() const { return project + ":" + jobset + ":" + job; }
};

JobName jobOf(const Request& request) {
  return {request.captures[0], request.captures[1], request.captures[2]};
}

Response jobLatest(const Context& context, const Request& request) {
  const JobName job = jobOf(request);
  auto found = context.db->read<std::optional<db::BuildOutputRef>>([&](db::ReadTx& tx) {
    return db::latestSuccessfulBuild(tx, job.project, job.jobset, job.job);
  });
  if (!found) return readFailed(request, found.error(), false);
  if (!*found) return errorResponse(request, 404, "no successful build of job " + job.text());
  return redirectResponse("/build/" + std::to_string((*found)->build_id));
}

struct Shield {
  std::string message, color, hex;
};

// Hydra's colours and words: passing (success), cancelled, failing (anything else); and queued
// while the newest build has not finished.
Shield shieldOf(const db::JobBuild& b) {
  if (!b.finished) return {"queued", "lightgrey", "#9f9f9f"};
  const int status = b.buildstatus.value_or(1);
  if (status == 0) return {"passing", "green", "#97ca00"};
  if (status == 4) return {"cancelled", "yellow", "#dfb317"};
  return {"failing", "red", "#e05d44"};
}

// Roughly how wide `text` is in 11px Verdana: characters (not bytes) times an average width.
int textWidth(const std::string& text) {
  int chars = 0;
  for (const unsigned char c : text) chars += (c & 0xC0) != 0x80 ? 1 : 0;
  return chars * 7;
}

// A flat two-part badge, "label | message", as shields.io draws them.
std::string badgeSvg(const std::string& title, const std::string& label, const Shield& s) {
  const int lw = textWidth(label) + 12, mw = textWidth(s.message) + 12, w = lw + mw;
  auto n = [](int v) { return std::to_string(v); };
  auto text = [&](int x, const std::string& t) {
    return "<text x=\"" + n(x) + "\" y=\"15\" fill=\"#010101\" fill-opacity=\".3\">" +
           html::escape(t) + "</text><text x=\"" + n(x) + "\" y=\"14\">" + html::escape(t) +
           "</text>";
  };
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + n(w) +
         "\" height=\"20\" role=\"img\" aria-label=\"" + html::escape(label + ": " + s.message) +
         "\">\n<title>" + html::escape(title) +
         "</title>\n<linearGradient id=\"g\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" "
         "stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/>"
         "</linearGradient>\n<clipPath id=\"c\"><rect width=\"" +
         n(w) +
         "\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\n<g clip-path=\"url(#c)\">"
         "<rect width=\"" +
         n(lw) + "\" height=\"20\" fill=\"#555\"/><rect x=\"" + n(lw) + "\" width=\"" + n(mw) +
         "\" height=\"20\" fill=\"" + s.hex + "\"/><rect width=\"" + n(w) +
         "\" height=\"20\" fill=\"url(#g)\"/></g>\n<g fill=\"#fff\" text-anchor=\"middle\" "
         "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">" +
         text(lw / 2, label) + text(lw + mw / 2, s.message) + "</g>\n</svg>\n";
}

// …/shield: shields.io's endpoint JSON; …/badge.svg: the badge itself. Both always, whatever the
// client accepts (shields.io and image tags send no useful Accept header).
Response jobBadge(const Context& context, const Request& request) {
  const JobName job = jobOf(request);
  auto newest = context.db->read<std::optional<db::JobBuild>>(
      [&](db::ReadTx& tx) { return db::newestBuildOfJob(tx, job.project, job.jobset, job.job); });
  if (!newest) return readFailed(request, newest.error(), false);
  if (!*newest) return errorResponse(request, 404, "no build of job " + job.text());
  const Shield s = shieldOf(**newest);
  Response r;
  if (request.captures[3] == "shield") {
    r = jsonResponse(
        {{"schemaVersion", 1}, {"label", "build"}, {"message", s.message}, {"color", s.color}});
  } else {
    r.content_type = "image/svg+xml";
    r.body = badgeSvg(job.text() + ": " + s.message, "build", s);
  }
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

// ---- /api/latestbuilds ----------------------------------------------------------------------

Response latestBuildsApi(const Context& context, const Request& request) {
  const auto nr_text = request.param("nr");
  if (!nr_text) return jsonError(400, "nr: missing (how many builds to list)");
  const auto nr = positive(*nr_text);
  if (!nr) return jsonError(400, "nr: expected a positive number, got \"" + *nr_text + "\"");
  db::LatestBuildsFilter filter;
  filter.limit = std::min(*nr, kMaxLatestBuilds);
  auto given = [&](const char* name) -> std::optional<std::string> {
    auto v = request.param(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  filter.project = given("project");
  filter.jobset = given("jobset");
  filter.job = given("job");
  filter.system = given("system");
  auto rows = context.db->read<std::vector<db::LatestBuildRow>>(
      [&](db::ReadTx& tx) { return db::latestBuilds(tx, filter); });
  if (!rows) return readFailed(request, rows.error(), true);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& b : *rows) {
    nlohmann::json j = {{"id", b.id},
                        {"project", b.project},
                        {"jobset", b.jobset},
                        {"job", b.job},
                        {"system", b.system},
                        {"nixname", b.nixname},
                        {"finished", b.finished ? 1 : 0},
                        {"timestamp", b.timestamp}};
    // As Hydra: a finished build says how it ended, a queued one whether it is being built.
    if (b.finished) {
      j["buildstatus"] = orNull(b.buildstatus);
    } else {
      j["busy"] = b.busy ? 1 : 0;
      j["priority"] = b.priority;
    }
    out.push_back(std::move(j));
  }
  return jsonResponse(out);
}

}  // namespace

std::vector<Route> jobRoutes(const Context& context) {
  return {
      // Project and jobset names have no '/'; a job name may (the path arrives decoded).
      {"GET", "/job/([^/]+)/([^/]+)/(.+)/latest", withDatabase(context, jobLatest)},
      {"GET", "/job/([^/]+)/([^/]+)/(.+)/(shield|badge\\.svg)", withDatabase(context, jobBadge)},
      {"GET", "/api/latestbuilds", withDatabase(context, latestBuildsApi)},
  };
}

}  // namespace hydrant::web
