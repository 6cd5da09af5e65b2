// libFuzzer target for the .drv parser (controller/nix/derivation.hh). Whatever the bytes, the
// parser must return: on success a derivation that obeys the parser's contract and that reads
// back the same after being written out again; on failure an Invalid error that says where.
// Built with clang++ only (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "controller/nix/derivation.hh"

namespace hydrant::nix {
namespace {

// Aborts with `what`, so libFuzzer records the input as a crash.
void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

// The ATerm text of `s`, with the escapes Nix writes.
std::string written(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <class Range, class Element>
std::string writtenList(const Range& range, Element element) {
  std::string out = "[";
  for (const auto& item : range) out += (out.size() > 1 ? "," : "") + element(item);
  return out + "]";
}

std::string written(const Derivation& d) {
  auto str = [](const std::string& s) { return written(s); };
  auto output = [](const auto& o) {
    const DerivationOutput& out = o.second;
    return "(" + written(o.first) + "," + written(out.path) + "," + written(out.hash_algo) + "," +
           written(out.hash) + ")";
  };
  auto input = [&](const auto& i) {
    return "(" + written(i.first) + "," + writtenList(i.second, str) + ")";
  };
  auto var = [](const auto& e) { return "(" + written(e.first) + "," + written(e.second) + ")"; };
  return "Derive(" + writtenList(d.outputs, output) + "," + writtenList(d.input_drvs, input) + "," +
         writtenList(d.input_srcs, str) + "," + written(d.platform) + "," + written(d.builder) +
         "," + writtenList(d.args, str) + "," + writtenList(d.env, var) + ")";
}

bool isStorePath(const std::string& s) { return !s.empty() && s[0] == '/'; }

void checkValue(const Derivation& d) {
  for (const auto& [name, out] : d.outputs) {
    require(out.path.empty() || isStorePath(out.path), "output paths are empty or absolute");
  }
  for (const auto& [path, outputs] : d.input_drvs) {
    require(isStorePath(path), "input derivations are absolute");
  }
  for (const std::string& src : d.input_srcs) require(isStorePath(src), "sources are absolute");
  const std::vector<std::string> features = d.requiredSystemFeatures();
  for (size_t i = 0; i < features.size(); ++i) {
    require(!features[i].empty(), "features are not empty");
    require(features[i].find_first_of(" \t\n\r") == std::string::npos, "features are words");
    require(i == 0 || features[i - 1] < features[i], "features are sorted and unique");
  }
  (void)d.preferLocalBuild();
  Result<Derivation> again = parseDerivation(written(d));
  require(again.has_value(), "a written-out derivation parses");
  require(*again == d, "a written-out derivation reads back the same");
}

void checkError(const Error& error, size_t size) {
  require(error.cls == ErrorClass::kInvalid, "a parse error is of class Invalid");
  constexpr std::string_view kPrefix = "derivation: at offset ";
  const std::string& m = error.message;
  require(m.compare(0, kPrefix.size(), kPrefix) == 0, "the message starts with the offset");
  const size_t digits_end = m.find(": ", kPrefix.size());
  require(digits_end != std::string::npos && digits_end > kPrefix.size(), "offset then ': '");
  const std::string digits = m.substr(kPrefix.size(), digits_end - kPrefix.size());
  require(digits.find_first_not_of("0123456789") == std::string::npos, "the offset is a number");
  require(digits.size() <= 19 && std::stoull(digits) <= size, "the offset is within the input");
  // At most one quoted value, cut after 64 bytes of at most 4 characters each.
  require(m.size() < 350, "the message stays short");
  for (char c : m) require(c >= 0x20 && c < 0x7f, "the message is printable ASCII");
}

}  // namespace
}  // namespace hydrant::nix

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hydrant::nix;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    hydrant::Result<Derivation> d = parseDerivation(text);
    if (d) {
      checkValue(*d);
    } else {
      checkError(d.error(), size);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "the parser threw: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "the parser threw a non-std exception\n");
    std::abort();
  }
  return 0;
}
