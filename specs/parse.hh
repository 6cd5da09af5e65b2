// Parsing and validating spec files (JSON or YAML) into the model. Pure: the caller reads the
// file and passes its text. Every problem is reported with its place and a plain message,
// e.g. `spec.json:14:9: jobset "main": unknown key "flakeref" (did you mean "flake"?)`, and all
// problems of a file are reported at once, in file order. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "specs/model.hh"
#include "specs/result.hh"

namespace YAML {
class Node;
}

namespace hydrant::specs {

enum class Format { kJson, kYaml };

// .json → kJson; .yaml/.yml → kYaml; anything else → kJson (Hydra's spec files are JSON).
Format formatOf(const std::string& filename);

// One located problem.
struct Diagnostic {
  Location where;
  std::string message;      // without the location
  std::string str() const;  // "file:line:col: message"
};

// All diagnostics joined by newlines, as an Error of class kInvalid.
Error toError(const std::vector<Diagnostic>& diagnostics);

// A project's spec file. `filename` is used for the format and in messages. JSON is checked
// strictly (no comments, no trailing commas, no duplicate keys) before it is read.
// Error (kInvalid): every diagnostic, one per line.
Result<ProjectFile> parseProjectFile(const std::string& text, const std::string& filename);

// A root projects file.
Result<RootFile> parseRootFile(const std::string& text, const std::string& filename);

// The same as parseRootFile, for projects written inline in hydrant.yaml under `projects:
// inline:`; `node` keeps its marks so messages point into hydrant.yaml.
Result<RootFile> parseRootNode(const YAML::Node& node, const std::string& filename);

// A name that may be used for a jobset: [A-Za-z_][A-Za-z0-9_.-]* (or ".jobsets").
bool validJobsetName(const std::string& name);
// A name that may be used for a project: [A-Za-z_][A-Za-z0-9_-]*.
bool validProjectName(const std::string& name);

}  // namespace hydrant::specs
