// Reading spec files from a local directory (declarative inputs of type "path"). Thread-safe.
#pragma once

#include <string>

#include "specs/result.hh"

namespace hydrant::git {

// Reads `dir`/`relpath`. Errors (kStalled): "<dir>/<relpath> not found", "… is a directory",
// "cannot read …: <reason>".
Result<std::string> readLocalFile(const std::string& dir, const std::string& relpath);

}  // namespace hydrant::git
