// Termination signals for the main thread. blockTermination() must run in main before any other
// thread starts, so SIGTERM/SIGINT reach only the thread that waits for them. Main thread only.
#pragma once

#include <chrono>

namespace hydrant::signals {

// Blocks SIGTERM, SIGINT and SIGHUP in this thread (and threads it starts later) and ignores
// SIGPIPE, so a closed socket is an error value instead of a dead process.
void blockTermination();

// Waits up to `d` for SIGTERM or SIGINT (SIGHUP is taken and ignored for now). Returns the
// signal number, or 0 when `d` passed without one.
int waitTermination(std::chrono::milliseconds d);

}  // namespace hydrant::signals
