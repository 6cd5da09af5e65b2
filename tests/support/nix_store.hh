// A private Nix store for one test (RECIPES §2, "Isolated per-test store"): store, state, log,
// config and cache directories under a fresh short /tmp directory, with a nix.conf that needs
// no network (no substituters), enables nix-command and flakes, and builds without sandbox or
// build users. Nix programs use it when its environment is set: apply() sets it on this process
// (children inherit it), env() gives it for a child started with its own environment. One test
// thread.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace hydrant::testing {

class NixStore {
 public:
  // Creates the directories and nix.conf; fails the test (and leaves root() empty) if it cannot.
  NixStore();
  // Restores the variables apply() changed, then removes the directory with everything in it.
  ~NixStore();
  NixStore(const NixStore&) = delete;
  NixStore& operator=(const NixStore&) = delete;

  const std::string& root() const { return root_; }
  // Where store paths go: root()/store.
  std::string storeDir() const { return root_ + "/store"; }
  // NIX_STORE_DIR, NIX_STATE_DIR, NIX_LOG_DIR, NIX_CONF_DIR, NIX_USER_CONF_FILES, NIX_CONFIG,
  // NIX_REMOTE and XDG_CACHE_HOME, set for this store.
  std::map<std::string, std::string> env() const;
  // Sets env() on this process until destruction.
  void apply();

 private:
  std::string root_;
  std::map<std::string, std::optional<std::string>> saved_;  // variable → value before apply()
};

// A fixture base whose test suite shares one private store, applied to this process for the
// suite's duration. Suites of one binary run one after another, so one slot serves them all.
class WithNixStore : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new NixStore;
    store_->apply();
  }
  static void TearDownTestSuite() {
    delete store_;
    store_ = nullptr;
  }
  static NixStore& store() { return *store_; }

 private:
  static inline NixStore* store_ = nullptr;
};

}  // namespace hydrant::testing
