// /metrics (controller/web/metrics.cc) over HTTP: a real Manager running a small reconciler
// feeds the per-process counters, a real database seeded with SQL the rest. The answer must
// parse as Prometheus text (HELP and TYPE before each family's samples, `name{labels} value`
// lines, cumulative histogram buckets ending in +Inf that match _count) and carry the figures
// of what was seeded.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "controller/runtime/manager.hh"
#include "tests/support/sql.hh"
#include "tests/support/wait.hh"
#include "tests/support/web_server.hh"

namespace hydrant::testing {
namespace {

using namespace std::chrono_literals;
using Labels = std::map<std::string, std::string>;

constexpr long long kNow = 1700000000;
const std::string kOddMachine = "ssh://a\"b\\c";

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

// What a scrape gave, and what is wrong with its format.
struct Scrape {
  std::map<std::string, std::string> types;  // family → counter, gauge, histogram
  std::vector<Sample> samples;
  std::vector<std::string> problems;
};

// Reads `{a="x",b="y\"z"}` from `line` at `pos`; false when malformed.
bool parseLabels(const std::string& line, size_t& pos, Labels& out) {
  ++pos;  // '{'
  while (pos < line.size() && line[pos] != '}') {
    const size_t eq = line.find("=\"", pos);
    if (eq == std::string::npos) return false;
    const std::string name = line.substr(pos, eq - pos);
    std::string value;
    pos = eq + 2;
    for (; pos < line.size() && line[pos] != '"'; ++pos) {
      if (line[pos] != '\\') {
        value += line[pos];
        continue;
      }
      if (++pos >= line.size()) return false;
      const char e = line[pos];
      if (e != '\\' && e != '"' && e != 'n') return false;
      value += e == 'n' ? '\n' : e;
    }
    if (pos >= line.size() || name.empty() || out.count(name)) return false;
    out[name] = value;
    ++pos;  // closing quote
    if (pos < line.size() && line[pos] == ',') ++pos;
  }
  if (pos >= line.size()) return false;
  ++pos;  // '}'
  return true;
}

// The family a sample belongs to: its name, or a histogram's name without its suffix.
std::string familyOf(const Scrape& s, const std::string& name) {
  if (s.types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string x = suffix;
    if (name.size() > x.size() && name.compare(name.size() - x.size(), x.size(), x) == 0) {
      const std::string base = name.substr(0, name.size() - x.size());
      auto it = s.types.find(base);
      if (it != s.types.end() && it->second == "histogram") return base;
    }
  }
  return "";
}

Scrape parseScrape(const std::string& text) {
  Scrape s;
  if (text.empty() || text.back() != '\n') s.problems.push_back("no final newline");
  std::istringstream in(text);
  std::string line, family;
  std::map<std::string, bool> has_help, has_samples;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name >> rest;
      if (has_samples[name]) s.problems.push_back("HELP/TYPE after samples: " + line);
      if (line[2] == 'H') {
        has_help[name] = true;
      } else {
        if (!has_help[name]) s.problems.push_back("TYPE without HELP before it: " + line);
        if (rest != "counter" && rest != "gauge" && rest != "histogram") {
          s.problems.push_back("unknown type: " + line);
        }
        s.types[name] = rest;
      }
      family = name;
      continue;
    }
    Sample sample;
    size_t pos = line.find_first_of("{ ");
    sample.name = line.substr(0, pos);
    if (sample.name.empty() || pos == std::string::npos ||
        (line[pos] == '{' && !parseLabels(line, pos, sample.labels)) || pos >= line.size() ||
        line[pos] != ' ') {
      s.problems.push_back("malformed sample: " + line);
      continue;
    }
    const std::string value = line.substr(pos + 1);
    char* end = nullptr;
    sample.value = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') s.problems.push_back("bad value: " + line);
    const std::string of = familyOf(s, sample.name);
    if (of.empty()) s.problems.push_back("sample without TYPE: " + line);
    if (of != family) s.problems.push_back("sample away from its family: " + line);
    has_samples[of] = true;
    s.samples.push_back(std::move(sample));
  }
  return s;
}

// Histograms: per label set, buckets with growing `le`, non-decreasing counts, the last +Inf and
// equal to _count, and a _sum.
void expectHistogramsWellFormed(const Scrape& s) {
  for (const auto& [family, type] : s.types) {
    if (type != "histogram") continue;
    std::map<Labels, std::vector<std::pair<std::string, double>>> buckets;
    std::map<Labels, double> counts, sums;
    for (const Sample& x : s.samples) {
      Labels base = x.labels;
      if (x.name == family + "_bucket") {
        ASSERT_TRUE(base.count("le")) << family;
        const std::string le = base["le"];
        base.erase("le");
        buckets[base].emplace_back(le, x.value);
      } else if (x.name == family + "_count") {
        counts[base] = x.value;
      } else if (x.name == family + "_sum") {
        sums[base] = x.value;
      }
    }
    for (const auto& [labels, list] : buckets) {
      ASSERT_FALSE(list.empty());
      EXPECT_EQ(list.back().first, "+Inf") << family;
      for (size_t i = 1; i < list.size(); ++i) {
        EXPECT_LE(list[i - 1].second, list[i].second) << family << " le=" << list[i].first;
        if (i + 1 < list.size()) {
          EXPECT_LT(std::stod(list[i - 1].first), std::stod(list[i].first)) << family;
        }
      }
      ASSERT_TRUE(counts.count(labels)) << family << " has no _count";
      EXPECT_EQ(counts[labels], list.back().second) << family;
      EXPECT_TRUE(sums.count(labels)) << family << " has no _sum";
    }
  }
}

// The value of the sample `name` with exactly `labels`; NaN (and a failure) when there is none.
double valueOf(const Scrape& s, const std::string& name, const Labels& labels = {}) {
  for (const Sample& x : s.samples) {
    if (x.name == name && x.labels == labels) return x.value;
  }
  ADD_FAILURE() << "no sample " << name << " with those labels";
  return std::nan("");
}

// Done for every key but "c", which fails transiently (and then waits for its backoff).
class Widgets final : public runtime::Reconciler {
 public:
  std::string_view kind() const override { return "widget"; }
  runtime::Outcome reconcile(const std::string& key, std::stop_token) override {
    if (key == "c") return Error::transient("c is flaky");
    return runtime::Done{};
  }
  Result<std::vector<std::string>> listKeys() override {
    return std::vector<std::string>{"a", "b", "c"};
  }
};

class WebMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    passes_.observe(0.002);
    passes_.observe(0.3);
    runtime::ControllerSpec spec;
    spec.role = "builder";
    spec.reconciler = std::make_shared<Widgets>();
    manager_.add(std::move(spec), [this] { return passes_.snapshot(); });
    manager_.startRole("builder");
    ASSERT_TRUE(eventually([&] { return manager_.status().at(0).duration.count == 3; }));
    web_.context().controllers = [this] { return manager_.status(); };
    web_.context().clock = &clock_;
  }

  void sql(const std::string& statement) { sqlExec(web_.conninfo(), statement); }

  void seed() {
    sql("insert into projects (name, displayname) values ('p', 'P')");
    sql("insert into jobsets (project, name, nixexprinput, nixexprpath) values "
        "('p', 'broken', 'src', 'release.nix'), ('p', 'fine', 'src', 'release.nix')");
    sql("update jobsets set condition = 'Stalled', ready_status = 'False', "
        "condition_reason = 'EvaluationFailed' where name = 'broken'");
    const std::string js = "(select id from jobsets where name = 'fine')";
    // Two queued, three succeeded, one failed and one with a failed dependency; the last two
    // still wait for their notifications.
    sql("insert into builds (jobset_id, job, system, drvpath, timestamp, finished, buildstatus, "
        "  starttime, stoptime, notificationpendingsince) "
        "select " +
        js +
        ", 'j' || n, 'x86_64-linux', '/nix/store/x-' || n || '.drv', 1, "
        "  f, s, case when f = 1 then 1 end, case when f = 1 then 2 end, p "
        "from (values (1, 0, null::int, null::bigint), (2, 0, null, null), (3, 1, 0, null), "
        "  (4, 1, 0, null), (5, 1, 0, null), (6, 1, 1, 900), (7, 1, 2, 1000)) v(n, f, s, p)");
    sql("insert into evaluationerrors (errormsg, errortime) values ('in job x: boom', 1)");
    sql("insert into jobsetevals (jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "  hash, evaluationerror_id) "
        "select " +
        js +
        ", 1, 0, 0, h, 'hash' || n, e from (values (1, 1, null::int), "
        "  (2, 0, null), (3, 0, null), (4, 1, (select min(id) from evaluationerrors))) v(n, h, e)");
    const nlohmann::json machines = {{"updated", kNow},
                                     {"machines",
                                      {{{"uri", "localhost"}, {"maxJobs", 4}, {"currentJobs", 2}},
                                       {{"uri", kOddMachine},
                                        {"maxJobs", 1},
                                        {"currentJobs", 0},
                                        {"disabledUntil", kNow + 60},
                                        {"consecutiveFailures", 1}}}}};
    sqlExec(web_.conninfo(), "insert into systemstatus (what, status) values ('machines', '" +
                                 machines.dump() + "'::jsonb)");
  }

  Scrape scrape() {
    const WebReply reply = web_.get("/metrics");
    EXPECT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
    Scrape s = parseScrape(reply.body);
    for (const auto& p : s.problems) ADD_FAILURE() << p;
    for (const auto& [family, type] : s.types) {
      EXPECT_EQ(family.rfind("hydrant_", 0), 0u) << family;
      EXPECT_EQ(type == "counter", family.ends_with("_total")) << family;
      if (type == "histogram") {
        EXPECT_TRUE(family.ends_with("_seconds")) << family;
      }
    }
    expectHistogramsWellFormed(s);
    return s;
  }

  runtime::ManualClock clock_{runtime::SystemTime{std::chrono::seconds(kNow)}};
  runtime::Histogram passes_{{0.001, 0.0025, 0.5, 1}};
  runtime::Manager manager_{clock_, [] { return 0.0; }, runtime::BackoffPolicy{}, 1h};
  TestWeb web_;  // after the manager: stops serving before it goes
};

TEST_F(WebMetrics, ProcessFiguresComeFromTheManager) {
  web_.start();
  const Scrape s = scrape();
  const Labels widget = {{"kind", "widget"}};
  EXPECT_EQ(valueOf(s, "hydrant_reconciles_total", {{"kind", "widget"}, {"result", "done"}}), 2);
  EXPECT_EQ(valueOf(s, "hydrant_reconciles_total", {{"kind", "widget"}, {"result", "transient"}}),
            1);
  EXPECT_EQ(valueOf(s, "hydrant_reconciles_total", {{"kind", "widget"}, {"result", "requeue"}}), 0);
  EXPECT_EQ(valueOf(s, "hydrant_reconcile_duration_seconds_count", widget), 3);
  EXPECT_EQ(valueOf(s, "hydrant_controller_leading", {{"kind", "widget"}, {"role", "builder"}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_workqueue_depth", widget), 0);
  EXPECT_EQ(valueOf(s, "hydrant_workqueue_delayed", widget), 1) << "c waits for its backoff";
  EXPECT_EQ(valueOf(s, "hydrant_workqueue_processing", widget), 0);
  EXPECT_EQ(valueOf(s, "hydrant_workqueue_wait_seconds_count", widget), 3);
  EXPECT_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_bucket", {{"le", "0.001"}}), 0);
  EXPECT_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_bucket", {{"le", "0.0025"}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_bucket", {{"le", "0.5"}}), 2);
  EXPECT_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_bucket", {{"le", "+Inf"}}), 2);
  EXPECT_DOUBLE_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_sum"), 0.302);
  EXPECT_EQ(valueOf(s, "hydrant_dispatch_pass_seconds_count"), 2);
  EXPECT_EQ(valueOf(s, "hydrant_database_up"), 1);
}

TEST_F(WebMetrics, DatabaseFiguresAreTheSeededOnes) {
  seed();
  web_.start();
  const Scrape s = scrape();
  auto builds = [&](const std::string& status) {
    return valueOf(s, "hydrant_builds", {{"status", status}});
  };
  EXPECT_EQ(builds("queued"), 2);
  EXPECT_EQ(builds("succeeded"), 3);
  EXPECT_EQ(builds("failed"), 1);
  EXPECT_EQ(builds("dependency_failed"), 1);
  EXPECT_EQ(builds("timed_out"), 0) << "every known status is exported";
  EXPECT_EQ(valueOf(s, "hydrant_evaluations", {{"result", "new_builds"}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_evaluations", {{"result", "no_new_builds"}}), 2);
  EXPECT_EQ(valueOf(s, "hydrant_evaluations", {{"result", "job_errors"}}), 1);
  EXPECT_EQ(
      valueOf(s, "hydrant_jobsets", {{"condition", "Stalled"}, {"reason", "EvaluationFailed"}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_jobsets", {{"condition", "Reconciling"}, {"reason", ""}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_notifications_pending"), 2);
  EXPECT_EQ(valueOf(s, "hydrant_notifications_oldest_pending_timestamp_seconds"), 900);
  EXPECT_EQ(valueOf(s, "hydrant_steps_running", {{"machine", "localhost"}}), 2);
  EXPECT_EQ(valueOf(s, "hydrant_steps_running", {{"machine", kOddMachine}}), 0)
      << "a quote and a backslash in a label survive the escaping";
  EXPECT_EQ(valueOf(s, "hydrant_machine_max_jobs", {{"machine", "localhost"}}), 4);
  EXPECT_EQ(valueOf(s, "hydrant_machine_backed_off", {{"machine", "localhost"}}), 0);
  EXPECT_EQ(valueOf(s, "hydrant_machine_backed_off", {{"machine", kOddMachine}}), 1);
  EXPECT_EQ(valueOf(s, "hydrant_machines_status_timestamp_seconds"), kNow);
}

TEST_F(WebMetrics, WithoutADatabaseTheProcessFiguresAreStillServed) {
  web_.context().db = nullptr;
  web_.start();
  const Scrape s = scrape();
  EXPECT_EQ(valueOf(s, "hydrant_database_up"), 0);
  EXPECT_EQ(valueOf(s, "hydrant_reconciles_total", {{"kind", "widget"}, {"result", "done"}}), 2);
  for (const Sample& x : s.samples) EXPECT_NE(x.name, "hydrant_builds");
}

}  // namespace
}  // namespace hydrant::testing
