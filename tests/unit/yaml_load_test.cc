// yaml-cpp 0.7 loops forever on some malformed YAML when asked for all documents; these inputs
// (found by the spec parser's fuzz target) must end with a located error instead.
#include "specs/yaml_load.hh"

#include <gtest/gtest.h>

#include "controller/config.hh"
#include "specs/parse.hh"

namespace hydrant::specs {
namespace {

struct Case {
  std::string name, text, spec_message, config_message;
};
class MalformedYaml : public ::testing::TestWithParam<Case> {};

TEST_P(MalformedYaml, EndsWithALocatedOneLineError) {
  auto spec = parseProjectFile(GetParam().text, "spec.yaml");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message, GetParam().spec_message);
  auto config = config::parseYaml(GetParam().text, "hydrant.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, GetParam().config_message);
}

INSTANTIATE_TEST_SUITE_P(
    Fuzzed, MalformedYaml,
    ::testing::Values(Case{"StrayComma", ",",
                           "spec.yaml:1:1: expected one document, found a second one",
                           "hydrant.yaml:1:1: expected one document, found a second one"},
                      Case{"StrayCommaAfterSequence", "- a\n,",
                           "spec.yaml:2:1: expected one document, found a second one",
                           "hydrant.yaml:2:1: expected one document, found a second one"},
                      Case{"StrayCommaAfterFlowMapping",
                           "{\"\":{\"\":{\"\":[{}]}},\"\":{\"\":{}}},",
                           "spec.yaml:1:31: expected one document, found a second one",
                           "hydrant.yaml:1:31: expected one document, found a second one"},
                      Case{"RawControlBytesInTheLibrarysMessage", std::string("\xff\x00\n", 3),
                           "spec.yaml:2:1: unknown escape character: \\n",
                           "hydrant.yaml:2:1: unknown escape character: \\n"}),
    [](const auto& info) { return info.param.name; });

TEST(Printable, WritesControlCharactersAsEscapes) {
  EXPECT_EQ(printable(std::string("a\nb\tc\x01\x7f", 7)), "a\\nb\\tc\\x01\\x7f");
  EXPECT_EQ(printable("plain"), "plain");
}

TEST(SingleDocument, FindsWhereASecondDocumentStarts) {
  auto one = loadSingleDocument("a: 1\n");
  EXPECT_FALSE(one.second);
  EXPECT_EQ(one.node["a"].as<int>(), 1);
  auto two = loadSingleDocument("a: 1\n---\nb: 2\n");
  ASSERT_TRUE(two.second);
  EXPECT_EQ(two.second->line, 1);
}

}  // namespace
}  // namespace hydrant::specs
