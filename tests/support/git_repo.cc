#include "tests/support/git_repo.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controller/proc/process.hh"

namespace hydrant::testing {

namespace fs = std::filesystem;

std::string git(const std::string& dir, const std::vector<std::string>& args) {
  proc::RunOptions o;
  o.argv = {"git"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = dir;
  o.env = {{"GIT_AUTHOR_NAME", "Hydrant Test"},    {"GIT_AUTHOR_EMAIL", "test@hydrant.invalid"},
           {"GIT_COMMITTER_NAME", "Hydrant Test"}, {"GIT_COMMITTER_EMAIL", "test@hydrant.invalid"},
           {"GIT_CONFIG_NOSYSTEM", "1"},           {"GIT_CONFIG_GLOBAL", "/dev/null"}};
  o.timeout = std::chrono::seconds(30);
  auto r = proc::run(o);
  std::string cmd = "git";
  for (const std::string& a : args) cmd += " " + a;
  EXPECT_TRUE(r.has_value()) << cmd << ": " << (r ? "" : r.error().message);
  if (!r) return "";
  EXPECT_TRUE(r->ok()) << cmd << ": " << r->describe() << "\n" << r->err;
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void writeFile(const std::string& path, const std::string& content) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

GitRepo::GitRepo(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(dir_);
  git(dir_, {"init", "-q", "-b", "main"});
}

std::string GitRepo::commit(const std::string& file, const std::string& content,
                            const std::string& message) {
  writeFile(dir_ + "/" + file, content);
  git(dir_, {"add", "-A"});
  git(dir_, {"commit", "-q", "--allow-empty", "-m", message});
  return head();
}

std::string GitRepo::head() const { return git(dir_, {"rev-parse", "HEAD"}); }

}  // namespace hydrant::testing
