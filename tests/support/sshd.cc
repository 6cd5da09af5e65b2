#include "tests/support/sshd.hh"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "tests/support/wait.hh"

namespace hydrant::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string base64(const std::string& data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(data[i]) << 16) |
                       (static_cast<unsigned char>(data[i + 1]) << 8) |
                       static_cast<unsigned char>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(n >> shift) & 63];
  }
  if (i < data.size()) {
    unsigned n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first two fields ("ssh-ed25519 AAAA…") of a public key file, without the comment.
std::string keyLine(const std::string& pub_file) {
  std::istringstream in(readFile(pub_file));
  std::string type, key;
  in >> type >> key;
  return type + " " + key;
}

// Where `program` is on this process's PATH ("" if nowhere).
std::string onPath(const std::string& program) {
  const char* path = ::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/" + program;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

bool runs(const std::vector<std::string>& argv) {
  proc::RunOptions options;
  options.argv = argv;
  options.timeout = 60s;
  const Result<proc::RunResult> r = proc::run(options);
  EXPECT_TRUE(r && r->ok()) << argv.front() << ": "
                            << (r ? r->describe() + " " + r->err : r.error().message);
  return r && r->ok();
}

bool writeFile(const std::string& path, const std::string& text, fs::perms mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  std::error_code ec;
  fs::permissions(path, mode, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  return !ec;
}

}  // namespace

int Sshd::freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

Sshd::Sshd(const std::string& store_dir) {
  if (::access(kSshd, X_OK) != 0) {
    skip_reason_ = std::string(kSshd) + " is not installed (Debian package openssh-server)";
    return;
  }
  std::string pattern = "/tmp/hs.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    skip_reason_ = "no temporary directory";
    return;
  }
  dir_ = pattern;
  if (!setUp(store_dir)) {
    child_.reset();
    if (skip_reason_.empty()) skip_reason_ = "sshd did not start (see the failures above)";
  }
}

bool Sshd::setUp(const std::string& store_dir) {
  const passwd* pw = ::getpwuid(::geteuid());
  user_ = pw != nullptr ? pw->pw_name : "root";
  if (!runs({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/hostkey"}) ||
      !runs({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", userKey()})) {
    return false;
  }
  host_key_ = base64(keyLine(dir_ + "/hostkey.pub"));
  user_key_ = base64(keyLine(userKey() + ".pub"));
  std::error_code ec;
  fs::create_directories("/run/sshd", ec);  // sshd's privilege-separation directory
  port_ = freePort();
  const std::string config =
      "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " + dir_ +
      "/hostkey\nAuthorizedKeysFile " + dir_ +
      "/authorized_keys\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nPidFile " +
      dir_ + "/sshd.pid\nMaxStartups 100\n";
  // sshd passes no environment to the session, so the remote nix-store gets its settings here.
  const std::string nix_store = onPath("nix-store");
  const std::string wrapper =
      "#!/bin/sh\nexport NIX_STORE_DIR='" + store_dir +
      "'\nexport NIX_CONFIG='substituters =\nsandbox-paths = /bin /lib /lib64? /usr\n"
      "build-users-group =\nexperimental-features = nix-command'\nexec '" +
      (nix_store.empty() ? "nix-store" : nix_store) + "' \"$@\"\n";
  if (!writeFile(dir_ + "/authorized_keys", readFile(userKey() + ".pub"), fs::perms(0600)) ||
      !writeFile(dir_ + "/sshd_config", config, fs::perms(0644)) ||
      !writeFile(dir_ + "/nix-store-remote", wrapper, fs::perms(0755)) ||
      !runs({kSshd, "-t", "-f", dir_ + "/sshd_config"})) {
    return false;
  }
  proc::SpawnOptions options;
  options.argv = {kSshd, "-D", "-f", dir_ + "/sshd_config", "-E", dir_ + "/sshd.log"};
  options.log_file = dir_ + "/sshd.out";
  Result<std::unique_ptr<proc::Child>> child = proc::Child::spawn(options);
  if (!child) {
    ADD_FAILURE() << child.error().message;
    return false;
  }
  child_ = std::move(*child);
  return waitUntilListening();
}

bool Sshd::waitUntilListening() {
  const bool listening = eventually(
      [this] {
        if (!child_->running()) return true;
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port_));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool connected =
            ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        ::close(fd);
        return connected;
      },
      10s, 20ms);
  if (listening && child_->running()) return true;
  ADD_FAILURE() << "sshd is not listening on 127.0.0.1:" << port_ << ": "
                << readFile(dir_ + "/sshd.log") << readFile(dir_ + "/sshd.out");
  return false;
}

Sshd::~Sshd() {
  child_.reset();
  if (dir_.empty()) return;
  // Nix makes store paths read-only; removing them needs write permission back.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(dir_, ec);
}

nix::MachineTarget Sshd::machine() const {
  nix::MachineTarget m;
  m.uri = "ssh://" + user_ + "@127.0.0.1:" + std::to_string(port_);
  m.ssh_key = userKey();
  m.host_key = host_key_;
  m.remote_store = remoteStoreRoot();
  m.remote_program = dir_ + "/nix-store-remote";
  return m;
}

}  // namespace hydrant::testing
