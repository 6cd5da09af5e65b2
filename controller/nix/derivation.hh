// A Nix derivation (a store .drv file) and its parser for the ATerm text Nix 2.8 writes:
// Derive([outputs],[input drvs],[input srcs],"platform","builder",[args],[env]). Pure: the parser
// gets the file's text and does no I/O (reading files and closures is derivation_io.hh), so it
// can be fuzzed on its own. Plain value types; parseDerivation is thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "specs/result.hh"

namespace hydrant::nix {

// One output, as its four ATerm fields say. A fixed-output derivation's output has hash_algo
// and hash set; a content-addressed ("floating") or deferred one has an empty path.
struct DerivationOutput {
  std::string path;       // the output's store path, or ""
  std::string hash_algo;  // "sha256", or "r:sha256" for a recursive (NAR) hash; "" when not fixed
  std::string hash;       // the expected hash (hex) of a fixed output; else ""

  bool operator==(const DerivationOutput&) const = default;
};

struct Derivation {
  std::map<std::string, DerivationOutput> outputs;             // output name → output
  std::map<std::string, std::vector<std::string>> input_drvs;  // drv path → output names used
  std::vector<std::string> input_srcs;                         // store paths, as written
  std::string platform;                                        // "x86_64-linux", "builtin"
  std::string builder;                                         // "/bin/sh", "builtin:fetchurl"
  std::vector<std::string> args;
  std::map<std::string, std::string> env;

  // The features a machine must offer to build this, sorted and without repeats: env
  // "requiredSystemFeatures" split on whitespace, or, for a derivation with __structuredAttrs
  // (whose attributes are the JSON object in env "__json"), that object's list of strings.
  std::vector<std::string> requiredSystemFeatures() const;
  // Whether the derivation asks to be built locally: env "preferLocalBuild" is "1" (what Nix
  // writes for `true`), or the structured attributes' preferLocalBuild is true. Hydra maps it to
  // the pseudo-feature "local".
  bool preferLocalBuild() const;
  // The structured attributes (env "__json" when it holds a JSON object), or std::nullopt.
  std::optional<nlohmann::json> structuredAttrs() const;

  bool operator==(const Derivation&) const = default;
};

// Parses the text of a .drv file. Strings use Nix's escapes: \n, \r and \t stand for newline,
// carriage return and tab, and a backslash before any other character stands for that character
// (\" and \\ in what Nix writes). Nothing may follow the closing parenthesis, not even a newline.
// Store paths (input derivations and sources, non-empty output paths) must be absolute.
// Error (kInvalid) "derivation: at offset N: <what>", N counting bytes from 0, e.g.
//   "derivation: at offset 7: expected '[', found 'x'"
//   "derivation: at offset 9: unterminated string"
//   "derivation: at offset 42: duplicate output \"out\""
//   "derivation: at offset 61: expected a store path, found \"foo\""
//   "derivation: at offset 120: expected end of input, found byte 0x0a"
Result<Derivation> parseDerivation(std::string_view text);

}  // namespace hydrant::nix
