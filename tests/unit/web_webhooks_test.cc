// The pure parts of the push webhooks: HMAC-SHA256 and the constant-time comparisons
// (controller/crypto/hash.hh), what identifies a repository in a URL, what a push event's body
// names, and which jobsets and spec sources a push reaches (controller/web/webhooks.hh).
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "controller/crypto/hash.hh"
#include "controller/web/webhooks.hh"

namespace hydrant::web {
namespace {

TEST(Hmac, MatchesRfc4231) {
  EXPECT_EQ(crypto::hmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(crypto::hmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than SHA-256's block is hashed first.
  EXPECT_EQ(crypto::hmacSha256Hex(std::string(131, '\xaa'),
                                  "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, MatchesGitHubsDocumentedExample) {
  EXPECT_EQ(crypto::hmacSha256Hex("It's a Secret to Everybody", "Hello, World!"),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

TEST(HexEqual, ComparesBytesInEitherCase) {
  EXPECT_TRUE(crypto::hexEqualConstantTime("00ff7a", "00FF7A"));
  EXPECT_FALSE(crypto::hexEqualConstantTime("00ff7a", "00ff7b"));
  EXPECT_FALSE(crypto::hexEqualConstantTime("00ff7a", "00ff7a00"));
  EXPECT_FALSE(crypto::hexEqualConstantTime("00ff7a", "00ff7"));
  EXPECT_FALSE(crypto::hexEqualConstantTime("00ff7g", "00ff7g"));
  EXPECT_FALSE(crypto::hexEqualConstantTime("", ""));
}

TEST(SecretEqual, ComparesWholeSecrets) {
  EXPECT_TRUE(crypto::secretEqualConstantTime("token-one", "token-one"));
  EXPECT_FALSE(crypto::secretEqualConstantTime("token-one", "token-on"));
  EXPECT_FALSE(crypto::secretEqualConstantTime("token-one", "token-one "));
  EXPECT_FALSE(crypto::secretEqualConstantTime("token-one", ""));
}

TEST(SignedByAny, AcceptsAnyConfiguredSecret) {
  const std::string body = R"({"ref":"refs/heads/main"})";
  const std::string by_second = crypto::hmacSha256Hex("second", body);
  EXPECT_TRUE(signedByAny(body, by_second, {"first", "second"}));
  EXPECT_FALSE(signedByAny(body, by_second, {"first"}));
  EXPECT_FALSE(signedByAny(body, by_second, {}));
  EXPECT_FALSE(signedByAny(body + " ", by_second, {"first", "second"}));
  EXPECT_FALSE(signedByAny(body, "", {"first", "second"}));
}

struct KeyCase {
  std::string name;
  std::string url;
  std::string key;
};

void PrintTo(const KeyCase& row, std::ostream* out) { *out << row.name; }

class RepoKey : public testing::TestWithParam<KeyCase> {};

TEST_P(RepoKey, IdentifiesTheRepository) { EXPECT_EQ(repoKey(GetParam().url), GetParam().key); }

INSTANTIATE_TEST_SUITE_P(
    Table, RepoKey,
    testing::Values(
        KeyCase{"GitHubCloneUrl", "https://github.com/NixOS/Hydra.git", "github.com/nixos/hydra"},
        KeyCase{"GitHubSshUrl", "git@github.com:NixOS/hydra.git", "github.com/nixos/hydra"},
        KeyCase{"GitHubGitUrl", "git://github.com/NixOS/hydra.git", "github.com/nixos/hydra"},
        KeyCase{"GitHubHtmlUrl", "https://github.com/NixOS/hydra", "github.com/nixos/hydra"},
        KeyCase{"UserAndPasswordDropped", "https://bot:s3cret@GitHub.com/NixOS/hydra/",
                "github.com/nixos/hydra"},
        KeyCase{"SshSchemeWithUser", "ssh://git@git.example.org/team/app.git",
                "git.example.org/team/app"},
        KeyCase{"DefaultPortsDropped", "https://git.example.org:443/team/app",
                "git.example.org/team/app"},
        KeyCase{"SshDefaultPortDropped", "ssh://git@git.example.org:22/team/app",
                "git.example.org/team/app"},
        KeyCase{"OtherPortKept", "ssh://git@gitea.local:2222/team/app.git",
                "gitea.local:2222/team/app"},
        KeyCase{"HostCaseFoldedPathNot", "https://Git.Example.ORG/Team/App.git",
                "git.example.org/Team/App"},
        KeyCase{"GitPlusScheme", "git+https://git.example.org/team/app?ref=main#x",
                "git.example.org/team/app"},
        KeyCase{"TrailingSlashesAndDotGit", "https://git.example.org/team/app.git//",
                "git.example.org/team/app"},
        KeyCase{"RepeatedSlashesAndDots", "https://git.example.org//team/./x/../app",
                "git.example.org/team/app"},
        KeyCase{"FileUrl", "file:///srv/git/app.git", "/srv/git/app"},
        KeyCase{"FileUrlLocalhost", "file://localhost/srv/git/app", "/srv/git/app"},
        KeyCase{"LocalPath", "/srv/git/app/", "/srv/git/app"},
        KeyCase{"WorkTreeGitDir", "/srv/work/app/.git", "/srv/work/app"},
        KeyCase{"ScpWithoutUser", "git.example.org:team/app", "git.example.org/team/app"},
        KeyCase{"Blanks", "  https://git.example.org/team/app \n", "git.example.org/team/app"},
        KeyCase{"HostOnly", "https://git.example.org/", ""}, KeyCase{"Empty", "", ""},
        KeyCase{"Dot", ".", ""}, KeyCase{"RelativeStaysRelative", "./app.git", "app"}),
    [](const testing::TestParamInfo<KeyCase>& info) { return info.param.name; });

class FlakeRepoKey : public testing::TestWithParam<KeyCase> {};

TEST_P(FlakeRepoKey, IdentifiesTheRepository) {
  EXPECT_EQ(flakeRepoKey(GetParam().url), GetParam().key);
}

INSTANTIATE_TEST_SUITE_P(
    Table, FlakeRepoKey,
    testing::Values(KeyCase{"GitHub", "github:NixOS/hydra", "github.com/nixos/hydra"},
                    KeyCase{"GitHubWithRef", "github:NixOS/hydra/nix-2.19?dir=sub",
                            "github.com/nixos/hydra"},
                    KeyCase{"GitHubEnterprise", "github:team/app?host=GHE.example.org",
                            "ghe.example.org/team/app"},
                    KeyCase{"GitLab", "gitlab:team/app/main", "gitlab.com/team/app"},
                    KeyCase{"SourceHut", "sourcehut:~user/app", "git.sr.ht/~user/app"},
                    KeyCase{"GitPlusHttps", "git+https://git.example.org/team/app.git?ref=main",
                            "git.example.org/team/app"},
                    KeyCase{"GitPlusFile", "git+file:///srv/git/app?ref=main", "/srv/git/app"},
                    KeyCase{"OwnerOnly", "github:NixOS", ""}, KeyCase{"Registry", "nixpkgs", ""},
                    KeyCase{"Tarball", "https://example.org/app.tar.gz", ""}),
    [](const testing::TestParamInfo<KeyCase>& info) { return info.param.name; });

const std::vector<std::string> kGitHubFields = {"clone_url", "ssh_url", "git_url", "html_url"};

TEST(PushedRepoUrls, ReadsTheRepositoryUrlsInOrder) {
  auto urls = pushedRepoUrls(R"({"ref": "refs/heads/main", "repository": {
      "html_url": "https://github.com/o/r", "clone_url": "https://github.com/o/r.git",
      "ssh_url": "git@github.com:o/r.git", "git_url": null, "name": "r"}})",
                             kGitHubFields);
  ASSERT_TRUE(urls) << urls.error().message;
  EXPECT_EQ(*urls, (std::vector<std::string>{"https://github.com/o/r.git", "git@github.com:o/r.git",
                                             "https://github.com/o/r"}));
}

TEST(PushedRepoUrls, SaysWhatIsWrongWithABody) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"payload=%7B%7D",
       "the body is not JSON (set the webhook's content type to application/json)"},
      {"{\"repository\": ",
       "the body is not JSON (set the webhook's content type to "
       "application/json)"},
      {"[1, 2]", "the body is not a JSON object"},
      {"{\"ref\": \"refs/heads/main\"}", "the event has no \"repository\" object"},
      {"{\"repository\": \"https://github.com/o/r\"}", "the event has no \"repository\" object"},
      {"{\"repository\": {\"clone_url\": 7, \"ssh_url\": \"\"}}",
       "the repository names no URL (clone_url, ssh_url, git_url, html_url)"},
  };
  for (const auto& [body, message] : cases) {
    SCOPED_TRACE(body);
    auto urls = pushedRepoUrls(body, kGitHubFields);
    ASSERT_FALSE(urls);
    EXPECT_EQ(urls.error().cls, ErrorClass::kInvalid);
    EXPECT_EQ(urls.error().message, message);
  }
}

TEST(RepoNeedles, AreTheLastSegmentsLowerCased) {
  EXPECT_EQ(repoNeedles({"github.com/nixos/hydra", "git.example.org/Team/App", "/srv/git/app"}),
            (std::vector<std::string>{"app", "hydra"}));
}

db::PushJobsetRow jobset(std::string project, std::string name, std::vector<std::string> git,
                         std::string declvalue = "https://git.example.org/specs.git main") {
  db::PushJobsetRow row;
  row.project = std::move(project);
  row.jobset = std::move(name);
  row.git_values = std::move(git);
  row.decltype_ = "git";
  row.declvalue = std::move(declvalue);
  return row;
}

TEST(MatchPush, MatchesGitInputsWhateverTheirSpelling) {
  const std::set<std::string> keys = {repoKey("https://github.com/team/app.git")};
  const std::vector<db::PushJobsetRow> rows = {
      jobset("p", "https", {"https://github.com/Team/App main"}),
      jobset("p", "ssh", {"other https://x.org/y", "git@github.com:team/app.git"}),
      jobset("p", "other", {"https://github.com/team/app-docs main"}),
      jobset("p", "fork", {"https://github.com/someone/app"}),
  };
  const PushMatch m = matchPush(keys, rows, {}, "");
  EXPECT_EQ(m.jobsets,
            (std::vector<std::pair<std::string, std::string>>{{"p", "https"}, {"p", "ssh"}}));
  EXPECT_TRUE(m.projects.empty());
  EXPECT_FALSE(m.root);
}

TEST(MatchPush, ResolvesRelativeUrlsAsTheControllerDoes) {
  // The root source is /srv/git/ci; project "hello" reads its spec from "." (the root
  // repository), and its jobset "main" builds "../app" next to it.
  const std::string root = "/srv/git/ci";
  const std::vector<db::PushJobsetRow> rows = {
      jobset("hello", "main", {"../app main"}, "."),
      jobset("hello", "self", {". HEAD"}, "."),
  };
  const std::vector<db::DeclarativeSourceRow> sources = {{"hello", "."},
                                                         {"other", "file:///srv/git/other"}};
  PushMatch app = matchPush({repoKey("file:///srv/git/app.git")}, rows, sources, root);
  EXPECT_EQ(app.jobsets, (std::vector<std::pair<std::string, std::string>>{{"hello", "main"}}));
  EXPECT_TRUE(app.projects.empty());
  EXPECT_FALSE(app.root);

  PushMatch ci = matchPush({repoKey("/srv/git/ci/")}, rows, sources, root);
  EXPECT_EQ(ci.jobsets, (std::vector<std::pair<std::string, std::string>>{{"hello", "self"}}));
  EXPECT_EQ(ci.projects, std::vector<std::string>{"hello"});
  EXPECT_TRUE(ci.root);
}

TEST(MatchPush, FlakesAndGeneratedJobsetsDeclInput) {
  db::PushJobsetRow flake = jobset("p", "flake", {});
  flake.flake = "github:team/app/main";
  db::PushJobsetRow generated = jobset("p", ".jobsets", {}, "https://github.com/team/app main");
  generated.generated = true;
  db::PushJobsetRow plain = jobset("p", "plain", {}, "https://github.com/team/app main");
  const PushMatch m = matchPush({"github.com/team/app"}, {flake, generated, plain}, {}, "");
  EXPECT_EQ(m.jobsets,
            (std::vector<std::pair<std::string, std::string>>{{"p", "flake"}, {"p", ".jobsets"}}));
}

}  // namespace
}  // namespace hydrant::web
