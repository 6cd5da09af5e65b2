// The client commands: `validate`, `plan`, `get`, `log`, `trigger` and `reconcile --once`. Each
// takes the parsed invocation and returns an exit code (cli::kExit*). Main thread only.
#pragma once

#include "controller/cli.hh"

namespace hydrant::commands {

// Checks spec files offline: 0 all valid, 2 any invalid (every problem printed, located).
int validate(const cli::Invocation& inv);
// What reconciling PROJECT would change: 0 no change, 1 changes, 2 error.
int plan(const cli::Invocation& inv);
// Tables (or -o json) of projects or jobsets with their status, or of a jobset's evaluations,
// or of a project's or jobset's builds with their steps, or of the build machines the running
// queue reported: 0 ok (also when no machine status was written yet), 1 no such project or
// jobset (or no database), 2 usage error. Defined in commands_get.cc.
int get(const cli::Invocation& inv);
// Prints a build's log (--step N: that step's) from the state dir: 0 ok, 1 no such build or
// step, no step at all, or no log file (the message names the path), 2 usage error. Defined
// in commands_log.cc.
int showLog(const cli::Invocation& inv);
// Asks the running controller to look at PROJECT (or the root projects file) now; with
// PROJECT:JOBSET, has that jobset evaluated (--force: even when its inputs are unchanged):
// 0 ok, 1 no such jobset, 2 usage error or no such project.
int trigger(const cli::Invocation& inv);
// One pass over the root file and every project, then exit: 0 all Ready, 1 otherwise.
int reconcileOnce(const cli::Invocation& inv);

}  // namespace hydrant::commands
