// Integration tests for building one step (controller/nix/builder.hh) with the real Nix programs:
// local builds in a private store, and remote builds over a real sshd on loopback into a separate
// (chroot) store. Every derivation carries a nonce, so each test builds something new.
#include "controller/nix/builder.hh"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "controller/crypto/hash.hh"
#include "controller/nix/nix.hh"
#include "controller/proc/process.hh"
#include "gtest/gtest.h"
#include "tests/support/nix_store.hh"
#include "tests/support/sshd.hh"
#include "tests/support/wait.hh"

namespace hydrant::nix {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text.substr(0, 4096);
}

::testing::AssertionResult startsWith(const std::string& text, const std::string& prefix) {
  if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not start with \"" << prefix << "\"";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

proc::RunResult mustRun(std::vector<std::string> argv) {
  proc::RunOptions options;
  options.argv = std::move(argv);
  options.timeout = 60s;
  Result<proc::RunResult> r = proc::run(options);
  EXPECT_TRUE(r && r->ok()) << options.argv.front() << ": "
                            << (r ? r->describe() + "\n" + r->err : r.error().message);
  return r ? *r : proc::RunResult{};
}

// The text of a bzip2-compressed log.
std::string decompressed(const std::string& path) {
  EXPECT_EQ(readFile(path).substr(0, 3), "BZh") << path << " is not bzip2";
  return mustRun({"bzip2", "-dc", "--", path}).out;
}

// Command lines of live processes that contain `needle`.
std::vector<std::string> processesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = readFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(needle) != std::string::npos) found.push_back(cmdline);
  }
  return found;
}

// Pids of this process's children whose command line contains `needle`.
std::vector<pid_t> childrenMentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = readFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    std::istringstream stat(readFile(entry.path() / "stat"));
    std::string pid, comm, state;
    pid_t ppid = 0;
    stat >> pid >> comm >> state >> ppid;
    if (ppid == ::getpid() && cmdline.find(needle) != std::string::npos) {
      found.push_back(std::stoi(name));
    }
  }
  return found;
}

struct Drv {
  std::string path;
  std::map<std::string, std::string> outputs;
};

class Builder : public testing::WithNixStore {
 protected:
  static void SetUpTestSuite() {
    WithNixStore::SetUpTestSuite();
    sshd_ = new testing::Sshd(store().storeDir());
    builder_ = new StepBuilder;
  }
  static void TearDownTestSuite() {
    delete builder_;
    delete sshd_;
    WithNixStore::TearDownTestSuite();
  }

  // A derivation named `name` whose builder is `/bin/sh -c script`, with PATH set and
  // `attrs` (Nix attribute definitions) added.
  Drv instantiate(const std::string& name, const std::string& script,
                  const std::string& attrs = "") {
    static std::atomic<int> counter{0};
    const std::string nonce =
        std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
        std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    const std::string file = store().root() + "/" + name + "-" + nonce + ".nix";
    std::ofstream(file) << "derivation {\n  name = " << nixString(name)
                        << ";\n  system = builtins.currentSystem;\n  builder = \"/bin/sh\";\n"
                        << "  PATH = \"/usr/bin:/bin\";\n  nonce = " << nixString(nonce) << ";\n"
                        << "  args = [ \"-c\" " << nixString(script) << " ];\n"
                        << attrs << "\n}\n";
    Drv drv;
    drv.path = mustRun({"nix-instantiate", file}).out;
    while (!drv.path.empty() && drv.path.back() == '\n') drv.path.pop_back();
    const std::string shown = mustRun({"nix", "--extra-experimental-features", "nix-command",
                                       "show-derivation", drv.path})
                                  .out;
    const nlohmann::json json = nlohmann::json::parse(shown, nullptr, false);
    if (json.is_object() && json.contains(drv.path)) {
      for (const auto& [output, info] : json[drv.path]["outputs"].items()) {
        drv.outputs[output] = info["path"].get<std::string>();
      }
    }
    EXPECT_FALSE(drv.outputs.empty()) << shown;
    return drv;
  }

  BuildRequest request(const Drv& drv) const {
    BuildRequest r;
    r.drv_path = drv.path;
    r.outputs = drv.outputs;
    r.timeout = 120s;
    r.max_silent = 120s;
    r.log_file = store().root() + "/logs/" + fs::path(drv.path).filename().string() + ".bz2";
    r.gc_root_dir = store().root() + "/gcroots";
    return r;
  }

  StepResult build(const BuildRequest& r) {
    Result<StepResult> result = builder_->build(r, {});
    EXPECT_TRUE(result.has_value()) << result.error().message;
    return result ? *result : StepResult{};
  }

  bool remoteAvailable() const { return sshd_->running(); }

  static testing::Sshd* sshd_;
  // One for the suite, as the queue has one: its connections are reused from test to test.
  static StepBuilder* builder_;
};

testing::Sshd* Builder::sshd_ = nullptr;
StepBuilder* Builder::builder_ = nullptr;

#define SKIP_WITHOUT_SSHD() \
  if (!remoteAvailable()) GTEST_SKIP() << sshd_->skipReason()

TEST_F(Builder, LocalSuccessGivesOutputsRootsProductsAndLog) {
  const Drv drv = instantiate("multi",
                              "echo building multi; mkdir -p $out; echo hi > $out/file; "
                              "echo d > $dev",
                              "outputs = [ \"out\" \"dev\" ];");
  const BuildRequest r = request(drv);
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusSuccess) << result.error_message;
  EXPECT_FALSE(result.transient);
  EXPECT_EQ(result.error_message, "");
  EXPECT_EQ(result.outputs, drv.outputs);
  ASSERT_EQ(result.gc_roots.size(), 2u);
  for (const auto& [output, path] : drv.outputs) {
    EXPECT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(fs::read_symlink(result.gc_roots.at(output)).string(), path);
  }
  // Only directories become "nix-build" products when no output declares any.
  ASSERT_EQ(result.products.size(), 1u);
  EXPECT_EQ(result.products[0].type, "nix-build");
  EXPECT_EQ(result.products[0].subtype, "");
  EXPECT_EQ(result.products[0].path, drv.outputs.at("out"));
  EXPECT_EQ(result.products[0].name, "multi");
  EXPECT_GT(result.size, 0u);
  EXPECT_GE(result.closure_size, result.size);
  EXPECT_GT(result.duration.count(), 0);
  EXPECT_EQ(result.log_path, r.log_file);
  EXPECT_TRUE(contains(decompressed(result.log_path), "building multi"));
  EXPECT_FALSE(fs::exists(r.log_file.substr(0, r.log_file.size() - 4)));  // no raw log left
}

TEST_F(Builder, LocalFailureIsPermanentAndKeepsTheLog) {
  const Drv drv = instantiate("fails", "echo about to fail; exit 3");
  const StepResult result = build(request(drv));

  EXPECT_EQ(result.status, kStatusFailed);
  EXPECT_FALSE(result.transient);
  EXPECT_TRUE(result.cacheable_failure);
  EXPECT_TRUE(contains(result.error_message, "failed with exit code 3"));
  EXPECT_TRUE(result.outputs.empty());
  EXPECT_TRUE(result.gc_roots.empty());
  EXPECT_TRUE(contains(decompressed(result.log_path), "about to fail"));
}

TEST_F(Builder, FailedMarkerGivesFailedWithOutput) {
  const Drv drv = instantiate(
      "marked", "mkdir -p $out/nix-support; echo tests failed > $out/nix-support/failed");
  const StepResult result = build(request(drv));

  EXPECT_EQ(result.status, kStatusFailedWithOutput);
  EXPECT_TRUE(result.failed_marker);
  EXPECT_FALSE(result.transient);
  EXPECT_FALSE(result.cacheable_failure);
  EXPECT_EQ(result.outputs, drv.outputs);
  EXPECT_EQ(result.gc_roots.size(), 1u);
}

TEST_F(Builder, TimeoutEndsTheBuild) {
  // It keeps printing, so only the total timeout can end it.
  const Drv drv = instantiate("ticks", "while true; do echo tick; /bin/sleep 0.2; done");
  BuildRequest r = request(drv);
  r.timeout = 1s;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusTimedOut) << result.error_message;
  EXPECT_FALSE(result.transient);
  EXPECT_FALSE(result.cacheable_failure);
  EXPECT_EQ(result.error_message, "timed out after 1 s");
  EXPECT_LT(result.duration, 30s);
  EXPECT_TRUE(contains(decompressed(result.log_path), "tick"));
}

TEST_F(Builder, SilenceEndsTheBuild) {
  const Drv drv = instantiate("silent", "echo started; /bin/sleep 60");
  BuildRequest r = request(drv);
  r.max_silent = 1s;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusTimedOut) << result.error_message;
  EXPECT_EQ(result.error_message, "timed out after 1 s of silence");
  EXPECT_LT(result.duration, 30s);
}

TEST_F(Builder, LogLimitEndsALoudBuild) {
  const Drv drv = instantiate("loud", "yes 0123456789abcdef | head -c 20000000; touch $out");
  BuildRequest r = request(drv);
  r.max_log_size = 10000;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusLogLimitExceeded) << result.error_message;
  EXPECT_FALSE(result.transient);
  EXPECT_TRUE(contains(result.error_message, "log limit exceeded"));
  const std::string log = decompressed(result.log_path);
  EXPECT_TRUE(contains(log, "0123456789abcdef"));
  EXPECT_LT(log.size(), 2u << 20);
}

TEST_F(Builder, ProductsMetricsAndReleaseNameAreRead) {
  const Drv drv = instantiate("release", R"(
    mkdir -p $out/nix-support $out/doc
    echo manual > $out/doc/manual.html
    echo readme > $out/README
    ln -s /etc $out/etc
    p=$out/nix-support/hydra-build-products
    echo "doc manual $out/doc manual.html" >> $p
    echo "file readme \"$out/README\"" >> $p
    echo "file passwd /etc/passwd" >> $p
    echo "file escape $out/etc/passwd" >> $p
    echo "file missing $out/nothing" >> $p
    echo "not a product line at all" >> $p
    printf 'tests.passed 42\nruntime 1.5 s\nbogus notanumber\n' > $out/nix-support/hydra-metrics
    echo "  hello-1.0  " > $out/nix-support/hydra-release-name
  )");
  const StepResult result = build(request(drv));
  ASSERT_EQ(result.status, kStatusSuccess) << result.error_message;
  const std::string out = drv.outputs.at("out");

  ASSERT_EQ(result.products.size(), 2u);
  EXPECT_EQ(result.products[0].type, "doc");
  EXPECT_EQ(result.products[0].subtype, "manual");
  EXPECT_EQ(result.products[0].path, out + "/doc");
  EXPECT_EQ(result.products[0].default_path, "manual.html");
  EXPECT_EQ(result.products[0].name, "doc");
  EXPECT_FALSE(result.products[0].is_regular);
  EXPECT_EQ(result.products[1].type, "file");
  EXPECT_EQ(result.products[1].path, out + "/README");
  EXPECT_TRUE(result.products[1].is_regular);
  EXPECT_EQ(result.products[1].file_size, 7u);
  EXPECT_EQ(result.products[1].sha256, crypto::sha256Hex("readme\n"));

  ASSERT_EQ(result.metrics.size(), 2u);
  EXPECT_EQ(result.metrics.at("tests.passed").value, 42);
  EXPECT_EQ(result.metrics.at("tests.passed").unit, "");
  EXPECT_EQ(result.metrics.at("runtime").value, 1.5);
  EXPECT_EQ(result.metrics.at("runtime").unit, "s");
  EXPECT_EQ(result.release_name, "hello-1.0");
}

TEST_F(Builder, MissingNixStoreCannotStart) {
  const Drv drv = instantiate("unstarted", "touch $out");
  BuildRequest r = request(drv);
  const std::string empty = store().root() + "/empty-bin";
  fs::create_directories(empty);
  r.env["PATH"] = empty;
  const Result<StepResult> result = builder_->build(r, {});

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().cls, ErrorClass::kTransient);
  EXPECT_TRUE(startsWith(result.error().message, "cannot start nix-store: "));
}

TEST_F(Builder, StopKillsTheBuildAndItsBuilder) {
  const std::string marker = "987" + std::to_string(::getpid());
  const Drv drv = instantiate("stopped", "echo started; /bin/sleep " + marker);
  const BuildRequest r = request(drv);
  std::stop_source stop;
  auto running =
      std::async(std::launch::async, [&] { return builder_->build(r, stop.get_token()); });
  const std::string raw_log = r.log_file.substr(0, r.log_file.size() - 4);
  ASSERT_TRUE(testing::eventually(
      [&] { return readFile(raw_log).find("started") != std::string::npos; }, 30s));
  stop.request_stop();
  const Result<StepResult> result = running.get();

  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->status, kStatusAborted);
  EXPECT_TRUE(result->transient);
  EXPECT_EQ(result->error_message, "stopped");
  EXPECT_TRUE(testing::eventually([&] { return processesMentioning("sleep " + marker).empty(); }))
      << processesMentioning("sleep " + marker).front();
}

TEST_F(Builder, ConnectionsAreReusedFromStepToStep) {
  ASSERT_EQ(build(request(instantiate("first", "echo one > $out"))).status, kStatusSuccess);
  const uint64_t opened = builder_->stats().connections_opened;
  for (int i = 0; i < 3; ++i) {
    const StepResult result = build(request(instantiate("again", "echo again > $out")));
    ASSERT_EQ(result.status, kStatusSuccess) << result.error_message;
  }
  EXPECT_EQ(builder_->stats().connections_opened, opened)
      << "each step started its own nix-store --serve";
}

TEST_F(Builder, AConnectionWhoseServerDiedIsReplaced) {
  ASSERT_EQ(build(request(instantiate("before", "echo 1 > $out"))).status, kStatusSuccess);
  const std::vector<pid_t> servers = childrenMentioning("nix-store --serve");
  ASSERT_FALSE(servers.empty());
  for (pid_t pid : servers) ::kill(pid, SIGKILL);
  const uint64_t opened = builder_->stats().connections_opened;
  const StepResult result = build(request(instantiate("after", "echo 2 > $out")));
  EXPECT_EQ(result.status, kStatusSuccess) << result.error_message;
  EXPECT_GT(builder_->stats().connections_opened, opened);
}

TEST_F(Builder, OutputLimitFailsTheStepAndLeavesItUnrooted) {
  const Drv drv = instantiate("big", "head -c 100000 /dev/zero > $out");
  BuildRequest r = request(drv);
  r.max_output_size = 50000;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusOutputLimitExceeded) << result.error_message;
  EXPECT_FALSE(result.transient);
  EXPECT_TRUE(result.cacheable_failure);
  EXPECT_TRUE(contains(result.error_message, "output limit exceeded"));
  EXPECT_GT(result.size, 100000u);
  EXPECT_TRUE(result.gc_roots.empty());
  EXPECT_FALSE(
      fs::exists(fs::symlink_status(r.gc_root_dir + "/" + fs::path(drv.path).stem().string())));
}

TEST_F(Builder, RemoteBuildCopiesInputsAndOutputs) {
  SKIP_WITHOUT_SSHD();
  const Drv dep = instantiate("dep", "echo from-dep > $out");
  ASSERT_EQ(build(request(dep)).status, kStatusSuccess);  // built locally, copied as an input
  const Drv drv = instantiate("remote", "echo building remotely; mkdir $out; cat $dep > $out/got",
                              "dep = builtins.storePath " + nixString(dep.outputs.at("out")) + ";");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  const StepResult result = build(r);

  ASSERT_EQ(result.status, kStatusSuccess) << result.error_message;
  const std::string out = drv.outputs.at("out");
  EXPECT_EQ(readFile(out + "/got"), "from-dep\n");  // copied back into the local store
  EXPECT_TRUE(
      fs::exists(sshd_->remoteStoreRoot() + "/nix/store/" + fs::path(out).filename().string()));
  EXPECT_EQ(fs::read_symlink(result.gc_roots.at("out")).string(), out);
  EXPECT_TRUE(contains(decompressed(result.log_path), "building remotely"));
  for (const auto& entry : fs::directory_iterator(fs::path(r.log_file).parent_path())) {
    EXPECT_FALSE(contains(entry.path().string(), ".tmp-")) << "left behind";
  }
}

TEST_F(Builder, RemoteOutputsOverTheLimitAreNotCopiedBack) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("remotebig", "head -c 100000 /dev/zero > $out");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  r.max_output_size = 50000;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusOutputLimitExceeded) << result.error_message;
  EXPECT_TRUE(result.cacheable_failure);
  EXPECT_TRUE(startsWith(result.error_message, "machine " + r.machine.uri + ": output limit"));
  const std::string name = fs::path(drv.outputs.at("out")).filename().string();
  EXPECT_TRUE(fs::exists(sshd_->remoteStoreRoot() + "/nix/store/" + name));  // built there
  EXPECT_FALSE(fs::exists(drv.outputs.at("out")));                           // never copied
}

TEST_F(Builder, ConcurrentRemoteStepsCopyASharedInputOnce) {
  SKIP_WITHOUT_SSHD();
  const Drv dep = instantiate("shared", "head -c 3000000 /dev/urandom > $out");
  ASSERT_EQ(build(request(dep)).status, kStatusSuccess);
  const std::string uses = "dep = builtins.storePath " + nixString(dep.outputs.at("out")) + ";";
  const Drv a = instantiate("usera", "wc -c < $dep > $out", uses);
  const Drv b = instantiate("userb", "wc -c < $dep > $out; echo b >> $out", uses);
  BuildRequest ra = request(a);
  BuildRequest rb = request(b);
  ra.machine = rb.machine = sshd_->machine();
  const uint64_t copied = builder_->stats().paths_copied;
  auto first = std::async(std::launch::async, [&] { return builder_->build(ra, {}); });
  auto second = std::async(std::launch::async, [&] { return builder_->build(rb, {}); });
  const Result<StepResult> ma = first.get();
  const Result<StepResult> mb = second.get();

  ASSERT_TRUE(ma && mb);
  ASSERT_EQ(ma->status, kStatusSuccess) << ma->error_message;
  ASSERT_EQ(mb->status, kStatusSuccess) << mb->error_message;
  EXPECT_EQ(readFile(a.outputs.at("out")), "3000000\n");
  // The shared input went to the machine once; each output came back once.
  EXPECT_EQ(builder_->stats().paths_copied - copied, 3u);
}

TEST_F(Builder, RemoteLogIsCompleteToItsLastLine) {
  SKIP_WITHOUT_SSHD();
  // Through ssh the log travels on a channel of its own, beside the build's answer.
  const Drv drv = instantiate("remotelog",
                              "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done; "
                              "echo the-very-last-line; touch $out");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  const StepResult result = build(r);

  ASSERT_EQ(result.status, kStatusSuccess) << result.error_message;
  const std::string log = decompressed(result.log_path);
  EXPECT_TRUE(contains(log, "line 2999\nthe-very-last-line"));
}

TEST_F(Builder, RemoteFailureIsPermanent) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("remotefail", "echo remote failing; exit 3");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusFailed) << result.error_message;
  EXPECT_FALSE(result.transient);
  EXPECT_TRUE(result.cacheable_failure);
  EXPECT_TRUE(contains(result.error_message, "failed with exit code 3"));
  EXPECT_TRUE(contains(result.error_message, r.machine.uri));
  EXPECT_TRUE(contains(decompressed(result.log_path), "remote failing"));
}

TEST_F(Builder, RemoteTimeoutIsReported) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("remotesilent", "echo started; /bin/sleep 60");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  r.max_silent = 1s;
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusTimedOut) << result.error_message;
  EXPECT_TRUE(contains(result.error_message, "timed out after 1 s of silence"));
}

TEST_F(Builder, UnreachableMachineIsTransient) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("unreachable", "touch $out");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  r.machine.uri = "ssh://root@127.0.0.1:" + std::to_string(testing::Sshd::freePort());
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusAborted);
  EXPECT_TRUE(result.transient);
  EXPECT_FALSE(result.cacheable_failure);
  EXPECT_TRUE(startsWith(result.error_message, "machine " + r.machine.uri + ": "));
  EXPECT_TRUE(contains(result.error_message, "Connection refused"));
}

TEST_F(Builder, WrongHostKeyIsTransient) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("hostkey", "touch $out");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  r.machine.host_key = sshd_->userKeyBase64();  // a valid key, but not the host's
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusAborted);
  EXPECT_TRUE(result.transient);
  EXPECT_TRUE(startsWith(result.error_message, "machine " + r.machine.uri + ": "));
  EXPECT_TRUE(contains(result.error_message, "Host key verification failed"))
      << decompressed(result.log_path);
}

TEST_F(Builder, RejectedUserKeyIsTransient) {
  SKIP_WITHOUT_SSHD();
  const Drv drv = instantiate("userkey", "touch $out");
  BuildRequest r = request(drv);
  r.machine = sshd_->machine();
  r.machine.ssh_key = sshd_->dir() + "/hostkey";  // a valid private key, not an authorized one
  const StepResult result = build(r);

  EXPECT_EQ(result.status, kStatusAborted);
  EXPECT_TRUE(result.transient);
  EXPECT_TRUE(startsWith(result.error_message, "machine " + r.machine.uri + ": "));
  EXPECT_TRUE(contains(result.error_message, "Permission denied"));
}

TEST_F(Builder, MissingSshCannotStart) {
  const Drv drv = instantiate("nossh", "touch $out");
  BuildRequest r = request(drv);
  r.machine.uri = "ssh://root@127.0.0.1:1";
  const std::string empty = store().root() + "/empty-bin";
  fs::create_directories(empty);
  r.env["PATH"] = empty;
  const Result<StepResult> result = builder_->build(r, {});

  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(startsWith(result.error().message, "cannot start ssh: "));
}

}  // namespace
}  // namespace hydrant::nix
