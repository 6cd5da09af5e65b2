// The route groups the server serves, one function per file of controller/web/. Each returns
// its routes; the server tries them in the order listed in server.cc.
#pragma once

#include <vector>

#include "controller/web/context.hh"
#include "controller/web/router.hh"

namespace hydrant::web {

// /healthz, /readyz (server.cc).
std::vector<Route> healthRoutes(const Context& context);
// /, /project/P, /api/jobsets (pages_projects.cc).
std::vector<Route> projectRoutes(const Context& context);
// /jobset/P/J, /jobset/P/J/evals (pages_jobsets.cc).
std::vector<Route> jobsetRoutes(const Context& context);
// /eval/ID, /eval/ID/builds, /build/ID, /build/ID/log (pages_builds.cc).
std::vector<Route> buildRoutes(const Context& context);
// /job/P/J/JOB/latest, …/shield, …/badge.svg, /api/latestbuilds (pages_jobs.cc).
std::vector<Route> jobRoutes(const Context& context);
// /queue, /queue-summary, /machines (pages_queue.cc).
std::vector<Route> queueRoutes(const Context& context);
// /metrics (metrics.cc).
std::vector<Route> metricsRoutes(const Context& context);
// POST /api/push-github, /api/push-gitea, /api/push (webhooks.cc).
std::vector<Route> webhookRoutes(const Context& context);

}  // namespace hydrant::web
