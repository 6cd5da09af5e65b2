// Connection strings: a connect timeout is always added, and passwords never reach a log line.
#include <gtest/gtest.h>

#include "controller/db/database.hh"

namespace hydrant::db {
namespace {

struct RedactCase {
  std::string name;
  std::string in;
  std::string out;
};

class Redact : public ::testing::TestWithParam<RedactCase> {};

TEST_P(Redact, HidesThePassword) { EXPECT_EQ(redactConninfo(GetParam().in), GetParam().out); }

INSTANTIATE_TEST_SUITE_P(
    Table, Redact,
    ::testing::Values(
        RedactCase{"UrlWithPassword", "postgresql://hydrant:s3cret@db.example/hydrant",
                   "postgresql://hydrant:***@db.example/hydrant"},
        RedactCase{"UrlWithoutPassword", "postgres://hydrant@db/h", "postgres://hydrant@db/h"},
        RedactCase{"UrlPasswordParameter", "postgresql://db/h?sslmode=require&password=x1",
                   "postgresql://db/h?sslmode=require&password=***"},
        RedactCase{"KeyValue", "host=db password=s3cret dbname=h", "host=db password=*** dbname=h"},
        RedactCase{"KeyValueQuoted", "host=db password='a b\\' c' dbname=h",
                   "host=db password=*** dbname=h"},
        RedactCase{"KeyValueSpacedEquals", "password = s3cret host=db", "password = *** host=db"},
        RedactCase{"NoPassword", "host=/tmp/x dbname=h", "host=/tmp/x dbname=h"}),
    [](const auto& info) { return info.param.name; });

TEST(ConnectTimeout, IsAddedToKeyValueConninfo) {
  EXPECT_EQ(withConnectTimeout("host=db dbname=h", 5), "host=db dbname=h connect_timeout=5");
}

TEST(ConnectTimeout, IsAddedToUrls) {
  EXPECT_EQ(withConnectTimeout("postgresql://db/h", 5), "postgresql://db/h?connect_timeout=5");
  EXPECT_EQ(withConnectTimeout("postgresql://db/h?sslmode=disable", 5),
            "postgresql://db/h?sslmode=disable&connect_timeout=5");
}

TEST(ConnectTimeout, AUsersOwnTimeoutIsKept) {
  EXPECT_EQ(withConnectTimeout("host=db connect_timeout=30", 5), "host=db connect_timeout=30");
}

}  // namespace
}  // namespace hydrant::db
