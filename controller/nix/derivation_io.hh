// Reading derivations from their .drv files, one or a whole closure of them: what the queue
// builds its steps from (HYDRA.md §6.1, createStep). Reads the files directly, so the store must
// be local. Thread-safe: no shared state; each call reads its own files.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "controller/nix/derivation.hh"
#include "specs/result.hh"

namespace hydrant::nix {

// Reads and parses the .drv file at `drv_path`.
// Errors: kTransient "cannot read <drv_path>: <reason>" (missing, unreadable, a directory);
// kInvalid "<drv_path>: derivation: at offset N: …" when the text is not a derivation.
Result<Derivation> readDerivation(const std::string& drv_path);

struct ClosureEntry {
  std::string drv_path;
  Derivation derivation;
};

// Tells readClosure which derivations it need not read: the queue already has their steps.
using KnownDerivation = std::function<bool(const std::string& drv_path)>;

// Every derivation in the closure of `drv_path` (itself and, transitively, its input
// derivations), each once, dependencies before dependents, so `drv_path` comes last. Input
// derivations are visited in path order, so the order is the same on every call. Derivations
// for which `known` returns true are neither read nor walked into, and are not in the result
// (`known` is not asked about `drv_path` itself). The walk keeps its own stack, so a deep chain
// cannot exhaust the thread's.
// Errors: readDerivation's, for the first derivation that cannot be read; kInvalid
// "derivation cycle: <a> -> <b> -> <a>" when input derivations refer back (never in a store Nix
// wrote, since a path's hash covers its inputs).
Result<std::vector<ClosureEntry>> readClosure(const std::string& drv_path,
                                              const KnownDerivation& known = {});

}  // namespace hydrant::nix
