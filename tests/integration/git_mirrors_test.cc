// Integration tests for controller/git: real repositories made with the `git` program in temp
// dirs, fetched by absolute path and file:// URL into real bare mirrors.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "controller/git/mirrors.hh"
#include "controller/proc/process.hh"
#include "gtest/gtest.h"
#include "tests/support/git_repo.hh"

namespace hydrant::git {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hydrant-git-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

using hydrant::testing::git;
using hydrant::testing::writeFile;

std::string errorOf(const Result<std::string>& r) {
  return r ? "(no error: " + *r + ")" : r.error().message;
}

class GitMirrors : public ::testing::Test {
 protected:
  GitMirrors() : src_(tmp_.path("src")), mirrors_(tmp_.path("cache")) {
    fs::create_directories(src_);
    git(src_, {"init", "-q", "-b", "main"});
  }

  // Commits `content` as `file` on the current branch; returns the new commit id.
  std::string commit(const std::string& file, const std::string& content) {
    writeFile(src_ + "/" + file, content);
    git(src_, {"add", "-A"});
    git(src_, {"commit", "-q", "-m", "change " + file});
    return git(src_, {"rev-parse", "HEAD"});
  }

  Result<std::string> fetch(const std::string& ref, std::stop_token stop = {}) {
    return mirrors_.fetch(src_, ref, 30s, stop);
  }

  std::string fetchOk(const std::string& ref) {
    Result<std::string> r = fetch(ref);
    EXPECT_TRUE(r.has_value()) << errorOf(r);
    return r ? *r : "";
  }

  std::string readOk(const std::string& commit, const std::string& path) {
    Result<std::string> r = mirrors_.readFile(src_, commit, path);
    EXPECT_TRUE(r.has_value()) << errorOf(r);
    return r ? *r : "";
  }

  TempDir tmp_;
  std::string src_;
  Mirrors mirrors_;
};

TEST(GitMirrorPath, HashesUrlAndKeepsItsLastComponent) {
  Mirrors m("/cache");
  // FNV-1a-64 of "a" is af63dc4c8601ec8c.
  EXPECT_EQ(m.mirrorPath("a"), "/cache/af63dc4c8601ec8c-a.git");
  const std::string p = m.mirrorPath("https://example.com/org/My Repo!.git");
  EXPECT_TRUE(p.starts_with("/cache/")) << p;
  EXPECT_TRUE(p.ends_with("-My_Repo_.git")) << p;
  EXPECT_EQ(p.size(), std::string("/cache/").size() + 16 + std::string("-My_Repo_.git").size());
  EXPECT_NE(m.mirrorPath("https://a.example/x/repo"), m.mirrorPath("https://b.example/x/repo"));
  const std::string long_name = m.mirrorPath("git@host:" + std::string(60, 'z') + ".git");
  EXPECT_TRUE(long_name.ends_with("-" + std::string(40, 'z') + ".git")) << long_name;
}

TEST_F(GitMirrors, FetchesBranchAndReadsFile) {
  const std::string c1 = commit("spec.json", "{\"v\": 1}\n");
  commit("sub/dir/file.txt", "nested\n");
  git(src_, {"checkout", "-q", "-b", "feature", c1});
  const std::string feature = commit("spec.json", "{\"v\": 2}\n");
  git(src_, {"checkout", "-q", "main"});

  const std::string main_id = fetchOk("main");
  EXPECT_EQ(main_id, git(src_, {"rev-parse", "main"}));
  EXPECT_EQ(readOk(main_id, "spec.json"), "{\"v\": 1}\n");
  EXPECT_EQ(readOk(main_id, "sub/dir/file.txt"), "nested\n");
  EXPECT_EQ(fetchOk("feature"), feature);
  EXPECT_EQ(readOk(feature, "spec.json"), "{\"v\": 2}\n");
  EXPECT_TRUE(fs::is_directory(mirrors_.mirrorPath(src_)));
}

TEST_F(GitMirrors, ReadsBinaryFileExactly) {
  const std::string bytes("\0\x01\xff\xfe\nzero\0end", 14);
  const std::string id = commit("blob.bin", bytes);
  ASSERT_EQ(fetchOk("main"), id);
  EXPECT_EQ(readOk(id, "blob.bin"), bytes);
}

TEST_F(GitMirrors, FetchesAnnotatedAndLightweightTags) {
  const std::string c1 = commit("f", "one");
  git(src_, {"tag", "-a", "v1", "-m", "release 1"});
  const std::string c2 = commit("f", "two");
  git(src_, {"tag", "light"});
  commit("f", "three");

  EXPECT_EQ(fetchOk("v1"), c1);
  EXPECT_EQ(fetchOk("light"), c2);
  EXPECT_EQ(readOk(c1, "f"), "one");
}

TEST_F(GitMirrors, FetchesCommitIdAndReusesItOffline) {
  const std::string c1 = commit("f", "one");
  commit("f", "two");

  EXPECT_EQ(fetchOk(c1), c1);
  fs::remove_all(src_);
  EXPECT_EQ(fetchOk(c1), c1);
  EXPECT_EQ(readOk(c1, "f"), "one");

  Result<std::string> branch = fetch("main");
  ASSERT_FALSE(branch.has_value());
  EXPECT_EQ(branch.error().cls, ErrorClass::kTransient);
  EXPECT_TRUE(branch.error().message.starts_with("git fetch " + src_ + ": "))
      << branch.error().message;
}

TEST_F(GitMirrors, UnknownCommitIsStalled) {
  commit("f", "one");
  const std::string absent(40, 'a');
  Result<std::string> r = fetch(absent);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
  EXPECT_EQ(r.error().message, "git: " + src_ + " has no commit " + absent);
}

TEST_F(GitMirrors, DefaultHeadFollowsTheCheckedOutBranch) {
  commit("f", "main");
  git(src_, {"checkout", "-q", "-b", "other"});
  const std::string other = commit("f", "other");

  EXPECT_EQ(fetchOk(""), other);
  EXPECT_EQ(fetchOk("HEAD"), other);  // a second fetch keeps HEAD (not pruned)
  git(src_, {"checkout", "-q", "main"});
  EXPECT_EQ(fetchOk(""), git(src_, {"rev-parse", "main"}));
}

TEST_F(GitMirrors, DefaultHeadOfDetachedRepoIsItsCommit) {
  commit("f", "main");
  git(src_, {"checkout", "-q", "--detach"});
  const std::string detached = commit("f", "only reachable from HEAD");
  ASSERT_NE(detached, git(src_, {"rev-parse", "main"}));

  EXPECT_EQ(fetchOk(""), detached);
  EXPECT_EQ(readOk(detached, "f"), "only reachable from HEAD");
}

TEST_F(GitMirrors, SecondFetchSeesNewCommit) {
  const std::string c1 = commit("f", "one");
  EXPECT_EQ(fetchOk("main"), c1);
  const std::string c2 = commit("f", "two");
  EXPECT_EQ(fetchOk("main"), c2);
  EXPECT_EQ(readOk(c2, "f"), "two");
  EXPECT_EQ(readOk(c1, "f"), "one");
}

TEST_F(GitMirrors, UnknownOrDeletedBranchIsStalled) {
  commit("f", "one");
  git(src_, {"branch", "gone"});
  fetchOk("gone");
  git(src_, {"branch", "-q", "-D", "gone"});

  for (const std::string ref : {"nope", "gone"}) {
    Result<std::string> r = fetch(ref);
    ASSERT_FALSE(r.has_value()) << ref;
    EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
    EXPECT_EQ(r.error().message, "git: " + src_ + " has no branch or tag \"" + ref + "\"");
  }
}

TEST_F(GitMirrors, MissingFileOrDirectoryIsNotFound) {
  const std::string id = commit("dir/file", "x");
  ASSERT_EQ(fetchOk("main"), id);
  for (const std::string path : {"missing.json", "dir", "dir/file/deeper"}) {
    Result<std::string> r = mirrors_.readFile(src_, id, path);
    ASSERT_FALSE(r.has_value()) << path;
    EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
    EXPECT_EQ(r.error().message, path + " not found at " + id.substr(0, 7) + " of " + src_);
  }
}

TEST_F(GitMirrors, ReadBeforeAnyFetchIsTransient) {
  Result<std::string> r = mirrors_.readFile(src_, std::string(40, 'b'), "f");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_NE(r.error().message.find(src_), std::string::npos) << r.error().message;
}

TEST_F(GitMirrors, FileUrlGetsItsOwnMirror) {
  const std::string id = commit("f", "via file url");
  const std::string url = "file://" + src_;
  Result<std::string> r = mirrors_.fetch(url, "main", 30s, {});
  ASSERT_TRUE(r.has_value()) << errorOf(r);
  EXPECT_EQ(*r, id);
  Result<std::string> content = mirrors_.readFile(url, id, "f");
  ASSERT_TRUE(content.has_value()) << errorOf(content);
  EXPECT_EQ(*content, "via file url");
  EXPECT_NE(mirrors_.mirrorPath(url), mirrors_.mirrorPath(src_));
}

TEST_F(GitMirrors, MissingRepositoryIsTransientAndLeavesNoMirror) {
  const std::string url = tmp_.path("does-not-exist");
  Result<std::string> r = mirrors_.fetch(url, "main", 30s, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(r.error().message, "git fetch " + url + ": no repository at " + url);
  EXPECT_FALSE(fs::exists(mirrors_.mirrorPath(url)));
  EXPECT_TRUE(fs::is_empty(tmp_.path("cache")));  // no half-made temporary either
}

TEST_F(GitMirrors, FirstFetchRemovesLeftoversOfAnInterruptedClone) {
  const std::string id = commit("f", "one");
  const std::string leftover = mirrors_.mirrorPath(src_) + ".partial-AbC123";
  fs::create_directories(leftover + "/objects");
  const std::string other = tmp_.path("cache/0000000000000000-other.git.partial-AbC123");
  fs::create_directories(other);

  EXPECT_EQ(fetchOk("main"), id);
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_TRUE(fs::exists(other));  // another URL's clone may still be running
}

TEST_F(GitMirrors, RequestedStopEndsFetch) {
  commit("f", "one");
  std::stop_source stop;
  stop.request_stop();

  Result<std::string> first = fetch("main", stop.get_token());
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(first.error().message, "git fetch " + src_ + ": stopped");
  EXPECT_TRUE(!fs::exists(tmp_.path("cache")) || fs::is_empty(tmp_.path("cache")));

  const std::string c1 = fetchOk("main");  // a stopped first fetch left nothing to trip over
  commit("f", "two");
  Result<std::string> again = fetch("main", stop.get_token());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, "git fetch " + src_ + ": stopped");
  EXPECT_EQ(fetchOk(c1), c1);  // a known commit needs no network, so stop does not matter
}

TEST_F(GitMirrors, ExpiredDeadlineEndsFetch) {
  commit("f", "one");
  Result<std::string> r = mirrors_.fetch(src_, "main", 0ms, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(r.error().message, "git fetch " + src_ + ": timed out after 0 s");
  EXPECT_TRUE(fs::is_empty(tmp_.path("cache")));
}

TEST_F(GitMirrors, ConcurrentFetchesOfSameUrlBothSucceed) {
  const std::string id = commit("f", "one");
  Result<std::string> a = Error::transient("not run");
  Result<std::string> b = Error::transient("not run");
  std::thread ta([&] { a = fetch("main"); });
  std::thread tb([&] { b = fetch("main"); });
  ta.join();
  tb.join();
  ASSERT_TRUE(a.has_value()) << errorOf(a);
  ASSERT_TRUE(b.has_value()) << errorOf(b);
  EXPECT_EQ(*a, id);
  EXPECT_EQ(*b, id);
  EXPECT_EQ(readOk(id, "f"), "one");
}

// Octal permission bits of `path`, without following a symlink.
unsigned permsOf(const std::string& path) {
  return static_cast<unsigned>(fs::symlink_status(path).permissions() & fs::perms::all);
}

TEST_F(GitMirrors, ExportTreeWritesFilesWithModesSymlinksAndSubmoduleDirs) {
  const std::string first = commit("README", "hello\n");
  writeFile(src_ + "/bin/run.sh", "#!/bin/sh\necho run\n");
  fs::permissions(src_ + "/bin/run.sh", fs::perms(0755));
  fs::create_directory_symlink("bin", src_ + "/tools");
  fs::create_symlink("../README", src_ + "/bin/readme-link");
  fs::create_symlink("/nonexistent/target", src_ + "/dangling");
  fs::create_directories(src_ + "/empty-ignored");  // git does not track empty directories
  git(src_, {"add", "-A"});
  git(src_, {"update-index", "--add", "--cacheinfo", "160000," + first + ",vendor/sub"});
  git(src_, {"commit", "-q", "-m", "tree with every kind of entry"});
  const std::string id = git(src_, {"rev-parse", "HEAD"});
  ASSERT_EQ(fetchOk("main"), id);

  const std::string out = tmp_.path("export/out");
  Result<void> r = mirrors_.exportTree(src_, id, out);
  ASSERT_TRUE(r.has_value()) << r.error().message;

  EXPECT_EQ(readOk(id, "README"), "hello\n");
  std::ifstream readme(out + "/README");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(readme), {}), "hello\n");
  std::ifstream script(out + "/bin/run.sh");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(script), {}), "#!/bin/sh\necho run\n");
  EXPECT_EQ(permsOf(out + "/README"), 0644u);
  EXPECT_EQ(permsOf(out + "/bin/run.sh"), 0755u);
  ASSERT_TRUE(fs::is_symlink(out + "/tools"));
  EXPECT_EQ(fs::read_symlink(out + "/tools"), "bin");
  ASSERT_TRUE(fs::is_symlink(out + "/bin/readme-link"));
  EXPECT_EQ(fs::read_symlink(out + "/bin/readme-link"), "../README");
  ASSERT_TRUE(fs::is_symlink(out + "/dangling"));
  EXPECT_EQ(fs::read_symlink(out + "/dangling"), "/nonexistent/target");
  ASSERT_TRUE(fs::is_directory(fs::symlink_status(out + "/vendor/sub")));
  EXPECT_TRUE(fs::is_empty(out + "/vendor/sub"));
  EXPECT_FALSE(fs::exists(out + "/empty-ignored"));

  // Exactly the tree's entries, nothing more (no .git, no leftovers).
  std::vector<std::string> listed;
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    listed.push_back(e.path().lexically_relative(out).string());
  }
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, (std::vector<std::string>{"README", "bin", "bin/readme-link", "bin/run.sh",
                                              "dangling", "tools", "vendor", "vendor/sub"}));
}

TEST_F(GitMirrors, ExportTreeOfAnOlderCommitIntoAnExistingEmptyDirectory) {
  const std::string c1 = commit("f", "one");
  commit("f", "two");
  ASSERT_FALSE(fetchOk("main").empty());
  const std::string out = tmp_.path("out");
  fs::create_directories(out);

  Result<void> r = mirrors_.exportTree(src_, c1, out);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  std::ifstream f(out + "/f");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), "one");
}

TEST_F(GitMirrors, ExportTreeRefusesANonEmptyDirectory) {
  const std::string id = commit("f", "one");
  ASSERT_EQ(fetchOk("main"), id);
  const std::string out = tmp_.path("out");
  writeFile(out + "/f", "already here");

  Result<void> r = mirrors_.exportTree(src_, id, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(r.error().message, "git: cannot export into " + out + ": it is not empty");
  std::ifstream f(out + "/f");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), "already here");
}

TEST_F(GitMirrors, ExportTreeAndRevCountOfUnknownCommitAreStalled) {
  commit("f", "one");
  ASSERT_FALSE(fetchOk("main").empty());
  const std::string absent(40, 'c');
  const std::string out = tmp_.path("out");

  Result<void> exported = mirrors_.exportTree(src_, absent, out);
  ASSERT_FALSE(exported.has_value());
  EXPECT_EQ(exported.error().cls, ErrorClass::kStalled);
  EXPECT_EQ(exported.error().message, "git: " + src_ + " has no commit " + absent);
  EXPECT_FALSE(fs::exists(out));

  Result<int> count = mirrors_.revCount(src_, absent);
  ASSERT_FALSE(count.has_value());
  EXPECT_EQ(count.error().cls, ErrorClass::kStalled);
  EXPECT_EQ(count.error().message, "git: " + src_ + " has no commit " + absent);
}

TEST_F(GitMirrors, ExportTreeAndRevCountBeforeAnyFetchAreTransient) {
  const std::string id = commit("f", "one");
  Result<void> exported = mirrors_.exportTree(src_, id, tmp_.path("out"));
  ASSERT_FALSE(exported.has_value());
  EXPECT_EQ(exported.error().cls, ErrorClass::kTransient);
  Result<int> count = mirrors_.revCount(src_, id);
  ASSERT_FALSE(count.has_value());
  EXPECT_EQ(count.error().cls, ErrorClass::kTransient);
  EXPECT_NE(count.error().message.find("fetch it first"), std::string::npos)
      << count.error().message;
}

// A tree git itself would never write: its entry ".." would point the export at the parent
// directory. Made with `git hash-object --literally`.
TEST_F(GitMirrors, ExportTreeRefusesAnEntryThatLeavesTheDirectory) {
  commit("f", "one");
  const std::string blob = git(src_, {"rev-parse", "HEAD:f"});
  std::string raw_blob_id;
  for (size_t i = 0; i < blob.size(); i += 2) {
    raw_blob_id += static_cast<char>(std::stoi(blob.substr(i, 2), nullptr, 16));
  }
  writeFile(tmp_.path("evil-tree"), std::string("100644 ..\0", 10) + raw_blob_id);
  const std::string tree =
      git(src_, {"hash-object", "-t", "tree", "--literally", "-w", tmp_.path("evil-tree")});
  const std::string evil = git(src_, {"commit-tree", tree, "-m", "escape"});
  git(src_, {"update-ref", "refs/heads/evil", evil});
  ASSERT_EQ(fetchOk("evil"), evil);
  const std::string out = tmp_.path("nested/out");

  Result<void> r = mirrors_.exportTree(src_, evil, out);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kStalled);
  EXPECT_EQ(r.error().message, "git: unsafe path \"..\" at " + evil.substr(0, 7) + " of " + src_);
  EXPECT_TRUE(fs::is_empty(out));
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(tmp_.path("nested")), {}),
            std::vector<fs::path>{out});
}

TEST_F(GitMirrors, RevCountEqualsGitRevListCount) {
  const std::string c1 = commit("f", "one");
  commit("f", "two");
  git(src_, {"checkout", "-q", "-b", "side", c1});
  commit("g", "side one");
  commit("g", "side two");
  git(src_, {"checkout", "-q", "main"});
  git(src_, {"merge", "-q", "--no-ff", "-m", "merge side", "side"});
  const std::string merged = git(src_, {"rev-parse", "HEAD"});
  ASSERT_EQ(fetchOk("main"), merged);

  for (const std::string& id : {merged, c1, git(src_, {"rev-parse", "side"})}) {
    Result<int> n = mirrors_.revCount(src_, id);
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(std::to_string(*n), git(src_, {"rev-list", "--count", id})) << id;
  }
  EXPECT_EQ(*mirrors_.revCount(src_, merged), 5);  // c1, two, side one, side two, the merge
  EXPECT_EQ(*mirrors_.revCount(src_, c1), 1);
}

}  // namespace
}  // namespace hydrant::git

namespace hydrant::git {
namespace {

// A loopback server that accepts connections and never says a word.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 8);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { close(fd_); }  // pending connections are reset with it
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(GitMirrorsTimeout, ASilentServerCannotHoldAFetchPastItsDeadline) {
  SilentServer server;
  char tmpl[] = "/tmp/hydrant-git-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  Mirrors mirrors(dir + "/cache");
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/repo.git";
  auto t0 = std::chrono::steady_clock::now();
  Result<std::string> r = mirrors.fetch(url, "main", 1s, {});
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
  EXPECT_EQ(r.error().message, "git fetch " + url + ": timed out after 1 s (no answer)");
  EXPECT_LT(took, 3s);
  // The stuck fetch still holds the URL; the next one gives up after its own deadline.
  t0 = std::chrono::steady_clock::now();
  Result<std::string> again = mirrors.fetch(url, "main", 1s, {});
  ASSERT_FALSE(again.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hydrant::git
