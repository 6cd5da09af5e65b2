// Real git repositories for tests, driven by the `git` program (argv vectors, a fixed identity,
// no user or system config). One test thread.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace hydrant::testing {

// Runs `git args…` in `dir`; fails the test if git fails. Returns stdout without the trailing
// newline.
std::string git(const std::string& dir, const std::vector<std::string>& args);

// Writes `content` to `path`, creating parent directories.
void writeFile(const std::string& path, const std::string& content);

// A repository in `dir` (created, with branch `main`), for committing spec files.
class GitRepo {
 public:
  explicit GitRepo(std::string dir);
  const std::string& dir() const { return dir_; }
  // Writes `file` (relative) and commits it; returns the new commit id.
  std::string commit(const std::string& file, const std::string& content,
                     const std::string& message = "change");
  std::string head() const;

 private:
  std::string dir_;
};

}  // namespace hydrant::testing
