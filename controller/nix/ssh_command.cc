// Machine URIs and the ssh command that reaches a machine's nix-store --serve; and what makes
// a machine unusable (machineProblem, declared in builder.hh).
#include "controller/nix/ssh_command.hh"

#include <algorithm>
#include <cctype>

#include "controller/crypto/hash.hh"

namespace hydrant::nix {
namespace {

// What Hydra passes to ssh; LogLevel=ERROR keeps "Permanently added …" out of the logs.
const std::vector<std::string> kSshDefaults = {
    "-x", "-a", "-oBatchMode=yes", "-oConnectTimeout=60", "-oTCPKeepAlive=yes", "-oLogLevel=ERROR"};

std::string percentDecoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool hasBlank(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// One word for the remote shell, which is how ssh passes a command.
std::string shellQuoted(std::string_view word) {
  std::string out = "'";
  for (const char c : word) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

namespace detail {

std::optional<SshAddress> parseSsh(std::string_view uri) {
  // ssh-ng:// names Nix's daemon protocol; every machine runs nix-store, so both schemes are
  // reached the same way, with the serve protocol.
  std::string_view rest;
  for (const char* scheme : {"ssh://", "ssh-ng://"}) {
    if (uri.starts_with(scheme)) rest = uri.substr(std::string_view(scheme).size());
  }
  if (rest.data() == nullptr) return std::nullopt;
  SshAddress a;
  if (const size_t q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos) {
        a.params[percentDecoded(pair.substr(0, eq))] = percentDecoded(pair.substr(eq + 1));
      }
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
  }
  const size_t at = rest.rfind('@');
  const std::string_view user = at == std::string_view::npos ? "" : rest.substr(0, at + 1);
  std::string_view host = at == std::string_view::npos ? rest : rest.substr(at + 1);
  // "host:port" and "[v6]:port" have a port; a bare IPv6 address has several colons and none.
  const size_t colon = host.rfind(':');
  const bool bracketed = host.starts_with('[');
  if (colon != std::string_view::npos &&
      (bracketed ? colon > 0 && host[colon - 1] == ']' : host.find(':') == colon)) {
    const std::string_view digits = host.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    a.port = std::stoi(std::string(digits));
    if (*a.port < 1 || *a.port > 65535) return std::nullopt;
    host = host.substr(0, colon);
  }
  a.host = std::string(host);
  a.authority = std::string(user) + a.host;
  return a;
}

SshServe sshServeCommand(const MachineTarget& m, const SshAddress& a,
                         const std::string& known_hosts) {
  SshServe serve;
  std::vector<std::string>& argv = serve.argv;
  argv = {"ssh"};
  argv.insert(argv.end(), kSshDefaults.begin(), kSshDefaults.end());
  if (a.port) {
    argv.push_back("-p");
    argv.push_back(std::to_string(*a.port));
  }
  const std::string key = !m.ssh_key.empty()               ? m.ssh_key
                          : a.params.count("ssh-key") != 0 ? a.params.at("ssh-key")
                                                           : "";
  if (!key.empty()) {
    argv.push_back("-i");
    argv.push_back(key);
  }
  if (!known_hosts.empty()) {
    argv.push_back("-oUserKnownHostsFile=" + known_hosts);
    argv.push_back("-oGlobalKnownHostsFile=/dev/null");
    argv.push_back("-oStrictHostKeyChecking=yes");
    argv.push_back("-oHostKeyAlias=" + a.host);
  }
  argv.insert(argv.end(), m.ssh_options.begin(), m.ssh_options.end());
  argv.push_back(a.authority);
  const std::string program = !m.remote_program.empty() ? m.remote_program
                              : a.params.count("remote-program") != 0
                                  ? a.params.at("remote-program")
                                  : "nix-store";
  const std::string store = !m.remote_store.empty()               ? m.remote_store
                            : a.params.count("remote-store") != 0 ? a.params.at("remote-store")
                                                                  : "";
  std::string command = shellQuoted(program) + " --serve --write";
  if (!store.empty()) command += " --store " + shellQuoted(store);
  argv.push_back(command);
  serve.identity = key + "\n" + m.host_key + "\n" + program + "\n" + store;
  for (const std::string& option : m.ssh_options) serve.identity += "\n" + option;
  return serve;
}

}  // namespace detail

std::optional<std::string> machineProblem(const MachineTarget& m) {
  if (m.isLocal()) return std::nullopt;
  const std::optional<detail::SshAddress> address = detail::parseSsh(m.uri);
  if (!address) {
    return "URI \"" + m.uri + "\" is neither \"localhost\" nor ssh://[user@]host[:port]";
  }
  if (address->host.empty()) return "URI \"" + m.uri + "\" has no host";
  if (address->authority.starts_with('-')) return "URI \"" + m.uri + "\" names no host";
  if (hasBlank(m.uri) || hasBlank(m.ssh_key) || hasBlank(m.host_key)) {
    return "the URI, SSH key and host key must not contain blanks";
  }
  if (!m.host_key.empty() && !crypto::base64Decode(m.host_key)) {
    return "the host key is not base64";
  }
  for (const auto* list : {&m.systems, &m.supported_features, &m.mandatory_features}) {
    for (const std::string& item : *list) {
      if (item.empty() || hasBlank(item) || item.find(',') != std::string::npos) {
        return "bad system or feature name \"" + item + "\"";
      }
    }
  }
  for (const std::string& option : m.ssh_options) {
    if (option.empty() || hasBlank(option)) return "bad ssh option \"" + option + "\"";
  }
  return std::nullopt;
}

}  // namespace hydrant::nix
