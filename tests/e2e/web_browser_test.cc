// The status pages in a real browser: the README's main command runs on the example, and
// headless Chromium (Debian's package) loads the home, jobset and build pages of that run. Their
// DOM is checked, and screenshots (desktop and phone width) are saved as test artifacts under
// <build>/test-artifacts/.
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

TEST(Browser, HomeJobsetAndBuildPagesOfTheExampleRun) {
  testing::NixStore store;
  store.apply();
  testing::TempDir dir;
  const std::string config = std::string(HYDRANT_SOURCE_DIR) + "/examples/declarative/hydrant.yaml";
  const int port = testing::freePort();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  testing::HydrantProcess run({"--config", config, "run", "--state-dir", dir / "state", "--listen",
                               "127.0.0.1:" + std::to_string(port)},
                              dir.path(), dir / "hydrant.log");
  ASSERT_TRUE(
      eventually([&] { return testing::httpGet(port, "/readyz").status == 200; }, 60s, 50ms))
      << run.log();
  // Wait, through the JSON API, until the example's eight builds of `hello` have finished.
  nlohmann::json builds;
  auto finished = [&] {
    auto [rc, out] = testing::runHydrant(
        {"--config", config, "get", "builds", "hello", "-o", "json", "--state-dir", dir / "state"},
        dir.path());
    builds = nlohmann::json::parse(out, nullptr, false);
    return rc == 0 && builds.is_array() && builds.size() == 8 &&
           std::all_of(builds.begin(), builds.end(),
                       [](const auto& b) { return b.at("finished") == 1; });
  };
  ASSERT_TRUE(eventually(finished, 180s, 250ms)) << run.log();
  int fails = 0;
  for (const auto& b : builds) {
    if (b.at("job") == "fails" && b.at("jobset") == "main") fails = b.at("id");
  }
  ASSERT_NE(fails, 0);

  const std::string profile = dir / "chromium";
  const std::string home = dumpDom(profile, base + "/");
  EXPECT_TRUE(contains(home, "href=\"/project/hello\""));
  EXPECT_TRUE(contains(home, "href=\"/project/generated\""));
  EXPECT_TRUE(contains(home, "Ready"));
  EXPECT_EQ(home.find("<script"), std::string::npos) << "the pages need no JavaScript";

  const std::string jobset = dumpDom(profile, base + "/jobset/hello/main");
  for (const char* job : {"ok", "fails", "dep", "multi"}) {
    EXPECT_TRUE(contains(jobset, std::string(">") + job + "<")) << job;
  }
  EXPECT_TRUE(contains(jobset, "href=\"/build/" + std::to_string(fails) + "\""));

  const std::string build = dumpDom(profile, base + "/build/" + std::to_string(fails));
  EXPECT_TRUE(contains(build, "failed"));
  EXPECT_TRUE(contains(build, "href=\"/build/" + std::to_string(fails) + "/log\""));
  const testing::HttpReply log = testing::httpGet(port, "/build/" + std::to_string(fails) + "/log");
  EXPECT_EQ(log.status, 200);
  EXPECT_TRUE(contains(log.body, "about to fail"));

  const std::string artifacts = HYDRANT_ARTIFACTS_DIR;
  screenshot(profile, base + "/", artifacts + "/home.png", "1280,800");
  screenshot(profile, base + "/jobset/hello/main", artifacts + "/jobset.png", "1280,900");
  screenshot(profile, base + "/build/" + std::to_string(fails), artifacts + "/build.png",
             "1280,900");
  screenshot(profile, base + "/jobset/hello/main", artifacts + "/jobset-phone.png", "390,844");
}

}  // namespace
}  // namespace hydrant
