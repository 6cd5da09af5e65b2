#include "controller/views.hh"

namespace hydrant::views {

namespace {

nlohmann::json orNull(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json orNull(const std::optional<long long>& v) {
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

}  // namespace hydrant::views
