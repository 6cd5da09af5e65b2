// Build logs are stored as bzip2 files that `hydrant log`, Hydra's tools and `bzip2 -dc` read
// back: what goes in must come out, a reader must never find half a file under the log's name,
// and a damaged file must say which file and what is wrong with it.
#include "controller/compress/bzip2.hh"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <stop_token>
#include <string>
#include <vector>

#include "tests/unit/temp_dir.hh"

namespace hydrant::compress {
namespace {

using unit::TempDir;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Log-like lines with random words and numbers, and now and then a run of random bytes, so
// bzip2 meets both text it compresses well and data it cannot.
std::string logLike(size_t size, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::string> words = {
      "building", "gcc",    "-O2",      "checking", "for",
      "make[2]:", "error:", "warning:", "ok",       "/nix/store/"};
  std::string out;
  while (out.size() < size) {
    if (rng() % 50 == 0) {
      for (int i = 0; i < 200; ++i) out += static_cast<char>(rng());
      continue;
    }
    for (uint32_t i = 0, n = 3 + rng() % 8; i < n; ++i) {
      out += words[rng() % words.size()] + std::to_string(rng() % 1000) + ' ';
    }
    out += '\n';
  }
  out.resize(size);
  return out;
}

// Writes `text` as a bzip2 file at `path` through the writer, in pieces of `piece` bytes.
void writeBz2(const std::string& path, const std::string& text, size_t piece = 4096) {
  Result<Bzip2Writer> w = Bzip2Writer::open(path);
  ASSERT_TRUE(w) << w.error().message;
  for (size_t at = 0; at < text.size(); at += piece) {
    const Result<void> r = w->append(std::string_view(text).substr(at, piece));
    ASSERT_TRUE(r) << r.error().message;
  }
  const Result<void> r = w->finish();
  ASSERT_TRUE(r) << r.error().message;
}

struct RoundTripCase {
  std::string name;
  std::string text;
  size_t piece;  // bytes per append()
};

void PrintTo(const RoundTripCase& c, std::ostream* out) { *out << c.name; }

class Bzip2RoundTrip : public testing::TestWithParam<RoundTripCase> {};

TEST_P(Bzip2RoundTrip, DecompressesToWhatWasWritten) {
  const RoundTripCase& c = GetParam();
  TempDir dir;
  const std::string path = dir.path("log.bz2");
  writeBz2(path, c.text, c.piece);
  EXPECT_EQ(readFile(path).substr(0, 3), "BZh");
  bool truncated = true;
  Result<std::string> back = decompressFile(path, SIZE_MAX, &truncated);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->size(), c.text.size());
  EXPECT_TRUE(*back == c.text);
  EXPECT_FALSE(truncated);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Bzip2RoundTrip,
    testing::Values(RoundTripCase{"Empty", "", 1}, RoundTripCase{"OneLine", "hello, world\n", 4096},
                    RoundTripCase{"ByteByByte", logLike(3000, 1), 1},
                    RoundTripCase{"FiveMiBLogLike", logLike(5 << 20, 2), 65536},
                    RoundTripCase{"FiveMiBInOneAppend", logLike(5 << 20, 3), 5 << 20}),
    [](const testing::TestParamInfo<RoundTripCase>& info) { return info.param.name; });

TEST(Bzip2Writer, TheFileAppearsOnlyOnFinish) {
  TempDir dir;
  const std::string path = dir.path("log.bz2");
  Result<Bzip2Writer> w = Bzip2Writer::open(path);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->path(), path);
  // More than a block, so compressed data has been written out before finish().
  ASSERT_TRUE(w->append(logLike(2 << 20, 4)));
  EXPECT_FALSE(std::filesystem::exists(path));
  ASSERT_EQ(dir.names().size(), 1u);
  EXPECT_TRUE(dir.names()[0].starts_with("log.bz2.tmp-")) << dir.names()[0];
  EXPECT_GT(std::filesystem::file_size(dir.path(dir.names()[0])), 0u);
  ASSERT_TRUE(w->finish());
  EXPECT_EQ(dir.names(), std::vector<std::string>{"log.bz2"});
}

TEST(Bzip2Writer, FinishReplacesAnOlderFile) {
  TempDir dir;
  const std::string path = dir.write("log.bz2", "an older log");
  writeBz2(path, "the new log\n");
  Result<std::string> back = decompressFile(path, SIZE_MAX);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, "the new log\n");
}

TEST(Bzip2Writer, AnUnfinishedWriterLeavesThePathAsItWas) {
  TempDir dir;
  const std::string path = dir.write("log.bz2", "the old log");
  {
    Result<Bzip2Writer> w = Bzip2Writer::open(path);
    ASSERT_TRUE(w) << w.error().message;
    ASSERT_TRUE(w->append(logLike(1 << 20, 5)));
  }
  EXPECT_EQ(dir.names(), std::vector<std::string>{"log.bz2"});
  EXPECT_EQ(readFile(path), "the old log");
}

TEST(Bzip2Writer, AMissingDirectoryIsNamed) {
  TempDir dir;
  const std::string path = dir.path("no/such/dir/log.bz2");
  Result<Bzip2Writer> w = Bzip2Writer::open(path);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().message, "cannot write " + path + ": No such file or directory");
  EXPECT_EQ(w.error().cls, ErrorClass::kTransient);
}

TEST(Bzip2Decompress, ConcatenatedStreamsAreReadOneAfterAnother) {
  TempDir dir;
  const std::string first = logLike(300000, 6);
  writeBz2(dir.path("a.bz2"), first);
  writeBz2(dir.path("b.bz2"), "second stream\n");
  writeBz2(dir.path("c.bz2"), "");
  const std::string both =
      dir.write("both.bz2", readFile(dir.path("a.bz2")) + readFile(dir.path("c.bz2")) +
                                readFile(dir.path("b.bz2")));
  Result<std::string> back = decompressFile(both, SIZE_MAX);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == first + "second stream\n");
}

TEST(Bzip2Decompress, BytesAfterTheLastStreamAreIgnoredAsByBzip2) {
  TempDir dir;
  writeBz2(dir.path("a.bz2"), "the log\n");
  for (const std::string garbage : {"x", "xyz", "not a stream at all"}) {
    const std::string path = dir.write("g.bz2", readFile(dir.path("a.bz2")) + garbage);
    Result<std::string> back = decompressFile(path, SIZE_MAX);
    ASSERT_TRUE(back) << garbage << ": " << back.error().message;
    EXPECT_EQ(*back, "the log\n") << garbage;
  }
}

TEST(Bzip2Decompress, StopsAtTheCap) {
  TempDir dir;
  const std::string text = logLike(1 << 20, 7);
  const std::string path = dir.path("log.bz2");
  writeBz2(path, text);
  struct {
    size_t cap;
    bool truncated;
  } const rows[] = {{0, true}, {1000, true}, {text.size() - 1, true}, {text.size(), false}};
  for (const auto& row : rows) {
    bool truncated = !row.truncated;
    Result<std::string> back = decompressFile(path, row.cap, &truncated);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(*back == text.substr(0, row.cap)) << "cap " << row.cap;
    EXPECT_EQ(truncated, row.truncated) << "cap " << row.cap;
  }
}

TEST(Bzip2Decompress, TheCapCountsAcrossStreams) {
  TempDir dir;
  writeBz2(dir.path("a.bz2"), "first\n");
  writeBz2(dir.path("b.bz2"), "second\n");
  const std::string path =
      dir.write("ab.bz2", readFile(dir.path("a.bz2")) + readFile(dir.path("b.bz2")));
  bool truncated = false;
  Result<std::string> back = decompressFile(path, 9, &truncated);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, "first\nsec");
  EXPECT_TRUE(truncated);
}

struct DamageCase {
  std::string name;
  // What the file holds, given a good bzip2 file of a 200 kB log.
  std::string (*damage)(std::string good);
  std::string reason;
};

void PrintTo(const DamageCase& c, std::ostream* out) { *out << c.name; }

class Bzip2Damaged : public testing::TestWithParam<DamageCase> {};

TEST_P(Bzip2Damaged, SaysWhichFileAndWhatIsWrong) {
  const DamageCase& c = GetParam();
  TempDir dir;
  writeBz2(dir.path("good.bz2"), logLike(200000, 8));
  const std::string path = dir.write("log.bz2", c.damage(readFile(dir.path("good.bz2"))));
  Result<std::string> back = decompressFile(path, SIZE_MAX);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().message, "cannot decompress " + path + ": " + c.reason);
  EXPECT_EQ(back.error().cls, ErrorClass::kStalled);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Bzip2Damaged,
    testing::Values(DamageCase{"FlippedByte",
                               [](std::string s) {
                                 s[s.size() / 2] ^= 0x55;
                                 return s;
                               },
                               "corrupt data (a checksum or the format is wrong)"},
                    DamageCase{"NotBzip2", [](std::string) { return std::string("plain text\n"); },
                               "not bzip2 data"},
                    DamageCase{"CutShort", [](std::string s) { return s.substr(0, s.size() / 2); },
                               "the data ends too early"},
                    DamageCase{"Empty", [](std::string) { return std::string(); },
                               "the file is empty"}),
    [](const testing::TestParamInfo<DamageCase>& info) { return info.param.name; });

TEST(Bzip2Decompress, AMissingFileIsNamed) {
  TempDir dir;
  const std::string path = dir.path("missing.bz2");
  Result<std::string> back = decompressFile(path, SIZE_MAX);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().message, "cannot decompress " + path + ": No such file or directory");
}

TEST(Bzip2CompressFile, CompressesAndKeepsTheSource) {
  TempDir dir;
  const std::string text = logLike(500000, 9);
  const std::string from = dir.write("log", text);
  const Result<void> r = compressFile(from, dir.path("log.bz2"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(readFile(from), text);
  Result<std::string> back = decompressFile(dir.path("log.bz2"), SIZE_MAX);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(*back == text);
}

TEST(Bzip2CompressFile, AMissingSourceIsNamedAndNothingIsWritten) {
  TempDir dir;
  const Result<void> r = compressFile(dir.path("log"), dir.path("log.bz2"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cannot read " + dir.path("log") + ": No such file or directory");
  EXPECT_TRUE(dir.names().empty());
}

TEST(Bzip2CompressFile, AStopLeavesNoFile) {
  TempDir dir;
  const std::string from = dir.write("log", logLike(100000, 10));
  std::stop_source stop;
  stop.request_stop();
  const Result<void> r = compressFile(from, dir.path("log.bz2"), stop.get_token());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "compressing " + from + " was stopped");
  EXPECT_EQ(dir.names(), std::vector<std::string>{"log"});
}

}  // namespace
}  // namespace hydrant::compress
