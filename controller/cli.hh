// The `hydrant` command line: global options, subcommands with --help each, flags that
// override hydrant.yaml, and the exit-code convention (0 ok, 1 failure, 2 usage or input error).
// Parsing only; what each command does is given by main. Not synchronized (main thread).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/config.hh"

namespace hydrant::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Invocation {
  config::Config config;              // defaults < hydrant.yaml < flags
  std::string config_path;            // "" when no file was read
  std::vector<std::string> operands;  // non-flag arguments after the command
  std::map<std::string, std::string> options;  // the command's own options ("" for switches)

  std::string option(const std::string& name, const std::string& fallback = "") const {
    auto it = options.find(name);
    return it == options.end() ? fallback : it->second;
  }
};

// An option of one command (not a config key), e.g. `-o json` or `--once`.
struct Option {
  std::string name;        // long name, without dashes
  char short_name = 0;     // e.g. 'o' for -o; 0 for none
  bool takes_value = true;
  std::string help;
  std::vector<std::string> choices;  // allowed values; empty = any
};

struct Command {
  std::string name;
  std::string summary;             // one line for `hydrant --help`
  std::string usage;               // "hydrant run [flags]" plus a paragraph
  std::vector<std::string> flags;  // config flags it accepts (names without dashes)
  int max_operands = 0;
  std::function<int(const Invocation&)> run;
  std::vector<Option> options;  // the command's own options
};

// Parses argv, prints help or errors (to stdout / stderr), runs the command; returns the exit code.
// `hydrant.yaml` in the working directory is read when --config is not given and it exists.
int dispatch(int argc, char** argv, const std::vector<Command>& commands);

}  // namespace hydrant::cli
