// libFuzzer target for the spec parser (specs/parse.hh). Each input is read as a project spec
// file (JSON and YAML) and as a root projects file (JSON and YAML), and the result is checked
// against what must hold for any text a user can commit: no exception or crash, a model that
// obeys the spec rules on success, and located messages on failure. Built with clang++ only
// (tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <string_view>

#include "specs/model.hh"
#include "specs/parse.hh"

namespace hydrant::specs {
namespace {

// Aborts with `what`, so libFuzzer records the input as a crash.
void require(bool ok, const std::string& file, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken (%s): %s\n", file.c_str(), what);
  std::abort();
}

// Every line of a failure says where: "<file>:" first, whatever the input was.
void checkError(const Error& error, const std::string& file) {
  require(error.cls == ErrorClass::kInvalid, file, "a parse error is of class Invalid");
  require(!error.message.empty(), file, "a parse error has a message");
  std::string_view rest = error.message;
  const std::string prefix = file + ":";
  while (true) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (line.substr(0, prefix.size()) != prefix) {
      std::fprintf(stderr, "line without location: [%.*s]\n", static_cast<int>(line.size()),
                   line.data());
    }
    require(line.substr(0, prefix.size()) == prefix, file, "every error line starts with file:");
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
}

void checkJobset(const JobsetSpec& j, const std::string& file) {
  require(validJobsetName(j.name), file, "jobset name is valid");
  require(j.type == 0 || j.type == 1, file, "type is 0 or 1");
  if (j.type == 0) {
    require(j.nixexprinput && j.nixexprpath && !j.flake, file, "type 0: nixexpr*, no flake");
  } else {
    require(j.flake && !j.nixexprinput && !j.nixexprpath, file, "type 1: flake, no nixexpr*");
  }
  if (j.nixexprpath) {
    require(!j.nixexprpath->empty() && (*j.nixexprpath)[0] != '/', file, "nixexprpath relative");
  }
  require(j.checkinterval >= 0 && j.keepnr >= 0 && j.schedulingshares > 0, file, "int ranges");
  std::set<std::string> names;
  for (size_t i = 0; i < j.inputs.size(); ++i) {
    require(i == 0 || j.inputs[i - 1].name < j.inputs[i].name, file, "inputs sorted, unique");
    names.insert(j.inputs[i].name);
  }
  if (j.nixexprinput) require(names.count(*j.nixexprinput) == 1, file, "nixexprinput is an input");
}

void checkProjectFile(const std::string& text, const std::string& file) {
  Result<ProjectFile> r = parseProjectFile(text, file);
  if (!r) return checkError(r.error(), file);
  const ProjectFile& p = *r;
  if (p.mode == ProjectFile::Mode::kGenerated) {
    require(p.jobsets.size() == 1 && p.jobsets[0].name == kGeneratorJobset, file,
            "generated mode has exactly the .jobsets jobset");
  }
  for (size_t i = 0; i < p.jobsets.size(); ++i) {
    if (p.mode == ProjectFile::Mode::kStatic) {
      require(p.jobsets[i].name != kGeneratorJobset, file, "no .jobsets in static mode");
    }
    require(i == 0 || p.jobsets[i - 1].name < p.jobsets[i].name, file, "jobsets sorted, unique");
    checkJobset(p.jobsets[i], file);
  }
}

void checkRootFile(const std::string& text, const std::string& file) {
  Result<RootFile> r = parseRootFile(text, file);
  if (!r) return checkError(r.error(), file);
  const std::vector<ProjectSpec>& projects = r->projects;
  for (size_t i = 0; i < projects.size(); ++i) {
    const ProjectSpec& p = projects[i];
    require(validProjectName(p.name), file, "project name is valid");
    require(i == 0 || projects[i - 1].name < p.name, file, "projects sorted, unique");
    require(!p.declarative.file.empty() && p.declarative.file[0] != '/', file, "file relative");
    require(p.declarative.type == "git" || p.declarative.type == "path", file, "git or path");
    require(!p.declarative.value.empty(), file, "declarative value non-empty");
  }
}

}  // namespace
}  // namespace hydrant::specs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hydrant::specs;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    checkProjectFile(text, "spec.json");
    checkProjectFile(text, "spec.yaml");
    checkRootFile(text, "projects.json");
    checkRootFile(text, "projects.yaml");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "the parser threw: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "the parser threw a non-std exception\n");
    std::abort();
  }
  return 0;
}
