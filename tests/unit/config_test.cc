#include "controller/config.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.hh"

namespace hydrant::config {
namespace {

using std::chrono::seconds;
using unit::TempDir;

void expectSameConfig(const Config& actual, const Config& expected) {
  EXPECT_EQ(actual.database, expected.database);
  EXPECT_EQ(actual.state_dir, expected.state_dir);
  EXPECT_EQ(actual.listen, expected.listen);
  EXPECT_EQ(actual.log_format, expected.log_format);
  EXPECT_EQ(actual.log_level, expected.log_level);
  EXPECT_EQ(actual.db_max_connections, expected.db_max_connections);
  EXPECT_EQ(actual.roles, expected.roles);
  EXPECT_EQ(actual.resync_interval, expected.resync_interval);
  EXPECT_EQ(actual.max_concurrent_evals, expected.max_concurrent_evals);
  EXPECT_EQ(actual.eval_timeout, expected.eval_timeout);
  EXPECT_EQ(actual.eval_max_memory_mib, expected.eval_max_memory_mib);
  EXPECT_EQ(actual.machines_file, expected.machines_file);
  EXPECT_EQ(actual.max_jobs, expected.max_jobs);
  EXPECT_EQ(actual.unsupported_grace, expected.unsupported_grace);
  EXPECT_EQ(actual.max_log_size, expected.max_log_size);
  EXPECT_EQ(actual.max_output_size, expected.max_output_size);
  EXPECT_EQ(actual.postgres_bin_dir, expected.postgres_bin_dir);
  EXPECT_EQ(actual.postgres_user, expected.postgres_user);
  EXPECT_EQ(actual.github_webhook_secrets, expected.github_webhook_secrets);
  EXPECT_EQ(actual.gitea_webhook_secrets, expected.gitea_webhook_secrets);
  EXPECT_EQ(actual.push_tokens, expected.push_tokens);
}

TEST(ConfigParse, EmptyDocumentGivesDefaults) {
  for (const std::string text : {"", "# nothing but a comment\n", "~\n", "---\n"}) {
    SCOPED_TRACE("document: " + text);
    auto config = parseYaml(text, "hydrant.yaml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->database, std::nullopt);
    EXPECT_EQ(config->state_dir, "./.hydrant");
    EXPECT_EQ(config->listen, "127.0.0.1:8080");
    EXPECT_EQ(config->log_format, LogFormat::kText);
    EXPECT_EQ(config->log_level, "info");
    EXPECT_EQ(config->db_max_connections, 8);
    EXPECT_EQ(config->roles, std::vector<std::string>{});
    EXPECT_EQ(config->resync_interval, seconds(300));
    EXPECT_EQ(config->postgres_bin_dir, "/usr/lib/postgresql/15/bin");
    EXPECT_EQ(config->postgres_user, "postgres");
    EXPECT_EQ(config->github_webhook_secrets.all(), std::vector<std::string>{});
    EXPECT_EQ(config->gitea_webhook_secrets.all(), std::vector<std::string>{});
    EXPECT_EQ(config->push_tokens.all(), std::vector<std::string>{});
  }
}

TEST(ConfigParse, FullFileSetsEveryKey) {
  const std::string text =
      "database: postgresql://hydrant@db.example/hydrant\n"
      "state_dir: /var/lib/hydrant\n"
      "listen: \"[::1]:9090\"\n"
      "log_format: json\n"
      "log_level: debug\n"
      "db_max_connections: 40\n"
      "roles: [evaluator, queue]\n"
      "resync_interval: 60\n"
      "postgres_bin_dir: /opt/pg/bin\n"
      "postgres_user: hydrant\n";
  auto config = parseYaml(text, "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  Config expected;
  expected.database = "postgresql://hydrant@db.example/hydrant";
  expected.state_dir = "/var/lib/hydrant";
  expected.listen = "[::1]:9090";
  expected.log_format = LogFormat::kJson;
  expected.log_level = "debug";
  expected.db_max_connections = 40;
  expected.roles = {"evaluator", "queue"};
  expected.resync_interval = seconds(60);
  expected.postgres_bin_dir = "/opt/pg/bin";
  expected.postgres_user = "hydrant";
  expectSameConfig(*config, expected);
}

TEST(ConfigParse, RolesMayBeACommaSeparatedString) {
  auto config = parseYaml("roles: notifier , specs\n", "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->roles, (std::vector<std::string>{"notifier", "specs"}));
}

TEST(ConfigParse, EmptyRolesMeanAll) {
  for (const std::string text : {"roles: []\n", "roles: ''\n", "roles: ' '\n"}) {
    SCOPED_TRACE(text);
    auto config = parseYaml(text, "hydrant.yaml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->roles, std::vector<std::string>{});
  }
}

TEST(ConfigParse, NullDatabaseMeansEmbeddedPostgres) {
  for (const std::string text : {"database:\n", "database: ~\n", "database: null\n"}) {
    SCOPED_TRACE(text);
    auto config = parseYaml(text, "hydrant.yaml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->database, std::nullopt);
  }
}

TEST(ConfigParse, QuotedNullIsAString) {
  auto config = parseYaml("database: \"null\"\n", "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->database, "null");
}

TEST(ConfigParse, ListenAcceptsNamesAndPortZero) {
  for (const std::string listen : {"localhost:0", "0.0.0.0:65535", "[fe80::1%eth0]:80"}) {
    auto config = parseYaml("listen: \"" + listen + "\"\n", "hydrant.yaml");
    ASSERT_TRUE(config) << config.error().message;
    EXPECT_EQ(config->listen, listen);
  }
}

TEST(KnownKeys, ListsEveryKeyInDocumentedOrder) {
  EXPECT_EQ(knownKeys(), (std::vector<std::string>{"database",
                                                   "state_dir",
                                                   "listen",
                                                   "log_format",
                                                   "log_level",
                                                   "db_max_connections",
                                                   "roles",
                                                   "resync_interval",
                                                   "max_concurrent_evals",
                                                   "eval_timeout",
                                                   "eval_max_memory",
                                                   "machines_file",
                                                   "max_jobs",
                                                   "unsupported_grace",
                                                   "max_log_size",
                                                   "max_output_size",
                                                   "postgres_bin_dir",
                                                   "postgres_user",
                                                   "github_webhook_secrets",
                                                   "github_webhook_secrets_file",
                                                   "gitea_webhook_secrets",
                                                   "gitea_webhook_secrets_file",
                                                   "push_tokens",
                                                   "push_tokens_file",
                                                   "projects"}));
  EXPECT_EQ(knownRoles(), (std::vector<std::string>{"specs", "evaluator", "queue", "notifier"}));
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string message;
};

void PrintTo(const ErrorCase& row, std::ostream* out) { *out << row.name; }

class ConfigError : public testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigError, SaysWhereAndWhat) {
  auto config = parseYaml(GetParam().text, "hydrant.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(config.error().message, GetParam().message);
}

const std::string kKnownKeys =
    "database, state_dir, listen, log_format, log_level, db_max_connections, roles, "
    "resync_interval, max_concurrent_evals, eval_timeout, eval_max_memory, machines_file, "
    "max_jobs, unsupported_grace, max_log_size, max_output_size, postgres_bin_dir, "
    "postgres_user, github_webhook_secrets, github_webhook_secrets_file, gitea_webhook_secrets, "
    "gitea_webhook_secrets_file, push_tokens, push_tokens_file, projects";
const std::string kKnownRoles = "specs, evaluator, queue, notifier";

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigError,
    testing::Values(
        ErrorCase{"UnknownKeyWithSuggestion", "log_level: info\ndatabse: postgresql://x\n",
                  "hydrant.yaml:2:1: unknown key \"databse\" (did you mean \"database\"?)"},
        ErrorCase{"UnknownKeyWithoutSuggestion", "frobnicate: 1\n",
                  "hydrant.yaml:1:1: unknown key \"frobnicate\"; known keys: " + kKnownKeys},
        ErrorCase{"DashedKeySuggestsUnderscore", "state-dir: /x\n",
                  "hydrant.yaml:1:1: unknown key \"state-dir\" (did you mean \"state_dir\"?)"},
        ErrorCase{"KeyInWrongCase", "{Listen: \"h:1\"}\n",
                  "hydrant.yaml:1:2: unknown key \"Listen\" (did you mean \"listen\"?)"},
        ErrorCase{"KeyNotAScalar", "[a]: 1\n",
                  "hydrant.yaml:1:1: expected a setting name, got a sequence"},
        ErrorCase{"StringGotSequence", "database: [a, b]\n",
                  "hydrant.yaml:1:11: database: expected a string, got a sequence"},
        ErrorCase{"StringGotMapping", "state_dir:\n  path: /x\n",
                  "hydrant.yaml:2:3: state_dir: expected a string, got a mapping"},
        ErrorCase{"StringGotNull", "log_level: info\npostgres_user:\n",
                  "hydrant.yaml:2:1: postgres_user: expected a string, got null"},
        ErrorCase{"EmptyDatabase", "database: ''\n",
                  "hydrant.yaml:1:11: database: expected a non-empty string, got \"\""},
        ErrorCase{"IntegerNotANumber", "db_max_connections: abc\n",
                  "hydrant.yaml:1:21: db_max_connections: expected an integer from 3 to 1000, "
                  "got \"abc\""},
        ErrorCase{"IntegerBelowRange", "db_max_connections: 2\n",
                  "hydrant.yaml:1:21: db_max_connections: expected an integer from 3 to 1000, "
                  "got \"2\""},
        ErrorCase{"IntegerAboveRange", "db_max_connections: 1001\n",
                  "hydrant.yaml:1:21: db_max_connections: expected an integer from 3 to 1000, "
                  "got \"1001\""},
        ErrorCase{"IntegerWithFraction", "db_max_connections: 8.5\n",
                  "hydrant.yaml:1:21: db_max_connections: expected an integer from 3 to 1000, "
                  "got \"8.5\""},
        ErrorCase{"ResyncIntervalZero", "resync_interval: 0\n",
                  "hydrant.yaml:1:18: resync_interval: expected seconds as an integer from 1 to "
                  "31536000, got \"0\""},
        ErrorCase{"ResyncIntervalOverflow", "resync_interval: 99999999999999999999\n",
                  "hydrant.yaml:1:18: resync_interval: expected seconds as an integer from 1 to "
                  "31536000, got \"99999999999999999999\""},
        ErrorCase{"ResyncIntervalWithUnit", "resync_interval: 5m\n",
                  "hydrant.yaml:1:18: resync_interval: expected seconds as an integer from 1 to "
                  "31536000, got \"5m\""},
        ErrorCase{"MaxConcurrentEvalsZero", "max_concurrent_evals: 0\n",
                  "hydrant.yaml:1:23: max_concurrent_evals: expected an integer from 1 to 256, "
                  "got \"0\""},
        ErrorCase{"EvalTimeoutWithUnit", "eval_timeout: 1h\n",
                  "hydrant.yaml:1:15: eval_timeout: expected seconds as an integer from 1 to "
                  "31536000, got \"1h\""},
        ErrorCase{"EvalMaxMemoryTooSmall", "eval_max_memory: 10\n",
                  "hydrant.yaml:1:18: eval_max_memory: expected MiB as an integer from 64 to "
                  "1048576, or 0 for no limit, got \"10\""},
        ErrorCase{"MaxOutputSizeWithUnit", "max_output_size: 2G\n",
                  "hydrant.yaml:1:18: max_output_size: expected bytes as an integer from 0 (no "
                  "limit) to 1125899906842624, got \"2G\""},
        ErrorCase{"BadLogFormat", "log_format: xml\n",
                  "hydrant.yaml:1:13: log_format: expected \"text\" or \"json\", got \"xml\""},
        ErrorCase{"BadLogLevel", "log_level: loud\n",
                  "hydrant.yaml:1:12: log_level: expected one of trace, debug, info, warn, error, "
                  "critical, off, got \"loud\""},
        ErrorCase{"ListenWithoutPort", "listen: localhost\n",
                  "hydrant.yaml:1:9: listen: expected HOST:PORT (port 0-65535), got "
                  "\"localhost\""},
        ErrorCase{"ListenPortTooLarge", "listen: 127.0.0.1:65536\n",
                  "hydrant.yaml:1:9: listen: expected HOST:PORT (port 0-65535), got "
                  "\"127.0.0.1:65536\""},
        ErrorCase{"ListenUnbracketedIpv6", "listen: \"::1:8080\"\n",
                  "hydrant.yaml:1:9: listen: expected HOST:PORT (port 0-65535), got "
                  "\"::1:8080\""},
        ErrorCase{"ListenWithoutHost", "listen: \":8080\"\n",
                  "hydrant.yaml:1:9: listen: expected HOST:PORT (port 0-65535), got \":8080\""},
        ErrorCase{"RoleWithSuggestion", "roles: [specs, evalutor]\n",
                  "hydrant.yaml:1:16: roles: unknown role \"evalutor\" (did you mean "
                  "\"evaluator\"?)"},
        ErrorCase{"RoleWithoutSuggestion", "roles: specs, builder\n",
                  "hydrant.yaml:1:8: roles: unknown role \"builder\"; known roles: " + kKnownRoles},
        ErrorCase{"RoleTrailingComma", "roles: specs,\n",
                  "hydrant.yaml:1:8: roles: unknown role \"\"; known roles: " + kKnownRoles},
        ErrorCase{"RoleRepeated", "roles:\n  - queue\n  - queue\n",
                  "hydrant.yaml:3:5: roles: duplicate role \"queue\""},
        ErrorCase{"RolesGotMapping", "roles: {queue: 1}\n",
                  "hydrant.yaml:1:8: roles: expected a list of roles or a comma-separated "
                  "string, got a mapping"},
        ErrorCase{"ValueIsQuotedWithEscapes", "log_format: \"x\\\"y\\nz\"\n",
                  "hydrant.yaml:1:13: log_format: expected \"text\" or \"json\", got "
                  "\"x\\\"y\\nz\""},
        ErrorCase{"DuplicateKey", "log_level: info\nlisten: h:1\nlog_level: debug\n",
                  "hydrant.yaml:3:1: duplicate key \"log_level\""},
        ErrorCase{"SyntaxErrorIndentation", "log_level: info\n  listen: h:1\n",
                  "hydrant.yaml:2:9: illegal map value"},
        ErrorCase{"SyntaxErrorStrayBracket", "log_level: info\nroles: [specs]]\n",
                  "hydrant.yaml:2:15: illegal flow end"},
        ErrorCase{"TopLevelSequence", "- database\n",
                  "hydrant.yaml:1:1: expected a mapping of settings, got a sequence"},
        ErrorCase{"TopLevelScalar", "database\n",
                  "hydrant.yaml:1:1: expected a mapping of settings, got \"database\""},
        ErrorCase{"TwoDocuments", "log_level: info\n---\nlog_level: debug\n",
                  "hydrant.yaml:2:1: expected one document, found a second one"},
        ErrorCase{"SecretItemNotAString", "github_webhook_secrets:\n  - s3cret-one\n  - [x]\n",
                  "hydrant.yaml:3:5: github_webhook_secrets: item 2: expected a non-empty string"},
        ErrorCase{"SecretItemEmpty", "push_tokens: [s3cret-one, '']\n",
                  "hydrant.yaml:1:27: push_tokens: item 2: expected a non-empty string"},
        ErrorCase{"SecretItemNull", "gitea_webhook_secrets:\n  -\n",
                  "hydrant.yaml:2:3: gitea_webhook_secrets: item 1: expected a non-empty string"},
        ErrorCase{"SecretRepeatedIsNotQuoted", "push_tokens: [s3cret-one, s3cret-one]\n",
                  "hydrant.yaml:1:14: push_tokens: item 2 repeats item 1"},
        ErrorCase{"SecretEmptyInCommaList", "push_tokens: 's3cret-one,,s3cret-two'\n",
                  "hydrant.yaml:1:14: push_tokens: expected secrets separated by commas, got an "
                  "empty one"},
        ErrorCase{"SecretsGotMapping", "github_webhook_secrets: {a: b}\n",
                  "hydrant.yaml:1:25: github_webhook_secrets: expected a list of secrets or a "
                  "comma-separated string, got a mapping"},
        ErrorCase{"SecretFileMissing",
                  "github_webhook_secrets_file: /nonexistent/hydrant-secrets\n",
                  "hydrant.yaml:1:30: github_webhook_secrets_file: /nonexistent/hydrant-secrets: "
                  "cannot read: No such file or directory"},
        ErrorCase{"SecretFileNotAPath", "push_tokens_file: [a]\n",
                  "hydrant.yaml:1:19: push_tokens_file: expected a file path, got a sequence"}),
    [](const testing::TestParamInfo<ErrorCase>& info) { return info.param.name; });

TEST(ConfigSecrets, ListsStringsAndFilesAddUp) {
  TempDir dir;
  const std::string file = dir.write("github.secrets", "\n  file-one  \r\n\nfile-two\n");
  auto config = parseYaml(
      "github_webhook_secrets: [one, \"two, with a comma\"]\n"
      "github_webhook_secrets_file: " +
          file +
          "\n"
          "gitea_webhook_secrets: 'a , b'\n"
          "push_tokens_file: " +
          file + "\n",
      "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->github_webhook_secrets.all(),
            (std::vector<std::string>{"one", "two, with a comma", "file-one", "file-two"}));
  EXPECT_EQ(config->github_webhook_secrets.file, file);
  EXPECT_EQ(config->gitea_webhook_secrets.all(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config->push_tokens.all(), (std::vector<std::string>{"file-one", "file-two"}));
  EXPECT_EQ(config->push_tokens.listed, std::vector<std::string>{});
}

TEST(ConfigSecrets, NullAndEmptyMeanNone) {
  auto config = parseYaml(
      "push_tokens:\ngithub_webhook_secrets: []\ngitea_webhook_secrets: ''\n"
      "push_tokens_file: ~\n",
      "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->push_tokens, SecretList{});
  EXPECT_EQ(config->github_webhook_secrets, SecretList{});
  EXPECT_EQ(config->gitea_webhook_secrets, SecretList{});
}

TEST(ConfigSecrets, FileWithoutASecretIsRefused) {
  TempDir dir;
  const std::string file = dir.write("empty.secrets", " \n\t\r\n");
  auto config = parseYaml("push_tokens_file: " + file + "\n", "hydrant.yaml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, "hydrant.yaml:1:19: push_tokens_file: " + file +
                                        ": no secret in the file (one per line)");
}

TEST(ConfigSecrets, NoMessageQuotesASecret) {
  TempDir dir;
  const std::string file = dir.write("dup.secrets", "hunter2\n");
  for (const std::string text :
       {"push_tokens: [hunter2, hunter2]\n", "push_tokens: [hunter2, '']\n",
        "push_tokens: 'hunter2,'\n", "push_tokens: [hunter2, {a: hunter2}]\n",
        "github_webhook_secrets: hunter2\ngithub_webhook_secret: hunter2\n"}) {
    SCOPED_TRACE(text);
    auto config = parseYaml(text, "hydrant.yaml");
    ASSERT_FALSE(config);
    EXPECT_EQ(config.error().message.find("hunter2"), std::string::npos) << config.error().message;
  }
  Config config;
  auto flag = applyFlag(config, "push-tokens", "hunter2,,x");
  ASSERT_FALSE(flag);
  EXPECT_EQ(flag.error().message,
            "--push-tokens: expected secrets separated by commas, got an empty one");
}

TEST(ConfigFlag, FlagsOverrideFileValues) {
  auto config =
      parseYaml("state_dir: /from/file\nlog_level: warn\ndb_max_connections: 20\nroles: [queue]\n",
                "hydrant.yaml");
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_TRUE(applyFlag(*config, "state-dir", "/from/flag"));
  ASSERT_TRUE(applyFlag(*config, "db-max-connections", "3"));
  ASSERT_TRUE(applyFlag(*config, "roles", "specs,notifier"));
  ASSERT_TRUE(applyFlag(*config, "log-format", "json"));
  EXPECT_EQ(config->state_dir, "/from/flag");
  EXPECT_EQ(config->db_max_connections, 3);
  EXPECT_EQ(config->roles, (std::vector<std::string>{"specs", "notifier"}));
  EXPECT_EQ(config->log_format, LogFormat::kJson);
  EXPECT_EQ(config->log_level, "warn");
}

TEST(ConfigFlag, EveryKeyHasAFlagThatAgreesWithTheFile) {
  TempDir dir;
  const std::string secrets = dir.write("secrets", "from-file\n");
  const std::map<std::string, std::string> values = {
      {"database", "host=db dbname=hydrant"},
      {"state_dir", "/srv/hydrant"},
      {"listen", "[::]:80"},
      {"log_format", "json"},
      {"log_level", "trace"},
      {"db_max_connections", "1000"},
      {"roles", "queue,evaluator"},
      {"resync_interval", "1"},
      {"max_concurrent_evals", "2"},
      {"eval_timeout", "30"},
      {"eval_max_memory", "512"},
      {"machines_file", "/etc/hydrant/machines"},
      {"max_jobs", "4"},
      {"unsupported_grace", "30"},
      {"max_log_size", "1000"},
      {"max_output_size", "0"},
      {"postgres_bin_dir", "/pg/bin"},
      {"postgres_user", "pg"},
      {"github_webhook_secrets", "gh-one,gh-two"},
      {"github_webhook_secrets_file", secrets},
      {"gitea_webhook_secrets", "gitea-one"},
      {"gitea_webhook_secrets_file", secrets},
      {"push_tokens", "token-one, token-two"},
      {"push_tokens_file", secrets},
  };
  std::string text;
  Config fromFlags;
  for (const auto& key : knownKeys()) {
    if (key == "projects") continue;  // a section, tested in config_projects_test.cc; no flag
    ASSERT_EQ(values.count(key), 1u) << "no test value for " << key;
    text += key + ": \"" + values.at(key) + "\"\n";
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    auto applied = applyFlag(fromFlags, flag, values.at(key));
    ASSERT_TRUE(applied) << applied.error().message;
  }
  auto fromFile = parseYaml(text, "hydrant.yaml");
  ASSERT_TRUE(fromFile) << fromFile.error().message;
  expectSameConfig(fromFlags, *fromFile);
  EXPECT_EQ(fromFlags.roles, (std::vector<std::string>{"queue", "evaluator"}));
  EXPECT_EQ(fromFlags.resync_interval, seconds(1));
  EXPECT_EQ(fromFlags.push_tokens.all(),
            (std::vector<std::string>{"token-one", "token-two", "from-file"}));
}

TEST(ConfigFlag, EmptyRolesFlagResetsToAll) {
  Config config;
  config.roles = {"queue"};
  ASSERT_TRUE(applyFlag(config, "roles", ""));
  EXPECT_EQ(config.roles, std::vector<std::string>{});
}

TEST(ConfigFlag, ErrorLeavesConfigUnchanged) {
  Config config;
  config.roles = {"queue"};
  config.db_max_connections = 12;
  EXPECT_FALSE(applyFlag(config, "roles", "specs,bogus"));
  EXPECT_FALSE(applyFlag(config, "db-max-connections", "9999"));
  EXPECT_EQ(config.roles, std::vector<std::string>{"queue"});
  EXPECT_EQ(config.db_max_connections, 12);
}

struct FlagErrorCase {
  std::string name;
  std::string key;
  std::string value;
  std::string message;
};

void PrintTo(const FlagErrorCase& row, std::ostream* out) { *out << row.name; }

class ConfigFlagError : public testing::TestWithParam<FlagErrorCase> {};

TEST_P(ConfigFlagError, NamesTheFlag) {
  Config config;
  auto applied = applyFlag(config, GetParam().key, GetParam().value);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(applied.error().message, GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigFlagError,
    testing::Values(
        FlagErrorCase{"NotAnInteger", "db-max-connections", "x",
                      "--db-max-connections: expected an integer from 3 to 1000, got \"x\""},
        FlagErrorCase{"IntegerWithSpaces", "resync-interval", " 30",
                      "--resync-interval: expected seconds as an integer from 1 to 31536000, "
                      "got \" 30\""},
        FlagErrorCase{"EmptyDatabase", "database", "",
                      "--database: expected a non-empty string, got \"\""},
        FlagErrorCase{"BadListen", "listen", "8080",
                      "--listen: expected HOST:PORT (port 0-65535), got \"8080\""},
        FlagErrorCase{"BadLogLevel", "log-level", "verbose",
                      "--log-level: expected one of trace, debug, info, warn, error, critical, "
                      "off, got \"verbose\""},
        FlagErrorCase{"BadRole", "roles", "specs,queu",
                      "--roles: unknown role \"queu\" (did you mean \"queue\"?)"},
        FlagErrorCase{"UnknownWithSuggestion", "state-dri", "/x",
                      "--state-dri: unknown option (did you mean --state-dir?)"},
        FlagErrorCase{"UnderscoreSpelling", "db_max_connections", "4",
                      "--db_max_connections: unknown option (did you mean "
                      "--db-max-connections?)"},
        FlagErrorCase{"UnknownWithoutSuggestion", "verbose", "1",
                      "--verbose: unknown option; known options: --database, --state-dir, "
                      "--listen, --log-format, --log-level, --db-max-connections, --roles, "
                      "--resync-interval, --max-concurrent-evals, --eval-timeout, "
                      "--eval-max-memory, --machines-file, --max-jobs, --unsupported-grace, "
                      "--max-log-size, --max-output-size, --postgres-bin-dir, --postgres-user, "
                      "--github-webhook-secrets, --github-webhook-secrets-file, "
                      "--gitea-webhook-secrets, --gitea-webhook-secrets-file, --push-tokens, "
                      "--push-tokens-file"}),
    [](const testing::TestParamInfo<FlagErrorCase>& info) { return info.param.name; });

TEST(ConfigLoadFile, ReadsTheFile) {
  TempDir dir;
  auto config = loadFile(dir.write("hydrant.yaml", "log_level: debug\nroles: specs\n"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_EQ(config->roles, std::vector<std::string>{"specs"});
}

TEST(ConfigLoadFile, ErrorsNameThePath) {
  TempDir dir;
  const std::string path = dir.write("hydrant.yaml", "log_level: debug\nlog_levl: info\n");
  auto config = loadFile(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message,
            path + ":2:1: unknown key \"log_levl\" (did you mean \"log_level\"?)");
}

TEST(ConfigLoadFile, MissingFileCannotBeRead) {
  TempDir dir;
  const std::string path = dir.path("missing.yaml");
  auto config = loadFile(path);
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(config.error().message, path + ": cannot read: No such file or directory");
}

TEST(ConfigLoadFile, DirectoryCannotBeRead) {
  TempDir dir;
  auto config = loadFile(dir.path(""));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message, dir.path("") + ": cannot read: Is a directory");
}

}  // namespace
}  // namespace hydrant::config
