// Config: everything `hydrant` reads from hydrant.yaml and its command-line flags, parsed once by
// main and passed down as a value. Every key is optional; flags override the file. Errors say
// where and what ("hydrant.yaml:3:5: unknown key "databse" (did you mean "database"?)").
// Plain value type; not synchronized.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "specs/model.hh"
#include "specs/result.hh"

namespace YAML {
class Node;
}

namespace hydrant::config {

enum class LogFormat { kText, kJson };

// Where the projects come from (`projects:`): a root projects file in git, or inline projects.
struct ProjectsConfig {
  std::string url;                   // git URL or local path ("" when inline); a relative path is
                                     // taken relative to the directory of hydrant.yaml
  std::string ref;                   // branch, tag or 40-hex commit; "" = the remote's HEAD
  std::string file = "projects.json";  // .json, .yaml or .yml
  std::chrono::seconds interval{60};   // between polls of the root file and of each project
  std::chrono::seconds timeout{60};    // for each git fetch
  std::optional<specs::RootFile> inline_projects;  // `inline:` projects, parsed and validated
};

// Secrets of one kind (webhook HMAC keys, bearer tokens): what the key itself lists plus what
// the file named by its `*_file` key holds, one per line, read when the configuration is. Never
// logged, never shown in a message.
struct SecretList {
  std::vector<std::string> listed;     // from the key itself, in order
  std::string file;                    // the `*_file` key's path ("" = none)
  std::vector<std::string> from_file;  // that file's secrets, in order
  // listed, then from_file.
  std::vector<std::string> all() const;
  bool operator==(const SecretList&) const = default;
};

struct Config {
  // libpq URL (postgresql://…) or key/value conninfo (host=… dbname=…). Unset: the embedded
  // Postgres in <state_dir>/pg is used. Never an empty string.
  std::optional<std::string> database;
  std::string state_dir = "./.hydrant";
  // host:port of the HTTP server; an IPv6 host is bracketed ("[::1]:8080").
  std::string listen = "127.0.0.1:8080";
  LogFormat log_format = LogFormat::kText;
  // trace, debug, info, warn, error, critical, off
  std::string log_level = "info";
  // Hard cap on the database connections this process opens (3..1000): the listener and the
  // leader lock hold one each, the rest is the pool.
  int db_max_connections = 8;
  // Singleton roles to run, each one of knownRoles(), no repeats; empty = all.
  std::vector<std::string> roles;
  // Every reconciler re-lists all its keys this often (1 s .. 1 year).
  std::chrono::seconds resync_interval{300};
  // Evaluations running at once (1..256), like Hydra's max_concurrent_evals.
  int max_concurrent_evals = 4;
  // An evaluation still running after this is killed (its whole process group).
  std::chrono::seconds eval_timeout{3600};
  // Address-space limit of each evaluator child, in MiB (64 .. 1 TiB); 0 = none. Applies to
  // that child only, never to the controller.
  int eval_max_memory_mib = 8192;
  // Build machines in Nix's machines-file format, re-read when it changes. A missing file means
  // this machine only, with max_jobs slots.
  std::string machines_file = "/etc/nix/machines";
  int max_jobs = 2;  // slots of this machine when there is no machines file (0..1024)
  // A step no machine can build waits this long for one to appear, then fails (status 9).
  std::chrono::seconds unsupported_grace{120};
  // Bytes of build log a step may write (Hydra's max_log_size), and of NAR its outputs may have
  // (max_output_size); past them the step fails with status 10 or 11. 0 = no limit.
  uint64_t max_log_size = 64ull << 20;
  uint64_t max_output_size = 2ull << 30;
  // Where the embedded Postgres' programs live.
  std::string postgres_bin_dir = "/usr/lib/postgresql/15/bin";
  // Who runs the embedded Postgres when hydrant runs as root.
  std::string postgres_user = "postgres";
  // Webhooks (POST /api/push-github, /api/push-gitea, /api/push): a push is accepted when it is
  // signed with any one of the secrets of its kind (HMAC-SHA256 of the body), or carries any one
  // of the tokens (Authorization: Bearer). None configured: that endpoint refuses every push.
  SecretList github_webhook_secrets;
  SecretList gitea_webhook_secrets;
  SecretList push_tokens;
  // Unset: Hydrant manages no projects (it still runs, serves and migrates).
  std::optional<ProjectsConfig> projects;
};

// Parses the `projects:` section (a mapping with url/ref/file/interval/timeout, or inline).
// Error (kInvalid) "FILE:LINE:COL: projects: …", or the inline projects' own diagnostics.
Result<ProjectsConfig> parseProjects(const YAML::Node& node, const std::string& filename);

// Every key the file accepts, in the order the README documents them.
const std::vector<std::string>& knownKeys();

// Every value `roles` accepts: specs, evaluator, queue, notifier.
const std::vector<std::string>& knownRoles();

// Parses a hydrant.yaml document. `filename` is only used in messages. The `*_file` keys' files
// are read here (a relative path is taken from the working directory). Error (kInvalid)
// "FILE:LINE:COL: message" (1-based) for YAML syntax errors, a top level that is not a mapping,
// more than one document, unknown keys (with a did-you-mean when a known key is close), duplicate
// keys, wrong types and out-of-range values, and secret files that cannot be read or hold no
// secret; no message ever quotes a secret. An empty document gives the defaults.
Result<Config> parseYaml(const std::string& text, const std::string& filename);

// Reads and parses a file. Error (kInvalid) "FILE: cannot read: <reason>" when it cannot be read,
// else as parseYaml.
Result<Config> loadFile(const std::string& path);

// Applies one command-line override, `key` being the flag's name without the leading "--", with
// '-' for '_' (e.g. "db-max-connections"; "db_max_connections" is unknown). Error (kInvalid)
// "--KEY: message" for a bad value or an unknown key; `config` is unchanged on error. "roles"
// and the secret lists take a comma-separated list.
Result<void> applyFlag(Config& config, const std::string& key, const std::string& value);

}  // namespace hydrant::config
