#include "controller/views.hh"

#include <iterator>

#include "controller/db/evals.hh"

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

nlohmann::json build(const db::BuildView& b) {
  nlohmann::json outputs = nlohmann::json::object();
  for (const auto& [name, path] : b.buildoutputs) outputs[name] = {{"path", path}};
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
          {"buildoutputs", outputs}};
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

}  // namespace hydrant::views
