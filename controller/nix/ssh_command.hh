// Internal to controller/nix: reaching a build machine over ssh. Its URI taken apart (Nix's
// ssh:// and ssh-ng:// URIs, plus a port, which Nix's cannot carry) and the ssh command that
// starts its nix-store --serve --write, with Nix's remote-store and remote-program settings.
// Pure functions. Not for use outside this folder.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/nix/builder.hh"

namespace hydrant::nix::detail {

struct SshAddress {
  std::string authority;  // "[user@]host", without the port
  std::string host;
  std::optional<int> port;
  std::map<std::string, std::string> params;  // the query, percent-decoded
};

// std::nullopt when `uri` is no ssh:// or ssh-ng:// URI, or its port is not 1..65535.
std::optional<SshAddress> parseSsh(std::string_view uri);

struct SshServe {
  std::vector<std::string> argv;  // ssh, its options, the host, and the remote command
  // What tells one such connection from another besides the URI: key, host key, remote program
  // and store, ssh options.
  std::string identity;
};

// The command for machine `m` at `address`; `known_hosts` (a file with the pinned host key, or
// "") makes ssh accept that key alone. The remote command is one string, as ssh passes it to the
// remote shell, with each word quoted.
SshServe sshServeCommand(const MachineTarget& m, const SshAddress& address,
                         const std::string& known_hosts);

}  // namespace hydrant::nix::detail
