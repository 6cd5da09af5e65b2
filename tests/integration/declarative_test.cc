// Declarative projects end to end below the CLI: real git repositories in temp dirs, the real
// source and project reconcilers, a real Postgres. A user commits; the database follows.
#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>

#include "controller/db/database.hh"
#include "controller/db/projects.hh"
#include "controller/git/mirrors.hh"
#include "reconcilers/project_reconciler.hh"
#include "reconcilers/source_reconciler.hh"
#include "reconcilers/spec_reader.hh"
#include "specs/parse.hh"
#include "tests/support/git_repo.hh"
#include "tests/support/pg_cluster.hh"

namespace hydrant {
namespace {

using namespace std::chrono_literals;
using testing::GitRepo;
using testing::TestCluster;

const char* kTwoJobsets = R"({
  "main": { "nixexprinput": "src", "nixexprpath": "release.nix", "checkinterval": 300,
            "inputs": { "src": { "type": "git", "value": "https://example.org/hello.git main" } } },
  "staging": { "type": 1, "flake": "git+https://example.org/hello?ref=staging" }
})";

std::string rootFile(const std::string& repo, const std::string& prune = "disable",
                     const std::string& extra_project = "") {
  return R"({ "hello": { "displayname": "Hello", "prune": ")" + prune +
         R"(", "declarative": { "file": "spec.json", "type": "git", "value": ")" + repo +
         R"( main" } })" + extra_project + "}";
}

class Declarative : public ::testing::Test {
 protected:
  Declarative()
      : conninfo_(TestCluster::get().freshDatabase()),
        db_(conninfo_, 4),
        root_(dir_ / "root"),
        hello_(dir_ / "hello"),
        mirrors_(dir_ / "git"),
        reader_(mirrors_, root_.dir(), 30s),
        projects_(db_, reader_, {60s, [] { return 0.5; }}) {}

  runtime::Outcome syncRoot() {
    reconcilers::SourceReconciler source(db_, reader_, {root_.dir(), "main", "projects.json", {}},
                                         {60s, [] { return 0.5; }});
    return source.reconcile("root", {});
  }
  runtime::Outcome sync(const std::string& project = "hello") {
    return projects_.reconcile(project, {});
  }
  std::optional<db::ProjectRow> project(const std::string& name = "hello") {
    return *db_.read<std::optional<db::ProjectRow>>(
        [&](db::ReadTx& tx) { return db::loadProject(tx, name); });
  }
  std::map<std::string, db::JobsetRow> jobsets(const std::string& name = "hello") {
    std::map<std::string, db::JobsetRow> out;
    auto rows = db_.read<std::vector<db::JobsetRow>>(
        [&](db::ReadTx& tx) { return db::listJobsets(tx, name); });
    for (auto& r : *rows) out[r.spec.name] = r;
    return out;
  }
  // Every row version in the tables the reconcilers write: equal before and after means that
  // nothing was written at all.
  std::string rowVersions() {
    pqxx::connection c(conninfo_);
    pqxx::read_transaction tx(c);
    return tx.exec1("select coalesce((select string_agg(xmin::text, ',' order by name) from "
                    "projects), '') || '|' || coalesce((select string_agg(xmin::text, ',' order "
                    "by id) from jobsets), '') || '|' || (select count(*) from events) || '|' || "
                    "coalesce((select string_agg(xmin::text, ',') from sources), '')")[0]
        .as<std::string>();
  }
  std::vector<std::string> events(const std::string& key) {
    pqxx::connection c(conninfo_);
    pqxx::read_transaction tx(c);
    std::vector<std::string> out;
    for (const auto& r : tx.exec_params("select action || ' ' || coalesce(revision, '') || ' ' || "
                                        "message from events where object_key = $1 order by id",
                                        key)) {
      out.push_back(r[0].as<std::string>());
    }
    return out;
  }
  void expectReady(const runtime::Outcome& out) {
    ASSERT_TRUE(std::holds_alternative<runtime::RequeueAfter>(out))
        << (std::holds_alternative<Error>(out) ? std::get<Error>(out).message : "done");
  }
  void setUpHello(const std::string& spec = kTwoJobsets, const std::string& prune = "disable") {
    hello_rev_ = hello_.commit("spec.json", spec);
    root_.commit("projects.json", rootFile(hello_.dir(), prune));
    expectReady(syncRoot());
    expectReady(sync());
  }

  testing::TempDir dir_;
  std::string conninfo_;
  db::Database db_;
  GitRepo root_, hello_;
  git::Mirrors mirrors_;
  reconcilers::SpecReader reader_;
  reconcilers::ProjectReconciler projects_;
  std::string hello_rev_;
};

TEST_F(Declarative, ACommittedSpecBecomesRowsReadyAtItsCommit) {
  setUpHello();
  auto p = project();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->spec.displayname, "Hello");
  EXPECT_EQ(p->status.condition, "Ready");
  EXPECT_EQ(p->observed_revision, hello_rev_);
  auto js = jobsets();
  ASSERT_EQ(js.size(), 2u);
  EXPECT_EQ(js["main"].spec.nixexprinput, "src");
  EXPECT_EQ(js["main"].spec.inputs.at(0).value, "https://example.org/hello.git main");
  EXPECT_EQ(js["staging"].spec.flake, "git+https://example.org/hello?ref=staging");
  for (auto& [name, j] : js) {
    EXPECT_EQ(j.status.condition, "Ready") << name;
    EXPECT_EQ(j.observed_revision, hello_rev_) << name;
  }
  EXPECT_EQ(events("hello:main"), std::vector<std::string>{"create " + hello_rev_ + " created"});
  EXPECT_EQ(events("hello").size(), 1u);  // the project row itself
}

TEST_F(Declarative, ChangingOneKeyIsOneUpdateOfOneJobset) {
  setUpHello();
  std::string spec = kTwoJobsets;
  spec.replace(spec.find("300"), 3, "60");
  std::string rev = hello_.commit("spec.json", spec);
  expectReady(sync());
  auto js = jobsets();
  EXPECT_EQ(js["main"].spec.checkinterval, 60);
  EXPECT_EQ(js["main"].observed_revision, rev);
  EXPECT_EQ(js["staging"].observed_revision, hello_rev_) << "an unchanged jobset is not rewritten";
  auto ev = events("hello:main");
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[1], "update " + rev + " checkinterval: 300 → 60");
}

TEST_F(Declarative, AnUnchangedSpecWritesNothing) {
  setUpHello();
  std::string before = rowVersions();
  expectReady(syncRoot());
  expectReady(sync());
  EXPECT_EQ(rowVersions(), before);
}

TEST_F(Declarative, ANewCommitWithTheSameSpecOnlyMovesTheProjectsRevision) {
  setUpHello();
  auto js_before = jobsets();
  std::string rev = hello_.commit("README", "unrelated");
  expectReady(sync());
  EXPECT_EQ(project()->observed_revision, rev);
  auto js = jobsets();
  EXPECT_EQ(js["main"].observed_revision, hello_rev_);
  EXPECT_EQ(events("hello:main").size(), 1u);
}

TEST_F(Declarative, ARemovedJobsetIsDisabledAndHiddenWithItsHistoryKept) {
  setUpHello();
  std::string rev = hello_.commit("spec.json", R"({ "staging": { "type": 1, "flake": "x" } })");
  expectReady(sync());
  auto js = jobsets();
  ASSERT_EQ(js.count("main"), 1u);
  EXPECT_EQ(js["main"].spec.enabled, specs::Enabled::kDisabled);
  EXPECT_TRUE(js["main"].spec.hidden);
  EXPECT_EQ(js["main"].status.reason, "LeftSpec");
  EXPECT_EQ(events("hello:main").back(), "disable " + rev + " disabled and hidden: it left the spec");
}

TEST_F(Declarative, PruneDeleteDeletesAJobsetWithoutBuildsAndDisablesOneWithBuilds) {
  setUpHello(kTwoJobsets, "delete");
  {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    tx.exec("insert into builds (jobset_id, job, drvpath, system, timestamp, finished) select id, "
            "'hello', '/nix/store/x-hello.drv', 'x86_64-linux', 1, 0 from jobsets where name = "
            "'staging'");
    tx.commit();
  }
  hello_.commit("spec.json", "{}");
  expectReady(sync());
  auto js = jobsets();
  EXPECT_EQ(js.count("main"), 0u) << "no builds: deleted";
  ASSERT_EQ(js.count("staging"), 1u) << "has builds: kept";
  EXPECT_EQ(js["staging"].spec.enabled, specs::Enabled::kDisabled);
  EXPECT_TRUE(js["staging"].spec.hidden);
}

TEST_F(Declarative, ABrokenCommitStallsTheProjectAndKeepsEveryRow) {
  setUpHello();
  std::string before = rowVersions();
  hello_.commit("spec.json", R"({
  "main": { "flakeref": "github:x/y", "type": 1 }
})");
  expectReady(sync());  // stalled, looking again at the next poll
  auto p = project();
  EXPECT_EQ(p->status.condition, "Stalled");
  EXPECT_EQ(p->status.ready, "False");
  EXPECT_EQ(p->status.reason, "InvalidSpec");
  EXPECT_NE(p->status.message.find(
                "spec.json:2:13: jobset \"main\": unknown key \"flakeref\" (did you mean \"flake\"?)"),
            std::string::npos)
      << p->status.message;
  EXPECT_EQ(p->observed_revision, hello_rev_) << "the last applied revision stays in force";
  auto js = jobsets();
  EXPECT_EQ(js["main"].spec.nixexprinput, "src");
  EXPECT_EQ(js["staging"].spec.enabled, specs::Enabled::kEnabled);

  std::string fixed = hello_.commit("spec.json", kTwoJobsets);
  expectReady(sync());
  EXPECT_EQ(project()->status.condition, "Ready");
  EXPECT_EQ(project()->observed_revision, fixed);
}

TEST_F(Declarative, OneProjectsBrokenSpecDoesNotStopAnother) {
  GitRepo other(dir_ / "other");
  other.commit("spec.json", R"({ "nightly": { "type": 1, "flake": "x" } })");
  hello_.commit("spec.json", R"({ "main": { "type": 7 } })");
  root_.commit("projects.json",
               rootFile(hello_.dir(), "disable",
                        R"(, "other": { "declarative": { "file": "spec.json", "type": "git", "value": ")" +
                            other.dir() + R"(" } })"));
  expectReady(syncRoot());
  expectReady(sync("hello"));
  expectReady(sync("other"));
  EXPECT_EQ(project("hello")->status.condition, "Stalled");
  EXPECT_EQ(project("other")->status.condition, "Ready");
  EXPECT_EQ(jobsets("other").count("nightly"), 1u);
}

TEST_F(Declarative, ARepositoryThatDisappearsIsATransientErrorAndStateIsKept) {
  setUpHello();
  std::filesystem::remove_all(hello_.dir());
  auto out = sync();
  ASSERT_TRUE(std::holds_alternative<Error>(out));
  EXPECT_EQ(std::get<Error>(out).cls, ErrorClass::kTransient);
  auto p = project();
  EXPECT_EQ(p->status.condition, "Reconciling");
  EXPECT_EQ(p->status.reason, "FetchFailed");
  EXPECT_NE(p->status.message.find(hello_.dir()), std::string::npos) << p->status.message;
  EXPECT_EQ(jobsets().size(), 2u);
}

TEST_F(Declarative, GeneratedModeConfiguresTheJobsetsJobset) {
  setUpHello(R"({ "nixexprinput": "src", "nixexprpath": "jobsets.nix", "checkinterval": 600,
                  "inputs": { "src": { "type": "git", "value": "https://example.org/gen.git" } } })");
  auto js = jobsets();
  ASSERT_EQ(js.size(), 1u);
  const auto& gen = js[".jobsets"];
  EXPECT_EQ(gen.spec.nixexprpath, "jobsets.nix");
  EXPECT_EQ(gen.spec.checkinterval, 600);
  EXPECT_TRUE(gen.triggertime.has_value()) << "created with a trigger, as Hydra does";
}

TEST_F(Declarative, AProjectThatLeavesTheRootFileIsDisabledOrDeletedByItsPrune) {
  setUpHello();
  root_.commit("projects.json", "{}");
  expectReady(syncRoot());
  auto p = project();
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->spec.enabled);
  EXPECT_TRUE(p->spec.hidden);
  EXPECT_EQ(jobsets()["main"].spec.enabled, specs::Enabled::kDisabled);

  root_.commit("projects.json", rootFile(hello_.dir(), "delete"));
  expectReady(syncRoot());
  EXPECT_TRUE(project()->spec.enabled);
  root_.commit("projects.json", "{}");
  expectReady(syncRoot());
  EXPECT_FALSE(project().has_value()) << "prune: delete and no builds: deleted";
}

TEST_F(Declarative, ABrokenRootFileChangesNoProject) {
  setUpHello();
  std::string before = rowVersions();
  root_.commit("projects.json", R"({ "hello": { "declarativ": {} } })");
  expectReady(syncRoot());
  auto p = project();
  EXPECT_TRUE(p->spec.enabled);
  pqxx::connection c(conninfo_);
  pqxx::read_transaction tx(c);
  auto src = tx.exec1("select condition, condition_message from sources");
  EXPECT_EQ(src[0].as<std::string>(), "Stalled");
  EXPECT_NE(src[1].as<std::string>().find("did you mean \"declarative\"?"), std::string::npos)
      << src[1].as<std::string>();
}

TEST_F(Declarative, InlineProjectsNeedNoRootRepository) {
  hello_rev_ = hello_.commit("spec.json", kTwoJobsets);
  auto root = specs::parseRootFile(rootFile(hello_.dir()), "hydrant.yaml");
  ASSERT_TRUE(root) << root.error().message;
  reconcilers::SourceReconciler source(db_, reader_, {"", "", "", *root, "hydrant.yaml"},
                                       {60s, [] { return 0.5; }});
  expectReady(source.reconcile("root", {}));
  expectReady(sync());
  EXPECT_EQ(project()->declared_by, "inline");
  EXPECT_EQ(jobsets().size(), 2u);
}

TEST_F(Declarative, ARelativeDeclarativeUrlIsResolvedAgainstTheRootRepository) {
  hello_rev_ = hello_.commit("spec.json", kTwoJobsets);
  root_.commit("projects.json", rootFile("../hello"));
  expectReady(syncRoot());
  expectReady(sync());
  EXPECT_EQ(project()->observed_revision, hello_rev_);
}

}  // namespace
}  // namespace hydrant
