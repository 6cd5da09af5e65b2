// Child processes, the only place that uses Boost.Process. Every child gets an argv vector
// (never a shell string), a timeout, an output cap, and its own process group, which is killed
// as a whole on timeout, when its stop token is requested, or when its owner goes away. run() is
// thread-safe; a Child is owned by one thread at a time. Children are reaped with waitpid by pid:
// the process must not set SIGCHLD to SIG_IGN, and nothing else may wait for "any child".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "specs/result.hh"

namespace hydrant::proc {

// Who a child runs as. Used to start Postgres (which refuses root) as an unprivileged user.
struct Identity {
  uid_t uid;
  gid_t gid;
  std::string name;  // user name, for messages
  std::string home;  // becomes HOME in the child (and `name` becomes USER and LOGNAME)
};

// Looks up a user by name. Error (kInvalid) names the user when it does not exist.
Result<Identity> lookupUser(const std::string& name);

// What to start, with what environment, where and as whom: common to run() and Child::spawn().
struct Program {
  std::vector<std::string> argv;  // argv[0] is searched on the child's PATH if it has no '/'
  std::map<std::string, std::string> env;  // set in addition to the inherited environment
  std::vector<std::string> unset_env;      // removed from the inherited environment
  std::optional<std::string> cwd;
  std::optional<Identity> run_as;  // REQUIRES: the caller is root when set
  // The child's address-space limit (RLIMIT_AS, soft and hard), set in the child only, so that
  // running out of memory fails the child's allocations instead of the machine; 0 = inherited.
  size_t memory_limit_bytes = 0;
};

struct RunOptions : Program {
  std::optional<std::string> stdin_data;  // written to the child's stdin, then closed
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  size_t output_cap = 16 << 20;  // bytes kept per stream; the rest is dropped
  // When a stop is requested, the child's whole process group gets SIGKILL and run() returns
  // with `stopped` set; requested before the start, no child is started at all.
  std::stop_token stop;
};

struct RunResult {
  int exit_code = -1;     // valid when !signaled && !timed_out && !stopped
  bool signaled = false;  // ended by a signal (term_signal says which)
  int term_signal = 0;
  bool timed_out = false;                // killed (whole process group) because the timeout passed
  bool stopped = false;                  // killed (whole process group), or never started, on stop
  std::chrono::milliseconds timeout{0};  // the limit that applied (for describe())
  std::string out;                       // stdout, at most output_cap bytes
  std::string err;                       // stderr, at most output_cap bytes
  bool out_truncated = false;
  bool err_truncated = false;

  bool ok() const { return !signaled && !timed_out && !stopped && exit_code == 0; }
  // "exited with code 3", "killed by signal 9", "timed out after 5 s", "stopped"
  std::string describe() const;
};

// Runs a program to completion: it has exited and both its outputs are closed (a background
// process that keeps them open counts toward the timeout). On timeout or stop the whole process
// group gets SIGKILL. The child gets SIGKILL if the calling thread dies first; stdin is /dev/null
// when stdin_data is unset. Success: the result, whatever the exit code. Error (kTransient) "cannot
// start <program>: <reason>" when it cannot be started (not found, not executable, cwd or run_as
// not usable).
Result<RunResult> run(const RunOptions& options);

struct SpawnOptions : Program {
  std::string log_file;         // stdout and stderr are appended here ("" = /dev/null)
  bool discard_stdout = false;  // stdout goes to /dev/null instead, only stderr to log_file
  bool die_with_parent = true;  // the child gets SIGTERM if this process dies (even by kill -9)
                                // or the thread that called spawn() exits
};

// A long-running child (the embedded Postgres). The destructor kills its process group
// (SIGKILL) if it is still running, so no child outlives its owner by accident.
// The parent-death signal is tied to the *thread* that forked, not the process: call spawn()
// from a thread that lives as long as the child should (main), never from a pool thread.
class Child {
 public:
  // Starts the child in a new process group, stdin /dev/null, stdout and stderr appended to
  // log_file (created 0640, owned by run_as when set). Error (kTransient)
  // "cannot start <program>: <reason>".
  static Result<std::unique_ptr<Child>> spawn(const SpawnOptions& options);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const;
  bool running();                         // reaps the child if it has exited
  std::optional<int> exitStatus() const;  // raw wait status once reaped
  void signal(int sig);                   // to the child itself, not the group; no-op once reaped
  // Waits up to `d` for the child to exit; true if it has exited (and was reaped).
  bool waitFor(std::chrono::milliseconds d);
  // SIGKILL to the whole process group, then reaps. No-op once reaped (the group id could
  // belong to someone else by then).
  void killGroup();

 private:
  struct Impl;
  explicit Child(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A child that speaks a protocol over its standard streams (`nix-store --serve`, or ssh running
// it): its stdin, stdout and stderr are pipes to this process, all three non-blocking and
// close-on-exec here, so no other child inherits them. It gets no parent-death signal (that is
// tied to the forking thread, and a connection outlives the thread that opened it); instead,
// when this process dies its pipes close and the child reads end-of-file. The destructor kills
// its process group (SIGKILL) and reaps it. Owned by one thread at a time.
class PipedChild {
 public:
  // Starts the child in a new process group. Error (kTransient) "cannot start <program>: …".
  static Result<std::unique_ptr<PipedChild>> spawn(const Program& program);
  ~PipedChild();
  PipedChild(const PipedChild&) = delete;
  PipedChild& operator=(const PipedChild&) = delete;

  pid_t pid() const;
  int in() const;   // write end of the child's stdin; -1 once closed
  int out() const;  // read end of its stdout
  int err() const;  // read end of its stderr
  void closeIn();
  // SIGKILL to the whole process group, then reaps. No-op once reaped.
  void killGroup();
  // Waits up to `d` for the child to exit by itself; its raw wait status when it did.
  std::optional<int> waitFor(std::chrono::milliseconds d);
  // Whether it has not exited yet (reaps it when it has).
  bool running();

 private:
  struct Impl;
  explicit PipedChild(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hydrant::proc
