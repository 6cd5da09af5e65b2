#include "controller/git/local.hh"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hydrant::git {

Result<std::string> readLocalFile(const std::string& dir, const std::string& relpath) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(dir) / relpath;
  std::error_code ec;
  if (!fs::exists(path, ec)) return Error::stalled(path.string() + " not found");
  if (fs::is_directory(path, ec)) return Error::stalled(path.string() + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::stalled("cannot read " + path.string() + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace hydrant::git
