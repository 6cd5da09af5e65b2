// The evaluation, build and job endpoints (controller/web/pages_builds.cc and pages_jobs.cc) over
// HTTP against a real database seeded with SQL: Hydra's JSON field names, the comparison of an
// evaluation with the previous one, the queue's reasons, logs (bzip2 decompressed on the fly),
// redirects, shields.io JSON and SVG badges, 400/404, and names that must render as text.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "controller/compress/bzip2.hh"
#include "controller/logs.hh"
#include "tests/support/pg_cluster.hh"
#include "tests/support/sql.hh"
#include "tests/support/web_server.hh"

namespace hydrant::testing {
namespace {

using nlohmann::json;

// A job name that tries everything: markup, both quotes and an ampersand.
const std::string kEvilJob = "<script>alert(1)</script>\"it's\"&co";
const std::string kEvilJobPath = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22it's%22%26co";

std::set<std::string> keys(const json& object) {
  std::set<std::string> out;
  for (const auto& [k, v] : object.items()) out.insert(k);
  return out;
}

// Every key of `expected` is a key of `object`.
void expectKeys(const json& object, const std::set<std::string>& expected) {
  const std::set<std::string> have = keys(object);
  for (const auto& k : expected) EXPECT_EQ(have.count(k), 1u) << "missing \"" << k << "\"";
}

class WebBuilds : public ::testing::Test {
 protected:
  void SetUp() override {
    web_.config().state_dir = dir_.path();
    web_.start();
    sql("insert into projects (name, displayname) values ('p', 'P')");
    jobset_ = std::stoi(value(
        "insert into jobsets (project, name, nixexprinput, nixexprpath) values ('p', 'j', 'src', "
        "'release.nix') returning id"));
  }

  void sql(const std::string& statement) { sqlExec(web_.conninfo(), statement); }
  std::string value(const std::string& query) { return sqlValue(web_.conninfo(), query); }

  static std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }

  // A build of `job`; `status` < 0 leaves it queued.
  int build(const std::string& job, int status, const std::string& drv = "") {
    const std::string drvpath = drv.empty() ? "/nix/store/" + std::to_string(++drvs_) +
                                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv"
                                            : drv;
    const bool finished = status >= 0;
    return std::stoi(
        value("insert into builds (finished, timestamp, jobset_id, job, drvpath, system, nixname, "
              "buildstatus, starttime, stoptime) values (" +
              std::string(finished ? "1" : "0") + ", 1700000000, " + std::to_string(jobset_) +
              ", " + quote(job) + ", " + quote(drvpath) + ", 'x86_64-linux', 'x-1.0', " +
              (finished ? std::to_string(status) : "null") + ", " +
              (finished ? "1700000100, 1700000165" : "null, null") + ") returning id"));
  }

  int eval(const std::vector<int>& builds) {
    const int id = std::stoi(value(
        "insert into jobsetevals (jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "hash) values (" +
        std::to_string(jobset_) + ", 1700000000, 2, 7, 1, 'h') returning id"));
    for (int b : builds) {
      sql("insert into jobsetevalmembers (eval, build, isnew) values (" + std::to_string(id) +
          ", " + std::to_string(b) + ", 1)");
    }
    return id;
  }

  void step(int build, int stepnr, const std::string& drv, int status,
            const std::string& errormsg = "") {
    sql("insert into buildsteps (build, stepnr, type, drvpath, busy, status, starttime, "
        "stoptime, machine, errormsg) values (" +
        std::to_string(build) + ", " + std::to_string(stepnr) + ", 0, " + quote(drv) + ", 0, " +
        std::to_string(status) + ", 1700000100, 1700000160, 'ssh://builder', " +
        (errormsg.empty() ? "null" : quote(errormsg)) + ")");
  }

  std::string logDir() const { return dir_ / "logs"; }

  TempDir dir_;
  TestWeb web_;
  int jobset_ = 0;
  int drvs_ = 0;
};

// ---- evaluations ------------------------------------------------------------------------------

class WebEvals : public WebBuilds {
 protected:
  void SetUp() override {
    WebBuilds::SetUp();
    a1_ = build("a", 0);
    b1_ = build("b", 1);
    gone_ = build("gone", 0);
    still1_ = build("still", 1);
    first_ = eval({a1_, b1_, gone_, still1_});
    a2_ = build("a", 1);
    b2_ = build("b", 0);
    still2_ = build("still", 1);
    evil_ = build(kEvilJob, -1);
    second_ = eval({a2_, b2_, still2_, evil_});
    sql("insert into jobsetevalinputs (eval, name, type, uri, revision) values (" +
        std::to_string(second_) + ", 'src', 'git', 'https://example.org/r.git', 'abc123')");
  }
  int a1_, b1_, gone_, still1_, first_, a2_, b2_, still2_, evil_, second_;
};

TEST_F(WebEvals, JsonHasHydraFieldsAndWhatChanged) {
  const WebReply reply = web_.getJson("/eval/" + std::to_string(second_));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json e = json::parse(reply.body);
  expectKeys(e, {"id", "timestamp", "checkouttime", "evaltime", "hasnewbuilds", "flake", "builds",
                 "jobsetevalinputs"});
  EXPECT_EQ(e["id"], second_);
  EXPECT_EQ(e["hasnewbuilds"], 1);
  EXPECT_EQ(e["builds"], json({a2_, b2_, still2_, evil_}));
  EXPECT_EQ(e["jobsetevalinputs"]["src"]["revision"], "abc123");
  EXPECT_EQ(e["project"], "p");
  EXPECT_EQ(e["jobset"], "j");
  const json& c = e["changes"];
  EXPECT_EQ(c["compared_with"], first_);
  EXPECT_EQ(c["new_jobs"], json::parse(R"([{"job":)" + json(kEvilJob).dump() + R"(,"build":)" +
                                       std::to_string(evil_) + "}]"));
  EXPECT_EQ(c["removed_jobs"],
            json::parse(R"([{"job":"gone","build":)" + std::to_string(gone_) + "}]"));
  EXPECT_EQ(c["now_failing"], json::parse(R"([{"job":"a","build":)" + std::to_string(a2_) +
                                          R"(,"previous":)" + std::to_string(a1_) + "}]"));
  EXPECT_EQ(c["now_succeeding"], json::parse(R"([{"job":"b","build":)" + std::to_string(b2_) +
                                             R"(,"previous":)" + std::to_string(b1_) + "}]"));

  const json first = json::parse(web_.getJson("/eval/" + std::to_string(first_)).body);
  EXPECT_TRUE(first["changes"]["compared_with"].is_null());
  EXPECT_TRUE(first["changes"]["new_jobs"].empty()) << "the first evaluation compares with nothing";
}

TEST_F(WebEvals, HtmlShowsBuildsAndChangesWithNamesEscaped) {
  const WebReply reply = web_.get("/eval/" + std::to_string(second_));
  ASSERT_EQ(reply.status, 200);
  EXPECT_NE(reply.content_type.find("text/html"), std::string::npos);
  const std::string& page = reply.body;
  EXPECT_NE(page.find("Now failing (1)"), std::string::npos) << page;
  EXPECT_NE(page.find("Now succeeding (1)"), std::string::npos);
  EXPECT_NE(page.find("New jobs (1)"), std::string::npos);
  EXPECT_NE(page.find("Removed jobs (1)"), std::string::npos);
  EXPECT_NE(page.find("href=\"/build/" + std::to_string(a2_) + "\""), std::string::npos);
  EXPECT_NE(page.find("abc123"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;it&#39;s&quot;&amp;co"),
            std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST_F(WebEvals, BuildsListIsHydraBuildObjects) {
  const WebReply reply = web_.getJson("/eval/" + std::to_string(second_) + "/builds");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json list = json::parse(reply.body);
  ASSERT_EQ(list.size(), 4u);
  std::set<int> ids;
  for (const auto& b : list) {
    expectKeys(b, {"id", "finished", "timestamp", "starttime", "stoptime", "project", "jobset",
                   "job", "nixname", "system", "priority", "buildstatus", "releasename", "drvpath",
                   "jobsetevals", "buildoutputs", "buildproducts", "buildmetrics"});
    ids.insert(b["id"].get<int>());
    EXPECT_EQ(b["jobsetevals"], json({second_}));
  }
  EXPECT_EQ(ids, (std::set<int>{a2_, b2_, still2_, evil_}));
}

// ---- builds -----------------------------------------------------------------------------------

TEST_F(WebBuilds, BuildJsonHasHydraFieldsProductsAndMetrics) {
  const std::string drv = "/nix/store/dddddddddddddddddddddddddddddddd-hello.drv";
  const int id = build("hello", 0, drv);
  const int e = eval({id});
  sql("update builds set releasename = 'hello-2.12' where id = " + std::to_string(id));
  sql("insert into buildoutputs (build, name, path) values (" + std::to_string(id) +
      ", 'out', '/nix/store/oooo-hello')");
  sql("insert into buildproducts (build, productnr, type, subtype, filesize, sha256hash, path, "
      "name, defaultpath) values (" +
      std::to_string(id) +
      ", 1, 'file', 'source-dist', 42, 'abcd', '/nix/store/oooo-hello/h.tar',"
      " 'h.tar', '')");
  sql("insert into buildmetrics (build, name, unit, value, project, jobset, job, timestamp) "
      "values (" +
      std::to_string(id) + ", 'tests.passed', 'tests', 17, 'p', 'j', 'hello', 1700000000)");
  step(id, 1, drv, 0);

  const WebReply reply = web_.getJson("/build/" + std::to_string(id));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json b = json::parse(reply.body);
  expectKeys(b, {"id", "finished", "timestamp", "starttime", "stoptime", "project", "jobset", "job",
                 "nixname", "system", "priority", "buildstatus", "releasename", "drvpath",
                 "jobsetevals", "buildoutputs", "buildproducts", "buildmetrics"});
  EXPECT_EQ(b["finished"], 1);
  EXPECT_EQ(b["buildstatus"], 0);
  EXPECT_EQ(b["starttime"], 1700000100);
  EXPECT_EQ(b["stoptime"], 1700000165);
  EXPECT_EQ(b["releasename"], "hello-2.12");
  EXPECT_EQ(b["jobsetevals"], json({e}));
  EXPECT_EQ(b["buildoutputs"]["out"]["path"], "/nix/store/oooo-hello");
  const json& product = b["buildproducts"]["1"];
  expectKeys(product, {"type", "subtype", "name", "filesize", "sha256hash", "path", "defaultpath"});
  EXPECT_EQ(product["filesize"], 42);
  EXPECT_EQ(product["subtype"], "source-dist");
  EXPECT_EQ(b["buildmetrics"]["tests.passed"]["value"], 17.0);
  EXPECT_EQ(b["buildmetrics"]["tests.passed"]["unit"], "tests");
  EXPECT_EQ(b["steps"][0]["machine"], "ssh://builder");
  EXPECT_EQ(b["queue_reasons"], json::array());
}

TEST_F(WebBuilds, BuildPageShowsTimesMachineStepsAndEscapesMessages) {
  const std::string drv = "/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-evil.drv";
  const int id = build(kEvilJob, 1, drv);
  step(id, 1, "/nix/store/ffffffffffffffffffffffffffffffff-dep.drv", 0);
  step(id, 2, drv, 1, "builder said <script>alert(2)</script> & \"quit\"");
  sql("insert into buildmetrics (build, name, unit, value, project, jobset, job, timestamp) "
      "values (" +
      std::to_string(id) + ", '<b>m</b>', '&u', 1.5, 'p', 'j', 'x', 1700000000)");

  const WebReply reply = web_.get("/build/" + std::to_string(id));
  ASSERT_EQ(reply.status, 200);
  const std::string& page = reply.body;
  EXPECT_NE(page.find("<span class=\"fail\">failed</span>"), std::string::npos);
  EXPECT_NE(page.find("2023-11-14 22:15:00"), std::string::npos) << "start time\n" << page;
  EXPECT_NE(page.find("1m 5s"), std::string::npos) << "duration";
  EXPECT_NE(page.find("ssh://builder"), std::string::npos);
  EXPECT_NE(page.find("ffffffffffffffffffffffffffffffff-dep.drv"), std::string::npos);
  EXPECT_NE(page.find("href=\"/build/" + std::to_string(id) + "/log\""), std::string::npos);
  EXPECT_NE(page.find("href=\"/build/" + std::to_string(id) + "/log?step=2\""), std::string::npos);
  EXPECT_NE(page.find("builder said &lt;script&gt;alert(2)&lt;/script&gt; &amp; &quot;quit&quot;"),
            std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;it&#39;s&quot;&amp;co"),
            std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;m&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<b>m"), std::string::npos);
}

TEST_F(WebBuilds, QueuedBuildSaysWhyItIsNotBuilding) {
  const int id = build("waiting", -1);
  const int other = build("other", -1);
  sql("insert into systemstatus (what, status) values ('queue', " +
      quote(json({{"updated", 1700000300},
                  {"steps",
                   {{{"drvpath", "/nix/store/gggggggggggggggggggggggggggggggg-dep.drv"},
                     {"builds", {id, other}},
                     {"started", false},
                     {"reason", "no machine for system \"aarch64-linux\" <&>"}},
                    {{"drvpath", "/nix/store/hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh-x.drv"},
                     {"builds", {other}},
                     {"started", false},
                     {"reason", "every machine is busy"}}}},
                  {"jobsets", json::array()}})
                .dump()) +
      ")");
  const json b = json::parse(web_.getJson("/build/" + std::to_string(id)).body);
  EXPECT_EQ(b["finished"], 0);
  EXPECT_TRUE(b["buildstatus"].is_null());
  ASSERT_EQ(b["queue_reasons"].size(), 1u) << b.dump();
  EXPECT_EQ(b["queue_reasons"][0]["reason"], "no machine for system \"aarch64-linux\" <&>");
  EXPECT_EQ(b["queue_reasons"][0]["drvpath"],
            "/nix/store/gggggggggggggggggggggggggggggggg-dep.drv");

  const std::string page = web_.get("/build/" + std::to_string(id)).body;
  EXPECT_NE(page.find("queued"), std::string::npos);
  EXPECT_NE(page.find("gggggggggggggggggggggggggggggggg-dep.drv: no machine for system "
                      "&quot;aarch64-linux&quot; &lt;&amp;&gt;"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("every machine is busy"), std::string::npos) << "another build's step";
}

// ---- logs -------------------------------------------------------------------------------------

TEST_F(WebBuilds, LogIsDecompressedAndAStepCanBeChosen) {
  const std::string drv = "/nix/store/iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii-hello.drv";
  const std::string dep = "/nix/store/jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj-dep.drv";
  const int id = build("hello", 0, drv);
  step(id, 1, dep, 0);
  step(id, 2, drv, 0);
  const std::string text = "building hello\n<script>not html</script>\ndone\n";
  const std::string compressed = logs::stepLogPath(logDir(), drv);
  std::filesystem::create_directories(std::filesystem::path(compressed).parent_path());
  auto w = compress::Bzip2Writer::open(compressed);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_TRUE(w->append(text));
  ASSERT_TRUE(w->finish());
  // The dependency's log is still uncompressed (its step is being compressed).
  std::string plain = logs::stepLogPath(logDir(), dep);
  plain.resize(plain.size() - 4);
  std::filesystem::create_directories(std::filesystem::path(plain).parent_path());
  std::ofstream(plain) << "dep log\n";

  const WebReply log = web_.get("/build/" + std::to_string(id) + "/log");
  ASSERT_EQ(log.status, 200) << log.body;
  EXPECT_EQ(log.body, text);
  EXPECT_NE(log.content_type.find("text/plain"), std::string::npos);
  EXPECT_EQ(log.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(web_.get("/build/" + std::to_string(id) + "/log?step=1").body, "dep log\n");
  EXPECT_EQ(web_.get("/build/" + std::to_string(id) + "/log?step=2").body, text);

  EXPECT_EQ(web_.getJson("/build/" + std::to_string(id) + "/log?step=3").status, 404);
  EXPECT_EQ(web_.getJson("/build/" + std::to_string(id) + "/log?step=x").status, 400);
  EXPECT_EQ(web_.getJson("/build/" + std::to_string(id) + "/log?step=0").status, 400);
  EXPECT_EQ(web_.getJson("/build/424242/log").status, 404);
  const int cached = build("cached", 0);
  EXPECT_EQ(web_.getJson("/build/" + std::to_string(cached) + "/log").status, 404)
      << "no steps, no log";
  const int missing = build("missing", 1);
  step(missing, 1, "/nix/store/kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk-gone.drv", 9,
       "unsupported system type");
  const WebReply none = web_.getJson("/build/" + std::to_string(missing) + "/log");
  EXPECT_EQ(none.status, 404);
  EXPECT_NE(json::parse(none.body)["error"].get<std::string>().find("unsupported system type"),
            std::string::npos);
}

// ---- jobs -------------------------------------------------------------------------------------

TEST_F(WebBuilds, LatestRedirectsToTheNewestSuccessfulBuild) {
  build("hello", 0);
  const int good = build("hello", 0);
  build("hello", 1);
  build("hello", -1);
  for (const std::string accept : {"", "application/json"}) {
    const WebReply reply = web_.get("/job/p/j/hello/latest", accept);
    EXPECT_EQ(reply.status, 302) << accept;
    ASSERT_EQ(reply.headers.count("location"), 1u) << accept;
    EXPECT_EQ(reply.headers.at("location"), "/build/" + std::to_string(good));
  }
  const WebReply none = web_.getJson("/job/p/j/nothing/latest");
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(json::parse(none.body)["error"], "no successful build of job p:j:nothing");
  EXPECT_EQ(web_.getJson("/job/p/nosuchjobset/hello/latest").status, 404);
}

TEST_F(WebBuilds, ShieldFollowsTheNewestBuild) {
  auto shield = [&] { return json::parse(web_.getJson("/job/p/j/hello/shield").body); };
  build("hello", 0);
  EXPECT_EQ(shield(), json::parse(R"({"schemaVersion":1,"label":"build","message":"passing",)"
                                  R"("color":"green"})"));
  build("hello", 1);
  EXPECT_EQ(shield()["message"], "failing");
  EXPECT_EQ(shield()["color"], "red");
  build("hello", 4);
  EXPECT_EQ(shield()["message"], "cancelled");
  build("hello", -1);
  EXPECT_EQ(shield()["message"], "queued");
  // Without an Accept header too: shields.io asks with none.
  EXPECT_EQ(json::parse(web_.get("/job/p/j/hello/shield").body)["message"], "queued");
  EXPECT_EQ(web_.getJson("/job/p/j/nothing/shield").status, 404);
}

TEST_F(WebBuilds, BadgeIsAnSvgWithTheJobEscaped) {
  build(kEvilJob, 0);
  const WebReply badge = web_.get("/job/p/j/" + kEvilJobPath + "/badge.svg");
  ASSERT_EQ(badge.status, 200) << badge.body;
  EXPECT_EQ(badge.content_type, "image/svg+xml");
  EXPECT_EQ(badge.body.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << badge.body;
  EXPECT_NE(badge.body.find(">passing</text>"), std::string::npos);
  EXPECT_NE(badge.body.find("#97ca00"), std::string::npos);
  EXPECT_NE(badge.body.find("<title>p:j:&lt;script&gt;alert(1)&lt;/script&gt;&quot;it&#39;s"
                            "&quot;&amp;co: passing</title>"),
            std::string::npos)
      << badge.body;
  EXPECT_EQ(badge.body.find("<script"), std::string::npos);
  EXPECT_EQ(json::parse(web_.getJson("/job/p/j/" + kEvilJobPath + "/shield").body)["message"],
            "passing");
  EXPECT_EQ(web_.get("/job/p/j/nothing/badge.svg").status, 404);
}

// ---- /api/latestbuilds ------------------------------------------------------------------------

TEST_F(WebBuilds, LatestBuildsFiltersAndCaps) {
  const int a = build("a", 0);
  const int b = build("b", 1);
  const int c = build("a", -1);
  const WebReply reply = web_.get("/api/latestbuilds?nr=2");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json list = json::parse(reply.body);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["id"], c);
  EXPECT_EQ(list[1]["id"], b);
  EXPECT_EQ(keys(list[0]),
            (std::set<std::string>{"id", "project", "jobset", "job", "system", "nixname",
                                   "finished", "timestamp", "busy", "priority"}));
  EXPECT_EQ(keys(list[1]),
            (std::set<std::string>{"id", "project", "jobset", "job", "system", "nixname",
                                   "finished", "timestamp", "buildstatus"}));
  EXPECT_EQ(list[1]["buildstatus"], 1);

  const json only_a = json::parse(web_.get("/api/latestbuilds?nr=1000000&job=a").body);
  ASSERT_EQ(only_a.size(), 2u);
  EXPECT_EQ(only_a[0]["id"], c);
  EXPECT_EQ(only_a[1]["id"], a);
  EXPECT_EQ(
      json::parse(web_.get("/api/latestbuilds?nr=5&project=p&jobset=j&system=x86_64-linux").body)
          .size(),
      3u);
  EXPECT_TRUE(json::parse(web_.get("/api/latestbuilds?nr=5&project=other").body).empty());

  for (const std::string bad : {"", "?nr=", "?nr=abc", "?nr=0", "?nr=-3", "?nr=5x"}) {
    const WebReply r = web_.get("/api/latestbuilds" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.content_type, "application/json") << bad;
  }
}

// ---- unknown and malformed ids ----------------------------------------------------------------

TEST_F(WebBuilds, UnknownIdsAre404AndMalformedOnes400) {
  for (const std::string path : {"/build/4242", "/eval/4242", "/eval/4242/builds"}) {
    const WebReply r = web_.getJson(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
    EXPECT_EQ(json::parse(r.body)["status"], 404) << path;
  }
  EXPECT_EQ(json::parse(web_.getJson("/build/4242").body)["error"], "no build 4242");
  EXPECT_EQ(web_.get("/build/4242").status, 404);
  for (const std::string path : {"/build/abc", "/build/0", "/build/99999999999999", "/eval/x",
                                 "/eval/-1/builds", "/build/1e3/log"}) {
    EXPECT_EQ(web_.getJson(path).status, 400) << path;
  }
  const WebReply html = web_.get("/build/%3Cscript%3E");
  EXPECT_EQ(html.status, 400);
  EXPECT_EQ(html.body.find("<script"), std::string::npos) << html.body;
}

}  // namespace
}  // namespace hydrant::testing
