// Internal to controller/git: owning handles for libgit2 objects and the helpers both halves
// of Mirrors (mirrors.cc fetches, mirror_read.cc reads) use. Not for use outside this folder.
#pragma once

#include <git2.h>

#include <memory>
#include <string>

#include "specs/result.hh"

namespace hydrant::git::detail {

// Initializes libgit2 once per process (and never shuts it down). Thread-safe.
void initLibgit2();

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};
template <class T, auto Free>
using Owned = std::unique_ptr<T, Deleter<Free>>;
using Repo = Owned<git_repository, git_repository_free>;
using Remote = Owned<git_remote, git_remote_free>;
using Reference = Owned<git_reference, git_reference_free>;
using Object = Owned<git_object, git_object_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using TreeEntry = Owned<git_tree_entry, git_tree_entry_free>;
using Blob = Owned<git_blob, git_blob_free>;

// libgit2's last error message on this thread.
std::string gitMessage();

// 40 hex digits.
bool isCommitId(const std::string& s);

// Opens the bare mirror of `url` in `dir`. Error (kTransient) naming both.
Result<Repo> openMirror(const std::string& url, const std::string& dir);

}  // namespace hydrant::git::detail
