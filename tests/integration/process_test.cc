// Integration tests for controller/proc: real programs from Debian (/bin/sh, /bin/cat,
// /usr/bin/head, /bin/sleep, /usr/bin/id), real process groups, real signals. Waiting for another
// OS process to change state is done by polling with a deadline; nothing else sleeps.
#include "controller/proc/process.hh"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace hydrant::proc {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

RunOptions options(std::vector<std::string> argv) {
  RunOptions o;
  o.argv = std::move(argv);
  o.timeout = 20s;
  return o;
}

RunResult runOk(const RunOptions& o) {
  Result<RunResult> r = run(o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : RunResult{};
}

std::string errorOf(const Result<RunResult>& r) { return r ? "(no error)" : r.error().message; }

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hydrant-proc-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path() const { return path_; }
  std::string path(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text, mode_t mode) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

struct ProcStat {
  char state;
  pid_t pgrp;
};

std::optional<ProcStat> procStat(pid_t pid) {
  const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  ProcStat s{};
  int ppid = 0;
  int pgrp = 0;
  if (std::sscanf(stat.c_str() + paren + 2, "%c %d %d", &s.state, &ppid, &pgrp) != 3) {
    return std::nullopt;
  }
  s.pgrp = pgrp;
  return s;
}

bool alive(pid_t pid) {
  const std::optional<ProcStat> s = procStat(pid);
  return s && s->state != 'Z' && s->state != 'X';
}

// Processes of group `pgrp` that have not exited (zombies left to init do not count).
int liveMembers(pid_t pgrp) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::optional<ProcStat> s = procStat(std::stoi(name));
    if (s && s->pgrp == pgrp && s->state != 'Z' && s->state != 'X') ++count;
  }
  return count;
}

// Polls another OS process's state until `done` or the deadline; true if it got there.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = steady_clock::now() + limit;
  while (!done()) {
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::vector<pid_t> pidsIn(const std::string& text) {
  std::vector<pid_t> pids;
  std::istringstream in(text);
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

TEST(Run, CapturesStdoutAndStderrSeparately) {
  RunResult r = runOk(options({"/bin/sh", "-c", "echo out; echo err >&2; echo more"}));
  EXPECT_EQ(r.out, "out\nmore\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.describe(), "exited with code 0");
}

TEST(Run, ReportsExitCode) {
  RunResult r = runOk(options({"sh", "-c", "exit 3"}));
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.signaled);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "exited with code 3");
}

TEST(Run, ReportsTerminatingSignal) {
  RunResult r = runOk(options({"/bin/sh", "-c", "kill -TERM $$"}));
  EXPECT_TRUE(r.signaled);
  EXPECT_EQ(r.term_signal, SIGTERM);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "killed by signal 15");
}

TEST(Run, KeepsArgvZeroAsGiven) {
  RunResult r = runOk(options({"sh", "-c", "tr '\\0' ' ' < /proc/$$/cmdline; true", "x"}));
  EXPECT_EQ(r.out, "sh -c tr '\\0' ' ' < /proc/$$/cmdline; true x ");
}

TEST(Run, PassesStdinData) {
  RunOptions o = options({"/bin/cat"});
  o.stdin_data = "hello\nworld\n";
  EXPECT_EQ(runOk(o).out, "hello\nworld\n");
}

TEST(Run, StdinIsEmptyWithoutData) {
  RunResult r = runOk(options({"/bin/cat"}));
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.ok());
}

TEST(Run, LargeStderrAndStdoutTogetherDoNotDeadlock) {
  RunOptions o = options(
      {"/bin/sh", "-c", "head -c 5000000 /dev/zero >&2; head -c 5000000 /dev/zero; echo end >&2"});
  RunResult r = runOk(o);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.size(), 5000000u);
  EXPECT_EQ(r.err.size(), 5000004u);
  EXPECT_EQ(r.err.substr(5000000), "end\n");
  EXPECT_FALSE(r.out_truncated);
  EXPECT_FALSE(r.err_truncated);
}

TEST(Run, OutputCapTruncatesWhileChildStillFinishes) {
  RunOptions o = options({"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo finished >&2"});
  o.output_cap = 1000;
  RunResult r = runOk(o);
  EXPECT_EQ(r.out, std::string(1000, '\0'));
  EXPECT_TRUE(r.out_truncated);
  EXPECT_EQ(r.err, "finished\n");
  EXPECT_FALSE(r.err_truncated);
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST(Run, TimeoutKillsTheWholeProcessGroupQuickly) {
  RunOptions o = options({"/bin/sh", "-c", "echo $$; sleep 100 & echo $!; sleep 100"});
  o.timeout = 300ms;
  const auto start = steady_clock::now();
  RunResult r = runOk(o);
  const auto elapsed = steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "timed out after 0.3 s");
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 1500ms);
  const std::vector<pid_t> pids = pidsIn(r.out);  // the shell (group leader), the background sleep
  ASSERT_EQ(pids.size(), 2u) << r.out;
  EXPECT_TRUE(eventually([&] { return !alive(pids[1]) && liveMembers(pids[0]) == 0; }, 1s));
}

TEST(Run, TimeoutAppliesAfterOutputIsClosed) {
  RunOptions o = options({"/bin/sh", "-c", "exec >/dev/null 2>&1; exec sleep 100"});
  o.timeout = 300ms;
  const auto start = steady_clock::now();
  RunResult r = runOk(o);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(steady_clock::now() - start, 1500ms);
}

TEST(Run, StopKillsTheWholeProcessGroupAtOnce) {
  TempDir dir;
  const std::string pids = dir.path("pids");
  RunOptions o = options({"/bin/sh", "-c", "sleep 100 & echo $$ $! > " + pids + "; sleep 100"});
  std::stop_source stop;
  o.stop = stop.get_token();
  std::thread requester([&] {
    if (eventually([&] { return pidsIn(readFile(pids)).size() == 2; })) stop.request_stop();
  });
  const auto start = steady_clock::now();
  RunResult r = runOk(o);
  requester.join();
  EXPECT_LT(steady_clock::now() - start, 5s);
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.timed_out);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.describe(), "stopped");
  const std::vector<pid_t> group = pidsIn(readFile(pids));
  ASSERT_EQ(group.size(), 2u);
  EXPECT_TRUE(eventually([&] { return !alive(group[1]) && liveMembers(group[0]) == 0; }, 1s));
}

TEST(Run, StopReachesAChildThatClosedItsOutput) {
  TempDir dir;
  const std::string started = dir.path("started");
  RunOptions o =
      options({"/bin/sh", "-c", "exec >/dev/null 2>&1; touch " + started + "; exec sleep 100"});
  std::stop_source stop;
  o.stop = stop.get_token();
  std::thread requester([&] {
    if (eventually([&] { return std::filesystem::exists(started); })) stop.request_stop();
  });
  const auto start = steady_clock::now();
  RunResult r = runOk(o);
  requester.join();
  EXPECT_TRUE(r.stopped);
  EXPECT_LT(steady_clock::now() - start, 5s);
}

TEST(Run, StopRequestedBeforeTheStartStartsNothing) {
  TempDir dir;
  RunOptions o = options({"/bin/sh", "-c", "touch " + dir.path("ran")});
  std::stop_source stop;
  stop.request_stop();
  o.stop = stop.get_token();
  RunResult r = runOk(o);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.describe(), "stopped");
  EXPECT_FALSE(std::filesystem::exists(dir.path("ran")));
}

TEST(Run, StopAfterTheChildFinishedChangesNothing) {
  std::stop_source stop;
  RunOptions o = options({"/bin/sh", "-c", "echo done"});
  o.stop = stop.get_token();
  RunResult r = runOk(o);
  stop.request_stop();
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.stopped);
  EXPECT_EQ(r.out, "done\n");
}

TEST(Run, MemoryLimitAppliesToTheChildOnly) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &before), 0);
  RunOptions o = options({"/bin/sh", "-c", "ulimit -v; ulimit -H -v"});
  o.memory_limit_bytes = size_t{256} << 20;
  RunResult r = runOk(o);
  EXPECT_EQ(r.out, "262144\n262144\n");  // KiB
  rlimit after{};
  ASSERT_EQ(::getrlimit(RLIMIT_AS, &after), 0);
  EXPECT_EQ(after.rlim_cur, before.rlim_cur);
  EXPECT_EQ(after.rlim_max, before.rlim_max);
  EXPECT_EQ(runOk(options({"/bin/sh", "-c", "ulimit -v"})).out,
            before.rlim_cur == RLIM_INFINITY ? "unlimited\n"
                                             : std::to_string(before.rlim_cur / 1024) + "\n");
}

TEST(Run, MemoryLimitFailsAllocationsBeyondIt) {
  // dd allocates its block size up front.
  const std::vector<std::string> dd = {"/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=512M",
                                       "count=1"};
  RunOptions limited = options(dd);
  limited.memory_limit_bytes = size_t{256} << 20;
  RunResult r = runOk(limited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("memory exhausted"), std::string::npos) << r.err;
  RunResult unlimited = runOk(options(dd));
  EXPECT_TRUE(unlimited.ok()) << unlimited.err;
}

TEST(Run, ProgramNotFoundOnPath) {
  Result<RunResult> r = run(options({"no-such-program-xyz", "--flag"}));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "cannot start no-such-program-xyz: not found on PATH");
  EXPECT_EQ(r.error().cls, ErrorClass::kTransient);
}

TEST(Run, SearchesTheChildsPath) {
  RunOptions o = options({"sh", "-c", "true"});
  o.env["PATH"] = "/nonexistent-hydrant-dir";
  EXPECT_EQ(errorOf(run(o)), "cannot start sh: not found on PATH");
}

TEST(Run, NonExecutableFileCannotStart) {
  TempDir dir;
  writeFile(dir.path("script"), "#!/bin/sh\necho hi\n", 0644);
  EXPECT_EQ(errorOf(run(options({dir.path("script")}))),
            "cannot start " + dir.path("script") + ": Permission denied");
}

TEST(Run, MissingAbsolutePathCannotStart) {
  EXPECT_EQ(errorOf(run(options({"/nonexistent-hydrant-dir/prog"}))),
            "cannot start /nonexistent-hydrant-dir/prog: No such file or directory");
}

TEST(Run, AppliesEnvironmentAdditionsAndRemovals) {
  ::setenv("HYDRANT_PROC_TEST_KEEP", "kept", 1);
  ::setenv("HYDRANT_PROC_TEST_UNSET", "present", 1);
  RunOptions o = options({"/bin/sh", "-c",
                          "echo ${HYDRANT_PROC_TEST_KEEP-none} ${HYDRANT_PROC_TEST_UNSET-none} "
                          "${HYDRANT_PROC_TEST_ADD-none}"});
  o.env["HYDRANT_PROC_TEST_ADD"] = "a=b c";
  o.unset_env = {"HYDRANT_PROC_TEST_UNSET"};
  RunResult r = runOk(o);
  ::unsetenv("HYDRANT_PROC_TEST_KEEP");
  ::unsetenv("HYDRANT_PROC_TEST_UNSET");
  EXPECT_EQ(r.out, "kept none a=b c\n");
}

TEST(Run, RunsInWorkingDirectory) {
  TempDir dir;
  RunOptions o = options({"/bin/pwd"});
  o.cwd = dir.path();
  EXPECT_EQ(runOk(o).out, dir.path() + "\n");
}

TEST(Run, MissingWorkingDirectoryCannotStart) {
  RunOptions o = options({"/bin/pwd"});
  o.cwd = "/nonexistent-hydrant-dir";
  EXPECT_EQ(errorOf(run(o)),
            "cannot start /bin/pwd: chdir /nonexistent-hydrant-dir: No such file or directory");
}

TEST(Run, RunsAsAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  Result<Identity> nobody = lookupUser("nobody");
  ASSERT_TRUE(nobody.has_value());
  RunOptions o = options({"/bin/sh", "-c", "/usr/bin/id -u; /usr/bin/id -G; echo $HOME $USER"});
  o.run_as = *nobody;
  o.cwd = "/";
  RunResult r = runOk(o);
  EXPECT_EQ(r.out, "65534\n65534\n/nonexistent nobody\n") << r.err;
}

TEST(Run, ChildSeesOnlyStdinStdoutStderr) {
  const int leaked = ::open("/dev/null", O_RDONLY);  // without O_CLOEXEC, like a careless library
  ASSERT_GE(leaked, 3);
  RunResult r = runOk(options({"/bin/sh", "-c", "ls /proc/$$/fd"}));
  ::close(leaked);
  EXPECT_EQ(r.out, "0\n1\n2\n");
}

// Runs on several threads while long-lived children start on another: no run may wait for a pipe
// end that leaked into someone else's child.
TEST(Run, ConcurrentRunsStayApart) {
  std::vector<std::unique_ptr<Child>> sleepers;
  std::thread spawner([&] {
    for (int i = 0; i < 20; ++i) {
      SpawnOptions sleeper;
      sleeper.argv = {"/bin/sleep", "100"};
      sleeper.die_with_parent = false;
      auto child = Child::spawn(sleeper);
      if (child) sleepers.push_back(std::move(*child));
    }
  });
  std::vector<std::thread> runners;
  std::vector<int> good(4, 0);
  for (int t = 0; t < 4; ++t) {
    runners.emplace_back([t, &good] {
      for (int i = 0; i < 25; ++i) {
        const std::string word = std::to_string(t) + "-" + std::to_string(i);
        RunOptions o = options({"/bin/sh", "-c", "echo $0; echo $0 >&2", word});
        o.timeout = 5s;
        Result<RunResult> r = run(o);
        if (r && r->ok() && r->out == word + "\n" && r->err == word + "\n") ++good[t];
      }
    });
  }
  for (std::thread& runner : runners) runner.join();
  spawner.join();
  EXPECT_EQ(sleepers.size(), 20u);
  EXPECT_EQ(good, std::vector<int>(4, 25));
}

TEST(DescribeRunResult, ShowsTheTimeoutInSeconds) {
  RunResult r;
  r.timed_out = true;
  r.timeout = 300ms;
  EXPECT_EQ(r.describe(), "timed out after 0.3 s");
  r.timeout = 1250ms;
  EXPECT_EQ(r.describe(), "timed out after 1.25 s");
  r.timeout = 5s;
  EXPECT_EQ(r.describe(), "timed out after 5 s");
}

TEST(LookupUser, FindsNobody) {
  Result<Identity> who = lookupUser("nobody");
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->uid, 65534u);
  EXPECT_EQ(who->name, "nobody");
  EXPECT_EQ(who->home, "/nonexistent");
}

TEST(LookupUser, UnknownUserIsInvalid) {
  Result<Identity> who = lookupUser("no-such-user-xyz");
  ASSERT_FALSE(who.has_value());
  EXPECT_EQ(who.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(who.error().message, "user \"no-such-user-xyz\" does not exist");
}

SpawnOptions spawnOptions(std::vector<std::string> argv, std::string log_file = "") {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.log_file = std::move(log_file);
  return o;
}

TEST(Child, AppendsOutputToLogAndExitsOnSigterm) {
  TempDir dir;
  const std::string log = dir.path("child.log");
  writeFile(log, "before\n", 0600);
  auto child =
      Child::spawn(spawnOptions({"/bin/sh", "-c", "echo out; echo err >&2; exec sleep 100"}, log));
  ASSERT_TRUE(child.has_value()) << child.error().message;
  EXPECT_TRUE(eventually([&] { return readFile(log) == "before\nout\nerr\n"; })) << readFile(log);
  EXPECT_TRUE((*child)->running());
  (*child)->signal(SIGTERM);
  ASSERT_TRUE((*child)->waitFor(5s));
  EXPECT_FALSE((*child)->running());
  ASSERT_TRUE((*child)->exitStatus().has_value());
  EXPECT_TRUE(WIFSIGNALED(*(*child)->exitStatus()));
  EXPECT_EQ(WTERMSIG(*(*child)->exitStatus()), SIGTERM);
}

TEST(Child, WaitForSeesExitAfterSigint) {
  auto child = Child::spawn(spawnOptions({"sleep", "100"}));
  ASSERT_TRUE(child.has_value()) << child.error().message;
  EXPECT_FALSE((*child)->waitFor(50ms));
  EXPECT_TRUE((*child)->running());
  (*child)->signal(SIGINT);
  ASSERT_TRUE((*child)->waitFor(5s));
  EXPECT_EQ(WTERMSIG(*(*child)->exitStatus()), SIGINT);
  (*child)->killGroup();  // already reaped: nothing to do, status kept
  EXPECT_TRUE((*child)->waitFor(0ms));
  EXPECT_EQ(WTERMSIG(*(*child)->exitStatus()), SIGINT);
}

// The controller may ignore SIGINT or block SIGTERM for itself; its children must not inherit that.
TEST(Child, DoesNotInheritIgnoredOrBlockedSignals) {
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGINT, &ignore, &previous), 0);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &block, &old_mask), 0);
  auto interrupted = Child::spawn(spawnOptions({"/bin/sleep", "100"}));
  auto terminated = Child::spawn(spawnOptions({"/bin/sleep", "100"}));
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGINT, &previous, nullptr);
  ASSERT_TRUE(interrupted.has_value() && terminated.has_value());
  (*interrupted)->signal(SIGINT);
  (*terminated)->signal(SIGTERM);
  ASSERT_TRUE((*interrupted)->waitFor(5s));
  ASSERT_TRUE((*terminated)->waitFor(5s));
  EXPECT_EQ(WTERMSIG(*(*interrupted)->exitStatus()), SIGINT);
  EXPECT_EQ(WTERMSIG(*(*terminated)->exitStatus()), SIGTERM);
}

TEST(Child, ExitCodeIsKept) {
  auto child = Child::spawn(spawnOptions({"/bin/sh", "-c", "exit 7"}));
  ASSERT_TRUE(child.has_value()) << child.error().message;
  ASSERT_TRUE((*child)->waitFor(5s));
  EXPECT_TRUE(WIFEXITED(*(*child)->exitStatus()));
  EXPECT_EQ(WEXITSTATUS(*(*child)->exitStatus()), 7);
}

TEST(Child, DestructorKillsItsProcessGroup) {
  auto child = Child::spawn(spawnOptions({"/bin/sh", "-c", "sleep 100 & exec sleep 100"}));
  ASSERT_TRUE(child.has_value()) << child.error().message;
  const pid_t group = (*child)->pid();
  ASSERT_TRUE(eventually([&] { return liveMembers(group) == 2; }));
  child->reset();
  EXPECT_TRUE(eventually([&] { return liveMembers(group) == 0; }, 2s));
}

TEST(Child, MemoryLimitAppliesToASpawnedChild) {
  TempDir dir;
  const std::string log = dir.path("limit.log");
  SpawnOptions o = spawnOptions({"/bin/sh", "-c", "ulimit -v"}, log);
  o.memory_limit_bytes = size_t{64} << 20;
  auto child = Child::spawn(o);
  ASSERT_TRUE(child.has_value()) << child.error().message;
  ASSERT_TRUE((*child)->waitFor(5s));
  EXPECT_EQ(readFile(log), "65536\n");
}

TEST(Child, ProgramNotFound) {
  auto child = Child::spawn(spawnOptions({"no-such-program-xyz"}));
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().message, "cannot start no-such-program-xyz: not found on PATH");
}

TEST(Child, UnwritableLogFileCannotStart) {
  auto child = Child::spawn(spawnOptions({"/bin/sleep", "1"}, "/nonexistent-hydrant-dir/x.log"));
  ASSERT_FALSE(child.has_value());
  EXPECT_EQ(child.error().message,
            "cannot start /bin/sleep: cannot open log file /nonexistent-hydrant-dir/x.log: No "
            "such file or directory");
}

TEST(Child, RunsAsAnotherUserWithItsOwnLogFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  TempDir dir;
  const std::string log = dir.path("id.log");
  SpawnOptions o = spawnOptions({"/usr/bin/id", "-u"}, log);
  o.run_as = *lookupUser("nobody");
  auto child = Child::spawn(o);
  ASSERT_TRUE(child.has_value()) << child.error().message;
  ASSERT_TRUE((*child)->waitFor(5s));
  EXPECT_EQ(readFile(log), "65534\n");
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

// The spawning process exits without running any destructor; the parent-death signal must end
// the child. This test process becomes the orphan's subreaper, so it can see how it ended.
TEST(Child, DiesWithItsParent) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t helper = ::fork();
  ASSERT_NE(helper, -1);
  if (helper == 0) {
    ::close(report[0]);
    auto child = Child::spawn(spawnOptions({"/bin/sleep", "100"}));
    const pid_t pid = child ? (*child)->pid() : -1;
    [[maybe_unused]] ssize_t n = ::write(report[1], &pid, sizeof pid);
    ::_exit(0);
  }
  ::close(report[1]);
  pid_t pid = -1;
  ASSERT_EQ(::read(report[0], &pid, sizeof pid), static_cast<ssize_t>(sizeof pid));
  ::close(report[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  ASSERT_GT(pid, 0);
  const bool ended = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; });
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  ASSERT_TRUE(ended);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

}  // namespace
}  // namespace hydrant::proc
