// The declarative loop of a generated-mode project, through the binary: the spec configures
// `.jobsets`, its generator's `jobsets` job writes the jobsets as JSON, and once that build
// succeeds the jobsets appear, evaluate and build. A generator that writes a bad spec changes
// nothing and shows on `.jobsets` with a located message; the next good commit mends it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/git_repo.hh"
#include "tests/support/hydrant_process.hh"
#include "tests/support/nix_store.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::GitRepo;
using testing::runHydrant;

const char* kSpec = R"({
  "nixexprinput": "src", "nixexprpath": "generator.nix", "checkinterval": 0,
  "inputs": { "src": { "type": "git", "value": ". main" } }
})";

// `names` become jobsets evaluating release.nix; `extra` is spliced into each jobset's spec.
std::string generator(const std::string& names, const std::string& extra = "") {
  return R"({ declInput, projectName, src }:
let one = name: { nixexprinput = "src"; nixexprpath = "release.nix"; checkinterval = 0;
                  description = "${name} of ${projectName}";
                  inputs.src = { type = "git"; value = ". main"; }; )" +
         extra + R"( };
    names = [ )" + names + R"( ];
in {
  jobsets = derivation {
    name = "jobsets"; system = builtins.currentSystem; builder = "/bin/sh";
    spec = builtins.toJSON (builtins.listToAttrs (map (n: { name = n; value = one n; }) names));
    passAsFile = [ "spec" ];
    args = [ "-c" "/bin/cp $specPath $out" ];
  };
})";
}

const char* kRelease = R"({ src }: {
  hello = derivation { name = "hello"; system = builtins.currentSystem; builder = "/bin/sh";
                       args = [ "-c" "echo hello > $out" ]; };
})";

class Generated : public ::testing::Test {
 protected:
  Generated()
      : database_(testing::TestCluster::get().freshDatabase()),
        root_(dir_ / "root"),
        repo_(dir_ / "hello") {
    store_.apply();
    repo_.commit("spec.json", kSpec);
    repo_.commit("release.nix", kRelease);
    repo_.commit("generator.nix", generator("\"a\" \"b\""));
    root_.commit("projects.json", R"({ "hello": { "prune": "disable", "declarative": {
        "file": "spec.json", "type": "git", "value": "../hello main" } } })");
    std::ofstream(dir_ / "hydrant.yaml")
        << "database: \"" << database_ << "\"\nstate_dir: " << dir_.path() << "/state\n"
        << "machines_file: " << dir_.path() << "/no-machines\n"
        << "projects:\n  url: root\n  ref: main\n  interval: 3600\n";
  }
  nlohmann::json get(const std::vector<std::string>& what) {
    std::vector<std::string> args = {"--config", dir_ / "hydrant.yaml", "get"};
    args.insert(args.end(), what.begin(), what.end());
    args.insert(args.end(), {"-o", "json"});
    auto [rc, out] = runHydrant(args, dir_.path());
    if (rc != 0) return nlohmann::json::array();
    return nlohmann::json::parse(out, nullptr, false);
  }
  // jobset name → "enabled/hidden" of every jobset of the project.
  std::map<std::string, std::string> jobsets() {
    std::map<std::string, std::string> out;
    for (const auto& j : get({"jobsets", "hello"})) {
      out[j.at("name")] = std::to_string(j.at("enabled").get<int>()) + "/" +
                          (j.at("visible").get<bool>() ? "visible" : "hidden");
    }
    return out;
  }
  // Statuses of the current builds of jobs named `job` by jobset (-1 while queued).
  std::map<std::string, int> built(const std::string& job) {
    std::map<std::string, int> out;
    for (const auto& b : get({"builds", "hello"})) {
      if (b.at("job") != job || b.at("iscurrent") != 1) continue;
      out[b.at("jobset")] = b.at("buildstatus").is_null() ? -1 : b.at("buildstatus").get<int>();
    }
    return out;
  }
  nlohmann::json generatorJobset() {
    for (const auto& j : get({"jobsets", "hello"})) {
      if (j.at("name") == ".jobsets") return j;
    }
    return nlohmann::json();
  }

  testing::NixStore store_;
  testing::TempDir dir_;
  std::string database_;
  GitRepo root_, repo_;
};

TEST_F(Generated, TheGeneratorsJobsetsAppearEvaluateAndBuildAndABadSpecChangesNothing) {
  testing::HydrantProcess run({"--config", dir_ / "hydrant.yaml", "run", "--listen",
                               "127.0.0.1:" + std::to_string(testing::freePort())},
                              dir_.path(), dir_ / "hydrant.log");
  ASSERT_TRUE(eventually([&] { return built("hello") == std::map<std::string, int>{{"a", 0},
                                                                                   {"b", 0}}; },
                         90s, 100ms))
      << run.log();
  EXPECT_EQ(jobsets(), (std::map<std::string, std::string>{
                           {".jobsets", "1/visible"}, {"a", "1/visible"}, {"b", "1/visible"}}));
  EXPECT_EQ(generatorJobset()["status"]["conditions"][0]["reason"], "Generated");

  // A generator writing a spec with a misspelt key: nothing changes, `.jobsets` says where.
  repo_.commit("generator.nix", generator("\"a\" \"c\"", "flakeref = \"x\";"));
  auto [rc, out] = runHydrant({"--config", dir_ / "hydrant.yaml", "trigger", "hello:.jobsets"},
                              dir_.path());
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually(
      [&] {
        return generatorJobset()["status"]["conditions"][0]["reason"] == "InvalidGeneratedSpec";
      },
      60s, 100ms))
      << run.log();
  const std::string message = generatorJobset()["status"]["conditions"][0]["message"];
  EXPECT_NE(message.find("hello:.jobsets build"), std::string::npos) << message;
  EXPECT_NE(message.find("unknown key \"flakeref\" (did you mean \"flake\"?)"),
            std::string::npos)
      << message;
  EXPECT_EQ(jobsets(), (std::map<std::string, std::string>{
                           {".jobsets", "1/visible"}, {"a", "1/visible"}, {"b", "1/visible"}}));

  // The next good commit: c appears, b leaves (disabled and hidden: the project's prune).
  repo_.commit("generator.nix", generator("\"a\" \"c\""));
  std::tie(rc, out) = runHydrant({"--config", dir_ / "hydrant.yaml", "trigger", "hello:.jobsets"},
                                 dir_.path());
  ASSERT_EQ(rc, 0) << out;
  ASSERT_TRUE(eventually([&] { return built("hello").count("c") && built("hello")["c"] == 0; },
                         60s, 100ms))
      << run.log();
  EXPECT_EQ(jobsets(), (std::map<std::string, std::string>{
                           {".jobsets", "1/visible"}, {"a", "1/visible"}, {"b", "0/hidden"},
                           {"c", "1/visible"}}));
  EXPECT_EQ(generatorJobset()["status"]["conditions"][0]["reason"], "Generated");
}

}  // namespace
}  // namespace hydrant
