// libbz2's stream API is used rather than its FILE* helpers (BZ2_bzWriteOpen, BZ2_bzRead):
// those report a failed read or write without its errno, and the reader stops at the end of the
// first stream unless its caller carries the unused bytes over by hand anyway.
#include "controller/compress/bzip2.hh"

#include <bzlib.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <system_error>
#include <utility>

namespace hydrant::compress {
namespace {

constexpr size_t kChunk = 64 << 10;
// bz_stream counts its buffers in unsigned ints: larger pieces are fed in parts.
constexpr size_t kMaxPiece = size_t{1} << 30;
// A temporary name is taken by another writer only when a process of the same pid left one
// behind; a few more tries get past that.
constexpr int kTempAttempts = 100;
// A bzip2 stream starts with "BZh" and the block size digit.
constexpr uint32_t kHeaderBytes = 4;

std::string errnoText(int err) { return std::generic_category().message(err); }

std::string bzError(int rc) {
  switch (rc) {
    case BZ_DATA_ERROR_MAGIC:
      return "not bzip2 data";
    case BZ_DATA_ERROR:
      return "corrupt data (a checksum or the format is wrong)";
    case BZ_MEM_ERROR:
      return "out of memory";
    default:
      return "libbz2 error " + std::to_string(rc);
  }
}

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  void reset(int fd) {
    close();
    fd_ = fd;
  }
  // 0, or the errno of a failed close (where NFS and full quotas report failed writes).
  int close() {
    const int fd = std::exchange(fd_, -1);
    return fd == -1 || ::close(fd) == 0 ? 0 : errno;
  }

 private:
  int fd_;
};

// 0, or the errno of the failed write.
int writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

// The number of bytes read, 0 at the end of the file, or -1 with errno set.
ssize_t readSome(int fd, char* data, size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, data, size);
    if (n >= 0 || errno != EINTR) return n;
  }
}

// A bz_stream set up for decompressing, ended on destruction. Not movable: libbz2's state points
// back at the bz_stream.
class Decoder {
 public:
  Decoder() = default;
  ~Decoder() { end(); }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Starts the next stream, keeping the input the last one did not consume.
  int begin() {
    end();
    char* next_in = stream_.next_in;
    const unsigned avail_in = stream_.avail_in;
    stream_ = bz_stream{};
    stream_.next_in = next_in;
    stream_.avail_in = avail_in;
    const int rc = BZ2_bzDecompressInit(&stream_, 0, 0);
    open_ = rc == BZ_OK;
    return rc;
  }
  bz_stream& stream() { return stream_; }
  // Whether the stream begun last has consumed no more than the start of a header.
  bool withinHeader() const {
    return stream_.total_in_hi32 == 0 && stream_.total_in_lo32 < kHeaderBytes;
  }

 private:
  void end() {
    if (open_) BZ2_bzDecompressEnd(&stream_);
    open_ = false;
  }

  bz_stream stream_{};
  bool open_ = false;
};

}  // namespace

struct Bzip2Writer::State {
  std::string path;
  std::string temp;  // empty when there is no temporary file of ours to remove
  Fd fd;
  bz_stream stream{};
  bool stream_open = false;
  bool finished = false;
  std::optional<Error> failed;
  std::string out = std::string(kChunk, '\0');

  ~State() {
    if (stream_open) BZ2_bzCompressEnd(&stream);
    if (!finished && !temp.empty()) ::unlink(temp.c_str());
  }

  Error fail(const std::string& why) {
    failed = Error::transient("cannot write " + path + ": " + why);
    return *failed;
  }

  // Runs the compressor until it has taken all its input (BZ_RUN) or ended the stream
  // (BZ_FINISH), writing out what it produces.
  Result<void> pump(int action) {
    for (;;) {
      stream.next_out = out.data();
      stream.avail_out = static_cast<unsigned>(out.size());
      const int rc = BZ2_bzCompress(&stream, action);
      if (rc != BZ_RUN_OK && rc != BZ_FINISH_OK && rc != BZ_STREAM_END) return fail(bzError(rc));
      const int err = writeAll(fd.get(), out.data(), out.size() - stream.avail_out);
      if (err != 0) return fail(errnoText(err));
      if (action == BZ_RUN ? stream.avail_in == 0 : rc == BZ_STREAM_END) return {};
    }
  }
};

Bzip2Writer::Bzip2Writer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Bzip2Writer::Bzip2Writer(Bzip2Writer&&) noexcept = default;
Bzip2Writer& Bzip2Writer::operator=(Bzip2Writer&&) noexcept = default;
Bzip2Writer::~Bzip2Writer() = default;

Result<Bzip2Writer> Bzip2Writer::open(const std::string& path, int block_size) {
  assert(block_size >= 1 && block_size <= 9);
  static std::atomic<unsigned> next_temp{0};
  auto s = std::make_unique<State>();
  s->path = path;
  // O_EXCL rather than mkstemp, whose 0600 would hide the log from a web server's user.
  int fd = -1;
  for (int attempt = 0; fd == -1 && attempt < kTempAttempts; ++attempt) {
    s->temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(next_temp++);
    fd = ::open(s->temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd == -1 && errno != EEXIST) break;
  }
  if (fd == -1) {
    const int err = errno;
    s->temp.clear();  // not ours
    return s->fail(errnoText(err));
  }
  s->fd.reset(fd);
  const int rc = BZ2_bzCompressInit(&s->stream, block_size, 0, 0);
  if (rc != BZ_OK) return s->fail(bzError(rc));
  s->stream_open = true;
  return Bzip2Writer(std::move(s));
}

Result<void> Bzip2Writer::append(std::string_view data) {
  State& s = *state_;
  assert(!s.finished);
  if (s.failed) return *s.failed;
  while (!data.empty()) {
    const size_t piece = std::min(data.size(), kMaxPiece);
    s.stream.next_in = const_cast<char*>(data.data());  // libbz2 only reads its input
    s.stream.avail_in = static_cast<unsigned>(piece);
    if (Result<void> r = s.pump(BZ_RUN); !r) return r;
    data.remove_prefix(piece);
  }
  return {};
}

Result<void> Bzip2Writer::finish() {
  State& s = *state_;
  assert(!s.finished);
  if (s.failed) return *s.failed;
  s.stream.next_in = nullptr;
  s.stream.avail_in = 0;
  if (Result<void> r = s.pump(BZ_FINISH); !r) return r;
  BZ2_bzCompressEnd(&s.stream);
  s.stream_open = false;
  if (const int err = s.fd.close(); err != 0) return s.fail(errnoText(err));
  if (std::rename(s.temp.c_str(), s.path.c_str()) != 0) return s.fail(errnoText(errno));
  s.finished = true;
  return {};
}

const std::string& Bzip2Writer::path() const { return state_->path; }

Result<void> compressFile(const std::string& from, const std::string& to,
                          const std::stop_token& stop) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() == -1) return Error::transient("cannot read " + from + ": " + errnoText(errno));
  Result<Bzip2Writer> out = Bzip2Writer::open(to);
  if (!out) return out.error();
  std::string buffer(kChunk, '\0');
  for (;;) {
    if (stop.stop_requested()) return Error::transient("compressing " + from + " was stopped");
    const ssize_t n = readSome(in.get(), buffer.data(), buffer.size());
    if (n < 0) return Error::transient("cannot read " + from + ": " + errnoText(errno));
    if (n == 0) break;
    if (Result<void> r = out->append({buffer.data(), static_cast<size_t>(n)}); !r) return r;
  }
  return out->finish();
}

Result<std::string> decompressFile(const std::string& path, size_t cap, bool* truncated) {
  const auto fail = [&](ErrorClass cls, const std::string& why) {
    return Error{cls, "cannot decompress " + path + ": " + why, {}};
  };
  if (truncated) *truncated = false;
  Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() == -1) return fail(ErrorClass::kTransient, errnoText(errno));
  // One byte past the cap tells whether there is more.
  const size_t want = cap == SIZE_MAX ? cap : cap + 1;
  std::string input(kChunk, '\0');
  std::string out;
  size_t used = 0;
  bool eof = false;
  bool ended_one = false;  // a stream has ended: what follows may be garbage to ignore
  Decoder decoder;
  if (const int rc = decoder.begin(); rc != BZ_OK) return fail(ErrorClass::kTransient, bzError(rc));
  bz_stream& s = decoder.stream();
  while (used < want) {
    if (s.avail_in == 0 && !eof) {
      const ssize_t n = readSome(in.get(), input.data(), input.size());
      if (n < 0) return fail(ErrorClass::kTransient, errnoText(errno));
      eof = n == 0;
      s.next_in = input.data();
      s.avail_in = static_cast<unsigned>(n);
    }
    // bzip2 -dc ignores a few stray bytes at the end as it ignores longer ones.
    if (s.avail_in == 0 && eof && ended_one && decoder.withinHeader()) break;
    if (out.size() == used) out.resize(std::min(want, used + std::max(kChunk, used)));
    const unsigned room = static_cast<unsigned>(std::min(out.size() - used, kMaxPiece));
    s.next_out = out.data() + used;
    s.avail_out = room;
    const int rc = BZ2_bzDecompress(&s);
    used += room - s.avail_out;
    if (rc == BZ_STREAM_END) {
      ended_one = true;
      if (const int init = decoder.begin(); init != BZ_OK) {
        return fail(ErrorClass::kTransient, bzError(init));
      }
    } else if (rc == BZ_DATA_ERROR_MAGIC && ended_one) {
      break;
    } else if (rc != BZ_OK) {
      return fail(rc == BZ_MEM_ERROR ? ErrorClass::kTransient : ErrorClass::kStalled, bzError(rc));
    } else if (s.avail_in == 0 && eof && s.avail_out > 0) {
      const bool empty = !ended_one && s.total_in_lo32 == 0 && s.total_in_hi32 == 0;
      return fail(ErrorClass::kStalled, empty ? "the file is empty" : "the data ends too early");
    }
  }
  out.resize(std::min(used, cap));
  if (truncated) *truncated = used > cap;
  return out;
}

}  // namespace hydrant::compress
