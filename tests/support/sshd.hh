// A real sshd on loopback for remote-builder tests (RECIPES §6): fresh host and user keys, an
// sshd_config on a free port, started as a child (`/usr/sbin/sshd -D`), plus a SEPARATE remote
// store — a chroot store under dir()/remote — reached through a remote-program wrapper that gives
// the remote nix-store its settings (sshd passes no environment). Sharing the local store would
// deadlock: the local nix-store holds the output lock the remote one waits for. The remote store
// uses the same logical store directory as the local one, so paths copy between them.
// One test thread; start it from a thread that outlives it (the child dies with that thread).
#pragma once

#include <memory>
#include <string>

#include "controller/nix/builder.hh"
#include "controller/proc/process.hh"

namespace hydrant::testing {

class Sshd {
 public:
  // `store_dir` is the local (test) store's directory, e.g. NixStore::storeDir(). Leaves
  // skipReason() set if /usr/sbin/sshd is missing, and fails the test if anything else goes wrong.
  explicit Sshd(const std::string& store_dir);
  // Stops sshd and removes dir() with the remote store in it.
  ~Sshd();
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;

  bool running() const { return child_ != nullptr; }
  // Why it is not running: "" when it is.
  const std::string& skipReason() const { return skip_reason_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // The chroot store's root: its paths are physically under remoteStoreRoot()/nix/store.
  std::string remoteStoreRoot() const { return dir_ + "/remote"; }
  std::string userKey() const { return dir_ + "/userkey"; }
  // Base64 of the host's public key line, as a machines file gives it.
  const std::string& hostKeyBase64() const { return host_key_; }
  // Base64 of the user's public key line: a valid key that is not the host's.
  const std::string& userKeyBase64() const { return user_key_; }
  // ssh://<user>@127.0.0.1:<port>, with the user key, the host key, the remote store and the
  // remote-program wrapper.
  nix::MachineTarget machine() const;

  // A loopback port nothing listens on right now.
  static int freePort();

 private:
  bool setUp(const std::string& store_dir);
  bool waitUntilListening();

  std::string dir_;
  std::string skip_reason_;
  std::string user_;
  std::string host_key_;
  std::string user_key_;
  int port_ = 0;
  std::unique_ptr<proc::Child> child_;
};

}  // namespace hydrant::testing
