#include "controller/nix/derivation.hh"

#include <cstddef>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>

namespace hydrant::nix {
namespace {

// Long enough to recognise a path or a name in a message, short enough to keep the message on
// one line when the derivation holds a whole script in one string.
constexpr size_t kQuoteLimit = 64;

bool printable(unsigned char c) { return c >= 0x20 && c < 0x7f; }

std::string hexByte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(c));
  return buf;
}

// `s` in double quotes, escaped so that the message stays printable ASCII, cut after kQuoteLimit.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kQuoteLimit; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (printable(c)) {
      out += static_cast<char>(c);
    } else {
      out += "\\x" + hexByte(c);
    }
  }
  out += s.size() > kQuoteLimit ? "\"..." : "\"";
  return out;
}

// The grammar is fixed (lists hold strings or tuples of strings, never lists of lists), so the
// parser is a straight sequence of steps with no recursion: deep nesting in the input is just an
// unexpected character, and no input can exhaust the stack. Each step returns false after
// recording the first error; the caller stops there.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Derivation> parse() {
    Derivation d;
    const bool ok = expect("Derive(") && list([&] { return output(d); }) && expect(",") &&
                    list([&] { return inputDrv(d); }) && expect(",") &&
                    list([&] { return inputSrc(d); }) && expect(",") && string(d.platform) &&
                    expect(",") && string(d.builder) && expect(",") &&
                    list([&] { return arg(d); }) && expect(",") &&
                    list([&] { return envVar(d); }) && expect(")") && end();
    if (!ok) return *error_;
    return d;
  }

 private:
  bool fail(size_t offset, const std::string& what) {
    error_ = Error::invalid("derivation: at offset " + std::to_string(offset) + ": " + what);
    return false;
  }

  // What is at `offset`, for "found …".
  std::string found(size_t offset) const {
    if (offset >= text_.size()) return "end of input";
    const unsigned char c = static_cast<unsigned char>(text_[offset]);
    if (printable(c)) return std::string("'") + static_cast<char>(c) + "'";
    return "byte 0x" + hexByte(c);
  }

  bool failExpected(const std::string& expected) {
    return fail(pos_, "expected " + expected + ", found " + found(pos_));
  }

  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  // The error points at the first byte that differs, so "Derivx(" is reported at the 'x'.
  bool expect(std::string_view token) {
    for (char c : token) {
      if (!at(c)) return failExpected("'" + std::string(token) + "'");
      ++pos_;
    }
    return true;
  }

  bool end() { return pos_ == text_.size() || failExpected("end of input"); }

  // A list: '[' then elements separated by ',' then ']'. Nix itself also reads "[,a]" and
  // "[a b]"; no derivation Nix writes looks like that, so they are rejected here.
  template <class Element>
  bool list(Element element) {
    if (!expect("[")) return false;
    if (at(']')) {
      ++pos_;
      return true;
    }
    while (true) {
      if (!element()) return false;
      if (at(']')) {
        ++pos_;
        return true;
      }
      if (!at(',')) return failExpected("',' or ']'");
      ++pos_;
    }
  }

  bool string(std::string& out) {
    const size_t start = pos_;
    if (!expect("\"")) return false;
    out.clear();
    while (pos_ < text_.size()) {
      // Copy the run up to the next quote or backslash in one go: env values hold whole scripts.
      const size_t stop = text_.find_first_of("\"\\", pos_);
      if (stop == std::string_view::npos) break;
      out.append(text_.substr(pos_, stop - pos_));
      pos_ = stop;
      if (text_[pos_] == '"') {
        ++pos_;
        return true;
      }
      if (pos_ + 1 >= text_.size()) break;
      const char escaped = text_[pos_ + 1];
      out += escaped == 'n' ? '\n' : escaped == 'r' ? '\r' : escaped == 't' ? '\t' : escaped;
      pos_ += 2;
    }
    return fail(start, "unterminated string");
  }

  bool storePath(std::string& out, bool may_be_empty) {
    const size_t start = pos_;
    if (!string(out)) return false;
    if (out.empty() ? may_be_empty : out[0] == '/') return true;
    return fail(start, "expected a store path, found " + quote(out));
  }

  // Nix reads repeated names with std::map (first or last one wins, depending on the list);
  // since no derivation Nix writes has any, one that does is rejected rather than guessed at.
  bool unique(bool inserted, size_t offset, const char* what, const std::string& name) {
    return inserted || fail(offset, std::string("duplicate ") + what + " " + quote(name));
  }

  bool output(Derivation& d) {
    std::string name;
    DerivationOutput out;
    const size_t start = pos_ + 1;  // the name's opening quote
    if (!(expect("(") && string(name) && expect(",") && storePath(out.path, true) && expect(",") &&
          string(out.hash_algo) && expect(",") && string(out.hash) && expect(")")))
      return false;
    return unique(d.outputs.emplace(name, std::move(out)).second, start, "output", name);
  }

  bool inputDrv(Derivation& d) {
    std::string path;
    std::vector<std::string> names;
    const size_t start = pos_ + 1;
    if (!(expect("(") && storePath(path, false) && expect(",") &&
          list([&] { return string(names.emplace_back()); }) && expect(")")))
      return false;
    return unique(d.input_drvs.emplace(path, std::move(names)).second, start, "input derivation",
                  path);
  }

  bool inputSrc(Derivation& d) {
    const size_t start = pos_;
    std::string path;
    if (!storePath(path, false)) return false;
    if (!unique(input_srcs_.insert(path).second, start, "input source", path)) return false;
    d.input_srcs.push_back(std::move(path));
    return true;
  }

  bool arg(Derivation& d) { return string(d.args.emplace_back()); }

  bool envVar(Derivation& d) {
    std::string name, value;
    const size_t start = pos_ + 1;
    if (!(expect("(") && string(name) && expect(",") && string(value) && expect(")"))) return false;
    return unique(d.env.emplace(name, std::move(value)).second, start, "environment variable",
                  name);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::optional<Error> error_;
  std::set<std::string> input_srcs_;  // seen so far, for duplicates
};

}  // namespace

Result<Derivation> parseDerivation(std::string_view text) { return Parser(text).parse(); }

std::optional<nlohmann::json> Derivation::structuredAttrs() const {
  auto it = env.find("__json");
  if (it == env.end()) return std::nullopt;
  nlohmann::json attrs = nlohmann::json::parse(it->second, nullptr, false);
  if (!attrs.is_object()) return std::nullopt;
  return attrs;
}

std::vector<std::string> Derivation::requiredSystemFeatures() const {
  std::set<std::string> features;
  if (const std::optional<nlohmann::json> attrs = structuredAttrs()) {
    auto list = attrs->find("requiredSystemFeatures");
    if (list != attrs->end() && list->is_array()) {
      for (const auto& feature : *list) {
        if (feature.is_string()) features.insert(feature.get<std::string>());
      }
    }
    return {features.begin(), features.end()};
  }
  auto it = env.find("requiredSystemFeatures");
  if (it == env.end()) return {};
  // Nix splits attribute lists written into the environment on these four characters.
  constexpr std::string_view kSpace = " \t\n\r";
  const std::string& s = it->second;
  for (size_t begin = s.find_first_not_of(kSpace); begin != std::string::npos;) {
    const size_t stop = s.find_first_of(kSpace, begin);
    features.insert(s.substr(begin, stop == std::string::npos ? std::string::npos : stop - begin));
    begin = stop == std::string::npos ? stop : s.find_first_not_of(kSpace, stop);
  }
  return {features.begin(), features.end()};
}

bool Derivation::preferLocalBuild() const {
  if (const std::optional<nlohmann::json> attrs = structuredAttrs()) {
    auto flag = attrs->find("preferLocalBuild");
    return flag != attrs->end() && flag->is_boolean() && flag->get<bool>();
  }
  auto it = env.find("preferLocalBuild");
  return it != env.end() && it->second == "1";
}

}  // namespace hydrant::nix
