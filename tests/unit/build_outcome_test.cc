// What a failed `nix-store --realise` means for a step (controller/nix/build_outcome.hh) and what
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
const std::string kOn = "' on 'ssh://root@127.0.0.1?remote-store=/r&remote-program=/w' failed: ";
const BuildLimits kLimits{2s, 3s, 1000};

struct OutcomeCase {
  std::string name;
  bool remote;
  int exit_code;
  std::string log;
  int status;
  bool transient;
  bool cacheable;
  std::string message;
};

std::ostream& operator<<(std::ostream& out, const OutcomeCase& c) { return out << c.name; }

class Outcome : public ::testing::TestWithParam<OutcomeCase> {};

TEST_P(Outcome, MapsToHydrasStatus) {
  const OutcomeCase& c = GetParam();
  const StepFailure f = c.remote ? classifyRemote(c.exit_code, c.log, kDrv, "ssh://m:2", kLimits)
                                 : classifyLocal(c.exit_code, c.log, kLimits);
  EXPECT_EQ(f.status, c.status);
  EXPECT_EQ(f.transient, c.transient);
  EXPECT_EQ(f.cacheable, c.cacheable);
  EXPECT_EQ(f.message, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Nix28, Outcome,
    ::testing::Values(
        OutcomeCase{"LocalBuilderFailure", false, 100,
                    "about to fail\nerror: builder for '" + kDrv + "' failed with exit code 3\n", 1,
                    false, true, "builder for '" + kDrv + "' failed with exit code 3"},
        OutcomeCase{
            "LocalTimeout", false, 101,
            "start\nerror: building of '" + kDrv + "!*' from .drv file timed out after 2 seconds\n",
            7, false, false, "timed out after 2 s"},
        OutcomeCase{"LocalSilence", false, 101,
                    "error: building of '" + kDrv +
                        "!*' from .drv file timed out after 3 seconds of silence\n",
                    7, false, false, "timed out after 3 s of silence"},
        OutcomeCase{"LocalLogLimit", false, 1,
                    "aaaa\nerror: building of '" + kDrv +
                        "!*' from .drv file killed after writing more than 1000 bytes of log "
                        "output\n",
                    10, false, false, "log limit exceeded: the builder wrote more than 1000 bytes"},
        OutcomeCase{"LocalHashMismatchIsPermanent", false, 102,
                    "error: hash mismatch in fixed-output derivation '" + kDrv +
                        "':\n         specified: sha256-A\n            got:    sha256-B\n",
                    3, false, false,
                    "hash mismatch in fixed-output derivation '" + kDrv +
                        "':\n         specified: sha256-A\n            got:    sha256-B"},
        OutcomeCase{"LocalOtherErrorIsTransient", false, 1,
                    "error: opening lock file '/nix/var/nix/db/big-lock': Permission denied\n", 3,
                    true, false, "opening lock file '/nix/var/nix/db/big-lock': Permission denied"},
        OutcomeCase{"BuilderOutputCannotPoseAsNix", false, 100,
                    "error: building of 'x' timed out after 9 seconds\nerror: builder for '" +
                        kDrv + "' failed with exit code 1\n",
                    1, false, true, "builder for '" + kDrv + "' failed with exit code 1"},
        OutcomeCase{"RemoteBuilderFailure", true, 1,
                    "remote failing\nerror: build of '" + kDrv + kOn + "builder for '" + kDrv +
                        "' failed with exit code 3\nerror: builder for '" + kDrv +
                        "' failed with exit code 1\n",
                    1, false, true,
                    "builder for '" + kDrv + "' failed with exit code 3 (on ssh://m:2)"},
        OutcomeCase{"RemoteSilence", true, 1,
                    "error: build of '" + kDrv + kOn + "building of '" + kDrv +
                        "!out' from in-memory derivation timed out after 3 seconds of silence\n",
                    7, false, false, "timed out after 3 s of silence (on ssh://m:2)"},
        OutcomeCase{"RemoteLogLimit", true, 1,
                    "error: build of '" + kDrv + kOn + "building of '" + kDrv +
                        "!out' from in-memory derivation killed after writing more than 1000 "
                        "bytes of log output\n",
                    10, false, false,
                    "log limit exceeded: the builder wrote more than 1000 bytes (on ssh://m:2)"},
        OutcomeCase{"RemoteConnectionRefused", true, 1,
                    "cannot build on 'ssh://root@127.0.0.1?x=y': error: cannot connect to "
                    "'root@127.0.0.1': ssh: connect to host 127.0.0.1 port 2: Connection "
                    "refused\nFailed to find a machine for remote build!\nerror: unable to start "
                    "any build\n",
                    3, true, false,
                    "machine ssh://m:2: cannot connect to 'root@127.0.0.1': ssh: connect to host "
                    "127.0.0.1 port 2: Connection refused"},
        OutcomeCase{"RemoteChangedHostKey", true, 1,
                    "cannot build on 'ssh://h': error: cannot connect to 'h': @@@@@@\n@ WARNING "
                    "@\n@@@@@@\nHost key verification failed.\nFailed to find a machine for "
                    "remote build!\n",
                    3, true, false,
                    "machine ssh://m:2: cannot connect to 'h': Host key verification failed."},
        OutcomeCase{"RemoteCopyFailureIsTransient", true, 1,
                    "copying 1 paths...\nerror: unexpected end-of-file\n", 3, true, false,
                    "machine ssh://m:2: unexpected end-of-file"}),
    [](const ::testing::TestParamInfo<OutcomeCase>& info) { return info.param.name; });

TEST(NixErrorText, TakesNixsFinalBlockWithoutItsPrefix) {
  EXPECT_EQ(nixErrorText("out\nerror: a\n  b\n\n"), "a\n  b");
  EXPECT_EQ(nixErrorText("just builder output\nlast line\n"), "last line");
  EXPECT_EQ(nixErrorText(""), "");
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
