// The commands behind `hydrant run`, `hydrant migrate` and `hydrant version`: they build the
// adapters from a Config, wire them, and return an exit code. Called by main only, on the main
// thread, after signals::blockTermination().
#pragma once

#include "controller/config.hh"

namespace hydrant::app {

// Runs every configured role until SIGTERM/SIGINT; 0 on a clean stop, 1 on a fatal error.
int run(const config::Config& config);

// Applies pending migrations and exits; 0 when the schema is up to date afterwards.
int migrate(const config::Config& config);

// Prints the version and the schema version this binary carries.
int version();

}  // namespace hydrant::app
