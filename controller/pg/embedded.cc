#include "controller/pg/embedded.hh"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "controller/log.hh"
#include "controller/proc/process.hh"

namespace hydrant::pg {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxSocketPath = 107;  // sun_path is 108 bytes with the NUL

std::string tailOf(const fs::path& file, int lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > size_t(lines) ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "\n  " + all[i];
  }
  return out;
}

Result<void> checkPrograms(const std::string& bin_dir) {
  for (const char* prog : {"initdb", "postgres"}) {
    fs::path p = fs::path(bin_dir) / prog;
    if (access(p.c_str(), X_OK) != 0) {
      return Error::stalled("the embedded Postgres needs " + p.string() +
                            ", which is missing: install the Debian package postgresql-15 (or set "
                            "postgres_bin_dir, or set database to use an existing server)");
    }
  }
  return {};
}

// Whether `who` may enter `dir` and each of its parents (owner, group or other x bit).
Result<void> checkReachable(const proc::Identity& who, const fs::path& dir) {
  for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st;
    if (stat(p.c_str(), &st) == 0) {
      mode_t need = st.st_uid == who.uid ? S_IXUSR : st.st_gid == who.gid ? S_IXGRP : S_IXOTH;
      if (!(st.st_mode & need)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        return Error::stalled("the embedded Postgres runs as user '" + who.name +
                              "', who cannot enter " + p.string() + " (mode " + mode +
                              "): choose a state_dir outside it, or set database");
      }
    }
    if (p == p.parent_path()) break;
  }
  return {};
}

Result<void> prepareDir(const fs::path& dir, const std::optional<proc::Identity>& who) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::stalled("cannot create " + dir.string() + ": " + ec.message());
  if (chmod(dir.c_str(), 0700) != 0) {
    return Error::stalled("cannot chmod " + dir.string() + ": " + std::strerror(errno));
  }
  if (!who) return {};
  if (chown(dir.c_str(), who->uid, who->gid) != 0) {
    return Error::stalled("cannot chown " + dir.string() + " to " + who->name + ": " +
                          std::strerror(errno));
  }
  return checkReachable(*who, dir);
}

// Holds an exclusive flock on a file while alive; two processes that start on one new state
// dir at once (`hydrant run` and a `hydrant get` beside it) must not run initdb into the same
// scratch directory.
class FileLock {
 public:
  explicit FileLock(const fs::path& file)
      : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) == -1 && errno == EINTR) {
      }
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

Result<void> initCluster(const EmbeddedOptions& o, const std::optional<proc::Identity>& who) {
  fs::path data = fs::path(o.dir) / "data";
  if (fs::exists(data / "PG_VERSION")) return {};
  FileLock lock(fs::path(o.dir) / "initdb.lock");
  if (!lock.held()) {
    return Error::stalled("cannot lock " + (fs::path(o.dir) / "initdb.lock").string() + ": " +
                          std::strerror(errno));
  }
  if (fs::exists(data / "PG_VERSION")) return {};  // another process made it meanwhile
  // initdb into a scratch directory and rename, so an interrupted initdb never leaves a
  // half-made cluster where the next start would look for a finished one.
  fs::path scratch = fs::path(o.dir) / "data.initdb";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  log::info("postgres", "creating the embedded cluster in {}", data.string());
  proc::RunOptions run;
  run.argv = {(fs::path(o.bin_dir) / "initdb").string(),
              "-D",
              scratch.string(),
              "-U",
              EmbeddedPostgres::kSuperuser,
              "-A",
              "trust",
              "-E",
              "UTF8",
              "--locale=C.UTF-8"};
  if (!o.fsync) run.argv.push_back("--no-sync");
  run.cwd = o.dir;
  run.run_as = who;
  run.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"};
  run.timeout = std::chrono::minutes(5);
  auto r = proc::run(run);
  if (!r) return Error::stalled(r.error().message);
  if (!r->ok()) {
    return Error::stalled("initdb " + r->describe() + ":\n" + r->out + r->err);
  }
  fs::rename(scratch, data, ec);
  if (ec) return Error::stalled("cannot rename " + scratch.string() + ": " + ec.message());
  return {};
}

// The pid in a postmaster.pid-style lock file, or 0.
pid_t lockPid(const fs::path& file) {
  std::ifstream in(file);
  long pid = 0;
  in >> pid;
  return pid > 0 ? pid_t(pid) : 0;
}

bool isPostgresFor(pid_t pid, const fs::path& data) {
  std::error_code ec;
  fs::path cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  if (ec) return kill(pid, 0) == 0;  // cannot tell: assume it is one, to be safe
  return fs::equivalent(cwd, data, ec);
}

// A crash leaves postmaster.pid (and the socket's lock file) behind. Postgres itself refuses
// to start if the pid in it now belongs to any live process, so check whose it is.
Result<void> clearStaleLocks(const EmbeddedOptions& o) {
  fs::path data = fs::path(o.dir) / "data";
  fs::path pidfile = data / "postmaster.pid";
  pid_t pid = lockPid(pidfile);
  if (pid != 0 && isPostgresFor(pid, data)) {
    return Error::stalled("the embedded Postgres in " + data.string() +
                          " is already running (pid " + std::to_string(pid) +
                          "): is another hydrant using this state_dir?");
  }
  std::error_code ec;
  if (fs::exists(pidfile)) {
    log::warn("postgres", "removing stale {} (pid {} is gone)", pidfile.string(), pid);
    fs::remove(pidfile, ec);
  }
  fs::path socklock =
      fs::path(o.dir) / (".s.PGSQL." + std::to_string(EmbeddedPostgres::kPort) + ".lock");
  if (fs::exists(socklock)) fs::remove(socklock, ec);
  return {};
}

// Postgres writes its state as the 8th line of postmaster.pid: "starting", "ready", "stopping".
bool isReady(const fs::path& pidfile) {
  std::ifstream in(pidfile);
  std::string line;
  for (int i = 0; i < 8 && std::getline(in, line); ++i) {
  }
  return line.rfind("ready", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::start(const EmbeddedOptions& in) {
  EmbeddedOptions o = in;
  o.dir = fs::absolute(o.dir).lexically_normal().string();
  if (!o.dir.empty() && o.dir.back() == '/') o.dir.pop_back();
  if (auto r = checkPrograms(o.bin_dir); !r) return r.error();
  std::string socket = o.dir + "/.s.PGSQL." + std::to_string(kPort);
  if (socket.size() > kMaxSocketPath) {
    return Error::stalled("the embedded Postgres' socket path " + socket + " is longer than " +
                          std::to_string(kMaxSocketPath) + " bytes: choose a shorter state_dir");
  }
  std::optional<proc::Identity> who;
  if (geteuid() == 0) {
    auto id = proc::lookupUser(o.run_as);
    if (!id) {
      return Error::stalled("the embedded Postgres cannot run as root and user '" + o.run_as +
                            "' does not exist (install postgresql-15, which creates it, or set "
                            "postgres_user)");
    }
    who = *id;
  }
  if (auto r = prepareDir(o.dir, who); !r) return r.error();
  if (auto r = initCluster(o, who); !r) return r.error();
  if (auto r = clearStaleLocks(o); !r) return r.error();

  fs::path data = fs::path(o.dir) / "data";
  proc::SpawnOptions sp;
  sp.argv = {(fs::path(o.bin_dir) / "postgres").string(),
             "-D",
             data.string(),
             "-k",
             o.dir,
             "-p",
             std::to_string(kPort),
             "-c",
             "listen_addresses=",
             "-c",
             std::string("fsync=") + (o.fsync ? "on" : "off")};
  sp.cwd = data.string();
  sp.run_as = who;
  sp.unset_env = {"PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE"};
  sp.log_file = o.dir + "/postgres.log";
  auto child = proc::Child::spawn(sp);
  if (!child) return Error::stalled(child.error().message);

  std::unique_ptr<EmbeddedPostgres> pg(new EmbeddedPostgres(o, std::move(*child)));
  auto deadline = std::chrono::steady_clock::now() + o.start_timeout;
  while (!isReady(data / "postmaster.pid")) {
    if (!pg->child_->running()) {
      return Error::stalled("the embedded Postgres exited during startup; " + sp.log_file +
                            " ends with:" + tailOf(sp.log_file, 10));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Error::stalled("the embedded Postgres did not become ready within " +
                            std::to_string(o.start_timeout.count() / 1000) + " s; see " +
                            sp.log_file + tailOf(sp.log_file, 10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  log::info("postgres", "embedded cluster ready (pid {}, socket in {})", pg->pid(), o.dir);
  return pg;
}

Result<std::unique_ptr<EmbeddedPostgres>> EmbeddedPostgres::attachOrStart(
    const EmbeddedOptions& in) {
  EmbeddedOptions o = in;
  o.dir = fs::absolute(o.dir).lexically_normal().string();
  if (!o.dir.empty() && o.dir.back() == '/') o.dir.pop_back();
  fs::path data = fs::path(o.dir) / "data";
  pid_t pid = lockPid(data / "postmaster.pid");
  if (pid != 0 && isPostgresFor(pid, data) && isReady(data / "postmaster.pid")) {
    log::debug("postgres", "using the embedded cluster of the running hydrant (pid {})", pid);
    return std::unique_ptr<EmbeddedPostgres>(new EmbeddedPostgres(o, nullptr));
  }
  return start(in);
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedOptions options, std::unique_ptr<proc::Child> child)
    : options_(std::move(options)), child_(std::move(child)) {}

EmbeddedPostgres::~EmbeddedPostgres() { (void)stop(); }

pid_t EmbeddedPostgres::pid() const { return child_ ? child_->pid() : 0; }

bool EmbeddedPostgres::running() { return child_ && child_->running(); }

std::string EmbeddedPostgres::conninfo(const std::string& dbname) const {
  return "host=" + options_.dir + " port=" + std::to_string(kPort) + " user=" + kSuperuser +
         " dbname=" + dbname;
}

Result<void> EmbeddedPostgres::stop(std::chrono::milliseconds timeout) {
  if (!child_ || !child_->running()) return {};
  auto step = timeout / 4;
  child_->signal(SIGINT);  // fast shutdown: abort transactions, checkpoint, exit
  if (child_->waitFor(step * 3)) {
    log::info("postgres", "embedded cluster stopped");
    return {};
  }
  child_->signal(SIGQUIT);  // immediate shutdown: recovery runs at the next start
  if (child_->waitFor(step)) {
    log::warn("postgres", "embedded cluster needed an immediate shutdown");
    return {};
  }
  child_->killGroup();
  return Error::transient("the embedded Postgres did not stop within " +
                          std::to_string(timeout.count()) + " ms and was killed");
}

}  // namespace hydrant::pg
