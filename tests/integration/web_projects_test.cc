// The project and jobset pages (controller/web/pages_projects.cc and pages_jobsets.cc) over HTTP
// against a real database seeded with SQL: Hydra's JSON field names for /, /project/P, /jobset/P/J,
// /jobset/P/J/evals and /api/jobsets with Hydrant's status and events beside them, paging, share
// usage from the queue's status, channel jobs, the origin of generated jobsets, 400/404, and names
// and messages that must render as text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/support/sql.hh"
#include "tests/support/web_server.hh"

namespace hydrant::testing {
namespace {

using nlohmann::json;

// Markup, both quotes and an ampersand, as SQL text and as escaped HTML.
const std::string kEvilSql = "'<script>alert(1)</script> \"quoted\" & ''single'''";
const std::string kEvilHtml =
    "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quoted&quot; &amp; &#39;single&#39;";
const std::string kEvilText = "<script>alert(1)</script> \"quoted\" & 'single'";

const std::string kSpecRev(40, 'a');
const std::string kInputRev(40, 'b');
const std::string kDeclRev(40, 'c');

// Every key of `expected` is a key of `object`.
void expectKeys(const json& object, const std::set<std::string>& expected) {
  for (const auto& k : expected) EXPECT_TRUE(object.contains(k)) << "missing \"" << k << "\"";
}

// Nothing from the seed was written into the page as markup.
void expectNoRawScript(const WebReply& reply) {
  EXPECT_EQ(reply.body.find("<script"), std::string::npos) << reply.body;
  EXPECT_EQ(reply.body.find("href=\"javascript:"), std::string::npos) << reply.body;
}

bool contains(const std::string& body, const std::string& part) {
  return body.find(part) != std::string::npos;
}

class WebProjects : public ::testing::Test {
 protected:
  void SetUp() override {
    seedProjects();
    seedEvaluations();
    seedGenerated();
    web_.start();
  }

  void sql(const std::string& statement) { sqlExec(web_.conninfo(), statement); }

  // Projects hello (Ready, three jobsets), other (Stalled, no jobsets) and their events.
  void seedProjects() {
    sql("insert into projects (name, displayname, description, homepage, observed_revision, "
        "  condition, ready_status, condition_reason, condition_message, declared_by) values "
        "('hello', " +
        kEvilSql + ", " + kEvilSql + ", 'javascript:alert(1)', '" + kSpecRev +
        "', 'Ready', 'True', 'Applied', " + kEvilSql +
        ", 'https://example.org/specs.git'), "
        "('other', 'Other', '', 'https://example.org/', null, 'Stalled', 'False', "
        "  'InvalidSpec', 'spec.json:3:5: unknown key \"flakeref\"', 'inline')");
    sql("insert into jobsets (id, project, name, description, nixexprinput, nixexprpath, "
        "  enabled, hidden, schedulingshares, lastcheckedtime, errortime, errormsg, "
        "  fetcherrormsg, observed_revision, condition, ready_status, condition_reason, "
        "  condition_message) values "
        "(1, 'hello', 'main', " +
        kEvilSql +
        ", 'src', 'release.nix', 1, 0, 200, 1700000500, "
        "  1700000400, " +
        kEvilSql + ", " + kEvilSql + ", '" + kSpecRev +
        "', 'Stalled', "
        "  'False', 'EvaluationFailed', " +
        kEvilSql +
        "), "
        "(2, 'hello', 'once', '', 'src', 'release.nix', 2, 0, 100, null, null, null, null, '" +
        kSpecRev +
        "', 'Ready', 'True', 'Applied', ''), "
        "(3, 'hello', 'gone', '', 'src', 'release.nix', 0, 1, 100, null, null, null, null, '" +
        kSpecRev + "', 'Ready', 'True', 'LeftSpec', '')");
    sql("insert into jobsetinputs (project, jobset, name, type, value) values "
        "('hello', 'main', 'src', 'git', 'https://example.org/<script>.git main'), "
        "('hello', 'main', 'flag', 'boolean', 'true')");
    sql("insert into events (object_kind, object_key, action, revision, message) values "
        "('project', 'hello', 'create', '" +
        kSpecRev +
        "', 'created'), "
        "('jobset', 'hello:main', 'update', '" +
        kSpecRev + "', " + kEvilSql +
        "), "
        "('jobset', 'hellox:main', 'create', 'rev-of-another-project', 'not hello'), "
        "('project', 'other', 'create', 'rev-of-other', 'created')");
    sql("insert into systemstatus (what, status) values ('queue', '{\"steps\": [], \"jobsets\": "
        "[{\"jobset_id\": 1, \"schedulingshares\": 200, \"seconds\": 120.5, "
        "\"shareUsed\": 0.6025}]}')");
  }

  // hello:main: 25 evaluations with new builds (one more without); the newest has a succeeded,
  // a failed (evil name), a queued and a channel build. One older build is queued but not current.
  void seedEvaluations() {
    sql("insert into jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "  hash) select g, 1, 1700000000 + g, 1, 2, 1, 'h' from generate_series(1, 25) g");
    sql("insert into jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "  hash) values (26, 1, 1700000100, 1, 2, 0, 'h')");
    sql("insert into builds (id, finished, timestamp, jobset_id, job, drvpath, system, nixname, "
        "  buildstatus, starttime, stoptime, iscurrent) values "
        "(1, 1, 1700000025, 1, 'hello', '/nix/store/1-hello.drv', 'x86_64-linux', 'hello-1.0', "
        "  0, 1700000030, 1700000040, 1), "
        "(2, 1, 1700000025, 1, '<script>alert(1)</script>', '/nix/store/2-x.drv', "
        "  'x86_64-linux', 'x', 1, 1700000030, 1700000040, 1), "
        "(3, 0, 1700000025, 1, 'queued', '/nix/store/3-q.drv', 'aarch64-linux', 'q', null, null, "
        "  null, 1), "
        "(4, 1, 1700000025, 1, 'nixexprs', '/nix/store/4-c.drv', 'x86_64-linux', 'channel', 0, "
        "  1700000030, 1700000040, 1), "
        "(5, 0, 1700000001, 1, 'old', '/nix/store/5-o.drv', 'x86_64-linux', 'old', null, null, "
        "  null, 0)");
    sql("insert into jobsetevalmembers (eval, build, isnew) values (25, 1, 1), (25, 2, 1), "
        "(25, 3, 1), (25, 4, 1), (1, 5, 1)");
    sql("insert into buildproducts (build, productnr, type, subtype, name, path) values "
        "(4, 1, 'channel', '', 'nixexprs', '/nix/store/4-c'), "
        "(1, 1, 'file', 'binary-dist', 'hello', '/nix/store/1-hello')");
    sql("insert into jobsetevalinputs (eval, name, type, uri, revision, value) values "
        "(25, 'src', 'git', 'https://example.org/<script>.git', '" +
        kInputRev +
        "', null), "
        "(25, 'flag', 'boolean', null, null, 'true')");
  }

  // Project gen in generated mode: `.jobsets` built its `jobsets` job (build 10) from declInput
  // at kDeclRev, which declared gen:pr-1.
  void seedGenerated() {
    sql("insert into projects (name, displayname, declfile, decltype, declvalue) values "
        "('gen', 'Gen', 'spec.json', 'git', 'https://example.org/gen.git main')");
    sql("insert into jobsets (id, project, name, nixexprinput, nixexprpath, observed_revision) "
        "values (10, 'gen', '.jobsets', 'declInput', 'spec.json', 'gen-spec-rev'), "
        "(11, 'gen', 'pr-1', 'src', 'release.nix', '" +
        kDeclRev + "')");
    sql("insert into jobsetevals (id, jobset_id, timestamp, checkouttime, evaltime, hasnewbuilds, "
        "  hash) values (100, 10, 1700000000, 1, 1, 1, 'g')");
    sql("insert into builds (id, finished, timestamp, jobset_id, job, drvpath, system, "
        "  buildstatus, starttime, stoptime, iscurrent) values (10, 1, 1700000000, 10, "
        "  'jobsets', '/nix/store/10-jobsets.drv', 'x86_64-linux', 0, 1700000001, 1700000002, 1)");
    sql("insert into jobsetevalmembers (eval, build, isnew) values (100, 10, 1)");
    sql("insert into jobsetevalinputs (eval, name, type, uri, revision) values "
        "(100, 'declInput', 'git', 'https://example.org/gen.git', '" +
        kDeclRev + "')");
  }

  TestWeb web_;
};

TEST_F(WebProjects, HomeListsProjectsWithHydraFieldsAndCounts) {
  const WebReply reply = web_.getJson("/");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  const json list = json::parse(reply.body);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 3u);
  const json& hello = list[1];
  expectKeys(hello, {"name", "displayname", "description", "homepage", "owner", "enabled", "hidden",
                     "enable_dynamic_run_command", "jobsets"});
  EXPECT_EQ(hello["name"], "hello");
  EXPECT_EQ(hello["displayname"], kEvilText);
  EXPECT_EQ(hello["enabled"], true);
  EXPECT_EQ(hello["hidden"], false);
  EXPECT_EQ(hello["jobsets"], json::array({"gone", "main", "once"}));
  EXPECT_EQ(hello["status"]["observed_revision"], kSpecRev);
  EXPECT_EQ(hello["status"]["conditions"][0]["type"], "Ready");
  EXPECT_EQ(hello["status"]["conditions"][0]["status"], "True");
  EXPECT_EQ(hello["nrjobsets"], 3);
  EXPECT_EQ(hello["nrqueued"], 2);  // the current queued build and the older one
  EXPECT_EQ(hello["nrsucceeded"], 2);
  EXPECT_EQ(hello["nrfailed"], 1);
  const json& other = list[2];
  EXPECT_EQ(other["jobsets"], json::array());
  EXPECT_EQ(other["nrjobsets"], 0);
  EXPECT_EQ(other["nrqueued"], 0);
  EXPECT_EQ(other["status"]["conditions"][1]["type"], "Stalled");
  EXPECT_EQ(list[0]["declarative"]["file"], "spec.json");
}

TEST_F(WebProjects, HomePageShowsStatusRevisionAndCountsEscaped) {
  const WebReply reply = web_.get("/");
  ASSERT_EQ(reply.status, 200);
  EXPECT_TRUE(contains(reply.content_type, "text/html"));
  expectNoRawScript(reply);
  const std::string& b = reply.body;
  EXPECT_TRUE(contains(b, "<a href=\"/project/hello\">hello</a>")) << b;
  EXPECT_TRUE(contains(b, kEvilHtml));
  EXPECT_TRUE(contains(b, "<code title=\"" + kSpecRev + "\">aaaaaaaaaaaa</code>"));
  EXPECT_TRUE(contains(b, "<span class=\"fail\">Stalled</span> (InvalidSpec)"));
  EXPECT_TRUE(contains(b, "spec.json:3:5: unknown key &quot;flakeref&quot;"));
  EXPECT_TRUE(contains(b,
                       "<td>3</td><td><span class=\"wait\">2</span></td><td><span "
                       "class=\"ok\">2</span></td><td><span class=\"fail\">1</span></td>"))
      << b;
}

TEST_F(WebProjects, ProjectJsonHasHydraFieldsJobsetOverviewAndEvents) {
  const WebReply reply = web_.getJson("/project/hello");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json p = json::parse(reply.body);
  expectKeys(p, {"name", "displayname", "description", "homepage", "owner", "enabled", "hidden",
                 "enable_dynamic_run_command", "jobsets"});
  EXPECT_EQ(p["jobsets"], json::array({"gone", "main", "once"}));
  const json& overview = p["jobset_overview"];
  ASSERT_EQ(overview.size(), 3u);
  const json& main = overview[1];
  EXPECT_EQ(main["name"], "main");
  EXPECT_EQ(main["enabled"], 1);
  EXPECT_EQ(main["schedulingshares"], 200);
  EXPECT_DOUBLE_EQ(main["shareUsed"].get<double>(), 0.6025);
  EXPECT_DOUBLE_EQ(main["seconds"].get<double>(), 120.5);
  EXPECT_EQ(main["lastcheckedtime"], 1700000500);
  EXPECT_EQ(main["fetcherrormsg"], kEvilText);
  EXPECT_EQ(main["errormsg"], kEvilText);
  EXPECT_EQ(main["latesteval"]["id"], 25);
  EXPECT_EQ(main["latesteval"]["timestamp"], 1700000025);
  EXPECT_EQ(main["nrscheduled"], 1);
  EXPECT_EQ(main["nrtotal"], 4);
  EXPECT_EQ(main["status"]["conditions"][1]["reason"], "EvaluationFailed");
  // The queue charged `once` nothing: 0, not unknown.
  EXPECT_EQ(overview[2]["shareUsed"], 0.0);
  EXPECT_EQ(overview[2]["latesteval"], nullptr);
  EXPECT_EQ(overview[0]["enabled"], 0);
  EXPECT_EQ(overview[0]["hidden"], true);
  const json& events = p["events"];
  ASSERT_EQ(events.size(), 2u) << events.dump();  // not hellox's, not other's
  EXPECT_EQ(events[0]["key"], "hello:main");
  EXPECT_EQ(events[0]["message"], kEvilText);
  EXPECT_EQ(events[1]["kind"], "project");
  EXPECT_EQ(events[1]["revision"], kSpecRev);
  const std::string time = events[1]["time"];
  EXPECT_TRUE(time.size() == 20 && time[10] == 'T' && time.back() == 'Z') << time;
  expectKeys(events[1], {"id", "time", "kind", "key", "action", "revision", "message"});
}

TEST_F(WebProjects, ProjectPageShowsJobsetsSharesErrorsAndHistoryEscaped) {
  const WebReply reply = web_.get("/project/hello");
  ASSERT_EQ(reply.status, 200);
  expectNoRawScript(reply);
  const std::string& b = reply.body;
  EXPECT_TRUE(contains(b, "<a href=\"/jobset/hello/main\">main</a>")) << b;
  EXPECT_TRUE(contains(b, "one-shot"));
  EXPECT_TRUE(contains(b, "disabled, hidden"));
  EXPECT_TRUE(contains(b, "<a href=\"/eval/25\">#25</a>"));
  EXPECT_TRUE(contains(b, "0.60"));      // share used
  EXPECT_TRUE(contains(b, "120.50 s"));  // seconds charged
  EXPECT_TRUE(contains(b, "<td>200</td>"));
  EXPECT_TRUE(contains(b, "fetch: " + kEvilHtml));
  EXPECT_TRUE(contains(b, "evaluation: " + kEvilHtml));
  EXPECT_TRUE(contains(b,
                       "<span class=\"fail\">Stalled</span> (EvaluationFailed)<br><span "
                       "class=\"error\">" +
                           kEvilHtml + "</span>"));
  EXPECT_TRUE(contains(b, "<h2>History</h2>"));
  EXPECT_TRUE(contains(b, "project hello"));
  EXPECT_FALSE(contains(b, "not hello"));
  EXPECT_TRUE(contains(b, "javascript:alert(1)"));  // shown as text, not as a link
}

TEST_F(WebProjects, JobsetJsonHasHydraFieldsJobsChannelsAndInputs) {
  const WebReply reply = web_.getJson("/jobset/hello/main");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json j = json::parse(reply.body);
  expectKeys(j, {"name",
                 "project",
                 "description",
                 "nixexprinput",
                 "nixexprpath",
                 "errormsg",
                 "errortime",
                 "lastcheckedtime",
                 "triggertime",
                 "enabled",
                 "enableemail",
                 "enable_dynamic_run_command",
                 "visible",
                 "emailoverride",
                 "keepnr",
                 "checkinterval",
                 "schedulingshares",
                 "fetcherrormsg",
                 "starttime",
                 "type",
                 "flake",
                 "inputs"});
  EXPECT_EQ(j["inputs"]["src"]["value"], "https://example.org/<script>.git main");
  expectKeys(j["inputs"]["src"], {"name", "type", "value", "emailresponsible"});
  EXPECT_EQ(j["latest_eval"]["id"], 25);
  EXPECT_EQ(j["latest_eval"]["jobsetevalinputs"]["src"]["revision"], kInputRev);
  ASSERT_EQ(j["jobs"].size(), 4u);
  EXPECT_EQ(j["jobs"][0]["job"], "<script>alert(1)</script>");  // byte order: '<' first
  EXPECT_EQ(j["jobs"][0]["buildstatus"], 1);
  expectKeys(j["jobs"][0], {"id", "job", "system", "nixname", "finished", "buildstatus"});
  ASSERT_EQ(j["channels"].size(), 1u);
  EXPECT_EQ(j["channels"][0]["id"], 4);
  EXPECT_EQ(j["status"]["origin"], nullptr);
  EXPECT_EQ(j["events"].size(), 1u);
}

TEST_F(WebProjects, JobsetPageShowsEvaluationsJobsInputsAndChannels) {
  const WebReply reply = web_.get("/jobset/hello/main");
  ASSERT_EQ(reply.status, 200);
  expectNoRawScript(reply);
  const std::string& b = reply.body;
  EXPECT_TRUE(contains(b, "<a href=\"/project/hello\">hello</a>"));
  EXPECT_TRUE(contains(b, "<a href=\"/eval/25\">#25</a>"));
  EXPECT_TRUE(contains(b, "<a href=\"/eval/16\">#16</a>"));  // ten evaluations shown
  EXPECT_FALSE(contains(b, "<a href=\"/eval/15\">#15</a>"));
  EXPECT_FALSE(contains(b, "/eval/26"));  // no new builds
  EXPECT_TRUE(contains(b, "<a href=\"/jobset/hello/main/evals\">All 25 evaluations</a>"));
  EXPECT_TRUE(contains(b, "https://example.org/&lt;script&gt;.git main"));
  EXPECT_TRUE(contains(b, "<code title=\"" + kInputRev + "\">bbbbbbbbbbbb</code>"));
  EXPECT_TRUE(contains(b,
                       "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td><a "
                       "href=\"/build/2\">#2</a></td>"))
      << b;
  EXPECT_TRUE(contains(b, "<span class=\"wait\">queued</span>"));
  EXPECT_TRUE(contains(b, "<span class=\"fail\">failed</span>"));
  const size_t channels = b.find("<h2>Channels</h2>");
  ASSERT_NE(channels, std::string::npos);
  const size_t history = b.find("<h2>History</h2>");
  const std::string channel_part = b.substr(channels, history - channels);
  EXPECT_TRUE(contains(channel_part, "nixexprs"));
  EXPECT_FALSE(contains(channel_part, "/build/1\""));
  EXPECT_TRUE(contains(b, "<pre class=\"error\">" + kEvilHtml + "</pre>"));
}

TEST_F(WebProjects, JobsetWithoutEvaluationsShowsNoneAndNoChannels) {
  const WebReply reply = web_.get("/jobset/hello/once");
  ASSERT_EQ(reply.status, 200);
  EXPECT_TRUE(contains(reply.body, "No evaluations yet."));
  EXPECT_TRUE(contains(reply.body, "<h2>Channels</h2>\n<p class=\"muted\">None.</p>"));
  const json j = json::parse(web_.getJson("/jobset/hello/once").body);
  EXPECT_EQ(j["enabled"], 2);
  EXPECT_EQ(j["latest_eval"], nullptr);
  EXPECT_EQ(j["channels"], json::array());
}

TEST_F(WebProjects, GeneratedJobsetNamesItsDotJobsetsBuild) {
  const json j = json::parse(web_.getJson("/jobset/gen/pr-1").body);
  EXPECT_EQ(j["status"]["origin"]["jobset"], ".jobsets");
  EXPECT_EQ(j["status"]["origin"]["build"], 10);
  EXPECT_EQ(j["status"]["origin"]["revision"], kDeclRev);
  const WebReply page = web_.get("/jobset/gen/pr-1");
  EXPECT_TRUE(contains(page.body,
                       "generated by <a href=\"/jobset/gen/.jobsets\">gen:.jobsets</a>"
                       " build <a href=\"/build/10\">#10</a>"))
      << page.body;
  // `.jobsets` itself comes from the spec file.
  const json generator = json::parse(web_.getJson("/jobset/gen/.jobsets").body);
  EXPECT_EQ(generator["status"]["origin"], nullptr);
  EXPECT_EQ(generator["latest_eval"]["jobsetevalinputs"]["declInput"]["revision"], kDeclRev);
}

TEST_F(WebProjects, EvalsArePagedTheWayHydraPagesThem) {
  const json first = json::parse(web_.getJson("/jobset/hello/main/evals").body);
  ASSERT_EQ(first["evals"].size(), 20u);
  EXPECT_EQ(first["evals"][0]["id"], 25);
  EXPECT_EQ(first["evals"][19]["id"], 6);
  expectKeys(first["evals"][0], {"id", "timestamp", "checkouttime", "evaltime", "hasnewbuilds",
                                 "flake", "builds", "jobsetevalinputs"});
  EXPECT_EQ(first["evals"][0]["builds"], json::array({1, 2, 3, 4}));
  EXPECT_EQ(first["first"], "?page=1");
  EXPECT_EQ(first["last"], "?page=2");
  EXPECT_EQ(first["next"], "?page=2");
  EXPECT_FALSE(first.contains("previous"));
  const json second = json::parse(web_.getJson("/jobset/hello/main/evals?page=2").body);
  ASSERT_EQ(second["evals"].size(), 5u);
  EXPECT_EQ(second["evals"][4]["id"], 1);
  EXPECT_EQ(second["previous"], "?page=1");
  EXPECT_FALSE(second.contains("next"));
  const json beyond = json::parse(web_.getJson("/jobset/hello/main/evals?page=3").body);
  EXPECT_EQ(beyond["evals"], json::array());
  EXPECT_EQ(beyond["previous"], "?page=2");
  const json none = json::parse(web_.getJson("/jobset/hello/once/evals").body);
  EXPECT_EQ(none["evals"], json::array());
  EXPECT_EQ(none["last"], "?page=1");
  const WebReply html = web_.get("/jobset/hello/main/evals?page=2");
  ASSERT_EQ(html.status, 200);
  EXPECT_TRUE(contains(html.body, "<a href=\"/eval/1\">#1</a>"));
  EXPECT_TRUE(contains(html.body, "<a href=\"/jobset/hello/main/evals?page=1\">Previous</a>"));
  EXPECT_TRUE(contains(html.body, "Page 2 of 2"));
}

TEST_F(WebProjects, ApiJobsetsListsHydraFieldsAlwaysAsJson) {
  const WebReply reply = web_.get("/api/jobsets?project=hello");  // no Accept header
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  const json list = json::parse(reply.body);
  ASSERT_EQ(list.size(), 3u);
  const json& main = list[1];
  expectKeys(main, {"project", "name", "nrscheduled", "nrsucceeded", "nrfailed", "nrtotal",
                    "lastcheckedtime", "starttime", "checkinterval", "triggertime", "fetcherrormsg",
                    "errortime", "haserrormsg"});
  EXPECT_EQ(main["name"], "main");
  EXPECT_EQ(main["nrscheduled"], 1);
  EXPECT_EQ(main["nrsucceeded"], 2);
  EXPECT_EQ(main["nrfailed"], 1);
  EXPECT_EQ(main["nrtotal"], 4);
  EXPECT_EQ(main["haserrormsg"], true);
  EXPECT_EQ(list[2]["haserrormsg"], false);
  EXPECT_EQ(list[2]["lastcheckedtime"], nullptr);

  const WebReply missing = web_.get("/api/jobsets");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(json::parse(missing.body)["error"], "Parameter 'project' not defined!");
  const WebReply unknown = web_.get("/api/jobsets?project=nosuch");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"], "Project nosuch doesn't exist.");
  EXPECT_EQ(web_.get("/api/jobsets?project=%3Cscript%3E").status, 400);
}

TEST_F(WebProjects, UnknownNamesAre404InTheFormAsked) {
  const WebReply json_reply = web_.getJson("/project/nosuch");
  EXPECT_EQ(json_reply.status, 404);
  EXPECT_EQ(json::parse(json_reply.body)["error"], "Project nosuch doesn't exist.");
  const WebReply html_reply = web_.get("/project/nosuch");
  EXPECT_EQ(html_reply.status, 404);
  EXPECT_TRUE(contains(html_reply.content_type, "text/html"));
  EXPECT_EQ(json::parse(web_.getJson("/jobset/hello/nosuch").body)["error"],
            "Jobset nosuch doesn't exist.");
  EXPECT_EQ(web_.getJson("/jobset/hello/nosuch").status, 404);
  EXPECT_EQ(json::parse(web_.getJson("/jobset/nosuch/main").body)["error"],
            "Project nosuch doesn't exist.");
  EXPECT_EQ(web_.getJson("/jobset/nosuch/main/evals").status, 404);
  EXPECT_EQ(web_.get("/jobset/hello/nosuch/evals").status, 404);
}

TEST_F(WebProjects, MalformedNamesAndPagesAre400) {
  // A %2F would decode to a path separator: then no route matches at all (404, server.cc).
  const WebReply name = web_.get("/project/%3Cscript%3Ealert(1)%22%26");
  EXPECT_EQ(name.status, 400);
  expectNoRawScript(name);
  EXPECT_TRUE(contains(name.body, "&lt;script&gt;alert(1)&quot;&amp;")) << name.body;
  EXPECT_EQ(web_.getJson("/jobset/hello/a%20b").status, 400);
  for (const char* page : {"abc", "0", "-1", "2x", "", "99999999999999999999"}) {
    const WebReply reply = web_.getJson(std::string("/jobset/hello/main/evals?page=") + page);
    EXPECT_EQ(reply.status, 400) << page;
    EXPECT_TRUE(json::parse(reply.body).contains("error")) << page;
  }
  EXPECT_EQ(web_.get("/jobset/hello/main/evals?page=abc").status, 400);
}

}  // namespace
}  // namespace hydrant::testing
