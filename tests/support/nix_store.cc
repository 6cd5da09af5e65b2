#include "tests/support/nix_store.hh"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "controller/proc/process.hh"

namespace hydrant::testing {

namespace fs = std::filesystem;

NixStore::NixStore() {
  // Short, so store paths stay far below path-length limits.
  std::string pattern = "/tmp/hn.XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    return;
  }
  root_ = pattern;
  for (const char* dir : {"/store", "/var/log", "/etc", "/cache"})
    fs::create_directories(root_ + dir);
  std::ofstream(root_ + "/etc/nix.conf") << "substituters =\n"
                                            "experimental-features = nix-command flakes\n"
                                            "sandbox = false\n"
                                            "build-users-group =\n";
}

NixStore::~NixStore() {
  for (const auto& [name, value] : saved_) {
    if (value) {
      ::setenv(name.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
  if (root_.empty()) return;
  // Nix makes store paths read-only; without root, removing them needs write permission back.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(root_, ec);
}

std::map<std::string, std::string> NixStore::env() const {
  return {{"NIX_STORE_DIR", storeDir()},
          {"NIX_STATE_DIR", root_ + "/var"},
          {"NIX_LOG_DIR", root_ + "/var/log"},
          {"NIX_CONF_DIR", root_ + "/etc"},
          // Not the user's ~/.config/nix/nix.conf, nor settings exported by whoever runs the test.
          {"NIX_USER_CONF_FILES", root_ + "/etc/nix.conf"},
          {"NIX_CONFIG", ""},
          {"NIX_REMOTE", ""},
          // Flake sources and fetcher caches, which Nix keeps outside the store.
          {"XDG_CACHE_HOME", root_ + "/cache"}};
}

void NixStore::apply() {
  for (const auto& [name, value] : env()) {
    if (saved_.count(name) == 0) {
      const char* before = ::getenv(name.c_str());
      saved_[name] = before != nullptr ? std::optional<std::string>(before) : std::nullopt;
    }
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  // The first Nix command creates the store's database, profiles and GC roots. Two that start
  // at once on a brand-new store race on those ("creating symlink … File exists"), which a
  // store in use never sees; so the store is made ready here, by one command, first.
  proc::RunOptions init;
  init.argv = {"nix-store", "--init"};
  init.timeout = std::chrono::seconds(60);
  auto r = proc::run(init);
  EXPECT_TRUE(r && r->ok()) << "nix-store --init: " << (r ? r->err : r.error().message);
}

}  // namespace hydrant::testing
