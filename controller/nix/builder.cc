// StepBuilder: pooled serve-protocol connections per machine, the closure copies between a
// machine and the local store (each path copied by one step at a time), the build request, and
// what its answer means.
#include "controller/nix/builder.hh"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <system_error>

#include "controller/crypto/hash.hh"
#include "controller/nix/build_log.hh"
#include "controller/nix/build_outcome.hh"
#include "controller/nix/build_outputs.hh"
#include "controller/nix/derivation_io.hh"
#include "controller/nix/serve_connection.hh"
#include "controller/nix/ssh_command.hh"

namespace hydrant::nix {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::steady_clock;

// Beyond the build timeout, for copying closures and Nix's own work; then the step gives up.
constexpr auto kGrace = 1h;
constexpr auto kNoTimeout = 24h;  // the bound when the step has no timeout
// Room in the log for Nix's messages on top of the builder's output, which Nix itself limits.
constexpr uint64_t kLogSlack = 1 << 20;
// A server keeps a temporary GC root for everything it built until it exits: it is replaced
// after this many steps, so those lists stay short.
constexpr int kMaxUses = 500;
constexpr size_t kMaxIdlePerMachine = 16;
// How long a remote build's stderr must be quiet after its answer before its log is complete.
constexpr auto kRemoteLogSettle = std::chrono::milliseconds(30);
std::string drvName(const std::string& drv_path) {
  std::string name = fs::path(drv_path).filename().string();
  if (name.ends_with(".drv")) name.resize(name.size() - 4);
  return name;
}

std::string rootFor(const BuildRequest& r, const std::string& output) {
  return r.gc_root_dir + "/" + drvName(r.drv_path) + (output == "out" ? "" : "-" + output);
}

StepResult failure(int status, bool transient, std::string message) {
  StepResult result;
  result.status = status;
  result.transient = transient;
  result.error_message = std::move(message);
  return result;
}

// The local store's state directory, where Nix looks for GC roots: NIX_STATE_DIR as the step's
// environment or ours says, else Nix's default.
std::string nixStateDir(const std::map<std::string, std::string>& env) {
  if (auto it = env.find("NIX_STATE_DIR"); it != env.end()) return it->second;
  if (const char* dir = ::getenv("NIX_STATE_DIR"); dir != nullptr && *dir != '\0') return dir;
  return "/nix/var/nix";
}

// `root` → `target`, plus the link in the store's gcroots/auto that makes it an indirect root
// (what `nix-store --add-root --indirect` creates). False when either cannot be made.
bool addIndirectRoot(const std::string& root, const std::string& target,
                     const std::string& state_dir) {
  std::error_code ec;
  const std::string temp = root + ".tmp";
  fs::remove(temp, ec);
  fs::create_symlink(target, temp, ec);
  if (ec) return false;
  fs::rename(temp, root, ec);
  if (ec) return false;
  const fs::path auto_dir = fs::path(state_dir) / "gcroots" / "auto";
  fs::create_directories(auto_dir, ec);
  const fs::path link = auto_dir / crypto::sha256Hex(root).substr(0, 32);
  if (fs::is_symlink(link, ec) && fs::read_symlink(link, ec) == root) return true;
  const std::string link_temp = link.string() + ".tmp";
  fs::remove(link_temp, ec);
  fs::create_symlink(root, link_temp, ec);
  if (!ec) fs::rename(link_temp, link, ec);
  return !ec;
}

// References before the paths that refer to them.
std::vector<const StorePathInfo*> topologicalOrder(const std::vector<StorePathInfo>& infos) {
  std::map<std::string, const StorePathInfo*> by_path;
  for (const StorePathInfo& info : infos) by_path[info.path] = &info;
  std::vector<const StorePathInfo*> order;
  std::set<std::string> done;
  std::set<std::string> visiting;
  // An explicit stack: (info, next reference to look at).
  for (const StorePathInfo& start : infos) {
    if (done.count(start.path)) continue;
    std::vector<std::pair<const StorePathInfo*, size_t>> stack{{&start, 0}};
    visiting.insert(start.path);
    while (!stack.empty()) {
      auto& [info, next] = stack.back();
      if (next < info->references.size()) {
        const std::string& ref = info->references[next++];
        auto it = by_path.find(ref);
        if (it == by_path.end() || ref == info->path || done.count(ref) || visiting.count(ref)) {
          continue;
        }
        visiting.insert(ref);
        stack.emplace_back(it->second, 0);
        continue;
      }
      done.insert(info->path);
      visiting.erase(info->path);
      order.push_back(info);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace

struct StepBuilder::Impl {
  std::mutex mu;
  struct Pooled {
    std::unique_ptr<ServeConnection> connection;
    int uses = 0;
  };
  std::map<std::string, std::vector<Pooled>> idle;  // by connection key
  // Paths being copied into a store right now: (connection key of the target, path).
  std::set<std::pair<std::string, std::string>> copying;
  std::condition_variable copy_done;
  std::string private_dir;  // known_hosts files; removed with the builder
  Stats stats;              // guarded by mu

  // A connection taken from the pool (or opened); back into the pool on release if usable.
  class Lease {
   public:
    Lease(Impl* impl, std::string key, Pooled pooled)
        : impl_(impl), key_(std::move(key)), pooled_(std::move(pooled)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (impl_ == nullptr || !pooled_.connection || !pooled_.connection->usable()) return;
      if (++pooled_.uses >= kMaxUses) return;
      std::lock_guard lk(impl_->mu);
      auto& list = impl_->idle[key_];
      if (list.size() < kMaxIdlePerMachine) list.push_back(std::move(pooled_));
    }
    ServeConnection& operator*() { return *pooled_.connection; }
    ServeConnection* operator->() { return pooled_.connection.get(); }
    const std::string& key() const { return key_; }

   private:
    Impl* impl_;
    std::string key_;
    Pooled pooled_;
  };

  struct Endpoint {
    std::string key;
    proc::Program program;
  };

  Result<Endpoint> endpointFor(const MachineTarget& m,
                               const std::map<std::string, std::string>& env);
  // Error: the program could not start (returned as is) or the greeting failed (`greeting_error`
  // set, the error's message is the server's or ssh's reason).
  Result<Lease> acquire(const Endpoint& endpoint, const Patience& patience, bool* greeting_error);
  Result<void> copyClosure(ServeConnection& from, Lease& to, const std::vector<std::string>& roots,
                           const Patience& patience, std::vector<StorePathInfo>* closure_infos);
};

Result<StepBuilder::Impl::Endpoint> StepBuilder::Impl::endpointFor(
    const MachineTarget& m, const std::map<std::string, std::string>& env) {
  Endpoint e;
  e.program.env = env;
  std::string env_key;
  for (const auto& [k, v] : env) env_key += "\n" + k + "=" + v;
  if (m.isLocal()) {
    e.program.argv = {"nix-store", "--serve", "--write"};
    e.key = "localhost" + env_key;
    return e;
  }
  const detail::SshAddress a = *detail::parseSsh(m.uri);
  std::string known_hosts;
  if (!m.host_key.empty()) {
    // The machines file pins the host's key: a known_hosts file with that key alone.
    const std::string line = a.host + " " + *crypto::base64Decode(m.host_key);
    known_hosts = private_dir + "/known_hosts-" + crypto::sha256Hex(line).substr(0, 16);
    std::error_code ec;
    if (!fs::exists(known_hosts, ec)) {
      const std::string temp = known_hosts + ".tmp" + std::to_string(::getpid());
      std::ofstream(temp) << line << (line.ends_with('\n') ? "" : "\n");
      fs::rename(temp, known_hosts, ec);
      if (ec) return Error::transient("cannot write " + known_hosts + ": " + ec.message());
    }
  }
  const detail::SshServe serve = detail::sshServeCommand(m, a, known_hosts);
  e.program.argv = serve.argv;
  e.key = m.uri + "\n" + serve.identity + env_key;
  return e;
}

Result<StepBuilder::Impl::Lease> StepBuilder::Impl::acquire(const Endpoint& endpoint,
                                                            const Patience& patience,
                                                            bool* greeting_error) {
  for (;;) {
    Pooled pooled;
    {
      std::lock_guard lk(mu);
      auto it = idle.find(endpoint.key);
      if (it == idle.end() || it->second.empty()) break;
      pooled = std::move(it->second.back());
      it->second.pop_back();
    }
    // One whose server exited while it sat idle is dropped (outside the lock: it is reaped).
    if (pooled.connection->alive()) return Lease(this, endpoint.key, std::move(pooled));
  }
  Result<std::unique_ptr<ServeConnection>> connection = ServeConnection::start(endpoint.program);
  if (!connection) return connection.error();
  {
    std::lock_guard lk(mu);
    stats.connections_opened += 1;
  }
  if (Result<void> greeted = (*connection)->greet(patience); !greeted) {
    *greeting_error = true;
    return greeted.error();
  }
  return Lease(this, endpoint.key, Pooled{std::move(*connection), 0});
}

Result<void> StepBuilder::Impl::copyClosure(ServeConnection& from, Lease& to,
                                            const std::vector<std::string>& roots,
                                            const Patience& patience,
                                            std::vector<StorePathInfo>* closure_infos) {
  Result<std::vector<std::string>> closure = from.queryClosure(roots, patience);
  if (!closure) return closure.error();
  Result<std::vector<StorePathInfo>> infos = from.queryPathInfos(*closure, patience);
  if (!infos) return infos.error();
  if (closure_infos != nullptr) *closure_infos = *infos;
  Result<std::set<std::string>> valid = to->queryValidPaths(*closure, patience);
  if (!valid) return valid.error();
  std::vector<StorePathInfo> missing;
  for (StorePathInfo& info : *infos) {
    if (!valid->count(info.path)) missing.push_back(std::move(info));
  }
  for (const StorePathInfo* info : topologicalOrder(missing)) {
    const std::pair<std::string, std::string> slot{to.key(), info->path};
    bool waited = false;
    {
      std::unique_lock lk(mu);
      while (copying.count(slot)) {
        waited = true;
        copy_done.wait_for(lk, 100ms);
        if (patience.stop.stop_requested()) return Error::transient("stopped");
      }
      copying.insert(slot);
    }
    Result<void> copied;
    bool needed = true;
    if (waited) {
      // Another step was copying it: most likely it is there now.
      Result<std::set<std::string>> now = to->queryValidPaths({info->path}, patience);
      if (!now) copied = now.error();
      needed = now && now->empty();
    }
    if (needed) copied = from.copyPathTo(*to, *info, patience);
    {
      std::lock_guard lk(mu);
      copying.erase(slot);
      if (copied && needed) {
        stats.paths_copied += 1;
        stats.bytes_copied += info->nar_size;
      }
    }
    copy_done.notify_all();
    if (!copied) return Error::transient("copying " + info->path + ": " + copied.error().message);
  }
  return {};
}

StepBuilder::StepBuilder() : impl_(std::make_unique<Impl>()) {
  std::string dir = (fs::temp_directory_path() / "hydrant-builder-XXXXXX").string();
  if (::mkdtemp(dir.data()) != nullptr) impl_->private_dir = dir;
}

StepBuilder::~StepBuilder() {
  closeIdle();
  std::error_code ec;
  if (!impl_->private_dir.empty()) fs::remove_all(impl_->private_dir, ec);
}

Result<std::set<std::string>> StepBuilder::validPaths(const std::vector<std::string>& paths,
                                                      std::chrono::milliseconds timeout,
                                                      std::stop_token stop) {
  if (paths.empty()) return std::set<std::string>{};
  const Patience patience{steady_clock::now() + timeout, stop};
  Result<Impl::Endpoint> here = impl_->endpointFor(MachineTarget{}, {});
  if (!here) return here.error();
  bool greeting_error = false;
  Result<Impl::Lease> local = impl_->acquire(*here, patience, &greeting_error);
  if (!local) {
    if (!greeting_error) return local.error();
    return Error::transient("nix-store --serve: " + local.error().message);
  }
  return (*local)->queryValidPaths(paths, patience);
}

StepBuilder::Stats StepBuilder::stats() const {
  std::lock_guard lk(impl_->mu);
  return impl_->stats;
}

void StepBuilder::closeIdle() {
  std::map<std::string, std::vector<Impl::Pooled>> closing;
  {
    std::lock_guard lk(impl_->mu);
    closing.swap(impl_->idle);
  }
}

Result<StepResult> StepBuilder::build(const BuildRequest& request, std::stop_token stop) {
  const auto started = steady_clock::now();
  auto done = [started](StepResult result) {
    result.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started);
    return result;
  };
  const MachineTarget& machine = request.machine;
  const std::string on = machine.isLocal() ? "" : "machine " + machine.uri + ": ";
  if (std::optional<std::string> problem = machineProblem(machine)) {
    return done(failure(kStatusAborted, true, "machine " + machine.uri + ": " + *problem));
  }
  if (stop.stop_requested()) return done(failure(kStatusAborted, true, "stopped"));
  const auto bound = (request.timeout.count() > 0 ? std::chrono::seconds(request.timeout)
                                                  : std::chrono::seconds(kNoTimeout)) +
                     kGrace;
  const Patience patience{started + bound, stop};
  // Tells the caller the machine is free: with true once below, else with false on any return.
  struct MachineFree {
    const std::function<void(bool)>& notify;
    bool told = false;
    void tell(bool outputs_valid) {
      if (!told && notify) notify(outputs_valid);
      told = true;
    }
    ~MachineFree() { tell(false); }
  } machine_free{request.on_machine_free};
  auto stopped_or = [&](int status, std::string message) {
    if (stop.stop_requested()) return done(failure(kStatusAborted, true, "stopped"));
    return done(failure(status, true, std::move(message)));
  };

  // What the build needs: the derivation, and its inputs' paths (sources and the outputs of its
  // input derivations), which a "basic" derivation lists instead of the input derivations.
  Result<Derivation> drv = readDerivation(request.drv_path);
  if (!drv) return done(failure(kStatusAborted, true, drv.error().message));
  std::set<std::string> inputs(drv->input_srcs.begin(), drv->input_srcs.end());
  for (const auto& [input_drv, names] : drv->input_drvs) {
    Result<Derivation> input = readDerivation(input_drv);
    if (!input) return done(failure(kStatusAborted, true, input.error().message));
    for (const std::string& name : names) {
      auto it = input->outputs.find(name);
      if (it == input->outputs.end() || it->second.path.empty()) {
        return done(failure(kStatusAborted, true,
                            input_drv + " has no output \"" + name + "\" with a known path"));
      }
      inputs.insert(it->second.path);
    }
  }
  const std::vector<std::string> input_paths(inputs.begin(), inputs.end());

  // The connections: the machine's, and for a remote machine the local store's for copying.
  Result<Impl::Endpoint> endpoint = impl_->endpointFor(machine, request.env);
  if (!endpoint) return done(failure(kStatusAborted, true, on + endpoint.error().message));
  bool greeting_error = false;
  Result<Impl::Lease> conn = impl_->acquire(*endpoint, patience, &greeting_error);
  if (!conn) {
    if (!greeting_error) return conn.error();  // "cannot start nix-store/ssh: …"
    return stopped_or(kStatusAborted, machine.isLocal()
                                          ? "nix-store --serve: " + conn.error().message
                                          : on + "cannot connect: " + conn.error().message);
  }
  std::optional<Impl::Lease> local;
  if (!machine.isLocal()) {
    Result<Impl::Endpoint> here = impl_->endpointFor(MachineTarget{}, request.env);
    Result<Impl::Lease> l = impl_->acquire(*here, patience, &greeting_error);
    if (!l) {
      if (!greeting_error) return l.error();
      return stopped_or(kStatusAborted, "local nix-store --serve: " + l.error().message);
    }
    local.emplace(std::move(*l));
    if (Result<void> copied = impl_->copyClosure(**local, *conn, input_paths, patience, nullptr);
        !copied) {
      return stopped_or(kStatusAborted, on + "sending the inputs: " + copied.error().message);
    }
  }

  // The build, its stderr written live to the uncompressed log.
  std::error_code ec;
  fs::create_directories(fs::path(request.log_file).parent_path(), ec);
  if (!request.gc_root_dir.empty()) fs::create_directories(request.gc_root_dir, ec);
  std::string raw_log = request.log_file;
  if (raw_log.ends_with(".bz2")) raw_log.resize(raw_log.size() - 4);
  fs::remove(request.log_file, ec);
  const int log_fd = ::open(raw_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd == -1) {
    return done(failure(kStatusAborted, true,
                        "cannot write the log " + raw_log + ": " + std::strerror(errno)));
  }
  const uint64_t log_cap = request.max_log_size > 0 ? request.max_log_size + kLogSlack : 0;
  uint64_t logged = 0;
  bool log_cap_hit = false;
  const LogSink sink = [&](std::string_view data) {
    if (log_cap > 0 && logged + data.size() > log_cap) {
      data = data.substr(0, log_cap - std::min(log_cap, logged));
      log_cap_hit = true;
    }
    for (size_t written = 0; written < data.size();) {
      const ssize_t n = ::write(log_fd, data.data() + written, data.size() - written);
      if (n == -1 && errno == EINTR) continue;
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    logged += data.size();
    return !log_cap_hit;
  };
  const ServeBuildLimits limits{request.max_silent, request.timeout, request.max_log_size};
  std::vector<StorePathInfo> output_infos;
  Result<ServeBuildResult> answer =
      (*conn)->buildDerivation(request.drv_path, *drv, input_paths, limits, sink, patience,
                               &output_infos, machine.isLocal() ? 0ms : kRemoteLogSettle);
  if (log_cap_hit) {
    const std::string note = "\n[hydrant: log limit of " + std::to_string(log_cap) +
                             " bytes reached; the build was stopped]\n";
    (void)!::write(log_fd, note.data(), note.size());
  }
  ::close(log_fd);
  auto finish = [&](StepResult result) {
    result.log_path = detail::compressLog(raw_log, stop);
    return done(std::move(result));
  };
  if (log_cap_hit) {
    return finish(failure(
        kStatusLogLimitExceeded, false,
        on + "log limit exceeded: the log grew past " + std::to_string(log_cap) + " bytes"));
  }
  if (!answer) {
    if (stop.stop_requested()) return finish(failure(kStatusAborted, true, "stopped"));
    return finish(failure(kStatusAborted, true, on + "building: " + answer.error().message));
  }
  if (!detail::builtOrValid(answer->status)) {
    const detail::StepFailure f =
        detail::stepFailureFor(answer->status, answer->error_message,
                               {request.timeout, request.max_silent, request.max_log_size});
    StepResult result = failure(f.status, f.transient, on + f.message);
    result.cacheable_failure = f.cacheable;
    return finish(std::move(result));
  }

  // The outputs: their sizes where they were built, then (remote) copied back.
  std::vector<std::string> outputs;
  for (const auto& [name, path] : request.outputs) outputs.push_back(path);
  StepResult result;
  for (const StorePathInfo& info : output_infos) {
    if (std::find(outputs.begin(), outputs.end(), info.path) != outputs.end()) {
      result.size += info.nar_size;
    }
  }
  if (output_infos.size() != outputs.size()) {
    return finish(failure(kStatusAborted, true, on + "the outputs are not valid after the build"));
  }
  result.outputs = request.outputs;
  if (request.max_output_size > 0 && result.size > request.max_output_size) {
    result.status = kStatusOutputLimitExceeded;
    result.cacheable_failure = true;
    result.error_message = on + "output limit exceeded: the outputs are " +
                           std::to_string(result.size) + " bytes, more than " +
                           std::to_string(request.max_output_size);
    return finish(std::move(result));
  }
  std::vector<StorePathInfo> closure;
  if (local) {
    if (Result<void> copied = impl_->copyClosure(**conn, *local, outputs, patience, &closure);
        !copied) {
      return finish(failure(kStatusAborted, true,
                            on + "copying the outputs back: " + copied.error().message));
    }
    machine_free.tell(true);
  } else {
    machine_free.tell(true);
    // Best effort from here on: the step has succeeded.
    Result<std::vector<std::string>> paths = (*conn)->queryClosure(outputs, patience);
    if (paths) {
      if (Result<std::vector<StorePathInfo>> infos = (*conn)->queryPathInfos(*paths, patience)) {
        closure = std::move(*infos);
      }
    }
  }
  for (const StorePathInfo& info : closure) result.closure_size += info.nar_size;

  // Rooted while the server that built or imported them still holds them as temporary roots.
  if (!request.gc_root_dir.empty()) {
    const std::string state_dir = nixStateDir(request.env);
    for (const auto& [name, path] : request.outputs) {
      const std::string root = rootFor(request, name);
      if (addIndirectRoot(root, path, state_dir)) result.gc_roots[name] = root;
    }
  }
  const std::string store_dir = fs::path(request.drv_path).parent_path().string();
  detail::readNixSupport(request.outputs, store_dir, result, stop);
  result.status = result.failed_marker ? kStatusFailedWithOutput : kStatusSuccess;
  if (result.failed_marker) {
    result.error_message = on + "the build marked itself failed (nix-support/failed)";
  }
  return finish(std::move(result));
}

}  // namespace hydrant::nix
