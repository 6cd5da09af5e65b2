// Mirrors: Hydrant's cache of git repositories, the only place that uses libgit2. One bare
// mirror per URL under <state_dir>/git, created on first use and fetched incrementally; files
// are read straight from a commit's tree, never from a checkout. Every network operation has a
// deadline and honours a stop token. Thread-safe: fetches of the same URL are serialized,
// different URLs proceed in parallel.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "specs/result.hh"

namespace hydrant::git {

class Mirrors {
 public:
  // `cache_dir` is created when needed.
  explicit Mirrors(std::string cache_dir);
  ~Mirrors();
  Mirrors(const Mirrors&) = delete;
  Mirrors& operator=(const Mirrors&) = delete;

  // Fetches `url` (file://, an absolute local path, https://, ssh://, or anything libgit2
  // fetches) into its mirror and resolves `ref` — a branch, a tag, a 40-hex commit, or "" /
  // "HEAD" for the remote's HEAD — to a commit id (40 hex). A 40-hex ref already present in
  // the mirror needs no network.
  // Errors: kTransient "git fetch <url>: <reason>" (unreachable, timed out after N s, stopped);
  // kStalled "git: <url> has no branch or tag \"<ref>\"" / "has no commit <rev>".
  Result<std::string> fetch(const std::string& url, const std::string& ref,
                            std::chrono::milliseconds timeout, std::stop_token stop);

  // Reads the file at `path` (relative, '/'-separated) in `commit` of the mirror of `url`.
  // REQUIRES: fetch(url, …) succeeded before, in this process or an earlier one.
  // Errors: kStalled "<path> not found at <short commit> of <url>" (also when it is a
  // directory), kStalled "git: <url> has no commit <commit>" when the mirror lacks it,
  // kTransient when there is no mirror yet or it cannot be opened.
  Result<std::string> readFile(const std::string& url, const std::string& commit,
                               const std::string& path);

  // Writes the tree of `commit` of the mirror of `url` into `dir` (created; must not exist or be
  // empty): regular files with their executable bit, symlinks as symlinks, submodules as empty
  // directories. REQUIRES: fetch(url, …) succeeded before.
  // Errors: kStalled "git: <url> has no commit <commit>"; kTransient for file-system trouble,
  // naming the path.
  Result<void> exportTree(const std::string& url, const std::string& commit,
                          const std::string& dir);

  // How many commits are reachable from `commit` (git rev-list --count). Same errors as
  // exportTree.
  Result<int> revCount(const std::string& url, const std::string& commit);

  // The mirror directory used for `url` (for tests and messages).
  std::string mirrorPath(const std::string& url) const;

 private:
  std::shared_ptr<std::timed_mutex> lockFor(const std::string& url);

  const std::string cache_dir_;
  std::mutex mu_;
  // One lock per URL, shared with the fetch threads that may outlive a timed-out call.
  std::map<std::string, std::shared_ptr<std::timed_mutex>> url_locks_;  // guarded by mu_
};

}  // namespace hydrant::git
