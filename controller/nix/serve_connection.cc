// The serve protocol's client side: buffered writes flushed per request, reads that wait with
// poll(2) on stdout while draining stderr, and a connection that breaks (kills its server) on
// the first failure, so a half-read answer can never be mistaken for the next one.
#include "controller/nix/serve_connection.hh"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace hydrant::nix {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

constexpr uint64_t kMagicClient = 0x390c9deb;
constexpr uint64_t kMagicServer = 0x5452eecb;
constexpr uint64_t kClientVersion = 0x0207;  // 2.7: limits, build times and built outputs

enum Command : uint64_t {
  kQueryValidPaths = 1,
  kQueryPathInfos = 2,
  kDumpStorePath = 3,
  kQueryClosure = 7,
  kBuildDerivation = 8,
  kAddToStoreNar = 9,
};

constexpr size_t kDiagnosticsCap = 8 << 10;
constexpr size_t kMaxString = 64 << 20;  // no answer of the protocol carries a longer string
constexpr size_t kMaxCount = 1 << 24;
constexpr size_t kChunk = 64 << 10;
constexpr auto kPollSlice = 100ms;
constexpr auto kStderrGrace = 500ms;  // for the last words of a server that hung up
constexpr auto kGoodbyeGrace = 5s;    // for a server to stop its build and exit
constexpr auto kMaxSettle = 1s;       // for the last of a remote build's log

unsigned minorOf(unsigned version) { return version & 0xff; }

// The last few lines of what a server wrote, trimmed, for a message.
std::string lastLines(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  size_t start = text.size();
  for (int lines = 0; lines < 3 && start > 0; ++lines) {
    const size_t nl = text.rfind('\n', start - 1);
    start = nl == std::string_view::npos ? 0 : nl + 1;
    if (nl == std::string_view::npos) break;
    start = nl;
  }
  std::string out(text.substr(start));
  while (!out.empty() && (out.front() == '\n' || out.front() == ' ')) out.erase(0, 1);
  std::replace(out.begin(), out.end(), '\n', ' ');
  return out;
}

}  // namespace

ServeConnection::ServeConnection(std::unique_ptr<proc::PipedChild> child)
    : child_(std::move(child)) {}

ServeConnection::~ServeConnection() {
  if (child_) {
    // A clean goodbye: end of input makes nix-store --serve exit by itself.
    child_->closeIn();
    if (!child_->waitFor(200ms)) child_->killGroup();
  }
}

Result<std::unique_ptr<ServeConnection>> ServeConnection::start(const proc::Program& program) {
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { ::signal(SIGPIPE, SIG_IGN); });
  Result<std::unique_ptr<proc::PipedChild>> child = proc::PipedChild::spawn(program);
  if (!child) return child.error();
  return std::unique_ptr<ServeConnection>(new ServeConnection(std::move(*child)));
}

Result<void> ServeConnection::greet(const Patience& patience) {
  putNumber(kMagicClient);
  putNumber(kClientVersion);
  if (Result<void> sent = flush(patience); !sent) return sent;
  Result<uint64_t> magic = getNumber(patience);
  if (!magic) return magic.error();
  if (*magic != kMagicServer) return broken("protocol mismatch");
  Result<uint64_t> version = getNumber(patience);
  if (!version) return version.error();
  if ((*version & 0xff00) != (kClientVersion & 0xff00) || minorOf(*version) < 6) {
    return broken("unsupported serve protocol version " + std::to_string(*version >> 8) + "." +
                  std::to_string(*version & 0xff) + " (2.6 or newer is needed)");
  }
  server_version_ = static_cast<unsigned>(*version);
  return {};
}

bool ServeConnection::alive() {
  if (!child_) return false;
  if (!child_->running()) {
    child_.reset();
    return false;
  }
  return true;
}

Error ServeConnection::broken(const std::string& why) {
  if (child_) {
    // Its last words (ssh's reason for hanging up) may still be on their way.
    const auto until = steady_clock::now() + kStderrGrace;
    while (child_->err() >= 0 && steady_clock::now() < until) {
      pollfd fd{child_->err(), POLLIN, 0};
      if (::poll(&fd, 1, 50) <= 0) break;
      const size_t before = diagnostics_.size();
      drainStderr();
      if (diagnostics_.size() == before) break;  // end of file
    }
    // End of input interrupts a build (Nix watches its stdin for a hang-up) and lets Nix kill
    // the builder, which runs in a session of its own; only then is the server itself killed.
    child_->closeIn();
    if (!child_->waitFor(kGoodbyeGrace)) child_->killGroup();
    child_.reset();
  }
  const std::string said = lastLines(diagnostics_);
  if (why == "connection closed" && !said.empty()) return Error::transient(said);
  return Error::transient(said.empty() ? why : why + ": " + said);
}

void ServeConnection::drainStderr() {
  char buffer[kChunk];
  for (;;) {
    const ssize_t n = ::read(child_->err(), buffer, sizeof buffer);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) return;
    const std::string_view data(buffer, static_cast<size_t>(n));
    bytes_from_stderr_ += data.size();
    if (sink_ != nullptr) {
      if (!sink_refused_ && !(*sink_)(data)) sink_refused_ = true;
    } else {
      diagnostics_.append(data);
      if (diagnostics_.size() > kDiagnosticsCap) {
        diagnostics_.erase(0, diagnostics_.size() - kDiagnosticsCap);
      }
    }
  }
}

Result<void> ServeConnection::await(int fd, short events, const Patience& patience) {
  for (;;) {
    if (patience.stop.stop_requested()) return broken("stopped");
    if (sink_refused_) return broken("aborted by the log sink");
    const auto now = steady_clock::now();
    if (now >= patience.deadline) return broken("timed out");
    const auto slice = std::min<steady_clock::duration>(patience.deadline - now, kPollSlice);
    pollfd fds[2] = {{fd, events, 0}, {child_->err(), POLLIN, 0}};
    const int n = ::poll(
        fds, 2, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(slice).count()));
    if (n == -1 && errno != EINTR) return broken(std::string("poll: ") + std::strerror(errno));
    if (n <= 0) continue;
    if (fds[1].revents != 0) drainStderr();
    if (fds[0].revents != 0) return {};
  }
}

void ServeConnection::putNumber(uint64_t n) {
  char bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out_.append(bytes, 8);
}

void ServeConnection::putString(std::string_view s) {
  putNumber(s.size());
  out_.append(s);
  out_.append((8 - s.size() % 8) % 8, '\0');
}

void ServeConnection::putStrings(const std::vector<std::string>& items) {
  putNumber(items.size());
  for (const std::string& item : items) putString(item);
}

Result<void> ServeConnection::flush(const Patience& patience) {
  if (!child_) return Error::transient("connection closed");
  size_t sent = 0;
  while (sent < out_.size()) {
    const ssize_t n = ::write(child_->in(), out_.data() + sent, out_.size() - sent);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n == -1 && errno == EAGAIN) {
      if (Result<void> ready = await(child_->in(), POLLOUT, patience); !ready) return ready;
    } else if (n == -1 && errno != EINTR) {
      out_.clear();
      return broken("connection closed");
    }
  }
  out_.clear();
  return {};
}

Result<void> ServeConnection::fill(size_t want, const Patience& patience) {
  if (!child_) return Error::transient("connection closed");
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  char buffer[kChunk];
  while (in_.size() - in_pos_ < want) {
    const ssize_t n = ::read(child_->out(), buffer, sizeof buffer);
    if (n > 0) {
      in_.append(buffer, static_cast<size_t>(n));
    } else if (n == 0) {
      return broken("connection closed");
    } else if (errno == EAGAIN) {
      if (Result<void> ready = await(child_->out(), POLLIN, patience); !ready) return ready;
    } else if (errno != EINTR) {
      return broken(std::string("read: ") + std::strerror(errno));
    }
  }
  return {};
}

Result<uint64_t> ServeConnection::getNumber(const Patience& patience) {
  if (Result<void> r = fill(8, patience); !r) return r.error();
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(in_[in_pos_ + i])) << (8 * i);
  }
  in_pos_ += 8;
  return n;
}

Result<std::string> ServeConnection::getString(const Patience& patience) {
  Result<uint64_t> size = getNumber(patience);
  if (!size) return size.error();
  if (*size > kMaxString) return broken("garbled answer: a string of " + std::to_string(*size));
  const size_t padded = *size + (8 - *size % 8) % 8;
  if (Result<void> r = fill(padded, patience); !r) return r.error();
  std::string s = in_.substr(in_pos_, *size);
  in_pos_ += padded;
  return s;
}

Result<std::vector<std::string>> ServeConnection::getStrings(const Patience& patience) {
  Result<uint64_t> count = getNumber(patience);
  if (!count) return count.error();
  if (*count > kMaxCount) return broken("garbled answer: a list of " + std::to_string(*count));
  std::vector<std::string> items;
  items.reserve(*count);
  for (uint64_t i = 0; i < *count; ++i) {
    Result<std::string> s = getString(patience);
    if (!s) return s.error();
    items.push_back(std::move(*s));
  }
  return items;
}

Result<std::set<std::string>> ServeConnection::queryValidPaths(
    const std::vector<std::string>& paths, const Patience& patience) {
  putNumber(kQueryValidPaths);
  putNumber(0);  // lock: no
  putNumber(0);  // substitute: no
  putStrings(paths);
  if (Result<void> r = flush(patience); !r) return r.error();
  Result<std::vector<std::string>> valid = getStrings(patience);
  if (!valid) return valid.error();
  return std::set<std::string>(valid->begin(), valid->end());
}

Result<std::vector<StorePathInfo>> ServeConnection::queryPathInfos(
    const std::vector<std::string>& paths, const Patience& patience) {
  putNumber(kQueryPathInfos);
  putStrings(paths);
  if (Result<void> r = flush(patience); !r) return r.error();
  return getPathInfos(patience);
}

Result<std::vector<StorePathInfo>> ServeConnection::getPathInfos(const Patience& patience) {
  std::vector<StorePathInfo> infos;
  for (;;) {
    Result<std::string> path = getString(patience);
    if (!path) return path.error();
    if (path->empty()) return infos;
    StorePathInfo info;
    info.path = std::move(*path);
    Result<std::string> deriver = getString(patience);
    if (!deriver) return deriver.error();
    info.deriver = std::move(*deriver);
    Result<std::vector<std::string>> references = getStrings(patience);
    if (!references) return references.error();
    info.references = std::move(*references);
    if (Result<uint64_t> download = getNumber(patience); !download) return download.error();
    Result<uint64_t> nar_size = getNumber(patience);
    if (!nar_size) return nar_size.error();
    info.nar_size = *nar_size;
    Result<std::string> hash = getString(patience);
    if (!hash) return hash.error();
    info.nar_hash = std::move(*hash);
    Result<std::string> ca = getString(patience);
    if (!ca) return ca.error();
    info.ca = std::move(*ca);
    Result<std::vector<std::string>> sigs = getStrings(patience);
    if (!sigs) return sigs.error();
    info.sigs = std::move(*sigs);
    infos.push_back(std::move(info));
  }
}

Result<std::vector<std::string>> ServeConnection::queryClosure(
    const std::vector<std::string>& paths, const Patience& patience) {
  putNumber(kQueryClosure);
  putNumber(0);  // include outputs: no
  putStrings(paths);
  if (Result<void> r = flush(patience); !r) return r.error();
  return getStrings(patience);
}

Result<ServeBuildResult> ServeConnection::buildDerivation(
    const std::string& drv_path, const Derivation& drv, const std::vector<std::string>& input_paths,
    const ServeBuildLimits& limits, const LogSink& log, const Patience& patience,
    std::vector<StorePathInfo>* output_infos, std::chrono::milliseconds settle) {
  putNumber(kBuildDerivation);
  putString(drv_path);
  // A "basic" derivation: no input derivations, their outputs among the sources instead.
  putNumber(drv.outputs.size());
  for (const auto& [name, output] : drv.outputs) {
    putString(name);
    putString(output.path);
    putString(output.hash_algo);
    putString(output.hash);
  }
  putStrings(input_paths);
  putString(drv.platform);
  putString(drv.builder);
  putStrings(drv.args);
  putNumber(drv.env.size());
  for (const auto& [key, value] : drv.env) {
    putString(key);
    putString(value);
  }
  putNumber(static_cast<uint64_t>(limits.max_silent.count()));
  putNumber(static_cast<uint64_t>(limits.timeout.count()));
  putNumber(limits.max_log_size);
  putNumber(0);                                     // build repeat
  putNumber(0);                                     // enforce determinism
  if (minorOf(server_version_) >= 7) putNumber(0);  // keep failed
  if (output_infos != nullptr) {
    // Answered after the build; invalid paths are left out, so a failed build is no error.
    std::vector<std::string> outputs;
    for (const auto& [name, output] : drv.outputs) {
      if (!output.path.empty()) outputs.push_back(output.path);
    }
    putNumber(kQueryPathInfos);
    putStrings(outputs);
  }
  sink_ = &log;
  sink_refused_ = false;
  struct ClearSink {
    ServeConnection* c;
    ~ClearSink() { c->sink_ = nullptr; }
  } clear{this};
  if (Result<void> r = flush(patience); !r) return r.error();
  ServeBuildResult result;
  Result<uint64_t> status = getNumber(patience);
  if (!status) return status.error();
  result.status = static_cast<NixBuildStatus>(*status);
  Result<std::string> message = getString(patience);
  if (!message) return message.error();
  result.error_message = std::move(*message);
  for (int64_t* field : {static_cast<int64_t*>(nullptr), static_cast<int64_t*>(nullptr),
                         &result.start_time, &result.stop_time}) {
    Result<uint64_t> n = getNumber(patience);  // times built, non-deterministic, start, stop
    if (!n) return n.error();
    if (field != nullptr) *field = static_cast<int64_t>(*n);
  }
  // Built outputs (DrvOutput id → realisation JSON); the outputs' paths are in the derivation.
  Result<uint64_t> count = getNumber(patience);
  if (!count) return count.error();
  if (*count > kMaxCount) return broken("garbled answer: " + std::to_string(*count) + " outputs");
  for (uint64_t i = 0; i < 2 * *count; ++i) {
    if (Result<std::string> s = getString(patience); !s) return s.error();
  }
  // Everything the server wrote before its answer is in the stderr pipe by now (locally).
  drainStderr();
  const auto settle_until = steady_clock::now() + kMaxSettle;
  while (settle.count() > 0 && !sink_refused_ && steady_clock::now() < settle_until) {
    pollfd fd{child_->err(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(settle.count())) <= 0) break;  // quiet long enough
    const size_t before = bytes_from_stderr_;
    drainStderr();
    if (bytes_from_stderr_ == before) break;  // end of file
  }
  if (sink_refused_) return broken("aborted by the log sink");
  if (output_infos != nullptr) {
    Result<std::vector<StorePathInfo>> infos = getPathInfos(patience);
    if (!infos) return infos.error();
    *output_infos = std::move(*infos);
  }
  return result;
}

Result<void> ServeConnection::copyPathTo(ServeConnection& to, const StorePathInfo& info,
                                         const Patience& patience) {
  to.putNumber(kAddToStoreNar);
  to.putString(info.path);
  to.putString(info.deriver);
  to.putString(info.nar_hash);
  to.putStrings(info.references);
  to.putNumber(0);  // registration time: now
  to.putNumber(info.nar_size);
  to.putNumber(0);  // ultimately trusted: no
  to.putStrings(info.sigs);
  to.putString(info.ca);
  putNumber(kDumpStorePath);
  putString(info.path);
  if (Result<void> r = flush(patience); !r) return r;
  uint64_t remaining = info.nar_size;
  while (remaining > 0) {
    if (in_pos_ == in_.size()) {
      if (Result<void> r = fill(1, patience); !r) return r;
    }
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, in_.size() - in_pos_));
    to.out_.append(in_, in_pos_, take);
    in_pos_ += take;
    remaining -= take;
    if (to.out_.size() >= kChunk || remaining == 0) {
      if (Result<void> r = to.flush(patience); !r) return r;
    }
  }
  Result<uint64_t> done = to.getNumber(patience);
  if (!done) return done.error();
  if (*done != 1) return to.broken("garbled answer to AddToStoreNar");
  return {};
}

}  // namespace hydrant::nix
