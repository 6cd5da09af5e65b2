#include "controller/cli.hh"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "specs/suggest.hh"

namespace hydrant::cli {

namespace {

const char* kFlagHelp[][2] = {
    {"database", "libpq URL or key=value conninfo (default: the embedded Postgres)"},
    {"state-dir", "where Hydrant keeps its state and embedded Postgres (default ./.hydrant)"},
    {"listen", "HOST:PORT of the HTTP server (default 127.0.0.1:8080)"},
    {"log-format", "text or json (default text)"},
    {"log-level", "trace, debug, info, warn, error, critical or off (default info)"},
    {"db-max-connections", "hard cap on database connections, 3-1000 (default 8)"},
    {"roles", "comma-separated singleton roles to run (default: all)"},
    {"resync-interval", "seconds between full resyncs (default 300)"},
    {"max-concurrent-evals", "evaluations at once, 1-256 (default 4)"},
    {"eval-timeout", "seconds before an evaluation is killed (default 3600)"},
    {"eval-max-memory", "MiB of address space per evaluator child, 0 = none (default 8192)"},
    {"machines-file", "build machines, Nix's format (default /etc/nix/machines)"},
    {"max-jobs", "build slots of this machine without a machines file (default 2)"},
    {"unsupported-grace", "seconds a step waits for a machine that can build it (default 120)"},
    {"max-log-size", "bytes of build log per step, 0 = no limit (default 64 MiB)"},
    {"max-output-size", "bytes (NAR) of a step's outputs, 0 = no limit (default 2 GiB)"},
    {"github-webhook-secrets-file", "file of secrets for POST /api/push-github, one per line"},
    {"gitea-webhook-secrets-file", "file of secrets for POST /api/push-gitea, one per line"},
    {"push-tokens-file", "file of bearer tokens for POST /api/push, one per line"},
    {"postgres-bin-dir", "where initdb and postgres live (default /usr/lib/postgresql/15/bin)"},
    {"postgres-user",
     "user that runs the embedded Postgres when hydrant is root (default postgres)"},
};

void printTopHelp(const std::vector<Command>& cmds) {
  std::printf(
      "hydrant — a declarative, GitOps continuous-integration controller for Nix\n\n"
      "Usage: hydrant [--config FILE] COMMAND [flags]\n\nCommands:\n");
  for (const auto& c : cmds) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf(
      "\nGlobal options:\n  --config FILE  settings file (default: ./hydrant.yaml if it "
      "exists)\n  -h, --help     show help; `hydrant COMMAND --help` for a command\n\n"
      "Exit codes: 0 ok, 1 failure, 2 usage or input error.\n");
}

void printCommandHelp(const Command& c) {
  std::printf("%s\n", c.usage.c_str());
  if (!c.options.empty()) std::printf("\nOptions:\n");
  for (const auto& o : c.options) {
    std::string spec = (o.short_name ? std::string("-") + o.short_name + ", " : "") + "--" +
                       o.name + (o.takes_value ? " VALUE" : "");
    std::printf("  %-22s %s\n", spec.c_str(), o.help.c_str());
  }
  if (c.flags.empty()) return;
  std::printf("\nFlags (each overrides the hydrant.yaml key of the same name, with _ for -):\n");
  for (const auto& f : c.flags) {
    for (const auto& h : kFlagHelp) {
      if (f == h[0]) std::printf("  --%-20s %s\n", h[0], h[1]);
    }
  }
  std::printf("  --%-20s %s\n", "config FILE", "settings file (default ./hydrant.yaml if present)");
}

int usageError(const std::string& msg) {
  std::fprintf(stderr, "hydrant: %s\n", msg.c_str());
  return kExitUsage;
}

struct Parsed {
  const Command* command = nullptr;
  std::string config_path;
  bool help = false;
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::string> operands;
  std::map<std::string, std::string> options;
};

const Option* findOption(const Command* c, const std::string& name, char short_name) {
  if (!c) return nullptr;
  for (const auto& o : c->options) {
    if ((!name.empty() && o.name == name) || (short_name && o.short_name == short_name)) return &o;
  }
  return nullptr;
}

// Takes one of the command's options at args[i] (advancing i past its value); false if args[i]
// is not one.
Result<bool> takeOption(const std::vector<std::string>& args, size_t& i, Parsed& p) {
  const std::string& a = args[i];
  std::string name, value;
  bool has_value = false;
  const Option* o = nullptr;
  if (a.size() == 2 && a[0] == '-' && a[1] != '-') {
    o = findOption(p.command, "", a[1]);
  } else if (a.rfind("--", 0) == 0) {
    name = a.substr(2);
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    o = findOption(p.command, name, 0);
  }
  if (!o) return false;
  if (o->takes_value && !has_value) {
    if (i + 1 >= args.size()) return Error::invalid("--" + o->name + " needs a value");
    value = args[++i];
  }
  if (!o->choices.empty() &&
      std::find(o->choices.begin(), o->choices.end(), value) == o->choices.end()) {
    std::string list;
    for (const auto& c : o->choices) list += (list.empty() ? "" : ", ") + c;
    return Error::invalid("--" + o->name + ": expected one of " + list + ", got \"" + value + "\"");
  }
  p.options[o->name] = value;
  return true;
}

// Splits argv into command, --config, --help, --flag[=value] pairs and operands.
Result<Parsed> parse(const std::vector<std::string>& args, const std::vector<Command>& cmds) {
  Parsed p;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto taken = takeOption(args, i, p);
    if (!taken) return taken.error();
    if (*taken) continue;
    if (a == "-h" || a == "--help") {
      p.help = true;
    } else if (a.rfind("--", 0) == 0 && a.size() > 2) {
      std::string name = a.substr(2), value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return Error::invalid("--" + name + " needs a value");
      }
      if (name == "config")
        p.config_path = value;
      else
        p.flags.emplace_back(name, value);
    } else if (!p.command) {
      for (const auto& c : cmds) {
        if (c.name == a) p.command = &c;
      }
      if (!p.command) {
        std::vector<std::string> names;
        for (const auto& c : cmds) names.push_back(c.name);
        auto near = specs::didYouMean(a, names);
        return Error::invalid("unknown command \"" + a + "\"" +
                              (near ? " (did you mean \"" + *near + "\"?)" : "") +
                              "; see hydrant --help");
      }
    } else {
      p.operands.push_back(a);
    }
  }
  return p;
}

Result<Invocation> configure(const Parsed& p) {
  Invocation inv;
  inv.operands = p.operands;
  inv.options = p.options;
  std::string path = p.config_path;
  if (path.empty() && std::filesystem::exists("hydrant.yaml")) path = "hydrant.yaml";
  if (!path.empty()) {
    auto c = config::loadFile(path);
    if (!c) return c.error();
    inv.config = *c;
    inv.config_path = path;
  }
  for (const auto& [name, value] : p.flags) {
    const auto& allowed = p.command->flags;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      auto near = specs::didYouMean(name, allowed);
      return Error::invalid("hydrant " + p.command->name + ": unknown option --" + name +
                            (near ? " (did you mean --" + *near + "?)" : ""));
    }
    if (auto r = config::applyFlag(inv.config, name, value); !r) return r.error();
  }
  if (int(p.operands.size()) > p.command->max_operands) {
    return Error::invalid("hydrant " + p.command->name + ": unexpected argument \"" +
                          p.operands[p.command->max_operands] + "\"");
  }
  return inv;
}

}  // namespace

int dispatch(int argc, char** argv, const std::vector<Command>& commands) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse(args, commands);
  if (!parsed) return usageError(parsed.error().message);
  if (!parsed->command) {
    printTopHelp(commands);
    return parsed->help ? kExitOk : kExitUsage;
  }
  if (parsed->help) {
    printCommandHelp(*parsed->command);
    return kExitOk;
  }
  auto inv = configure(*parsed);
  if (!inv) return usageError(inv.error().message);
  return parsed->command->run(*inv);
}

}  // namespace hydrant::cli
