// HTML building for the status pages (controller/web/html.hh) and content negotiation
// (router.hh): what a spec or build may contain renders as text.
#include <gtest/gtest.h>

#include "controller/web/html.hh"
#include "controller/web/router.hh"

namespace hydrant::web {
namespace {

TEST(Html, EscapesEverythingThatCouldOpenMarkup) {
  EXPECT_EQ(html::escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(html::link("/project/a&b", "<b>"), "<a href=\"/project/a&amp;b\">&lt;b&gt;</a>");
  EXPECT_EQ(html::urlSegment("a b/c?"), "a%20b%2Fc%3F");
}

TEST(Html, PageEscapesItsTitleAndHasNoScript) {
  const std::string page = html::page("<script>x</script>", "<p>body</p>");
  EXPECT_NE(page.find("&lt;script&gt;x&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_NE(page.find("name=\"viewport\""), std::string::npos);
}

TEST(Router, JsonWhenAskedBeforeHtml) {
  Request r;
  r.headers["accept"] = "application/json";
  EXPECT_TRUE(r.wantsJson());
  r.headers["accept"] = "text/html,application/json;q=0.9";
  EXPECT_FALSE(r.wantsJson());
  r.headers["accept"] = "application/vnd.api+json";
  EXPECT_TRUE(r.wantsJson());
  r.headers.clear();
  EXPECT_FALSE(r.wantsJson());
}

}  // namespace
}  // namespace hydrant::web
