#include "controller/git/mirrors.hh"

#include <fcntl.h>
#include <git2.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <future>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "controller/git/handles.hh"

namespace hydrant::git {

namespace detail {

void initLibgit2() {
  static std::once_flag once;
  // Never shut down: other threads may still hold libgit2 objects at exit.
  std::call_once(once, [] { git_libgit2_init(); });
}

std::string gitMessage() {
  const git_error* e = git_error_last();
  return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

bool isCommitId(const std::string& s) {
  if (s.size() != GIT_OID_HEXSZ) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

Result<Repo> openMirror(const std::string& url, const std::string& dir) {
  git_repository* raw = nullptr;
  if (git_repository_open_bare(&raw, dir.c_str()) < 0) {
    return Error::transient("git: cannot open the mirror of " + url + " at " + dir + ": " +
                            gitMessage());
  }
  return Repo(raw);
}

}  // namespace detail

namespace {

using namespace detail;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Branches, tags and the remote's HEAD. HEAD is fetched as a plain ref (not a symbolic one) so
// that a detached HEAD, as left by a CI checkout, resolves to its commit like any other.
constexpr const char* kRemote = "origin";
constexpr const char* kBranchSpec = "+refs/heads/*:refs/remotes/origin/*";
constexpr const char* kTagSpec = "+refs/tags/*:refs/tags/*";
constexpr const char* kHeadSpec = "+HEAD:refs/remotes/origin/HEAD";
constexpr const char* kHeadRef = "refs/remotes/origin/HEAD";

std::string oidHex(const git_oid* oid) {
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  return hex;
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The last path component of a URL (or of scp-like "host:repo"), readable in a directory name.
std::string readableName(const std::string& url) {
  std::string s = url;
  while (!s.empty() && s.back() == '/') s.pop_back();
  const size_t cut = s.find_last_of("/:");
  std::string name = cut == std::string::npos ? s : s.substr(cut + 1);
  if (name.size() > 4 && name.ends_with(".git")) name.resize(name.size() - 4);
  for (char& c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (name.size() > 40) name.resize(40);
  return name.empty() ? "repo" : name;
}

// "5", "0.25": the timeout as the user configured it.
std::string seconds(std::chrono::milliseconds d) {
  const long long ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", ms / 1000, ms % 1000);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  return s;
}

std::optional<std::string> lookupCommit(git_repository* repo, const std::string& hex) {
  git_oid oid;
  git_commit* raw = nullptr;
  if (git_oid_fromstr(&oid, hex.c_str()) < 0 || git_commit_lookup(&raw, repo, &oid) < 0) {
    return std::nullopt;
  }
  Commit commit(raw);
  return oidHex(git_commit_id(commit.get()));
}

// The commit `rev` if the mirror in `dir` already has it; never touches the network.
std::optional<std::string> knownCommit(const std::string& dir, const std::string& rev) {
  git_repository* raw = nullptr;
  if (!fs::exists(dir) || git_repository_open_bare(&raw, dir.c_str()) < 0) return std::nullopt;
  Repo repo(raw);
  return lookupCommit(repo.get(), rev);
}

std::optional<std::string> peeledCommit(git_repository* repo, const std::string& refname) {
  git_reference* raw_ref = nullptr;
  if (git_reference_lookup(&raw_ref, repo, refname.c_str()) < 0) return std::nullopt;
  Reference ref(raw_ref);
  git_object* raw_obj = nullptr;
  if (git_reference_peel(&raw_obj, ref.get(), GIT_OBJECT_COMMIT) < 0) return std::nullopt;
  Object obj(raw_obj);
  return oidHex(git_object_id(obj.get()));
}

Result<std::string> resolveRef(git_repository* repo, const std::string& url,
                               const std::string& ref) {
  if (isCommitId(ref)) {
    if (std::optional<std::string> id = lookupCommit(repo, ref)) return *id;
    return Error::stalled("git: " + url + " has no commit " + ref);
  }
  if (ref.empty() || ref == "HEAD") {
    if (std::optional<std::string> id = peeledCommit(repo, kHeadRef)) return *id;
    return Error::stalled("git: " + url + " has no branch or tag \"HEAD\"");
  }
  for (const std::string& refname : {"refs/remotes/origin/" + ref, "refs/tags/" + ref}) {
    if (std::optional<std::string> id = peeledCommit(repo, refname)) return *id;
  }
  return Error::stalled("git: " + url + " has no branch or tag \"" + ref + "\"");
}

// Shared by every callback of one fetch. libgit2 1.5 has no socket timeouts, so the deadline
// and the stop token are checked whenever libgit2 calls back (connect, certificate, credentials,
// progress, ref updates); a failing check makes libgit2 abandon the fetch.
struct FetchGuard {
  Clock::time_point deadline;
  std::stop_token stop;
  bool timed_out = false;
  bool stopped = false;
  bool agent_tried = false;

  int check() {
    if (stop.stop_requested()) {
      stopped = true;
    } else if (Clock::now() >= deadline) {
      timed_out = true;
    }
    return stopped || timed_out ? GIT_EUSER : 0;
  }
};

FetchGuard& guardOf(void* payload) { return *static_cast<FetchGuard*>(payload); }

int onReady(git_remote*, int, void* payload) { return guardOf(payload).check(); }
int onSideband(const char*, int, void* payload) { return guardOf(payload).check(); }
int onTransfer(const git_indexer_progress*, void* payload) { return guardOf(payload).check(); }
int onTip(const char*, const git_oid*, const git_oid*, void* payload) {
  return guardOf(payload).check();
}

// PASSTHROUGH keeps libgit2's own verification (CA store for https, ~/.ssh/known_hosts for ssh).
int onCertificate(git_cert*, int, const char*, void* payload) {
  const int e = guardOf(payload).check();
  return e != 0 ? e : GIT_PASSTHROUGH;
}

// ssh: the user named in the URL (default "git") and the keys of the ssh-agent. libgit2 asks
// again after a rejected key, so the agent is offered once. https: no credentials (public).
int onCredentials(git_credential** out, const char*, const char* url_user, unsigned int allowed,
                  void* payload) {
  FetchGuard& guard = guardOf(payload);
  if (const int e = guard.check(); e != 0) return e;
  const char* user = url_user != nullptr && *url_user != '\0' ? url_user : "git";
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0) return git_credential_username_new(out, user);
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0 && !guard.agent_tried) {
    guard.agent_tried = true;
    return git_credential_ssh_key_from_agent(out, user);
  }
  const std::string why = "ssh authentication as \"" + std::string(user) +
                          "\" failed (only keys in the ssh-agent are tried)";
  git_error_set_str(GIT_ERROR_NET, why.c_str());
  return GIT_EAUTH;
}

// libgit2 says "unsupported URL protocol" for a local path that does not exist.
std::string failureReason(const std::string& url) {
  const std::string path = url.starts_with("file://") ? url.substr(7) : url;
  std::error_code ec;
  if (path.starts_with("/") && !fs::exists(path, ec)) return "no repository at " + path;
  return gitMessage();
}

Result<void> fetchOrigin(git_repository* repo, const std::string& url,
                         std::chrono::milliseconds timeout, std::stop_token stop) {
  const std::string where = "git fetch " + url + ": ";
  git_remote* raw = nullptr;
  if (git_remote_lookup(&raw, repo, kRemote) < 0) return Error::transient(where + gitMessage());
  Remote remote(raw);
  FetchGuard guard{Clock::now() + timeout, std::move(stop)};
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks.remote_ready = onReady;
  opts.callbacks.sideband_progress = onSideband;
  opts.callbacks.transfer_progress = onTransfer;
  opts.callbacks.update_tips = onTip;
  opts.callbacks.certificate_check = onCertificate;
  opts.callbacks.credentials = onCredentials;
  opts.callbacks.payload = &guard;
  opts.prune = GIT_FETCH_PRUNE;  // a deleted branch or tag must stop resolving
  opts.update_fetchhead = 0;
  if (git_remote_fetch(remote.get(), nullptr, &opts, "hydrant: fetch") >= 0) return {};
  if (guard.stopped) return Error::transient(where + "stopped");
  if (guard.timed_out || Clock::now() >= guard.deadline) {
    return Error::transient(where + "timed out after " + seconds(timeout) + " s");
  }
  return Error::transient(where + failureReason(url));
}

Result<void> initMirror(const std::string& url, const std::string& dir) {
  const auto failed = [&] {
    return Error::transient("git: cannot create a mirror of " + url + " in " + dir + ": " +
                            gitMessage());
  };
  git_repository* raw_repo = nullptr;
  if (git_repository_init(&raw_repo, dir.c_str(), /*is_bare=*/1) < 0) return failed();
  Repo repo(raw_repo);
  git_remote* raw_remote = nullptr;
  if (git_remote_create_with_fetchspec(&raw_remote, repo.get(), kRemote, url.c_str(), kBranchSpec) <
      0) {
    return failed();
  }
  Remote remote(raw_remote);
  if (git_remote_add_fetch(repo.get(), kRemote, kTagSpec) < 0 ||
      git_remote_add_fetch(repo.get(), kRemote, kHeadSpec) < 0) {
    return failed();
  }
  return {};
}

// Temporaries of clones cut short by a crash. REQUIRES: the URL's lock is held.
void removeLeftovers(const std::string& dir) {
  const fs::path mirror(dir);
  const std::string prefix = mirror.filename().string() + ".partial-";
  std::error_code ec;
  std::vector<fs::path> stale;
  for (const fs::directory_entry& e : fs::directory_iterator(mirror.parent_path(), ec)) {
    if (e.path().filename().string().starts_with(prefix)) stale.push_back(e.path());
  }
  for (const fs::path& p : stale) fs::remove_all(p, ec);
}

// The first fetch goes into a temporary directory that is renamed into place only once it
// succeeded, so a failed clone never leaves a mirror that later fetches would trust.
Result<void> cloneMirror(const std::string& url, const std::string& dir,
                         std::chrono::milliseconds timeout, std::stop_token stop) {
  removeLeftovers(dir);
  std::string pattern = dir + ".partial-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    const std::error_code ec(errno, std::generic_category());
    return Error::transient("git: cannot create " + pattern + ": " + ec.message());
  }
  const std::string tmp = pattern;
  Result<void> done = initMirror(url, tmp);
  if (done) {
    Result<Repo> repo = openMirror(url, tmp);
    done = repo ? fetchOrigin(repo->get(), url, timeout, std::move(stop)) : repo.error();
  }
  std::error_code ec;
  if (done) {
    fs::rename(tmp, dir, ec);
    if (ec)
      done = Error::transient("git: cannot rename " + tmp + " to " + dir + ": " + ec.message());
  }
  if (!done) fs::remove_all(tmp, ec);
  return done;
}

}  // namespace

Mirrors::Mirrors(std::string cache_dir) : cache_dir_(std::move(cache_dir)) {}

Mirrors::~Mirrors() = default;

std::shared_ptr<std::timed_mutex> Mirrors::lockFor(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<std::timed_mutex>& m = url_locks_[url];
  if (!m) m = std::make_shared<std::timed_mutex>();
  return m;
}

std::string Mirrors::mirrorPath(const std::string& url) const {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(fnv1a64(url)));
  return (fs::path(cache_dir_) / (std::string(hash) + "-" + readableName(url) + ".git")).string();
}

namespace {

// The fetch itself, with the URL's lock held. Uses nothing of the Mirrors object, because it
// may run on after the call that started it has given up.
Result<std::string> fetchLocked(const std::string& cache_dir, const std::string& dir,
                                const std::string& url, const std::string& ref,
                                std::chrono::milliseconds timeout, std::stop_token stop) {
  if (isCommitId(ref)) {
    if (std::optional<std::string> id = knownCommit(dir, ref)) return *id;
  }
  const bool existed = fs::exists(dir);
  if (!existed) {
    std::error_code ec;
    fs::create_directories(cache_dir, ec);
    if (ec) return Error::transient("git: cannot create " + cache_dir + ": " + ec.message());
    if (Result<void> cloned = cloneMirror(url, dir, timeout, stop); !cloned) return cloned.error();
  }
  Result<Repo> repo = openMirror(url, dir);
  if (!repo) return repo.error();
  if (existed) {
    Result<void> fetched = fetchOrigin(repo->get(), url, timeout, std::move(stop));
    if (!fetched) return fetched.error();
  }
  return resolveRef(repo->get(), url, ref);
}

}  // namespace

// libgit2 1.5 has no socket timeouts: its callbacks see the deadline only while data flows, so
// a server that accepts and then says nothing would block a fetch for as long as TCP allows.
// The fetch therefore runs on a thread of its own and the caller stops waiting at the deadline
// (plus a moment for the callbacks' own timeout to report). A fetch stuck like that keeps its
// URL's lock, so later fetches of that URL time out too, each after its own deadline, until the
// server lets go; other URLs are not affected.
Result<std::string> Mirrors::fetch(const std::string& url, const std::string& ref,
                                   std::chrono::milliseconds timeout, std::stop_token stop) {
  initLibgit2();
  if (stop.stop_requested()) return Error::transient("git fetch " + url + ": stopped");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto done = std::make_shared<std::promise<Result<std::string>>>();
  auto result = done->get_future();
  std::thread([lock = lockFor(url), done, cache = cache_dir_, dir = mirrorPath(url), url, ref,
               timeout, deadline, stop]() {
    std::unique_lock held(*lock, std::defer_lock);
    if (!held.try_lock_until(deadline)) {
      done->set_value(Error::transient("git fetch " + url + ": timed out after " +
                                       seconds(timeout) + " s waiting for an earlier fetch of it"));
      return;
    }
    done->set_value(fetchLocked(cache, dir, url, ref, timeout, stop));
  }).detach();
  const auto give_up = deadline + std::chrono::seconds(1);
  while (result.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (stop.stop_requested()) {
      // The fetch sees the stop in its callbacks and cleans up; give it a moment to do so.
      if (result.wait_for(std::chrono::seconds(1)) == std::future_status::ready) break;
      return Error::transient("git fetch " + url + ": stopped");
    }
    if (std::chrono::steady_clock::now() > give_up) {
      return Error::transient("git fetch " + url + ": timed out after " + seconds(timeout) +
                              " s (no answer)");
    }
  }
  return result.get();
}

}  // namespace hydrant::git
