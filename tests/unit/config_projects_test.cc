// The `projects:` section of hydrant.yaml: a git root source or inline projects.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "controller/config.hh"

namespace hydrant::config {
namespace {

TEST(ConfigProjects, AGitRootSourceWithEveryKey) {
  auto c = parseYaml(R"(projects:
  url: file:///srv/ci-config.git
  ref: main
  file: projects.yaml
  interval: 30
  timeout: 10
)",
                     "hydrant.yaml");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->projects);
  EXPECT_EQ(c->projects->url, "file:///srv/ci-config.git");
  EXPECT_EQ(c->projects->ref, "main");
  EXPECT_EQ(c->projects->file, "projects.yaml");
  EXPECT_EQ(c->projects->interval, std::chrono::seconds(30));
  EXPECT_EQ(c->projects->timeout, std::chrono::seconds(10));
  EXPECT_FALSE(c->projects->inline_projects);
}

TEST(ConfigProjects, DefaultsAreTheRemotesHeadAndProjectsJsonEveryMinute) {
  auto c = parseYaml("projects:\n  url: https://example.org/ci.git\n", "hydrant.yaml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->projects->ref, "");
  EXPECT_EQ(c->projects->file, "projects.json");
  EXPECT_EQ(c->projects->interval, std::chrono::seconds(60));
}

TEST(ConfigProjects, InlineProjectsAreParsedAndValidated) {
  auto c = parseYaml(R"(projects:
  inline:
    hello:
      displayname: Hello
      declarative: { file: spec.json, type: git, value: "https://example.org/hello.git main" }
)",
                     "hydrant.yaml");
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(c->projects->inline_projects);
  ASSERT_EQ(c->projects->inline_projects->projects.size(), 1u);
  EXPECT_EQ(c->projects->inline_projects->projects[0].displayname, "Hello");
}

TEST(ConfigProjects, InlineErrorsPointIntoHydrantYaml) {
  auto c = parseYaml(R"(listen: 127.0.0.1:8080
projects:
  inline:
    hello:
      declarativ: { file: spec.json, type: git, value: x }
)",
                     "hydrant.yaml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(
                "hydrant.yaml:5:7: project \"hello\": unknown key \"declarativ\" (did you mean "
                "\"declarative\"?)"),
            std::string::npos)
      << c.error().message;
}

struct SectionError {
  std::string name, text, message;
};
class ConfigProjectsError : public ::testing::TestWithParam<SectionError> {};

TEST_P(ConfigProjectsError, SaysWhereAndWhat) {
  auto c = parseYaml(GetParam().text, "hydrant.yaml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigProjectsError,
    ::testing::Values(
        SectionError{"NotAMapping", "projects: x\n",
                     "hydrant.yaml:1:11: projects: expected a mapping with url (and ref, file, "
                     "interval) or inline"},
        SectionError{"NeitherUrlNorInline", "projects:\n  ref: main\n",
                     "hydrant.yaml:2:3: projects: give either url (a git repository) or inline "
                     "projects"},
        SectionError{"UnknownKey", "projects:\n  url: x\n  intervall: 5\n",
                     "hydrant.yaml:3:3: projects: unknown key \"intervall\" (did you mean "
                     "\"interval\"?)"},
        SectionError{"BadInterval", "projects:\n  url: x\n  interval: soon\n",
                     "hydrant.yaml:3:13: projects: interval: expected seconds as an integer from "
                     "1 to 31536000"},
        SectionError{"BadFile", "projects:\n  url: x\n  file: projects.txt\n",
                     "hydrant.yaml:3:9: projects: file: expected a .json, .yaml or .yml file "
                     "name"},
        SectionError{"DuplicateKey", "projects:\n  url: x\n  url: y\n",
                     "hydrant.yaml:3:3: projects: duplicate key \"url\""}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigProjects, ARelativeUrlIsTakenRelativeToTheConfigFile) {
  char tmpl[] = "/tmp/hydrant-cfg-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/etc");
  std::ofstream(dir + "/etc/hydrant.yaml") << "projects:\n  url: ../repos/ci\n";
  auto c = loadFile(dir + "/etc/hydrant.yaml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->projects->url, dir + "/repos/ci");
}

TEST(ConfigProjects, UrlsAndAbsolutePathsAreKeptAsWritten) {
  for (const char* url : {"https://example.org/ci.git", "/srv/ci", "git@example.org:ci.git"}) {
    char tmpl[] = "/tmp/hydrant-cfg-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::ofstream(dir + "/hydrant.yaml") << "projects:\n  url: \"" << url << "\"\n";
    auto c = loadFile(dir + "/hydrant.yaml");
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->projects->url, url);
  }
}

}  // namespace
}  // namespace hydrant::config
