#include "specs/suggest.hh"

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace hydrant::specs {
namespace {

// The keys of hydrant.yaml: a realistic list of candidates of different lengths.
const std::vector<std::string> kConfigKeys = {
    "database",           "state_dir", "listen",          "log_format",       "log_level",
    "db_max_connections", "roles",     "resync_interval", "postgres_bin_dir", "postgres_user"};

struct SuggestionCase {
  std::string name;
  std::string word;
  std::vector<std::string> candidates;
  std::optional<std::string> suggestion;
};

void PrintTo(const SuggestionCase& row, std::ostream* out) { *out << row.name; }

class DidYouMean : public testing::TestWithParam<SuggestionCase> {};

TEST_P(DidYouMean, SuggestsTheClosestCandidate) {
  EXPECT_EQ(didYouMean(GetParam().word, GetParam().candidates), GetParam().suggestion);
}

INSTANTIATE_TEST_SUITE_P(
    Table, DidYouMean,
    testing::Values(
        SuggestionCase{"MissingLetter", "databse", kConfigKeys, "database"},
        SuggestionCase{"SwappedLetters", "lsiten", kConfigKeys, "listen"},
        SuggestionCase{"IgnoresCase", "LOG_LEVEL", kConfigKeys, "log_level"},
        SuggestionCase{"DashForUnderscore", "state-dir", kConfigKeys, "state_dir"},
        SuggestionCase{"UnderscoreForDash", "state_dir", {"listen", "state-dir"}, "state-dir"},
        SuggestionCase{"TwoEditsIsCloseEnough", "datbse", kConfigKeys, "database"},
        SuggestionCase{"ThreeEditsIsTooFar", "dtbse", kConfigKeys, std::nullopt},
        SuggestionCase{"NothingClose", "frobnicate", kConfigKeys, std::nullopt},
        SuggestionCase{"ShortWordAllowsOneEdit", "ab", {"ac"}, "ac"},
        SuggestionCase{"SwapInShortWordIsOneEdit", "rnu", {"migrate", "run"}, "run"},
        SuggestionCase{"ShortWordRejectsTwoEdits", "ab", {"cd"}, std::nullopt},
        SuggestionCase{"EmptyWord", "", {"a"}, std::nullopt},
        SuggestionCase{"NoCandidates", "database", {}, std::nullopt},
        SuggestionCase{"ClosestBeatsEarlier", "queu", {"quest", "queue"}, "queue"},
        SuggestionCase{"TieGoesToFirst", "cat", {"bat", "hat"}, "bat"},
        SuggestionCase{"TieGoesToFirstReversed", "cat", {"hat", "bat"}, "hat"},
        SuggestionCase{"GluedSuffix", "flakeref", {"type", "flake"}, "flake"},
        SuggestionCase{"GluedSuffixIgnoresCase", "FlakeURI", {"flake"}, "flake"},
        SuggestionCase{"LongestStemWins", "inputsxyz", {"in", "input", "inputs"}, "inputs"},
        SuggestionCase{"CloseSpellingBeatsStem", "hidenr", {"hid", "hidden"}, "hidden"},
        SuggestionCase{"StemShorterThanHalfIsTooFar", "keepnrabcd", {"keep"}, std::nullopt},
        SuggestionCase{"WordIsNotAStemOfItsCandidate", "flak", {"flakeref"}, std::nullopt}),
    [](const testing::TestParamInfo<SuggestionCase>& info) { return info.param.name; });

}  // namespace
}  // namespace hydrant::specs
