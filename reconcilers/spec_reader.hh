// SpecReader: fetches the text of a spec file from where a project's declarative input (or the
// root source) says it is — a git repository at a branch, tag or commit, or a local directory —
// and names the revision it came from. Shared by the source and project reconcilers and by
// `hydrant plan`. Thread-safe (the mirrors serialize per URL).
#pragma once

#include <chrono>
#include <stop_token>
#include <string>

#include "specs/result.hh"

namespace hydrant::git {
class Mirrors;
}

namespace hydrant::reconcilers {

struct FetchedSpec {
  std::string revision;  // a git commit (40 hex), or "path:<fingerprint>" for a local file
  std::string text;
};

// A git input value "URL [branch|tag|rev]" split in two; the ref is "" when absent.
struct GitValue {
  std::string url;
  std::string ref;
};
Result<GitValue> parseGitValue(const std::string& value);

// Resolves a URL relative to `base` the way git resolves relative submodule URLs: "./x" and
// "../x" (and "." itself) are taken relative to `base`; anything else is returned unchanged.
std::string resolveRelativeUrl(const std::string& url, const std::string& base);

class SpecReader {
 public:
  // `base_url`: what relative URLs are resolved against (the root source's URL; "" for none).
  SpecReader(git::Mirrors& mirrors, std::string base_url, std::chrono::milliseconds timeout);

  // Reads `file` from a declarative input of `type` ("git" or "path") and `value`.
  // Errors: kTransient for fetch trouble (retry), kStalled for a bad value, a missing ref or a
  // missing file (wait for a new spec), each naming the input.
  Result<FetchedSpec> read(const std::string& type, const std::string& value,
                           const std::string& file, std::stop_token stop);

  // Reads `file` from git `url` at `ref`.
  Result<FetchedSpec> readGit(const std::string& url, const std::string& ref,
                              const std::string& file, std::stop_token stop);

 private:
  git::Mirrors& mirrors_;
  const std::string base_url_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace hydrant::reconcilers
