#include "controller/logs.hh"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "controller/compress/bzip2.hh"
#include "controller/db/evals.hh"
#include "controller/db/steps.hh"

namespace hydrant::logs {

namespace {

namespace fs = std::filesystem;

std::string truncationNote(size_t cap) {
  return "\n[log cut after " + std::to_string(cap) + " bytes]\n";
}

// The latest step matching `pred`, searching from the highest stepnr down.
template <class Pred>
const db::StepView* latest(const std::vector<db::StepView>& steps, Pred pred) {
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (pred(*it)) return &*it;
  }
  return nullptr;
}

Result<std::string> readPlain(const std::string& path, size_t cap) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (!in || ec) return Error::stalled("cannot read the log file " + path);
  // A running step's log grows while it is read: what was there at the start is shown.
  std::string text(static_cast<size_t>(std::min<uintmax_t>(size, cap)), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (size > cap) text += truncationNote(cap);
  return text;
}

}  // namespace

std::string stepLogPath(const std::string& log_dir, const std::string& drv_path) {
  const std::string base = fs::path(drv_path).filename().string();
  return (fs::path(log_dir) / base.substr(0, 2) / (base.substr(2) + ".bz2")).string();
}

Result<db::StepView> chooseLogStep(const db::BuildView& build, const std::vector<db::StepView>& own,
                                   const std::optional<db::StepView>& same_drv_elsewhere,
                                   std::optional<int> stepnr) {
  const std::string name = "build " + std::to_string(build.id);
  if (stepnr) {
    const db::StepView* s = latest(own, [&](const db::StepView& x) { return x.stepnr == *stepnr; });
    if (!s) return Error::stalled(name + " has no step " + std::to_string(*stepnr));
    return *s;
  }
  if (build.finished && build.buildstatus.value_or(0) != 0) {
    // Aborted tries that were redone come before the step that failed the build.
    const db::StepView* failed =
        latest(own, [](const db::StepView& x) { return x.status.value_or(0) != 0; });
    if (failed) return *failed;
  }
  const db::StepView* top =
      latest(own, [&](const db::StepView& x) { return x.drvpath == build.drvpath; });
  if (top) return *top;
  if (same_drv_elsewhere) return *same_drv_elsewhere;
  if (!own.empty()) return own.back();
  return Error::stalled(name + " has no steps (it was cached or has not started)");
}

Result<std::string> readStepLog(const std::string& path, size_t cap) {
  std::string plain = path;
  if (plain.ends_with(".bz2")) plain.resize(plain.size() - 4);
  std::error_code ec;
  // While the .bz2 is being written the uncompressed file is still there, and complete.
  if (plain != path && fs::exists(plain, ec)) return readPlain(plain, cap);
  if (!fs::exists(path, ec)) return Error::stalled("no log file at " + path);
  if (plain == path) return readPlain(path, cap);
  bool truncated = false;
  Result<std::string> text = compress::decompressFile(path, cap, &truncated);
  if (text && truncated) *text += truncationNote(cap);
  return text;
}

}  // namespace hydrant::logs
