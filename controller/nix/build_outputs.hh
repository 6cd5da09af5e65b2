// Internal to controller/nix: what a built step's outputs declare for Hydra (HYDRA.md §6.3,
// build-result.cc): nix-support/hydra-build-products, hydra-metrics, hydra-release-name
// and failed. The parsers are pure; the readers look at the local store.
// Thread-safe. Not for use outside this folder.
#pragma once

#include <chrono>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "controller/nix/builder.hh"
#include "specs/result.hh"

namespace hydrant::nix::detail {

// The lines of a hydra-build-products file that Hydra accepts: `type subtype path
// [defaultPath]`, type and subtype of [A-Za-z0-9_-], path optionally in double quotes. The path
// is normalized ("." and ".." resolved) and must lie inside `store_dir`; other lines are skipped.
// Only type, subtype, path and default_path are set.
std::vector<BuildProduct> parseBuildProducts(std::string_view text, std::string_view store_dir);

// The lines of a hydra-metrics file: `name value [unit]`, whitespace-separated. Lines whose name
// is not [A-Za-z0-9._-]+ or whose value is not a finite number are skipped; a later line for the
// same name replaces an earlier one.
std::map<std::string, BuildMetric> parseMetrics(std::string_view text);

// Reads the nix-support files of `outputs` (name → path, all existing) into `result`:
// failed_marker, products (with the file size and SHA-256 of regular files, via `sha256sum`),
// metrics and release_name. Products that do not exist are skipped, as Hydra does.
void readNixSupport(const std::map<std::string, std::string>& outputs, std::string_view store_dir,
                    StepResult& result, const std::stop_token& stop);

}  // namespace hydrant::nix::detail
