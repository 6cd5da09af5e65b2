#include "reconcilers/spec_reader.hh"

#include <filesystem>
#include <sstream>

#include "controller/git/local.hh"
#include "controller/git/mirrors.hh"
#include "specs/fingerprint.hh"

namespace hydrant::reconcilers {

Result<GitValue> parseGitValue(const std::string& value) {
  std::istringstream in(value);
  GitValue v;
  in >> v.url >> v.ref;
  std::string extra;
  if (v.url.empty()) return Error::stalled("git input value is empty (expected \"URL [branch]\")");
  if (in >> extra) {
    return Error::stalled("git input value \"" + value +
                          "\" has more than a URL and a branch (Hydra's deep-clone flag and "
                          "other extras are not supported)");
  }
  return v;
}

std::string resolveRelativeUrl(const std::string& url, const std::string& base) {
  bool relative = url == "." || url == ".." || url.rfind("./", 0) == 0 || url.rfind("../", 0) == 0;
  if (!relative || base.empty()) return url;
  std::string prefix;
  std::string path = base;
  if (auto scheme = base.find("://"); scheme != std::string::npos) {
    prefix = base.substr(0, scheme + 3);
    path = base.substr(scheme + 3);
  }
  namespace fs = std::filesystem;
  std::string joined = (fs::path(path) / url).lexically_normal().string();
  while (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  return prefix + joined;
}

SpecReader::SpecReader(git::Mirrors& mirrors, std::string base_url,
                       std::chrono::milliseconds timeout)
    : mirrors_(mirrors), base_url_(std::move(base_url)), timeout_(timeout) {}

Result<FetchedSpec> SpecReader::readGit(const std::string& url, const std::string& ref,
                                        const std::string& file, std::stop_token stop) {
  auto commit = mirrors_.fetch(url, ref, timeout_, stop);
  if (!commit) return commit.error();
  auto text = mirrors_.readFile(url, *commit, file);
  if (!text) return text.error();
  return FetchedSpec{*commit, std::move(*text)};
}

Result<FetchedSpec> SpecReader::read(const std::string& type, const std::string& value,
                                     const std::string& file, std::stop_token stop) {
  if (type == "git") {
    auto v = parseGitValue(value);
    if (!v) return v.error();
    return readGit(resolveRelativeUrl(v->url, base_url_), v->ref, file, stop);
  }
  if (type == "path") {
    auto text = git::readLocalFile(resolveRelativeUrl(value, base_url_), file);
    if (!text) return text.error();
    return FetchedSpec{"path:" + specs::fingerprint(*text), std::move(*text)};
  }
  return Error::stalled("declarative input type \"" + type + "\" is not git or path");
}

}  // namespace hydrant::reconcilers
