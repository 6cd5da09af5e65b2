// Nix's machines-file format: fields, defaults, separators, comments, and the exact messages a
// user sees for a bad entry.
#include "reconcilers/machines_file.hh"

#include <gtest/gtest.h>

namespace hydrant::reconcilers {
namespace {

using Strings = std::vector<std::string>;

std::vector<Machine> parseOk(std::string_view text) {
  auto r = parseMachinesFile(text, "x86_64-linux");
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : std::vector<Machine>{};
}

TEST(MachinesFile, ReadsEveryField) {
  const auto ms = parseOk(
      "builder1 aarch64-linux,armv7l-linux /etc/nix/id_builder 8 2.5 kvm,big-parallel "
      "benchmark c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTU=\n");
  ASSERT_EQ(ms.size(), 1u);
  const Machine& m = ms[0];
  EXPECT_EQ(m.uri, "ssh://builder1");
  EXPECT_EQ(m.systems, (Strings{"aarch64-linux", "armv7l-linux"}));
  EXPECT_EQ(m.ssh_key, "/etc/nix/id_builder");
  EXPECT_EQ(m.max_jobs, 8u);
  EXPECT_DOUBLE_EQ(m.speed_factor, 2.5);
  EXPECT_EQ(m.supported_features, (Strings{"big-parallel", "kvm"}));
  EXPECT_EQ(m.mandatory_features, (Strings{"benchmark"}));
  EXPECT_EQ(m.host_key, "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTU=");
  EXPECT_EQ(m.line, 1);
  EXPECT_FALSE(m.isLocal());
}

TEST(MachinesFile, DashAndMissingFieldsTakeTheDefaults) {
  const auto ms = parseOk("alice@host1 - - - - - - -\nhost2\n");
  ASSERT_EQ(ms.size(), 2u);
  for (const Machine& m : ms) {
    EXPECT_EQ(m.systems, (Strings{"x86_64-linux"}));
    EXPECT_EQ(m.ssh_key, "");
    EXPECT_EQ(m.max_jobs, 1u);
    EXPECT_DOUBLE_EQ(m.speed_factor, 1.0);
    EXPECT_TRUE(m.supported_features.empty());
    EXPECT_TRUE(m.mandatory_features.empty());
    EXPECT_EQ(m.host_key, "");
  }
  EXPECT_EQ(ms[0].uri, "ssh://alice@host1");
  EXPECT_EQ(ms[1].uri, "ssh://host2");
}

TEST(MachinesFile, LocalhostBuildsInTheLocalStoreAndSchemesAreKept) {
  const auto ms = parseOk(
      "localhost x86_64-linux - 2\n"
      "ssh://root@127.0.0.1?remote-store=/tmp/r x86_64-linux\n"
      "ssh-ng://b3\n"
      "ssh://localhost\n");
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].uri, "localhost");
  EXPECT_TRUE(ms[0].isLocal());
  EXPECT_EQ(ms[1].uri, "ssh://root@127.0.0.1?remote-store=/tmp/r");
  EXPECT_EQ(ms[2].uri, "ssh-ng://b3");
  EXPECT_EQ(ms[3].uri, "ssh://localhost");
  EXPECT_FALSE(ms[3].isLocal());
}

TEST(MachinesFile, SemicolonsSeparateEntriesOnOneLine) {
  const auto ms = parseOk("a - - 2; b - - 3 ;c\nd");
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].uri, "ssh://a");
  EXPECT_EQ(ms[0].max_jobs, 2u);
  EXPECT_EQ(ms[1].max_jobs, 3u);
  EXPECT_EQ(ms[2].uri, "ssh://c");
  EXPECT_EQ(ms[2].line, 1);
  EXPECT_EQ(ms[3].uri, "ssh://d");
  EXPECT_EQ(ms[3].line, 2);
}

TEST(MachinesFile, CommentsBlankLinesAndOddSpacingAreIgnored) {
  const auto ms = parseOk(
      "# the build farm\n"
      "\n"
      "   \t \r\n"
      "  a\tx86_64-linux  -\t 4   # four slots; b is not an entry\n"
      "#c - - 1\n"
      "b   # trailing comment\n");
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].uri, "ssh://a");
  EXPECT_EQ(ms[0].max_jobs, 4u);
  EXPECT_EQ(ms[0].line, 4);
  EXPECT_EQ(ms[1].uri, "ssh://b");
  EXPECT_EQ(ms[1].line, 6);
}

TEST(MachinesFile, ListsAreSortedWithoutDuplicatesOrEmptyItems) {
  const auto ms = parseOk("a x86_64-linux,,i686-linux,x86_64-linux - 1 1 kvm,,kvm,nixos-test");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].systems, (Strings{"i686-linux", "x86_64-linux"}));
  EXPECT_EQ(ms[0].supported_features, (Strings{"kvm", "nixos-test"}));
}

TEST(MachinesFile, ZeroMaxJobsAndFractionalSpeedAreAccepted) {
  const auto ms = parseOk("a - - 0 0.25");
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].max_jobs, 0u);
  EXPECT_DOUBLE_EQ(ms[0].speed_factor, 0.25);
}

TEST(MachinesFile, EmptyOrCommentOnlyFileHasNoMachines) {
  EXPECT_TRUE(parseOk("").empty());
  EXPECT_TRUE(parseOk("# nothing here\n;;\n").empty());
}

struct BadCase {
  std::string name;
  std::string text;
  std::string message;
};

class MachinesFileErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(MachinesFileErrors, RejectsTheWholeFileNamingLineAndField) {
  const auto r = parseMachinesFile(GetParam().text, "x86_64-linux");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, GetParam().message);
  EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MachinesFileErrors,
    ::testing::Values(
        BadCase{"MaxJobsNotANumber", "good\n# c\nhost - - x\n",
                "machines:3: maxJobs \"x\" is not a non-negative integer"},
        BadCase{"MaxJobsNegative", "host - - -1",
                "machines:1: maxJobs \"-1\" is not a non-negative integer"},
        BadCase{"MaxJobsFraction", "host - - 1.5",
                "machines:1: maxJobs \"1.5\" is not a non-negative integer"},
        BadCase{"MaxJobsTooLarge", "host - - 99999999999",
                "machines:1: maxJobs \"99999999999\" is too large"},
        BadCase{"SpeedFactorZero", "host - - 1 0",
                "machines:1: speedFactor \"0\" is not a positive number"},
        BadCase{"SpeedFactorNegative", "host - - 1 -2",
                "machines:1: speedFactor \"-2\" is not a positive number"},
        BadCase{"SpeedFactorWord", "host - - 1 fast",
                "machines:1: speedFactor \"fast\" is not a positive number"},
        BadCase{"SpeedFactorInfinite", "host - - 1 inf",
                "machines:1: speedFactor \"inf\" is not a positive number"},
        BadCase{"HostKeyNotBase64", "host - - 1 1 - - not-base64!",
                "machines:1: host key \"not-base64!\" is not valid base64"},
        BadCase{"HostKeyBadPadding",
                "host - - 1 1 - - QQ=", "machines:1: host key \"QQ=\" is not valid base64"},
        BadCase{"TooManyFields", "host - - 1 1 kvm, big-parallel - QQ==",
                "machines:1: 9 fields, at most 8 (URI, systems, SSH key, maxJobs, speedFactor, "
                "supportedFeatures, mandatoryFeatures, host key)"},
        BadCase{"UriDash", "- x86_64-linux",
                "machines:1: the first field must be the machine's URI, not \"-\""},
        BadCase{"Include", "@/etc/nix/more-machines",
                "machines:1: \"@/etc/nix/more-machines\": @file includes are not supported; "
                "list the machines here"},
        BadCase{"OtherScheme", "s3://cache",
                "machines:1: URI \"s3://cache\" is not supported (use localhost, a host name, "
                "ssh://… or ssh-ng://…)"},
        BadCase{"StorePath", "/var/lib/store",
                "machines:1: URI \"/var/lib/store\" is not supported (use localhost, a host "
                "name, ssh://… or ssh-ng://…)"},
        BadCase{"DaemonWord", "daemon",
                "machines:1: URI \"daemon\" is not supported (use localhost, a host name, "
                "ssh://… or ssh-ng://…)"},
        BadCase{"EmptyHost", "ssh://",
                "machines:1: URI \"ssh://\" is not supported (use localhost, a host name, "
                "ssh://… or ssh-ng://…)"},
        BadCase{"NoSystem", "host ,", "machines:1: systems \",\" names no system"},
        BadCase{"DuplicateMachine", "a\nb; ssh://a - - 2",
                "machines:2: machine \"ssh://a\" is already defined on line 1"},
        BadCase{"SecondEntryOnALine", "\na - - 1; b - - many",
                "machines:2: maxJobs \"many\" is not a non-negative integer"},
        BadCase{"ControlCharactersAreShown", "host - - 1\x01",
                "machines:1: maxJobs \"1\\x01\" is not a non-negative integer"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(MachinesFile, MessagesNameTheFileGiven) {
  const auto r = parseMachinesFile("host - - x", "x86_64-linux", "/etc/nix/machines");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "/etc/nix/machines:1: maxJobs \"x\" is not a non-negative integer");
}

TEST(MachinesFile, Base64) {
  EXPECT_TRUE(isBase64("QUJD"));
  EXPECT_TRUE(isBase64("QQ=="));
  EXPECT_TRUE(isBase64("QUI="));
  EXPECT_TRUE(isBase64("QQ"));  // unpadded
  EXPECT_TRUE(isBase64("a+/Z09"));
  EXPECT_FALSE(isBase64(""));
  EXPECT_FALSE(isBase64("===="));
  EXPECT_FALSE(isBase64("Q"));
  EXPECT_FALSE(isBase64("QQ="));
  EXPECT_FALSE(isBase64("Q==="));
  EXPECT_FALSE(isBase64("QQ==QQ=="));
  EXPECT_FALSE(isBase64("QU-D"));
}

TEST(MachinesFile, DefaultLocalMachineIsThisMachineOnly) {
  const Machine m = defaultLocalMachine("x86_64-linux", 3, {"kvm", "big-parallel", "kvm"});
  EXPECT_EQ(m.uri, "localhost");
  EXPECT_TRUE(m.isLocal());
  EXPECT_EQ(m.systems, (Strings{"x86_64-linux"}));
  EXPECT_EQ(m.max_jobs, 3u);
  EXPECT_DOUBLE_EQ(m.speed_factor, 1.0);
  EXPECT_EQ(m.supported_features, (Strings{"big-parallel", "kvm"}));
  EXPECT_TRUE(m.mandatory_features.empty());
}

}  // namespace
}  // namespace hydrant::reconcilers
