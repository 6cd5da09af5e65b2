// What Nix's answer to a build request means for a step (controller/nix/build_outcome.hh) and what
// built outputs declare (build_outputs.hh), from the texts Nix 2.8 and builders really print.
#include "controller/nix/build_outcome.hh"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "controller/nix/build_outputs.hh"

namespace hydrant::nix::detail {
namespace {

using namespace std::chrono_literals;

const std::string kDrv = "/nix/store/v4gj333pl5ws31pbx72b1i3cspagvw1c-fails.drv";
const BuildLimits kLimits{2s, 3s, 1000};

struct OutcomeCase {
  std::string name;
  NixBuildStatus nix_status;
  std::string nix_message;
  int status;
  bool transient;
  bool cacheable;
  std::string message;
};

std::ostream& operator<<(std::ostream& out, const OutcomeCase& c) { return out << c.name; }

class Outcome : public ::testing::TestWithParam<OutcomeCase> {};

TEST_P(Outcome, MapsToHydrasStatus) {
  const OutcomeCase& c = GetParam();
  const StepFailure f = stepFailureFor(c.nix_status, c.nix_message, kLimits);
  EXPECT_EQ(f.status, c.status);
  EXPECT_EQ(f.transient, c.transient);
  EXPECT_EQ(f.cacheable, c.cacheable);
  EXPECT_EQ(f.message, c.message);
  EXPECT_FALSE(builtOrValid(c.nix_status));
}

// Messages as Nix 2.8's nix-store --serve sends them (colours and log lines included).
INSTANTIATE_TEST_SUITE_P(
    Nix28, Outcome,
    ::testing::Values(
        OutcomeCase{"BuilderFailure", NixBuildStatus::kPermanentFailure,
                    "builder for '\x1b[35;1m" + kDrv +
                        "\x1b[0m' failed with exit code 3;\nlast 2 log lines:\n> a\n> b",
                    1, false, true, "builder for '" + kDrv + "' failed with exit code 3"},
        OutcomeCase{"OutputRejected", NixBuildStatus::kOutputRejected,
                    "hash mismatch in fixed-output derivation", 1, false, true,
                    "hash mismatch in fixed-output derivation"},
        OutcomeCase{"TransientFailureIsRetried", NixBuildStatus::kTransientFailure,
                    "error: some transient thing\n", 1, true, false, "some transient thing"},
        OutcomeCase{"Timeout", NixBuildStatus::kTimedOut,
                    "building of '" + kDrv + "' timed out after 2 seconds", 7, false, false,
                    "timed out after 2 s"},
        OutcomeCase{"Silence", NixBuildStatus::kTimedOut,
                    kDrv + " timed out after 3 seconds of silence", 7, false, false,
                    "timed out after 3 s of silence"},
        OutcomeCase{"LogLimit", NixBuildStatus::kLogLimitExceeded,
                    "killed after writing more than 1000 bytes of log output", 10, false, false,
                    "log limit exceeded: the builder wrote more than 1000 bytes"},
        OutcomeCase{"DependencyMissingIsTransient", NixBuildStatus::kDependencyFailed,
                    "dependency failed", 3, true, false, "dependency failed"},
        OutcomeCase{"SilentMiscFailure", NixBuildStatus::kMiscFailure, "", 3, true, false,
                    "Nix gave up with status 9"}),
    [](const ::testing::TestParamInfo<OutcomeCase>& info) { return info.param.name; });

TEST(BuildOutcome, SuccessfulAnswers) {
  EXPECT_TRUE(builtOrValid(NixBuildStatus::kBuilt));
  EXPECT_TRUE(builtOrValid(NixBuildStatus::kAlreadyValid));
  EXPECT_TRUE(builtOrValid(NixBuildStatus::kSubstituted));
  EXPECT_TRUE(builtOrValid(NixBuildStatus::kResolvesToAlreadyValid));
}

TEST(ReadableNixMessage, DropsColoursLogLinesAndPrefix) {
  EXPECT_EQ(readableNixMessage("error: \x1b[31;1mbad\x1b[0m thing\n"), "bad thing");
  EXPECT_EQ(readableNixMessage("x failed;\nlast 10 log lines:\n> y"), "x failed");
  EXPECT_EQ(readableNixMessage(""), "");
  EXPECT_EQ(readableNixMessage(std::string(10000, 'a')).size(), 4096u);
}

TEST(BuildProducts, AcceptsHydrasLinesInsideTheStoreOnly) {
  const auto products = parseBuildProducts(
      "doc manual /nix/store/abc-x/share/doc index.html\n"
      "file binary-dist \"/nix/store/abc-x/a b.tar\"\n"
      "file source-dist /etc/passwd\n"
      "file escape /nix/store/abc-x/../../../etc/passwd\n"
      "file store /nix/store\n"
      "bad\n"
      "ty.pe sub /nix/store/abc-x\n",
      "/nix/store");
  ASSERT_EQ(products.size(), 2u);
  EXPECT_EQ(products[0].type, "doc");
  EXPECT_EQ(products[0].subtype, "manual");
  EXPECT_EQ(products[0].path, "/nix/store/abc-x/share/doc");
  EXPECT_EQ(products[0].default_path, "index.html");
  EXPECT_EQ(products[1].path, "/nix/store/abc-x/a b.tar");
  EXPECT_EQ(products[1].default_path, "");
}

TEST(BuildMetrics, KeepsNamedNumbersWithOptionalUnits) {
  const auto metrics = parseMetrics("size 12 bytes\ntime 1.5\nbad value\nno\nwe/ird 1\nsize 13\n");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics.at("size").value, 13);  // the later line wins
  EXPECT_EQ(metrics.at("size").unit, "");
  EXPECT_EQ(metrics.at("time").value, 1.5);
}

}  // namespace
}  // namespace hydrant::nix::detail
