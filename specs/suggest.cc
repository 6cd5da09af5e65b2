#include "specs/suggest.hh"

#include <algorithm>
#include <cctype>

namespace hydrant::specs {
namespace {

constexpr size_t kMaxSuggestionDistance = 2;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Edit distance where swapping two neighbouring letters counts as one edit (optimal string
// alignment), since "rnu" for "run" is one slip of the fingers, not two.
size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// A word with a suffix glued on ("flakeref", "inputs_list") is too far by edit distance, yet the
// stem is plainly the key meant.
std::optional<std::string> longestStem(const std::string& needle,
                                       const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  for (const auto& candidate : candidates) {
    const bool stem = candidate.size() < needle.size() && candidate.size() * 2 >= needle.size() &&
                      needle.starts_with(lower(candidate));
    if (stem && (!best || candidate.size() > best->size())) best = candidate;
  }
  return best;
}

}  // namespace

std::optional<std::string> didYouMean(const std::string& word,
                                      const std::vector<std::string>& candidates) {
  const size_t limit = std::min(kMaxSuggestionDistance, word.size() / 2);
  const std::string needle = lower(word);
  std::optional<std::string> best;
  size_t bestDistance = limit + 1;
  for (const auto& candidate : candidates) {
    const size_t distance = editDistance(needle, lower(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best ? best : longestStem(needle, candidates);
}

}  // namespace hydrant::specs
