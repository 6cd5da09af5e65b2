// The JSON reader of specs/ (specs/document_json.cc) and the limits of the document tree, seen
// through the public API: what a user gets for edge cases of JSON — nesting, numbers, escapes,
// byte order marks, empty and huge texts — and for YAML aliases that expand without end.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "specs/parse.hh"

namespace hydrant::specs {
namespace {

// A flake jobset "main" whose spec ends with `rest` (which may hold a key or two).
std::string flakeJobset(const std::string& rest) {
  return R"({"main": {"type": 1, "flake": "f", )" + rest + "}}";
}

// `text` must parse; its one jobset.
JobsetSpec parsedJobset(const std::string& text) {
  auto file = parseProjectFile(text, "spec.json");
  EXPECT_TRUE(file) << file.error().message;
  if (!file || file->jobsets.size() != 1) return JobsetSpec{};
  return file->jobsets[0];
}

std::string errorOf(const std::string& text, const std::string& filename = "spec.json") {
  auto file = parseProjectFile(text, filename);
  EXPECT_FALSE(file);
  return file ? "" : file.error().message;
}

struct JsonCase {
  std::string name;
  std::string text;
  std::string message;
};

void PrintTo(const JsonCase& row, std::ostream* out) { *out << row.name; }

class SpecJsonError : public testing::TestWithParam<JsonCase> {};

TEST_P(SpecJsonError, SaysWhereAndWhat) {
  auto file = parseProjectFile(GetParam().text, "spec.json");
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().cls, ErrorClass::kInvalid);
  EXPECT_EQ(file.error().message, GetParam().message);
}

const std::string kKeepnrRange = "keepnr: expected an integer from 0 to 2147483647, got ";

INSTANTIATE_TEST_SUITE_P(
    Table, SpecJsonError,
    testing::Values(
        JsonCase{"EmptyText", "",
                 "spec.json:1:1: invalid JSON: unexpected end of input; expected '[', '{', or a "
                 "literal"},
        JsonCase{"OnlyWhitespace", "  \n ",
                 "spec.json:2:2: invalid JSON: unexpected end of input; expected '[', '{', or a "
                 "literal"},
        JsonCase{"ByteOrderMarkAfterSpace", " \xEF\xBB\xBF{}",
                 "spec.json:1:2: invalid JSON: invalid literal"},
        JsonCase{"NestingDeeperThan200",
                 R"({"main": {"type": 1, "flake": "f", "description": )" + std::string(199, '[') +
                     std::string(199, ']') + "}}",
                 "spec.json:1:249: cannot read this JSON: nesting deeper than 200"},
        JsonCase{"InvalidJsonIsReportedBeforeDepth",
                 std::string(201, '[') + std::string(201, ']') + ",",
                 "spec.json:1:403: invalid JSON: unexpected ','; expected end of input"},
        JsonCase{"NumberTooLargeForADouble", flakeJobset(R"("keepnr": 1e400)"),
                 "spec.json:1:46: invalid JSON: number overflow parsing '1e400'"},
        JsonCase{"NegativeNumberTooLarge", flakeJobset(R"("keepnr": -2.5E+999)"),
                 "spec.json:1:46: invalid JSON: number overflow parsing '-2.5E+999'"},
        JsonCase{"ExponentIsNotAnInteger", flakeJobset(R"("keepnr": 1e5)"),
                 R"(spec.json:1:46: jobset "main": )" + kKeepnrRange + "1e5"},
        JsonCase{"FractionIsNotAnInteger", flakeJobset(R"("keepnr": 3.0)"),
                 R"(spec.json:1:46: jobset "main": )" + kKeepnrRange + "3.0"},
        JsonCase{"TooSmallForADoubleIsShownQuoted", flakeJobset(R"("keepnr": 1e-400)"),
                 R"(spec.json:1:46: jobset "main": )" + kKeepnrRange + R"("1e-400")"},
        JsonCase{"NumberForAString", flakeJobset(R"("description": -0.5e-3)"),
                 R"(spec.json:1:51: jobset "main": description: expected a string, got -0.5e-3)"},
        JsonCase{"LeadingZero", flakeJobset(R"("keepnr": 01)"),
                 "spec.json:1:47: invalid JSON: unexpected number literal; expected '}'"},
        JsonCase{"FractionWithoutDigits", flakeJobset(R"("keepnr": 1.)"),
                 "spec.json:1:48: invalid JSON: invalid number; expected digit after '.'"},
        JsonCase{"PlusSign", flakeJobset(R"("keepnr": +1)"),
                 "spec.json:1:46: invalid JSON: invalid literal"},
        JsonCase{"UnknownEscape", flakeJobset(R"("description": "\x")"),
                 "spec.json:1:53: invalid JSON: invalid string: forbidden character after "
                 "backslash"},
        JsonCase{"ShortUnicodeEscape", flakeJobset(R"("description": "\u12g4")"),
                 "spec.json:1:56: invalid JSON: invalid string: '\\u' must be followed by 4 hex "
                 "digits"},
        JsonCase{"HighSurrogateAlone", flakeJobset(R"("description": "\ud83d x")"),
                 "spec.json:1:58: invalid JSON: invalid string: surrogate U+D800..U+DBFF must be "
                 "followed by U+DC00..U+DFFF"},
        JsonCase{"LowSurrogateAlone", flakeJobset(R"("description": "\ude00")"),
                 "spec.json:1:57: invalid JSON: invalid string: surrogate U+DC00..U+DFFF must "
                 "follow U+D800..U+DBFF"},
        JsonCase{"RawTab", flakeJobset("\"description\": \"a\tb\""),
                 "spec.json:1:53: invalid JSON: invalid string: control character U+0009 (HT) "
                 "must be escaped to \\u0009 or \\t"},
        JsonCase{"OverlongUtf8", flakeJobset("\"description\": \"\xC0\x80\""),
                 "spec.json:1:52: invalid JSON: invalid string: ill-formed UTF-8 byte"},
        JsonCase{"Utf8Surrogate", flakeJobset("\"description\": \"\xED\xA0\x80\""),
                 "spec.json:1:53: invalid JSON: invalid string: ill-formed UTF-8 byte"},
        JsonCase{"Utf8BeyondU10FFFF", flakeJobset("\"description\": \"\xF4\x90\x80\x80\""),
                 "spec.json:1:53: invalid JSON: invalid string: ill-formed UTF-8 byte"},
        JsonCase{"UnterminatedString", R"({"main": {"description": "abc)",
                 "spec.json:1:30: invalid JSON: invalid string: missing closing quote"},
        JsonCase{"TextAfterANulByte", std::string("{}\0junk", 7),
                 "spec.json:1:3: invalid JSON: unexpected byte 0x00"},
        JsonCase{"KeyOf1025Bytes",
                 R"({"main": {"type": 1, "flake": "f", ")" + std::string(1023, 'k') + R"(": 1}})",
                 "spec.json:1:36: cannot read this JSON: end of map flow not found (a key must be "
                 "on one line with its ':', and at most 1024 characters)"},
        JsonCase{"EscapedKeysAreComparedDecoded", flakeJobset(R"("\u0074ype": 1)"),
                 R"(spec.json:1:36: jobset "main": duplicate key "type")"},
        JsonCase{"NullOnTheNextLineIsReportedAtTheKey",
                 "{\"main\": {\"type\": 1, \"flake\":\n  null}}",
                 R"(spec.json:1:22: jobset "main": flake: expected a non-empty string, got null)"},
        JsonCase{"StringAtTheTop", "  \n  \"abc\"",
                 R"(spec.json:2:3: expected an object of jobsets or a jobset spec, got "abc")"}),
    [](const testing::TestParamInfo<JsonCase>& info) { return info.param.name; });

TEST(SpecJson, NestingOf200IsRead) {
  EXPECT_EQ(errorOf(R"({"main": {"type": 1, "flake": "f", "description": )" +
                    std::string(198, '[') + std::string(198, ']') + "}}"),
            R"(spec.json:1:51: jobset "main": description: expected a string, got an array)");
}

TEST(SpecJson, EscapesAreDecoded) {
  const JobsetSpec j = parsedJobset(flakeJobset(
      R"("description": "\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00\u0000 raw: é😀")"));
  EXPECT_EQ(j.description, std::string("\"\\/\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") +
                               std::string(1, '\0') + " raw: \xC3\xA9\xF0\x9F\x98\x80");
}

TEST(SpecJson, ColumnsCountTheBytesAsWritten) {
  // "é" is two bytes, "😀" four, "\u00e9" six.
  EXPECT_EQ(errorOf(flakeJobset(R"("description": "é😀\u00e9", "keepnr": -1)")),
            R"(spec.json:1:77: jobset "main": )" + kKeepnrRange + "-1");
}

TEST(SpecJson, AByteOrderMarkTakesNoColumn) {
  EXPECT_EQ(errorOf("\xEF\xBB\xBF" + flakeJobset(R"("keepnr": -1)")),
            R"(spec.json:1:46: jobset "main": )" + kKeepnrRange + "-1");
  EXPECT_EQ(errorOf("\xEF\xBB\xBF"),
            "spec.json:1:4: invalid JSON: unexpected end of input; expected '[', '{', or a "
            "literal");
}

TEST(SpecJson, LinesEndAtLineFeeds) {
  // CR LF ends a line; a CR alone is white space, as in nlohmann's count of lines.
  EXPECT_EQ(errorOf("{\"main\": {\"type\": 1, \"flake\": \"f\",\r\n  \"keepnr\": -1}}"),
            R"(spec.json:2:13: jobset "main": )" + kKeepnrRange + "-1");
  EXPECT_EQ(errorOf("{\"main\": {\"type\": 1, \"flake\": \"f\",\r\"keepnr\": -1}}"),
            R"(spec.json:1:46: jobset "main": )" + kKeepnrRange + "-1");
}

TEST(SpecJson, MinusZeroIsZero) {
  EXPECT_EQ(parsedJobset(flakeJobset(R"("keepnr": -0)")).keepnr, 0);
}

TEST(SpecJson, KeyOf1024BytesIsRead) {
  // From its opening quote to the ':'. Kept from when yaml-cpp read JSON files.
  EXPECT_EQ(errorOf(flakeJobset("\"" + std::string(1022, 'k') + "\": 1")),
            R"(spec.json:1:36: jobset "main": unknown key ")" + std::string(1022, 'k') +
                R"("; known keys: enabled, hidden, type, flake, description, nixexprinput, )"
                R"(nixexprpath, checkinterval, schedulingshares, enableemail, )"
                R"(enable_dynamic_run_command, emailoverride, keepnr, inputs)");
}

TEST(SpecJson, HugeString) {
  const std::string big = std::string(4 << 20, 'x') + "é";
  EXPECT_EQ(parsedJobset(flakeJobset(R"("description": ")" + big + R"(\n")")).description,
            big + "\n");
  EXPECT_EQ(errorOf(flakeJobset(R"("description": ")" + big + R"(", "keepnr": -1)")),
            R"(spec.json:1:4194371: jobset "main": )" + kKeepnrRange + "-1");
}

TEST(SpecYamlLimits, NestingDeeperThan200) {
  EXPECT_EQ(errorOf(std::string(201, '[') + std::string(201, ']') + "\n", "spec.yaml"),
            "spec.yaml:1:201: nesting deeper than 200");
}

TEST(SpecYamlLimits, AnAliasInsideItsAnchorIsEndless) {
  EXPECT_EQ(errorOf("main: &m {type: 1, flake: f, description: *m}\n", "spec.yaml"),
            "spec.yaml:1:7: nesting deeper than 200");
}

TEST(SpecYamlLimits, AliasesExpandToAtMostAMillionValues) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char name = 'b'; name <= 'g'; ++name) {
    const std::string previous = "*" + std::string(1, static_cast<char>(name - 1));
    text += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", " : "") + previous;
    text += "]\n";
  }
  EXPECT_EQ(errorOf(text, "spec.yaml"),
            "spec.yaml:1:17: more than 1000000 values (counting each use of an alias)");
}

}  // namespace
}  // namespace hydrant::specs
