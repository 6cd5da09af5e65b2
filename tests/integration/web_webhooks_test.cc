// The push webhooks over HTTP against a real Postgres: a signed GitHub or Gitea push, or an
// authenticated /api/push, sets triggertime on exactly the jobsets that follow the pushed
// repository and wakes the specs reconcilers for the spec sources read from it; anything
// unauthenticated, malformed or oversized changes nothing. Secrets never show in an answer or
// the log.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "controller/crypto/hash.hh"
#include "tests/support/notes.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"
#include "tests/support/web_server.hh"

namespace hydrant::testing {
namespace {

using Strings = std::vector<std::string>;
using testing::NoteCollector;
using testing::Notes;

const Strings kGitHubSecrets = {"first-github-secret", "second-github-secret"};
const std::string kGiteaSecret = "gitea-secret";
const std::string kToken = "push-token-0123456789";

std::string githubPush(const std::string& owner_repo) {
  return nlohmann::json{{"ref", "refs/heads/main"},
                        {"after", "0123456789abcdef0123456789abcdef01234567"},
                        {"repository",
                         {{"full_name", owner_repo},
                          {"html_url", "https://github.com/" + owner_repo},
                          {"clone_url", "https://github.com/" + owner_repo + ".git"},
                          {"git_url", "git://github.com/" + owner_repo + ".git"},
                          {"ssh_url", "git@github.com:" + owner_repo + ".git"}}}}
      .dump();
}

class WebWebhooks : public ::testing::Test {
 protected:
  void SetUp() override {
    config::Config& c = web_.config();
    c.github_webhook_secrets.listed = {kGitHubSecrets[0]};
    c.github_webhook_secrets.from_file = {kGitHubSecrets[1]};
    c.gitea_webhook_secrets.listed = {kGiteaSecret};
    c.push_tokens.listed = {"another-token", kToken};
    config::ProjectsConfig root;
    root.url = "/srv/git/ci";
    root.file = "projects.json";
    c.projects = root;
    web_.start();
    seed();
    notes_ = std::make_unique<NoteCollector>(web_.conninfo(),
                                             Strings{"projects_changed", "sources_changed"});
  }

  // Project "app" reads its spec from github.com/team/app, whose jobsets follow it in three
  // spellings (and one follows a look-alike); project "ci" reads its spec from the root
  // repository (".") and has a jobset building that repository; "tool" follows a Gitea repo.
  void seed() {
    sql(R"(insert into projects (name, displayname, declfile, decltype, declvalue) values
        ('app', 'App', 'spec.json', 'git', 'https://github.com/team/app main'),
        ('ci', 'CI', 'spec.json', 'git', '.'),
        ('tool', 'Tool', null, null, null))");
    sql(R"(insert into jobsets (project, name, nixexprinput, nixexprpath, enabled) values
        ('app', 'main', 'src', 'release.nix', 1), ('app', 'ssh', 'src', 'release.nix', 3),
        ('app', 'docs', 'src', 'release.nix', 1), ('app', 'off', 'src', 'release.nix', 0),
        ('ci', 'self', 'src', 'release.nix', 1), ('tool', 'main', 'src', 'release.nix', 1))");
    sql(R"(insert into jobsets (project, name, type, flake) values
        ('app', 'flake', 1, 'github:team/app/main'))");
    sql(R"(insert into jobsetinputs (project, jobset, name, type, value) values
        ('app', 'main', 'src', 'git', 'https://github.com/Team/App.git main'),
        ('app', 'ssh', 'src', 'git', 'git@github.com:team/app.git'),
        ('app', 'ssh', 'flag', 'boolean', 'true'),
        ('app', 'docs', 'src', 'git', 'https://github.com/team/app-docs'),
        ('app', 'off', 'src', 'git', 'https://github.com/team/app'),
        ('ci', 'self', 'src', 'git', '. HEAD'),
        ('tool', 'main', 'src', 'git', 'ssh://git@gitea.local:2222/team/tool.git'))");
  }

  void sql(const std::string& statement) { sqlExec(web_.conninfo(), statement); }

  // Triggered jobsets, "project:jobset", sorted.
  Strings triggered() {
    Strings out;
    for (const auto& r : sqlExec(web_.conninfo(),
                                 "select project || ':' || name from jobsets "
                                 "where triggertime is not null order by 1")) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  }

  WebReply github(const std::string& body, const std::string& secret,
                  const std::string& event = "push") {
    return web_.request("POST", "/api/push-github",
                        {{"X-GitHub-Event", event},
                         {"X-Hub-Signature-256", "sha256=" + crypto::hmacSha256Hex(secret, body)}},
                        body);
  }

  WebReply push(const std::string& query, const std::string& token = kToken) {
    return web_.request("POST", "/api/push" + query, {{"Authorization", "Bearer " + token}}, "",
                        "text/plain");
  }

  static nlohmann::json json(const WebReply& reply) {
    EXPECT_EQ(reply.content_type, "application/json") << reply.body;
    return nlohmann::json::parse(reply.body, nullptr, false);
  }

  TestWeb web_;
  std::unique_ptr<NoteCollector> notes_;
};

TEST_F(WebWebhooks, GitHubPushTriggersExactlyTheJobsetsFollowingTheRepository) {
  const long long before = std::time(nullptr);
  const WebReply reply = github(githubPush("team/app"), kGitHubSecrets[0]);
  ASSERT_EQ(reply.status, 200) << reply.body;
  const nlohmann::json answer = json(reply);
  EXPECT_EQ(answer["jobsetsTriggered"], (Strings{"app:flake", "app:main", "app:ssh"}));
  EXPECT_EQ(answer["sourcesRefetched"], Strings{"app"});
  EXPECT_EQ(triggered(), (Strings{"app:flake", "app:main", "app:ssh"}));
  const long long at = std::stoll(sqlValue(
      web_.conninfo(), "select triggertime from jobsets where project = 'app' and name = 'main'"));
  EXPECT_GE(at, before);
  EXPECT_LE(at, std::time(nullptr));
  EXPECT_EQ(sqlValue(web_.conninfo(),
                     "select forceeval from jobsets where project = 'app' and name = 'main'"),
            "");
  EXPECT_EQ(notes_->take(), (Notes{{"projects_changed", "app"}}));
}

TEST_F(WebWebhooks, SecondOfTwoSecretsIsAccepted) {
  const WebReply reply = github(githubPush("team/app"), kGitHubSecrets[1]);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(triggered(), (Strings{"app:flake", "app:main", "app:ssh"}));
}

TEST_F(WebWebhooks, BadOrMissingSignatureIs401AndChangesNothing) {
  const std::string body = githubPush("team/app");
  const std::string good = crypto::hmacSha256Hex(kGitHubSecrets[0], body);
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> cases = {
      {"no signature", {{"X-GitHub-Event", "push"}}},
      {"another secret", {{"X-Hub-Signature-256", "sha256=" + crypto::hmacSha256Hex("x", body)}}},
      {"no sha256= prefix", {{"X-Hub-Signature-256", good}}},
      {"sha1 header", {{"X-Hub-Signature", "sha1=" + good.substr(0, 40)}}},
      {"not hex", {{"X-Hub-Signature-256", "sha256=" + std::string(64, 'z')}}},
      {"empty", {{"X-Hub-Signature-256", ""}}},
      {"gitea's header", {{"X-Gitea-Signature", good}}},
  };
  for (const auto& [name, headers] : cases) {
    SCOPED_TRACE(name);
    const WebReply reply = web_.request("POST", "/api/push-github", headers, body);
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(json(reply)["status"], 401);
    EXPECT_EQ(reply.body.find("secret"), std::string::npos) << reply.body;
  }
  // A body changed after signing.
  const WebReply tampered =
      web_.request("POST", "/api/push-github", {{"X-Hub-Signature-256", "sha256=" + good}},
                   githubPush("team/apq"));
  EXPECT_EQ(tampered.status, 401);
  EXPECT_EQ(triggered(), Strings{});
  EXPECT_EQ(notes_->take(), Notes{});
}

TEST_F(WebWebhooks, PingIsAnsweredAndTriggersNothing) {
  const std::string ping = R"({"zen": "Keep it logically awesome.", "hook_id": 1,
      "repository": {"clone_url": "https://github.com/team/app.git"}})";
  const WebReply reply = github(ping, kGitHubSecrets[0], "ping");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const nlohmann::json answer = json(reply);
  EXPECT_EQ(answer["jobsetsTriggered"], Strings{});
  EXPECT_EQ(answer["sourcesRefetched"], Strings{});
  EXPECT_EQ(answer["ignored"], "event \"ping\" is not a push");
  EXPECT_EQ(triggered(), Strings{});
  EXPECT_EQ(notes_->take(), Notes{});
}

TEST_F(WebWebhooks, SignedGarbageIs400) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "this is not json"},
      {"form encoded", "payload=%7B%22repository%22%3A%7B%7D%7D"},
      {"truncated", githubPush("team/app").substr(0, 40)},
      {"array", "[1, 2, 3]"},
      {"no repository", R"({"ref": "refs/heads/main"})"},
      {"repository without urls", R"({"repository": {"name": "app", "clone_url": 3}})"},
      {"urls naming no repository", R"({"repository": {"clone_url": "https://github.com/"}})"},
      {"deeply nested", std::string(200000, '[') + std::string(200000, ']')},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    const WebReply reply = github(body, kGitHubSecrets[0]);
    EXPECT_EQ(reply.status, 400) << reply.body.substr(0, 200);
    EXPECT_FALSE(json(reply)["error"].get<std::string>().empty());
  }
  EXPECT_EQ(triggered(), Strings{});
}

TEST_F(WebWebhooks, OversizedBodyIs413AndChangesNothing) {
  std::string body = githubPush("team/app");
  body.insert(body.size() - 1, ", \"padding\": \"" + std::string(web::kMaxBodyBytes, 'x') + "\"");
  const WebReply reply = github(body, kGitHubSecrets[0]);
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(triggered(), Strings{});
  EXPECT_EQ(notes_->take(), Notes{});
}

TEST_F(WebWebhooks, GiteaPushWithItsOwnSignature) {
  const std::string body = nlohmann::json{{"ref", "refs/heads/main"},
                                          {"repository",
                                           {{"clone_url", "http://gitea.local:3000/team/tool.git"},
                                            {"ssh_url", "ssh://git@gitea.local:2222/team/tool.git"},
                                            {"html_url", "http://gitea.local:3000/team/tool"}}}}
                               .dump();
  const std::string signature = crypto::hmacSha256Hex(kGiteaSecret, body);
  const WebReply wrong = web_.request(
      "POST", "/api/push-gitea", {{"X-Gitea-Signature", crypto::hmacSha256Hex("x", body)}}, body);
  EXPECT_EQ(wrong.status, 401);
  // A GitHub secret does not open the Gitea hook.
  const WebReply github_secret =
      web_.request("POST", "/api/push-gitea",
                   {{"X-Gitea-Signature", crypto::hmacSha256Hex(kGitHubSecrets[0], body)}}, body);
  EXPECT_EQ(github_secret.status, 401);
  EXPECT_EQ(triggered(), Strings{});
  const WebReply reply =
      web_.request("POST", "/api/push-gitea",
                   {{"X-Gitea-Event", "push"}, {"X-Gitea-Signature", signature}}, body);
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(json(reply)["jobsetsTriggered"], Strings{"tool:main"});
  EXPECT_EQ(triggered(), Strings{"tool:main"});
  const WebReply create =
      web_.request("POST", "/api/push-gitea",
                   {{"X-Gitea-Event", "create"}, {"X-Gitea-Signature", signature}}, body);
  EXPECT_EQ(create.status, 200);
  EXPECT_EQ(json(create)["ignored"], "event \"create\" is not a push");
}

TEST_F(WebWebhooks, ApiPushTriggersNamedJobsetsAndRepositories) {
  const WebReply reply = push(
      "?jobsets=ci:self,app:off,app:nosuch&repos=https://github.com/"
      "team/app-docs.git%20main&force");
  ASSERT_EQ(reply.status, 200) << reply.body;
  // A disabled jobset and one that does not exist are not triggered (as in Hydra).
  EXPECT_EQ(json(reply)["jobsetsTriggered"], (Strings{"app:docs", "ci:self"}));
  EXPECT_EQ(triggered(), (Strings{"app:docs", "ci:self"}));
  EXPECT_EQ(sqlValue(web_.conninfo(), "select forceeval from jobsets where name = 'docs'"), "t");
}

TEST_F(WebWebhooks, PushOfTheRootRepositoryRereadsTheProjectsFile) {
  const WebReply reply = push("?repos=file:///srv/git/ci/");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const nlohmann::json answer = json(reply);
  EXPECT_EQ(answer["jobsetsTriggered"], Strings{"ci:self"});
  EXPECT_EQ(answer["sourcesRefetched"], (Strings{"projects.json", "ci"}));
  EXPECT_EQ(notes_->take(), (Notes{{"sources_changed", "root"}, {"projects_changed", "ci"}}));
}

TEST_F(WebWebhooks, WrongOrMissingTokenIs401) {
  for (const auto& headers : std::vector<std::map<std::string, std::string>>{
           {},
           {{"Authorization", "Bearer wrong-token"}},
           {{"Authorization", "Bearer " + kToken + "x"}},
           {{"Authorization", "Basic " + kToken}},
           {{"Authorization", kToken}},
           {{"Authorization", "Bearer"}}}) {
    const WebReply reply = web_.request("POST", "/api/push?jobsets=ci:self", headers, "");
    EXPECT_EQ(reply.status, 401);
    ASSERT_EQ(reply.headers.count("www-authenticate"), 1u);
    EXPECT_EQ(reply.headers.at("www-authenticate"), "Bearer");
    EXPECT_EQ(reply.body.find(kToken), std::string::npos);
  }
  EXPECT_EQ(triggered(), Strings{});
}

TEST_F(WebWebhooks, MalformedApiPushIs400) {
  EXPECT_EQ(push("").status, 400);
  EXPECT_EQ(push("?jobsets=").status, 400);
  const WebReply bad = push("?jobsets=ci");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json(bad)["error"], "jobsets: \"ci\" is not PROJECT:JOBSET");
  const WebReply repo = push("?repos=https://bot:s3cret@example.org/");
  EXPECT_EQ(repo.status, 400);
  EXPECT_EQ(json(repo)["error"], "repos: item 1 is not a repository URL");
  EXPECT_EQ(triggered(), Strings{});
}

TEST_F(WebWebhooks, OnlyPostIsAllowed) {
  const WebReply reply = web_.getJson("/api/push-github");
  EXPECT_EQ(reply.status, 405);
}

// stderr, where the log goes, redirected to a file for the life of this object.
class CapturedStderr {
 public:
  CapturedStderr() : path_(dir_ / "stderr") {
    std::fflush(stderr);
    saved_ = dup(2);
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
  }
  ~CapturedStderr() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  TempDir dir_;
  std::string path_;
  int saved_ = -1;
};

TEST_F(WebWebhooks, SecretsReachNeitherTheLogNorAnAnswer) {
  CapturedStderr captured;
  Strings bodies;
  bodies.push_back(github(githubPush("team/app"), "not-a-secret").body);
  bodies.push_back(github(githubPush("team/app"), kGitHubSecrets[1]).body);
  bodies.push_back(push("?jobsets=ci:self", "wrong-token-987").body);
  bodies.push_back(push("?repos=https://bot:pa55word@github.com/team/app").body);
  const std::string log = captured.text();
  EXPECT_NE(log.find("webhook=github"), std::string::npos) << log;
  EXPECT_NE(log.find("webhook=push"), std::string::npos) << log;
  for (const std::string& secret :
       {kGitHubSecrets[0], kGitHubSecrets[1], kGiteaSecret, kToken, std::string("another-token"),
        std::string("wrong-token-987"), std::string("pa55word")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log:\n" << log;
    for (const auto& body : bodies) EXPECT_EQ(body.find(secret), std::string::npos) << body;
  }
}

TEST(WebWebhooksOff, EveryHookRefusesWithoutSecrets) {
  TestWeb web;
  web.start();
  const std::string body = githubPush("team/app");
  const WebReply github =
      web.request("POST", "/api/push-github",
                  {{"X-Hub-Signature-256", "sha256=" + crypto::hmacSha256Hex("", body)}}, body);
  EXPECT_EQ(github.status, 401);
  EXPECT_EQ(nlohmann::json::parse(github.body)["error"],
            "github webhooks are off: github_webhook_secrets is not configured");
  EXPECT_EQ(web.request("POST", "/api/push-gitea",
                        {{"X-Gitea-Signature", crypto::hmacSha256Hex("", body)}}, body)
                .status,
            401);
  EXPECT_EQ(web.request("POST", "/api/push?jobsets=a:b", {{"Authorization", "Bearer "}}, "").status,
            401);
}

}  // namespace
}  // namespace hydrant::testing
