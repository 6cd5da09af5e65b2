// The status pages of the README's main command's run, in a real browser and over HTTP: the
// binary runs the example, headless Chromium (Debian's package) loads the home, jobset and build
// pages, whose DOM is checked and whose screenshots (desktop and phone width) are saved as test
// artifacts under <build>/test-artifacts/; then every page and JSON endpoint is fetched from
// the running binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/proc/process.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/wait.hh"

namespace hydrant {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::eventually;

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text.substr(0, 6000);
}

// Chromium's arguments for one headless run with its own profile directory.
std::vector<std::string> chromium(const std::string& profile, std::vector<std::string> more) {
  std::vector<std::string> argv = {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                   "--user-data-dir=" + profile};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

// The DOM of `url` after the browser loaded it ("" when Chromium failed, reported).
std::string dumpDom(const std::string& profile, const std::string& url) {
  proc::RunOptions o;
  o.argv = chromium(profile, {"--dump-dom", url});
  o.timeout = 90s;
  Result<proc::RunResult> r = proc::run(o);
  EXPECT_TRUE(r && r->ok()) << (r ? r->describe() + "\n" + r->err : r.error().message);
  return r && r->ok() ? r->out : "";
}

void screenshot(const std::string& profile, const std::string& url, const std::string& file,
                const std::string& size) {
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  fs::remove(file, ec);
  proc::RunOptions o;
  o.argv = chromium(profile,
                    {"--hide-scrollbars", "--window-size=" + size, "--screenshot=" + file, url});
  o.timeout = 90s;
  Result<proc::RunResult> r = proc::run(o);
  EXPECT_TRUE(r && r->ok()) << (r ? r->describe() + "\n" + r->err : r.error().message);
  EXPECT_GT(fs::file_size(file, ec), 10000u) << file << " is missing or nearly empty";
}

// The README's main command, run once for the suite: the example's builds of `hello` have all
// finished when the tests start.
class ExampleRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new testing::NixStore;
    store_->apply();
    dir_ = new testing::TempDir;
    port_ = testing::freePort();
    run_ = new testing::HydrantProcess({"--config", config(), "run", "--state-dir", *dir_ / "state",
                                        "--listen", "127.0.0.1:" + std::to_string(port_)},
                                       dir_->path(), *dir_ / "hydrant.log");
    ASSERT_TRUE(
        eventually([] { return testing::httpGet(port_, "/readyz").status == 200; }, 60s, 50ms))
        << run_->log();
    // Through the JSON API, as an observer would: every build of `hello` finished.
    auto finished = [] {
      const testing::HttpReply r =
          testing::httpGet(port_, "/api/latestbuilds?nr=100&project=hello", "application/json");
      builds_ = nlohmann::json::parse(r.body, nullptr, false);
      return r.status == 200 && builds_.is_array() && builds_.size() == 8 &&
             std::all_of(builds_.begin(), builds_.end(),
                         [](const auto& b) { return b.at("finished") == 1; });
    };
    ASSERT_TRUE(eventually(finished, 180s, 250ms)) << run_->log();
    for (const auto& b : builds_) {
      if (b.at("job") == "fails" && b.at("jobset") == "main") fails_ = b.at("id");
    }
  }
  static void TearDownTestSuite() {
    delete run_;
    delete dir_;
    delete store_;
  }
  static std::string config() {
    return std::string(HYDRANT_SOURCE_DIR) + "/examples/declarative/hydrant.yaml";
  }
  static std::string base() { return "http://127.0.0.1:" + std::to_string(port_); }

  static inline testing::NixStore* store_ = nullptr;
  static inline testing::TempDir* dir_ = nullptr;
  static inline testing::HydrantProcess* run_ = nullptr;
  static inline int port_ = 0;
  static inline nlohmann::json builds_;
  static inline int fails_ = 0;
};

TEST_F(ExampleRun, BrowserShowsTheHomeJobsetAndBuildPages) {
  ASSERT_NE(fails_, 0);
  const std::string profile = *dir_ / "chromium";
  const std::string home = dumpDom(profile, base() + "/");
  EXPECT_TRUE(contains(home, "href=\"/project/hello\""));
  EXPECT_TRUE(contains(home, "href=\"/project/generated\""));
  EXPECT_TRUE(contains(home, "Ready"));
  EXPECT_EQ(home.find("<script"), std::string::npos) << "the pages need no JavaScript";

  const std::string jobset = dumpDom(profile, base() + "/jobset/hello/main");
  for (const char* job : {"ok", "fails", "dep", "multi"}) {
    EXPECT_TRUE(contains(jobset, std::string(">") + job + "<")) << job;
  }
  EXPECT_TRUE(contains(jobset, "href=\"/build/" + std::to_string(fails_) + "\""));

  const std::string build = dumpDom(profile, base() + "/build/" + std::to_string(fails_));
  EXPECT_TRUE(contains(build, "failed"));
  EXPECT_TRUE(contains(build, "href=\"/build/" + std::to_string(fails_) + "/log\""));

  const std::string artifacts = HYDRANT_ARTIFACTS_DIR;
  screenshot(profile, base() + "/", artifacts + "/home.png", "1280,800");
  screenshot(profile, base() + "/jobset/hello/main", artifacts + "/jobset.png", "1280,900");
  screenshot(profile, base() + "/build/" + std::to_string(fails_), artifacts + "/build.png",
             "1280,900");
  screenshot(profile, base() + "/jobset/hello/main", artifacts + "/jobset-phone.png", "390,844");
}

// Every page and endpoint of the running binary, as HTML and as JSON with Hydra's field names.
TEST_F(ExampleRun, EveryEndpointAnswersFromTheRunningBinary) {
  ASSERT_NE(fails_, 0);
  const std::string fails = std::to_string(fails_);
  auto json = [](const std::string& path) {
    const testing::HttpReply r = testing::httpGet(port_, path, "application/json");
    EXPECT_EQ(r.status, 200) << path << ": " << r.body.substr(0, 500);
    EXPECT_EQ(r.content_type, "application/json") << path;
    return nlohmann::json::parse(r.body, nullptr, false);
  };
  const nlohmann::json projects = json("/");
  ASSERT_TRUE(projects.is_array()) << projects;
  EXPECT_EQ(projects.size(), 2u);
  EXPECT_TRUE(json("/project/hello").contains("jobsets"));
  const nlohmann::json jobset = json("/jobset/hello/main");
  EXPECT_TRUE(jobset.contains("nixexprinput")) << jobset;
  const nlohmann::json evals = json("/jobset/hello/main/evals");
  ASSERT_FALSE(evals["evals"].empty()) << evals;
  const int eval = evals["evals"][0]["id"];
  const nlohmann::json e = json("/eval/" + std::to_string(eval));
  EXPECT_EQ(e["builds"].size(), 4u) << e;
  EXPECT_TRUE(e["jobsetevalinputs"].contains("src")) << e;
  EXPECT_EQ(json("/eval/" + std::to_string(eval) + "/builds").size(), 4u);
  const nlohmann::json b = json("/build/" + fails);
  EXPECT_EQ(b["buildstatus"], 1) << b;
  EXPECT_EQ(b["job"], "fails");
  EXPECT_TRUE(b.contains("buildoutputs") && b.contains("drvpath") && b.contains("nixname"));
  EXPECT_EQ(json("/api/jobsets?project=hello").size(), 2u);
  EXPECT_TRUE(json("/queue").is_array());
  EXPECT_TRUE(json("/queue-summary").is_object());
  const nlohmann::json machines = json("/machines");
  EXPECT_TRUE(machines.contains("localhost")) << machines;
  EXPECT_EQ(machines["localhost"]["maxJobs"], 2);

  const testing::HttpReply log = testing::httpGet(port_, "/build/" + fails + "/log");
  EXPECT_EQ(log.status, 200);
  EXPECT_TRUE(contains(log.body, "about to fail"));
  const testing::HttpReply latest = testing::httpGet(port_, "/job/hello/main/ok/latest");
  EXPECT_EQ(latest.status, 302);
  EXPECT_TRUE(latest.location.starts_with("/build/")) << latest.location;
  EXPECT_EQ(json("/job/hello/main/fails/shield")["message"], "failing");
  const testing::HttpReply badge = testing::httpGet(port_, "/job/hello/main/ok/badge.svg");
  EXPECT_EQ(badge.status, 200);
  EXPECT_EQ(badge.content_type, "image/svg+xml");
  const testing::HttpReply metrics = testing::httpGet(port_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_TRUE(contains(metrics.body, "hydrant_builds{status=\"failed\"} 2"));
  for (const std::string& page :
       std::vector<std::string>{"/", "/project/hello", "/jobset/hello/main", "/queue", "/machines",
                                "/eval/" + std::to_string(eval)}) {
    const testing::HttpReply html = testing::httpGet(port_, page, "text/html");
    EXPECT_EQ(html.status, 200) << page;
    EXPECT_TRUE(contains(html.content_type, "text/html")) << page;
  }
  // Nothing changes over HTTP without a secret or token.
  EXPECT_EQ(testing::httpPost(port_, "/api/push-github", "{}").status, 401);
  EXPECT_EQ(testing::httpPost(port_, "/api/push?jobsets=hello:main", "").status, 401);
  EXPECT_EQ(testing::httpGet(port_, "/build/999999", "application/json").status, 404);
  EXPECT_EQ(testing::httpGet(port_, "/build/abc", "application/json").status, 400);
}

}  // namespace
}  // namespace hydrant
