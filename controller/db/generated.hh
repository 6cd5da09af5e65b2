// What the declarative loop needs to know about a finished build of a project's `.jobsets`
// jobset (HYDRA.md §3.2 step 6): whether it is the current, successful `jobsets` job of a
// declarative project, where its output is, and which revision of the declarative input it was
// evaluated from.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::db {

class ReadTx;

struct GeneratedSpecBuild {
  int build_id = 0;
  std::string project;
  int jobset_id = 0;             // the `.jobsets` jobset
  bool current = false;          // member of its jobset's latest evaluation
  bool finished = false;
  int buildstatus = -1;          // -1 while unfinished
  std::string out_path;          // the "out" output
  std::string revision;          // declInput's revision in that evaluation ("" when unknown)
};

// The build if it is the `jobsets` job of a declarative project's `.jobsets` jobset; null for
// any other build (or none).
Result<std::optional<GeneratedSpecBuild>> generatedSpecBuild(ReadTx& tx, int build_id);

// The newest finished, successful, current `jobsets` build of every declarative project's
// `.jobsets` jobset (for a resync).
Result<std::vector<int>> currentGeneratedSpecBuilds(ReadTx& tx);

}  // namespace hydrant::db
