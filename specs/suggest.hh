// "Did you mean …?" hints for misspelt keys, commands, flags and values. Pure functions, shared
// by the spec parser and the controller's config and command line. Thread-safe (no state).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hydrant::specs {

// The candidate closest to `word` by case-insensitive edit distance (a swap of two neighbouring
// letters counts as one edit), if that distance is at most 2 and at most half of word's length;
// ties go to the earliest candidate. Failing that, the longest candidate that `word` extends by
// at most the candidate's own length ("flakeref" → "flake", Hydra issue #793). Else nullopt.
// Callers pass candidates in the spelling the user should type ("state_dir" vs "state-dir").
std::optional<std::string> didYouMean(const std::string& word,
                                      const std::vector<std::string>& candidates);

}  // namespace hydrant::specs
