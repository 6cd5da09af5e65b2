// Loading exactly one YAML document safely. yaml-cpp 0.7's LoadAll loops forever on some
// malformed input (a stray "," after a document), so the first document is loaded with Load
// and a second one is only looked for, with a bounded number of parser steps. Used for spec
// files and for hydrant.yaml. Thread-safe (no shared state).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "specs/text.hh"

namespace hydrant::specs {

struct SingleDocument {
  YAML::Node node;                   // null for an empty text
  std::optional<YAML::Mark> second;  // where a second document starts, if there is one
};

// Throws YAML::Exception (with its mark) like YAML::Load does for malformed text.
SingleDocument loadSingleDocument(const std::string& text);

}  // namespace hydrant::specs
