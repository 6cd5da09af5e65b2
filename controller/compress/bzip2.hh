// bzip2 files, compressed and decompressed in this process through libbz2 (the only folder that
// includes <bzlib.h>): a writer that builds a .bz2 file piece by piece and shows it under its
// name only once it is complete, and whole-file helpers. A Bzip2Writer is owned by one thread at
// a time; the free functions are thread-safe (each call owns its files).
#pragma once

#include <cstddef>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "specs/result.hh"

namespace hydrant::compress {

// bzip2's block size, in units of 100 kB, when none is given. On a 1 MiB build log every size
// from 1 to 9 compressed at about 16 MB/s; 5 gave the smallest file and needs about half the
// memory of 9 (4.4 MB rather than 7.6 MB to compress, 2.1 MB rather than 3.7 MB to decompress).
inline constexpr int kDefaultBlockSize = 5;

class Bzip2Writer {
 public:
  // Starts the bzip2 file that will be `path`. The data goes to a new temporary file beside it
  // (`path`.tmp-<pid>-<n>, mode 0666 less the umask), which finish() renames to `path`, so a
  // reader never sees a partial file under that name. REQUIRES: 1 <= block_size <= 9.
  // Error (kTransient) "cannot write <path>: <reason>" when the temporary file cannot be made.
  static Result<Bzip2Writer> open(const std::string& path, int block_size = kDefaultBlockSize);

  Bzip2Writer(Bzip2Writer&&) noexcept;
  Bzip2Writer& operator=(Bzip2Writer&&) noexcept;
  // Unless finish() succeeded, removes the temporary file: `path` is left as it was.
  ~Bzip2Writer();

  // Compresses `data`, writing out whatever blocks it completes.
  // Error (kTransient) "cannot write <path>: <reason>"; once a call has failed, every later
  // append() and finish() returns that same error.
  Result<void> append(std::string_view data);

  // Ends the stream, closes the temporary file and renames it to `path`, replacing any file of
  // that name. The data is not synced to disk: a crash may lose it, as with the bzip2 program.
  // Error (kTransient) "cannot write <path>: <reason>", and then `path` is left as it was.
  // REQUIRES: finish() has not succeeded before.
  Result<void> finish();

  // The name the file gets on finish().
  const std::string& path() const;

 private:
  struct State;
  explicit Bzip2Writer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Compresses the file `from` into the bzip2 file `to` through a Bzip2Writer, so `to` appears
// only complete; `from` is kept. Checks `stop` between reads of 64 KiB.
// Errors (kTransient): "cannot read <from>: <reason>", "cannot write <to>: <reason>",
// "compressing <from> was stopped".
Result<void> compressFile(const std::string& from, const std::string& to,
                          const std::stop_token& stop = {});

// The contents of the bzip2 file at `path`, decompressed, at most `cap` bytes of it; when
// `truncated` is given, it is set to whether there was more. Like `bzip2 -dc`, it decodes the
// streams of concatenated bzip2 files one after another, and ignores bytes after a complete
// stream that do not start another one.
// Errors: kTransient "cannot decompress <path>: <reason>" when the file cannot be opened or read;
// kStalled "cannot decompress <path>: <reason>" when it is not bzip2 data, is corrupt, or ends
// in the middle of a stream (an empty file among them).
Result<std::string> decompressFile(const std::string& path, size_t cap, bool* truncated = nullptr);

}  // namespace hydrant::compress
