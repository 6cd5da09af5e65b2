// HydrantProcess: the real `hydrant` binary started as a child for end-to-end tests, with its
// stderr in a log file, plus a small HTTP client for its endpoints. One test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/wait.hh"

namespace hydrant::proc {
class Child;
}

namespace hydrant::testing {

// A TCP port that was free a moment ago on 127.0.0.1.
int freePort();

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
  std::string content_type;
  std::string location;  // the Location header of a redirect
};

// GET http://127.0.0.1:port/path (not following redirects), with `accept` as Accept unless "".
HttpReply httpGet(int port, const std::string& path, const std::string& accept = "");
// POST `body` (as application/json) with the given extra headers.
HttpReply httpPost(int port, const std::string& path, const std::string& body,
                   const std::vector<std::pair<std::string, std::string>>& headers = {});

class HydrantProcess {
 public:
  // Starts HYDRANT_BIN with `args` (e.g. {"run", "--listen", …}) in `cwd`; stderr and stdout go
  // to `log_file`.
  HydrantProcess(std::vector<std::string> args, const std::string& cwd, std::string log_file);
  ~HydrantProcess();  // SIGTERM, then SIGKILL if it is still running 6 s later

  pid_t pid() const;
  bool running();
  void signal(int sig);
  // Waits for exit; the exit code, or 128+signal, or nullopt if still running after `timeout`.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  std::unique_ptr<proc::Child> child_;
  std::string log_file_;
};

// Runs HYDRANT_BIN to completion; returns {exit code, stdout+stderr}.
std::pair<int, std::string> runHydrant(const std::vector<std::string>& args,
                                       const std::string& cwd);

// Whether a process with this pid exists (and is not a zombie).
bool processAlive(pid_t pid);

}  // namespace hydrant::testing
