// A finished step's log, compressed in this process; readers switch to the .bz2 when the
// uncompressed file goes.
#include "controller/nix/build_log.hh"

#include <filesystem>
#include <system_error>

#include "controller/compress/bzip2.hh"
#include "controller/log.hh"

namespace hydrant::nix::detail {

namespace fs = std::filesystem;

std::string compressLog(const std::string& log_path, const std::stop_token& stop) {
  const std::string compressed = log_path + ".bz2";
  const Result<void> done = compress::compressFile(log_path, compressed, stop);
  if (!done) {
    if (!stop.stop_requested()) {
      log::warn("builder", "{}; the log stays uncompressed", done.error().message);
    }
    return log_path;
  }
  // Readers take the uncompressed file while it is there, so removing it is what switches them
  // over; if that fails they go on reading it, which is as complete.
  std::error_code ec;
  fs::remove(log_path, ec);
  return compressed;
}

}  // namespace hydrant::nix::detail
