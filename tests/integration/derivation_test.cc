// The .drv parser and closure reader (controller/nix/derivation_io.hh) on derivations that the
// real nix-instantiate wrote into a private store, checked against `nix show-derivation`; and
// on hand-written files for the errors a store Nix wrote never shows (cycles, missing inputs).
#include "controller/nix/derivation.hh"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "controller/nix/derivation_io.hh"
#include "controller/proc/process.hh"
#include "tests/support/nix_store.hh"

namespace hydrant::nix {
namespace {

using Strings = std::vector<std::string>;

// a ← b ← c is a chain; `diamond` needs a directly and through c; `multi` has three outputs and
// `usesDev` takes two of them; `fixed` is a fixed-output derivation with an input source;
// `escapes` has every character Nix escapes.
constexpr const char* kExpression = R"nix(
let mk = attrs: derivation ({ system = builtins.currentSystem; builder = "/bin/sh"; } // attrs);
in rec {
  a = mk { name = "a"; args = [ "-c" "echo a > $out" ]; };
  b = mk { name = "b"; inherit a; args = [ "-c" "cat $a > $out" ]; };
  c = mk { name = "c"; inherit b; data = ./data.txt; args = [ "-c" "cat $b $data > $out" ];
           requiredSystemFeatures = [ "kvm" "big-parallel" ]; preferLocalBuild = true; };
  diamond = mk { name = "diamond"; inherit a c; args = [ "-c" "cat $a $c > $out" ]; };
  multi = mk { name = "multi"; outputs = [ "out" "dev" "doc" ];
               args = [ "-c" "echo o > $out; echo d > $dev; echo m > $doc" ]; };
  usesDev = mk { name = "uses-dev"; dev = multi.dev; doc = multi.doc; args = [ "-c" "x" ]; };
  fixed = mk { name = "fixed"; outputHashMode = "recursive"; outputHashAlgo = "sha256";
               outputHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
               src = ./data.txt; args = [ "-c" "x" ]; };
  escapes = mk { name = "escapes"; args = [ "-c" "printf %s \"$text\" > $out" ];
                 text = "quote \" backslash \\ newline \n tab \t cr \r dollar \${x} utf8 é"; };
}
)nix";

class DerivationStore : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.apply();
    dir_ = store_.root() + "/expr";
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/default.nix") << kExpression;
    std::ofstream(dir_ + "/data.txt") << "data\n";
  }

  // The drv paths of the given attributes of kExpression, written to the store.
  std::map<std::string, std::string> instantiate(const Strings& attrs) {
    proc::RunOptions run;
    run.argv = {"nix-instantiate", dir_ + "/default.nix"};
    for (const std::string& attr : attrs) run.argv.insert(run.argv.end(), {"-A", attr});
    run.timeout = std::chrono::seconds(60);
    Result<proc::RunResult> r = proc::run(run);
    EXPECT_TRUE(r && r->ok()) << (r ? r->err : r.error().message);
    std::map<std::string, std::string> paths;
    std::istringstream lines(r ? r->out : "");
    for (const std::string& attr : attrs) std::getline(lines, paths[attr]);
    return paths;
  }

  // `nix show-derivation`'s view of one derivation.
  nlohmann::json shown(const std::string& drv_path) {
    proc::RunOptions run;
    run.argv = {"nix", "--extra-experimental-features", "nix-command", "show-derivation", drv_path};
    run.timeout = std::chrono::seconds(60);
    Result<proc::RunResult> r = proc::run(run);
    EXPECT_TRUE(r && r->ok()) << (r ? r->err : r.error().message);
    if (!r || !r->ok()) return nlohmann::json::object();
    return nlohmann::json::parse(r->out).at(drv_path);
  }

  Derivation read(const std::string& drv_path) {
    Result<Derivation> d = readDerivation(drv_path);
    EXPECT_TRUE(d.has_value()) << d.error().message;
    return d ? *d : Derivation{};
  }

  testing::NixStore store_;
  std::string dir_;
};

void expectAgrees(const Derivation& d, const nlohmann::json& nix) {
  std::map<std::string, DerivationOutput> outputs;
  for (const auto& [name, out] : nix.at("outputs").items()) {
    outputs[name] = {out.value("path", ""), out.value("hashAlgo", ""), out.value("hash", "")};
  }
  EXPECT_EQ(d.outputs, outputs);
  EXPECT_EQ(d.input_drvs, (nix.at("inputDrvs").get<std::map<std::string, Strings>>()));
  EXPECT_EQ(d.input_srcs, nix.at("inputSrcs").get<Strings>());
  EXPECT_EQ(d.platform, nix.at("system").get<std::string>());
  EXPECT_EQ(d.builder, nix.at("builder").get<std::string>());
  EXPECT_EQ(d.args, nix.at("args").get<Strings>());
  EXPECT_EQ(d.env, (nix.at("env").get<std::map<std::string, std::string>>()));
}

TEST_F(DerivationStore, AgreesWithNixShowDerivation) {
  const Strings attrs = {"a", "b", "c", "diamond", "multi", "usesDev", "fixed", "escapes"};
  for (const auto& [attr, drv_path] : instantiate(attrs)) {
    SCOPED_TRACE(attr + " " + drv_path);
    expectAgrees(read(drv_path), shown(drv_path));
  }
}

TEST_F(DerivationStore, ReadsWhatTheQueueNeeds) {
  const auto drvs = instantiate({"c", "multi", "usesDev", "fixed", "escapes"});
  const Derivation c = read(drvs.at("c"));
  EXPECT_EQ(c.requiredSystemFeatures(), (Strings{"big-parallel", "kvm"}));
  EXPECT_TRUE(c.preferLocalBuild());
  EXPECT_EQ(c.input_srcs.size(), 1u);
  EXPECT_EQ(read(drvs.at("usesDev")).input_drvs.at(drvs.at("multi")), (Strings{"dev", "doc"}));
  const Derivation multi = read(drvs.at("multi"));
  EXPECT_EQ(multi.outputs.size(), 3u);
  EXPECT_TRUE(multi.requiredSystemFeatures().empty());
  EXPECT_FALSE(multi.preferLocalBuild());
  const DerivationOutput fixed = read(drvs.at("fixed")).outputs.at("out");
  EXPECT_EQ(fixed.hash_algo, "r:sha256");
  EXPECT_EQ(fixed.hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(read(drvs.at("escapes")).env.at("text"),
            "quote \" backslash \\ newline \n tab \t cr \r dollar ${x} utf8 \xc3\xa9");
}

Strings pathsOf(const std::vector<ClosureEntry>& closure) {
  Strings paths;
  for (const ClosureEntry& entry : closure) paths.push_back(entry.drv_path);
  return paths;
}

TEST_F(DerivationStore, ClosureComesInDependencyOrder) {
  const auto drvs = instantiate({"a", "b", "c"});
  Result<std::vector<ClosureEntry>> closure = readClosure(drvs.at("c"));
  ASSERT_TRUE(closure.has_value()) << closure.error().message;
  EXPECT_EQ(pathsOf(*closure), (Strings{drvs.at("a"), drvs.at("b"), drvs.at("c")}));
  EXPECT_EQ(closure->back().derivation, read(drvs.at("c")));
}

TEST_F(DerivationStore, SharedInputsComeOnceBeforeEveryDependent) {
  const auto drvs = instantiate({"a", "b", "c", "diamond"});
  Result<std::vector<ClosureEntry>> closure = readClosure(drvs.at("diamond"));
  ASSERT_TRUE(closure.has_value()) << closure.error().message;
  EXPECT_EQ(pathsOf(*closure),
            (Strings{drvs.at("a"), drvs.at("b"), drvs.at("c"), drvs.at("diamond")}));
}

TEST_F(DerivationStore, KnownDerivationsAreNotRead) {
  const auto drvs = instantiate({"a", "b", "c"});
  Strings asked;
  Result<std::vector<ClosureEntry>> closure =
      readClosure(drvs.at("c"), [&](const std::string& drv_path) {
        asked.push_back(drv_path);
        return drv_path == drvs.at("b");
      });
  ASSERT_TRUE(closure.has_value()) << closure.error().message;
  EXPECT_EQ(pathsOf(*closure), Strings{drvs.at("c")});
  EXPECT_EQ(asked, Strings{drvs.at("b")});
}

// Hand-written derivations in a plain directory: what a store Nix wrote never contains.
class DerivationFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/hd.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes <dir>/<name>.drv needing the given derivations (by name); returns its path.
  std::string write(const std::string& name, const Strings& inputs) {
    std::string text = R"(Derive([("out","/s/)" + name + R"(","","")],[)";
    for (const std::string& input : inputs) {
      text += (&input == &inputs.front() ? "" : ",") + std::string("(\"") + path(input) +
              "\",[\"out\"])";
    }
    text += R"(],[],"x86_64-linux","/bin/sh",[],[]))";
    std::ofstream(path(name)) << text;
    return path(name);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name + ".drv"; }

  std::string dir_;
};

TEST_F(DerivationFiles, MissingFileIsTransient) {
  Result<Derivation> d = readDerivation(path("gone"));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(d.error().message, "cannot read " + path("gone") + ": No such file or directory");
}

TEST_F(DerivationFiles, DirectoryCannotBeRead) {
  Result<Derivation> d = readDerivation(dir_);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().message, "cannot read " + dir_ + ": Is a directory");
}

TEST_F(DerivationFiles, ParseErrorNamesTheFile) {
  std::ofstream(path("bad")) << "Derive([],[],[],\"p\",\"b\",[],[])\n";
  Result<Derivation> d = readDerivation(path("bad"));
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(d.error().message, path("bad") +
                                   ": derivation: at offset 30: expected end of input, found "
                                   "byte 0x0a");
}

TEST_F(DerivationFiles, MissingInputFailsTheClosure) {
  const std::string top = write("top", {"gone"});
  Result<std::vector<ClosureEntry>> closure = readClosure(top);
  ASSERT_FALSE(closure.has_value());
  EXPECT_EQ(closure.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(closure.error().message, "cannot read " + path("gone") + ": No such file or directory");
}

TEST_F(DerivationFiles, CycleIsReported) {
  write("x", {"y"});
  write("y", {"z"});
  write("z", {"y"});
  const std::string top = write("top", {"x"});
  Result<std::vector<ClosureEntry>> closure = readClosure(top);
  ASSERT_FALSE(closure.has_value());
  EXPECT_EQ(closure.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(closure.error().message,
            "derivation cycle: " + path("y") + " -> " + path("z") + " -> " + path("y"));
}

TEST_F(DerivationFiles, LongChainComesWholeAndInOrder) {
  constexpr int kLength = 20000;
  Strings expected;
  for (int i = 0; i < kLength; ++i) {
    expected.push_back(
        write("n" + std::to_string(i), i == 0 ? Strings{} : Strings{"n" + std::to_string(i - 1)}));
  }
  Result<std::vector<ClosureEntry>> closure = readClosure(expected.back());
  ASSERT_TRUE(closure.has_value()) << closure.error().message;
  EXPECT_EQ(pathsOf(*closure), expected);
}

}  // namespace
}  // namespace hydrant::nix
