# Shared by .ci/up and .ci/test: install what is missing, then build. Idempotent: a second run
# installs nothing and rebuilds only what changed. Sourced, not run.

HYDRANT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HYDRANT_BUILD=${HYDRANT_BUILD:-$HYDRANT_ROOT/build}

# Everything Hydrant builds with, runs (Postgres, nix, git, ssh) and tests with, from Debian 12.
HYDRANT_PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libyaml-cpp-dev nlohmann-json3-dev libgit2-dev libpqxx-dev libcurl4-openssl-dev
  libboost-dev libboost-filesystem-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libcpp-httplib-dev libpugixml-dev libsodium-dev libbz2-dev libssl-dev
  postgresql nix-bin git openssh-server openssh-client xz-utils bzip2 curl ca-certificates
  clang libclang-rt-14-dev python3-jsonschema chromium
)

say() { printf '==> %s\n' "$*" >&2; }

missing_packages() {
  local p
  for p in "${HYDRANT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

ensure_packages() {
  local missing
  missing=$(missing_packages)
  if [ -z "$missing" ]; then
    say "Debian packages: all present"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages (run as root, or install them):" $missing
    return 1
  fi
  say "installing Debian packages:" $missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
}

# Configures (once) and builds the given targets (all when none), warnings as errors.
build() {
  local launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f "$HYDRANT_BUILD/build.ninja" ]; then
    say "configuring in $HYDRANT_BUILD"
    cmake -S "$HYDRANT_ROOT" -B "$HYDRANT_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DHYDRANT_WERROR=ON "${launcher[@]}" >/dev/null
  fi
  say "building ${*:-everything}"
  # Two compile jobs: a third only swaps on a 2-core machine with these heavy headers.
  ninja -C "$HYDRANT_BUILD" -j "${HYDRANT_JOBS:-2}" "$@"
}
