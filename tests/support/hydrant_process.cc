#include "tests/support/hydrant_process.hh"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "controller/proc/process.hh"

namespace hydrant::testing {

int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

namespace {

HttpReply replyOf(const httplib::Result& r) {
  if (!r) return {};
  return {r->status, r->body, r->get_header_value("Content-Type"), r->get_header_value("Location")};
}

}  // namespace

HttpReply httpGet(int port, const std::string& path, const std::string& accept) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1);
  c.set_read_timeout(5);
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  return replyOf(c.Get(path.c_str(), headers));
}

HttpReply httpPost(int port, const std::string& path, const std::string& body,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1);
  c.set_read_timeout(5);
  httplib::Headers h(headers.begin(), headers.end());
  h.emplace("Accept", "application/json");
  return replyOf(c.Post(path.c_str(), h, body, "application/json"));
}

bool processAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

HydrantProcess::HydrantProcess(std::vector<std::string> args, const std::string& cwd,
                               std::string log_file)
    : log_file_(std::move(log_file)) {
  proc::SpawnOptions o;
  o.argv = {HYDRANT_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = cwd;
  o.log_file = log_file_;
  o.die_with_parent = true;
  auto c = proc::Child::spawn(o);
  if (!c) throw std::runtime_error(c.error().message);
  child_ = std::move(*c);
}

HydrantProcess::~HydrantProcess() {
  // Stop it as a user would, so its embedded Postgres is shut down before the test's temp dir
  // is removed; the Child's destructor SIGKILLs the group only if that did not work.
  if (child_->running()) {
    child_->signal(SIGTERM);
    child_->waitFor(std::chrono::seconds(6));
  }
}

pid_t HydrantProcess::pid() const { return child_->pid(); }
bool HydrantProcess::running() { return child_->running(); }
void HydrantProcess::signal(int sig) { child_->signal(sig); }

std::optional<int> HydrantProcess::waitExit(std::chrono::milliseconds timeout) {
  if (!child_->waitFor(timeout)) return std::nullopt;
  int st = child_->exitStatus().value_or(-1);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

std::string HydrantProcess::log() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::pair<int, std::string> runHydrant(const std::vector<std::string>& args,
                                       const std::string& cwd) {
  proc::RunOptions o;
  o.argv = {HYDRANT_BIN};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = cwd;
  o.timeout = std::chrono::seconds(60);
  auto r = proc::run(o);
  if (!r) throw std::runtime_error(r.error().message);
  return {r->timed_out || r->signaled ? -1 : r->exit_code, r->out + r->err};
}

}  // namespace hydrant::testing
