// The .drv parser (controller/nix/derivation.hh) on hand-written ATerm texts. Real derivations,
// compared with `nix show-derivation`, are in tests/integration/derivation_test.cc.
#include "controller/nix/derivation.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace hydrant::nix {
namespace {

using Strings = std::vector<std::string>;

Derivation parsed(std::string_view text) {
  Result<Derivation> d = parseDerivation(text);
  EXPECT_TRUE(d.has_value()) << d.error().message;
  return d ? *d : Derivation{};
}

// A derivation with only an environment, for the env-derived properties.
Derivation withEnv(const std::string& env) {
  return parsed(R"(Derive([],[],[],"x86_64-linux","/bin/sh",[],[)" + env + "])");
}

TEST(DerivationParse, ReadsEveryField) {
  const Derivation d = parsed(
      R"drv(Derive([("out","/nix/store/c-hello","","")],)drv"
      R"drv([("/nix/store/a-gcc.drv",["out"]),("/nix/store/b-libc.drv",["dev","out"])],)drv"
      R"drv(["/nix/store/s-builder.sh"],"x86_64-linux","/nix/store/d-bash/bin/bash",)drv"
      R"drv(["-e","/nix/store/s-builder.sh"],[("name","hello"),("out","/nix/store/c-hello")]))drv");
  ASSERT_EQ(d.outputs.size(), 1u);
  EXPECT_EQ(d.outputs.at("out"), (DerivationOutput{"/nix/store/c-hello", "", ""}));
  EXPECT_EQ(d.input_drvs,
            (std::map<std::string, Strings>{{"/nix/store/a-gcc.drv", {"out"}},
                                            {"/nix/store/b-libc.drv", {"dev", "out"}}}));
  EXPECT_EQ(d.input_srcs, Strings{"/nix/store/s-builder.sh"});
  EXPECT_EQ(d.platform, "x86_64-linux");
  EXPECT_EQ(d.builder, "/nix/store/d-bash/bin/bash");
  EXPECT_EQ(d.args, (Strings{"-e", "/nix/store/s-builder.sh"}));
  EXPECT_EQ(d.env,
            (std::map<std::string, std::string>{{"name", "hello"}, {"out", "/nix/store/c-hello"}}));
}

TEST(DerivationParse, DecodesNixEscapes) {
  const Derivation d =
      parsed(R"drv(Derive([],[],[],"x86_64-linux","/bin/sh",["q\"b\\n\nr\rt\t"],)drv"
             R"drv([("script","echo \"${x}\" \\\n\tdone"),("other","\$\a")]))drv");
  EXPECT_EQ(d.args, Strings{"q\"b\\n\nr\rt\t"});
  EXPECT_EQ(d.env.at("script"), "echo \"${x}\" \\\n\tdone");
  // Like Nix: a backslash before any other character stands for that character.
  EXPECT_EQ(d.env.at("other"), "$a");
}

TEST(DerivationParse, KeepsBytesNixWritesUnescaped) {
  const std::string text =
      std::string(R"(Derive([],[],[],"p","b",["nul:)") + '\0' + "\x01 utf8:\xc3\xa9" + "\"],[])";
  EXPECT_EQ(parsed(text).args, Strings{std::string("nul:") + '\0' + "\x01 utf8:\xc3\xa9"});
}

TEST(DerivationParse, ReadsMultipleOutputs) {
  const Derivation d = parsed(
      R"drv(Derive([("dev","/s/m-dev","",""),("doc","/s/m-doc","",""),("out","/s/m","","")],)drv"
      R"drv([],[],"x86_64-linux","/bin/sh",[],[("outputs","out dev doc")]))drv");
  EXPECT_EQ(d.outputs, (std::map<std::string, DerivationOutput>{{"dev", {"/s/m-dev", "", ""}},
                                                                {"doc", {"/s/m-doc", "", ""}},
                                                                {"out", {"/s/m", "", ""}}}));
}

TEST(DerivationParse, ReadsFixedOutputHashFields) {
  const std::string hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  const Derivation flat = parsed(R"(Derive([("out","/s/f","sha256",")" + hash +
                                 R"(")],[],[],"builtin","builtin:fetchurl",[],[]))");
  EXPECT_EQ(flat.outputs.at("out"), (DerivationOutput{"/s/f", "sha256", hash}));
  EXPECT_EQ(flat.builder, "builtin:fetchurl");
  const Derivation recursive = parsed(R"(Derive([("out","/s/r","r:sha256",")" + hash +
                                      R"(")],[],[],"x86_64-linux","/bin/sh",[],[]))");
  EXPECT_EQ(recursive.outputs.at("out"), (DerivationOutput{"/s/r", "r:sha256", hash}));
}

TEST(DerivationParse, AcceptsOutputsWithoutPath) {
  // Content-addressed (floating) outputs, and deferred ones, have no path until built.
  const Derivation d =
      parsed(R"(Derive([("deferred","","",""),("out","","r:sha256","")],[],[],"p","b",[],[]))");
  EXPECT_EQ(d.outputs.at("out"), (DerivationOutput{"", "r:sha256", ""}));
  EXPECT_EQ(d.outputs.at("deferred"), (DerivationOutput{}));
}

TEST(DerivationParse, AcceptsEmptyListsAndStrings) {
  EXPECT_EQ(parsed(R"(Derive([],[],[],"","",[],[]))"), Derivation{});
  const Derivation d = parsed(R"(Derive([],[("/s/d.drv",[])],[],"","",[""],[("","")]))");
  EXPECT_EQ(d.input_drvs, (std::map<std::string, Strings>{{"/s/d.drv", {}}}));
  EXPECT_EQ(d.args, Strings{""});
  EXPECT_EQ(d.env, (std::map<std::string, std::string>{{"", ""}}));
}

TEST(DerivationParse, KeepsInputSourcesInOrder) {
  EXPECT_EQ(parsed(R"(Derive([],[],["/s/b","/s/a"],"p","b",[],[]))").input_srcs,
            (Strings{"/s/b", "/s/a"}));
}

TEST(DerivationParse, ReadsLargeValues) {
  const std::string script(4 << 20, 'x');
  EXPECT_EQ(withEnv(R"(("buildCommand",")" + script + "\")").env.at("buildCommand"), script);
}

TEST(DerivationFeatures, SplitsRequiredSystemFeaturesOnWhitespace) {
  EXPECT_EQ(withEnv(R"(("requiredSystemFeatures","kvm big-parallel\tkvm\n nixos-test "))")
                .requiredSystemFeatures(),
            (Strings{"big-parallel", "kvm", "nixos-test"}));
}

TEST(DerivationFeatures, NoRequiredSystemFeatures) {
  EXPECT_EQ(withEnv("").requiredSystemFeatures(), Strings{});
  EXPECT_EQ(withEnv(R"(("requiredSystemFeatures",""))").requiredSystemFeatures(), Strings{});
  EXPECT_EQ(withEnv(R"(("requiredSystemFeatures"," \t "))").requiredSystemFeatures(), Strings{});
}

TEST(DerivationFeatures, StructuredAttributesAreReadFromTheirJson) {
  // What Nix writes for `__structuredAttrs = true; requiredSystemFeatures = [ "kvm" "big" ];`.
  const Derivation drv = withEnv(
      R"(("__json","{\"preferLocalBuild\":true,\"requiredSystemFeatures\":[\"kvm\",\"big\",\"kvm\"]}"))");
  EXPECT_EQ(drv.requiredSystemFeatures(), (Strings{"big", "kvm"}));
  EXPECT_TRUE(drv.preferLocalBuild());
  EXPECT_EQ(withEnv(R"(("__json","{}"))").requiredSystemFeatures(), Strings{});
  EXPECT_FALSE(withEnv(R"(("__json","{}"))").preferLocalBuild());
  // Not JSON at all: no features rather than a failure.
  EXPECT_EQ(withEnv(R"(("__json","not json"))").requiredSystemFeatures(), Strings{});
}

TEST(DerivationFeatures, PreferLocalBuildOnlyWhenOne) {
  // Nix writes `true` as "1" and `false` as "".
  EXPECT_TRUE(withEnv(R"(("preferLocalBuild","1"))").preferLocalBuild());
  EXPECT_FALSE(withEnv(R"(("preferLocalBuild",""))").preferLocalBuild());
  EXPECT_FALSE(withEnv(R"(("preferLocalBuild","true"))").preferLocalBuild());
  EXPECT_FALSE(withEnv("").preferLocalBuild());
}

struct BadCase {
  std::string name;
  std::string text;
  std::string message;
};

class DerivationParseErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(DerivationParseErrors, SaysWhereAndWhat) {
  Result<Derivation> d = parseDerivation(GetParam().text);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(d.error().message, GetParam().message);
}

const std::string kMinimal =
    R"(Derive([("out","/s/a","","")],[],[],"x86_64-linux","/bin/sh",[],[]))";

INSTANTIATE_TEST_SUITE_P(
    Cases, DerivationParseErrors,
    ::testing::Values(
        BadCase{"Empty", "", "derivation: at offset 0: expected 'Derive(', found end of input"},
        BadCase{"NotAnATerm", "{\"out\": 1}",
                "derivation: at offset 0: expected 'Derive(', found '{'"},
        BadCase{"MisspelledConstructor", "Derivx([],[],[],\"p\",\"b\",[],[])",
                "derivation: at offset 5: expected 'Derive(', found 'x'"},
        BadCase{"ControlByteIsShownAsHex", "Derive(\x01",
                "derivation: at offset 7: expected '[', found byte 0x01"},
        BadCase{"SpaceBetweenLists", R"(Derive([], [],[],"p","b",[],[]))",
                "derivation: at offset 10: expected '[', found ' '"},
        BadCase{"MissingCommaBetweenLists", R"(Derive([][],[],"p","b",[],[]))",
                "derivation: at offset 9: expected ',', found '['"},
        BadCase{"MissingCommaBetweenElements",
                R"(Derive([("out","/s/a","","")("dev","/s/b","","")],[],[],"p","b",[],[]))",
                "derivation: at offset 28: expected ',' or ']', found '('"},
        BadCase{"LeadingCommaInList", R"(Derive([,],[],[],"p","b",[],[]))",
                "derivation: at offset 8: expected '(', found ','"},
        BadCase{"OutputWithThreeFields", R"(Derive([("out","/s/a","")],[],[],"p","b",[],[]))",
                "derivation: at offset 24: expected ',', found ')'"},
        BadCase{"EnvWithoutValue", R"(Derive([],[],[],"p","b",[],[("A")]))",
                "derivation: at offset 32: expected ',', found ')'"},
        BadCase{"ListInsteadOfString", R"(Derive([],[],[],"p","b",["a",["b"]],[]))",
                "derivation: at offset 29: expected '\"', found '['"},
        BadCase{"DeepNesting", "Derive(" + std::string(100000, '['),
                "derivation: at offset 8: expected '(', found '['"},
        BadCase{"UnterminatedString", R"(Derive([("out)",
                "derivation: at offset 9: unterminated string"},
        BadCase{"BackslashAtEnd", R"(Derive([("out\)",
                "derivation: at offset 9: unterminated string"},
        BadCase{"Truncated", R"(Derive([],[],[],"p","b",[],[])",
                "derivation: at offset 29: expected ')', found end of input"},
        BadCase{"TrailingNewline", kMinimal + "\n",
                "derivation: at offset 67: expected end of input, found byte 0x0a"},
        BadCase{"TrailingGarbage", kMinimal + "Derive(",
                "derivation: at offset 67: expected end of input, found 'D'"},
        BadCase{"DuplicateOutput",
                R"(Derive([("out","/s/a","",""),("out","/s/b","","")],[],[],"p","b",[],[]))",
                "derivation: at offset 30: duplicate output \"out\""},
        BadCase{"DuplicateInputDerivation",
                R"(Derive([],[("/s/d.drv",["out"]),("/s/d.drv",["dev"])],[],"p","b",[],[]))",
                "derivation: at offset 33: duplicate input derivation \"/s/d.drv\""},
        BadCase{"DuplicateInputSource", R"(Derive([],[],["/s/src","/s/src"],"p","b",[],[]))",
                "derivation: at offset 23: duplicate input source \"/s/src\""},
        BadCase{"DuplicateEnvironmentVariable",
                R"(Derive([],[],[],"p","b",[],[("A","1"),("A","2")]))",
                "derivation: at offset 39: duplicate environment variable \"A\""},
        BadCase{"RelativeInputSource", R"(Derive([],[],["src"],"p","b",[],[]))",
                "derivation: at offset 14: expected a store path, found \"src\""},
        BadCase{"EmptyInputDerivation", R"(Derive([],[("",["out"])],[],"p","b",[],[]))",
                "derivation: at offset 12: expected a store path, found \"\""},
        BadCase{"RelativeOutputPath", R"(Derive([("out","s/a","","")],[],[],"p","b",[],[]))",
                "derivation: at offset 15: expected a store path, found \"s/a\""},
        BadCase{"LongValueIsCutInTheMessage",
                R"(Derive([],[],[")" + std::string(100, 'x') + "\n\"],\"p\",\"b\",[],[])",
                "derivation: at offset 14: expected a store path, found \"" + std::string(64, 'x') +
                    "\"..."},
        BadCase{"ValueIsEscapedInTheMessage",
                std::string(R"(Derive([],[],["a\"\n\t)") + '\x7f' + R"("],"p","b",[],[]))",
                "derivation: at offset 14: expected a store path, found \"a\\\"\\n\\t\\x7f\""}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

// The fuzzer's seeds are real derivations written by Nix: each must parse. Inputs that once
// crashed the fuzzer (regress_*) are parsed too, so that the crash cannot come back unnoticed.
TEST(DerivationParse, SeedCorpusParses) {
  const std::filesystem::path dir =
      std::filesystem::path(HYDRANT_SOURCE_DIR) / "tests/fuzz/derivation_corpus";
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    Result<Derivation> d = parseDerivation(text.str());
    if (entry.path().filename().string().rfind("regress_", 0) == 0) continue;
    ++seeds;
    EXPECT_TRUE(d.has_value()) << entry.path() << ": " << d.error().message;
  }
  EXPECT_GE(seeds, 3);
}

}  // namespace
}  // namespace hydrant::nix
