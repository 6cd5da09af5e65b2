#include "controller/views.hh"

#include <time.h>

#include <iterator>

#include "controller/db/evals.hh"
#include "controller/db/steps.hh"

namespace hydrant::views {

namespace {

nlohmann::json orNull(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json orNull(const std::optional<long long>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json orNull(const std::optional<int>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json step(const db::StepView& s) {
  return {{"stepnr", s.stepnr},
          {"drvpath", s.drvpath},
          {"machine", s.machine},
          {"status", orNull(s.status)},
          {"busy", s.busy},
          {"starttime", orNull(s.starttime)},
          {"stoptime", orNull(s.stoptime)},
          {"errormsg", orNull(s.errormsg)},
          {"propagatedfrom", orNull(s.propagatedfrom)}};
}

std::string plural(int n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

nlohmann::json conditions(const db::Status& s) {
  nlohmann::json out = nlohmann::json::array();
  out.push_back({{"type", "Ready"}, {"status", s.ready}, {"reason", s.reason},
                 {"message", s.message}});
  if (s.condition != "Ready") {
    out.push_back({{"type", s.condition}, {"status", "True"}, {"reason", s.reason},
                   {"message", s.message}});
  }
  return out;
}

nlohmann::json project(const db::ProjectRow& p, const std::vector<std::string>& jobset_names) {
  const auto& s = p.spec;
  nlohmann::json j = {
      {"name", s.name},
      {"displayname", s.displayname},
      {"description", s.description},
      {"homepage", s.homepage},
      {"owner", nullptr},
      {"enabled", s.enabled},
      {"hidden", s.hidden},
      {"enable_dynamic_run_command", false},
      {"jobsets", jobset_names},
      {"prune", specs::pruneName(s.prune)},
      {"status",
       {{"observed_revision", orNull(p.observed_revision)},
        {"declared_by", p.declared_by},
        {"last_transition_at", p.last_transition_at},
        {"last_reconciled_at", p.last_reconciled_at},
        {"conditions", conditions(p.status)}}}};
  if (!s.declarative.file.empty()) {
    j["declarative"] = {{"file", s.declarative.file},
                        {"type", s.declarative.type},
                        {"value", s.declarative.value}};
  }
  return j;
}

nlohmann::json jobset(const db::JobsetRow& r) {
  const auto& s = r.spec;
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& in : s.inputs) {
    inputs[in.name] = {{"name", in.name},
                       {"type", in.type},
                       {"value", in.value},
                       {"emailresponsible", in.emailresponsible}};
  }
  return {{"name", s.name},
          {"project", r.project},
          {"description", s.description},
          {"type", s.type},
          {"flake", orNull(s.flake)},
          {"nixexprinput", orNull(s.nixexprinput)},
          {"nixexprpath", orNull(s.nixexprpath)},
          {"enabled", static_cast<int>(s.enabled)},
          {"hidden", s.hidden},
          {"visible", !s.hidden},
          {"enableemail", s.enableemail},
          {"emailoverride", s.emailoverride},
          {"keepnr", s.keepnr},
          {"checkinterval", s.checkinterval},
          {"schedulingshares", s.schedulingshares},
          {"errormsg", r.errormsg},
          {"errortime", orNull(r.errortime)},
          {"fetcherrormsg", r.fetcherrormsg},
          {"lastcheckedtime", orNull(r.lastcheckedtime)},
          {"triggertime", orNull(r.triggertime)},
          {"starttime", orNull(r.starttime)},
          {"enable_dynamic_run_command", false},
          {"inputs", inputs},
          {"status",
           {{"observed_revision", orNull(r.observed_revision)},
            {"last_reconciled_at", r.last_reconciled_at},
            {"conditions", conditions(r.status)}}}};
}

nlohmann::json eval(const db::EvalView& e) {
  nlohmann::json inputs = nlohmann::json::object();
  for (const auto& [name, in] : e.inputs) {
    inputs[name] = {{"uri", orNull(in.uri)},
                    {"type", in.type},
                    {"revision", orNull(in.revision)},
                    {"value", orNull(in.value)},
                    {"dependency", orNull(in.dependency)}};
  }
  return {{"id", e.id},
          {"timestamp", e.timestamp},
          {"checkouttime", e.checkouttime},
          {"evaltime", e.evaltime},
          {"hasnewbuilds", e.hasnewbuilds ? 1 : 0},
          {"flake", e.flake.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.flake)},
          {"nrbuilds", orNull(e.nrbuilds)},
          {"builds", e.builds},
          {"jobsetevalinputs", inputs},
          {"errormsg", e.errormsg}};
}

nlohmann::json build(const db::BuildView& b, const std::vector<db::StepView>& steps) {
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, path] : b.buildoutputs) outputs[name] = {{"path", path}};
  nlohmann::json step_list = nlohmann::json::array();
  for (const auto& s : steps) step_list.push_back(step(s));
  return {{"id", b.id},
          {"project", b.project},
          {"jobset", b.jobset},
          {"job", b.job},
          {"finished", b.finished ? 1 : 0},
          // Hydra writes buildstatus only when a build finishes; a leftover value means nothing.
          {"buildstatus", b.finished ? orNull(b.buildstatus) : nlohmann::json(nullptr)},
          {"timestamp", b.timestamp},
          {"drvpath", b.drvpath},
          {"system", b.system},
          {"nixname", b.nixname},
          {"priority", b.priority},
          {"iscurrent", b.iscurrent ? 1 : 0},
          {"buildoutputs", outputs},
          {"steps", step_list}};
}

std::string stepsSummary(const std::vector<db::StepView>& steps) {
  int running = 0, failed = 0, aborted = 0;
  for (const auto& s : steps) {
    const int status = s.status.value_or(0);
    if (s.busy != 0) {
      ++running;
    } else if (status == 3 || status == 4) {
      ++aborted;
    } else if (status != 0) {
      ++failed;
    }
  }
  std::string details;
  auto add = [&](int n, const std::string& what) {
    if (n > 0) details += (details.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(running, "running");
  add(failed, "failed");
  add(aborted, "aborted");
  const std::string total = std::to_string(steps.size());
  return details.empty() ? total : total + " (" + details + ")";
}

std::string buildStatusLabel(const db::BuildView& b) {
  if (!b.finished) return "queued";
  static const char* const kLabels[] = {"succeeded",          "failed",
                                        "dependency failed",  "aborted",
                                        "cancelled",          "obsolete",
                                        "failed with output", "timed out",
                                        "cached failure",     "unsupported system",
                                        "log limit exceeded", "output limit exceeded",
                                        "non-deterministic"};
  const int code = b.buildstatus.value_or(-1);
  if (code >= 0 && code < static_cast<int>(std::size(kLabels))) return kLabels[code];
  return b.buildstatus ? "status " + std::to_string(code) : "finished";
}

std::string utcTime(long long unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm parts {};
  char buf[32];
  if (gmtime_r(&t, &parts) == nullptr || strftime(buf, sizeof buf, "%F %T", &parts) == 0) {
    return std::to_string(unix_seconds);
  }
  return buf;
}

std::string machinesStatusDocument(const MachinesStatus& status) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : status.machines) {
    list.push_back({{"uri", m.uri},
                    {"systems", m.systems},
                    {"maxJobs", m.max_jobs},
                    {"speedFactor", m.speed_factor},
                    {"supportedFeatures", m.supported_features},
                    {"mandatoryFeatures", m.mandatory_features},
                    {"currentJobs", m.current_jobs},
                    {"enabled", m.enabled},
                    {"disabledUntil", m.disabled_until},
                    {"consecutiveFailures", m.consecutive_failures}});
  }
  return nlohmann::json({{"updated", status.updated}, {"machines", list}}).dump();
}

Result<MachinesStatus> parseMachinesStatus(const std::string& text) {
  MachinesStatus out;
  try {
    const nlohmann::json doc = nlohmann::json::parse(text);
    out.updated = doc.value("updated", 0LL);
    for (const auto& m : doc.at("machines")) {
      MachineStatus ms;
      ms.uri = m.at("uri").get<std::string>();
      ms.systems = m.value("systems", ms.systems);
      ms.max_jobs = m.value("maxJobs", ms.max_jobs);
      ms.speed_factor = m.value("speedFactor", ms.speed_factor);
      ms.supported_features = m.value("supportedFeatures", ms.supported_features);
      ms.mandatory_features = m.value("mandatoryFeatures", ms.mandatory_features);
      ms.current_jobs = m.value("currentJobs", ms.current_jobs);
      ms.enabled = m.value("enabled", ms.enabled);
      ms.disabled_until = m.value("disabledUntil", ms.disabled_until);
      ms.consecutive_failures = m.value("consecutiveFailures", ms.consecutive_failures);
      out.machines.push_back(std::move(ms));
    }
  } catch (const nlohmann::json::exception& e) {
    return Error::invalid(std::string("machine status: ") + e.what());
  }
  return out;
}

nlohmann::json machines(const MachinesStatus& status) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& m : status.machines) {
    out[m.uri] = {{"systemTypes", m.systems},
                  {"maxJobs", m.max_jobs},
                  {"speedFactor", m.speed_factor},
                  {"supportedFeatures", m.supported_features},
                  {"mandatoryFeatures", m.mandatory_features},
                  {"currentJobs", m.current_jobs},
                  {"disabledUntil", m.disabled_until},
                  {"consecutiveFailures", m.consecutive_failures},
                  {"enabled", m.enabled}};
  }
  return out;
}

std::string machineStateLabel(const MachineStatus& m, long long now) {
  if (!m.enabled) return "removed";
  if (m.disabled_until > now) {
    return "backed off until " + utcTime(m.disabled_until) + " (" +
           plural(m.consecutive_failures, "failure") + ")";
  }
  return "ok";
}

}  // namespace hydrant::views
