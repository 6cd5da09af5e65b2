// Reading a mirror's commits: files, whole trees exported to a directory, and commit counts.
// Part of Mirrors (mirrors.hh); the mirrors themselves are kept up to date by mirrors.cc.
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <system_error>
#include <vector>

#include "controller/git/handles.hh"
#include "controller/git/mirrors.hh"

namespace hydrant::git {

namespace fs = std::filesystem;
using namespace detail;

namespace {

using RevWalk = Owned<git_revwalk, git_revwalk_free>;

// A commit of a mirror, with the repository it belongs to (freed after it).
struct MirrorCommit {
  Repo repo;
  Commit commit;
};

Result<MirrorCommit> openCommit(const std::string& url, const std::string& dir,
                                const std::string& commit) {
  if (!fs::exists(dir)) {
    return Error::transient("git: no mirror of " + url + " at " + dir + " (fetch it first)");
  }
  Result<Repo> repo = openMirror(url, dir);
  if (!repo) return repo.error();
  git_oid oid;
  git_commit* raw_commit = nullptr;
  if (!isCommitId(commit) || git_oid_fromstr(&oid, commit.c_str()) < 0 ||
      git_commit_lookup(&raw_commit, repo->get(), &oid) < 0) {
    return Error::stalled("git: " + url + " has no commit " + commit);
  }
  return MirrorCommit{std::move(*repo), Commit(raw_commit)};
}

// A commit of a mirror with its tree; `at` (" at abc1234 of URL") ends every message about it.
struct MirrorTree {
  MirrorCommit c;
  Tree tree;
  std::string at;
};

Result<MirrorTree> openTree(const std::string& url, const std::string& dir,
                            const std::string& commit) {
  Result<MirrorCommit> c = openCommit(url, dir, commit);
  if (!c) return c.error();
  std::string at = " at " + commit.substr(0, 7) + " of " + url;
  git_tree* raw_tree = nullptr;
  if (git_commit_tree(&raw_tree, c->commit.get()) < 0) {
    return Error::transient("git: cannot read the tree" + at + ": " + gitMessage());
  }
  return MirrorTree{std::move(*c), Tree(raw_tree), std::move(at)};
}

std::string errnoText() { return std::error_code(errno, std::generic_category()).message(); }

// Git itself refuses to check out such names; a crafted tree may still hold them. ".git" in
// any case is refused too, so an export never looks like a repository of its own.
bool safeEntryName(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return false;
  }
  std::string lower = name;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower != ".git";
}

// O_EXCL with O_NOFOLLOW: never writes through anything already at `path`. The mode is set
// explicitly, whatever the umask, because the executable bit is part of the content.
Result<void> writeRegularFile(const std::string& path, const git_blob* blob, bool executable) {
  const auto failed = [&] {
    return Error::transient("git: cannot write " + path + ": " + errnoText());
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return failed();
  const char* data = static_cast<const char*>(git_blob_rawcontent(blob));
  size_t left = static_cast<size_t>(git_blob_rawsize(blob));
  bool ok = true;
  while (ok && left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    ok = n >= 0;
    data += ok ? n : 0;
    left -= ok ? static_cast<size_t>(n) : 0;
  }
  Result<void> written =
      ok && ::fchmod(fd, executable ? 0755 : 0644) == 0 ? Result<void>() : failed();
  if (::close(fd) < 0 && written) return failed();
  return written;
}

// The state of one exportTree walk. Every directory, file and symlink is created exclusively
// (mkdir, O_EXCL, symlink all fail on an existing name), so a tree that names an entry twice
// cannot get a file written through a symlink it placed first, and unsafe names are refused:
// whatever the tree holds, nothing is written outside `root`.
struct Exporter {
  git_repository* repo = nullptr;
  std::string root;  // the target directory
  std::string at;    // " at <short commit> of <url>", for messages
  std::optional<Error> error;

  int fail(Error e) {
    error = std::move(e);
    return -1;
  }

  int entry(const std::string& parent, const git_tree_entry* e) {
    const std::string name = git_tree_entry_name(e);
    const std::string rel = parent + name;
    if (!safeEntryName(name)) return fail(Error::stalled("git: unsafe path \"" + rel + "\"" + at));
    const std::string path = root + "/" + rel;
    const git_filemode_t mode = git_tree_entry_filemode(e);
    if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
      // A submodule's content is not part of this repository: an empty directory holds its place.
      if (::mkdir(path.c_str(), 0755) < 0) {
        return fail(Error::transient("git: cannot create " + path + ": " + errnoText()));
      }
      return 0;
    }
    if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
        mode != GIT_FILEMODE_LINK) {
      return fail(Error::stalled("git: unsupported entry \"" + rel + "\"" + at));
    }
    git_blob* raw_blob = nullptr;
    if (git_blob_lookup(&raw_blob, repo, git_tree_entry_id(e)) < 0) {
      return fail(Error::transient("git: cannot read " + rel + at + ": " + gitMessage()));
    }
    Blob blob(raw_blob);
    if (mode != GIT_FILEMODE_LINK) {
      Result<void> w = writeRegularFile(path, blob.get(), mode == GIT_FILEMODE_BLOB_EXECUTABLE);
      return w ? 0 : fail(w.error());
    }
    const std::string target(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                             static_cast<size_t>(git_blob_rawsize(blob.get())));
    if (target.empty() || target.find('\0') != std::string::npos) {
      return fail(Error::stalled("git: invalid symlink \"" + rel + "\"" + at));
    }
    if (::symlink(target.c_str(), path.c_str()) < 0) {
      return fail(Error::transient("git: cannot create " + path + ": " + errnoText()));
    }
    return 0;
  }
};

int exportEntry(const char* parent, const git_tree_entry* entry, void* payload) {
  return static_cast<Exporter*>(payload)->entry(parent, entry);
}

// Creates `dir` when needed. REQUIRES of exportTree: it is empty.
Result<void> prepareTarget(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::transient("git: cannot create " + dir + ": " + ec.message());
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return Error::transient("git: cannot read " + dir + ": " + ec.message());
  if (!empty) return Error::transient("git: cannot export into " + dir + ": it is not empty");
  return {};
}

// After a failed export: what it wrote goes, the directory itself stays.
void emptyDirectory(const std::string& dir) {
  std::error_code ec;
  std::vector<fs::path> written;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) written.push_back(e.path());
  for (const fs::path& p : written) fs::remove_all(p, ec);
}

}  // namespace

Result<std::string> Mirrors::readFile(const std::string& url, const std::string& commit,
                                      const std::string& path) {
  initLibgit2();
  Result<MirrorTree> t = openTree(url, mirrorPath(url), commit);
  if (!t) return t.error();
  const std::string& at = t->at;
  git_tree_entry* raw_entry = nullptr;
  if (path.empty() || git_tree_entry_bypath(&raw_entry, t->tree.get(), path.c_str()) < 0) {
    return Error::stalled(path + " not found" + at);
  }
  TreeEntry entry(raw_entry);
  if (git_tree_entry_type(entry.get()) != GIT_OBJECT_BLOB) {
    return Error::stalled(path + " not found" + at);
  }
  git_blob* raw_blob = nullptr;
  if (git_blob_lookup(&raw_blob, t->c.repo.get(), git_tree_entry_id(entry.get())) < 0) {
    return Error::transient("git: cannot read " + path + at + ": " + gitMessage());
  }
  Blob blob(raw_blob);
  const auto* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
  return std::string(data, static_cast<size_t>(git_blob_rawsize(blob.get())));
}

Result<void> Mirrors::exportTree(const std::string& url, const std::string& commit,
                                 const std::string& dir) {
  initLibgit2();
  Result<MirrorTree> t = openTree(url, mirrorPath(url), commit);
  if (!t) return t.error();
  const std::string& at = t->at;
  if (Result<void> ready = prepareTarget(dir); !ready) return ready;
  Exporter exporter{t->c.repo.get(), dir, at, std::nullopt};
  const int rc = git_tree_walk(t->tree.get(), GIT_TREEWALK_PRE, exportEntry, &exporter);
  if (rc >= 0 && !exporter.error) return {};
  emptyDirectory(dir);
  if (exporter.error) return *exporter.error;
  return Error::transient("git: cannot read the tree" + at + ": " + gitMessage());
}

Result<int> Mirrors::revCount(const std::string& url, const std::string& commit) {
  initLibgit2();
  Result<MirrorCommit> c = openCommit(url, mirrorPath(url), commit);
  if (!c) return c.error();
  const auto failed = [&] {
    return Error::transient("git: cannot count the commits at " + commit.substr(0, 7) + " of " +
                            url + ": " + gitMessage());
  };
  git_revwalk* raw_walk = nullptr;
  if (git_revwalk_new(&raw_walk, c->repo.get()) < 0) return failed();
  RevWalk walk(raw_walk);
  if (git_revwalk_sorting(walk.get(), GIT_SORT_NONE) < 0 ||
      git_revwalk_push(walk.get(), git_commit_id(c->commit.get())) < 0) {
    return failed();
  }
  int count = 0;
  git_oid oid;
  int rc = 0;
  while ((rc = git_revwalk_next(&oid, walk.get())) == 0) ++count;
  if (rc != GIT_ITEROVER) return failed();
  return count;
}

}  // namespace hydrant::git
