#include "specs/yaml_load.hh"

#include <yaml-cpp/eventhandler.h>

#include <cstdio>
#include <sstream>

namespace hydrant::specs {

namespace {

// Records where documents start and ignores everything else.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { last = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
  YAML::Mark last = YAML::Mark::null_mark();
};

}  // namespace

SingleDocument loadSingleDocument(const std::string& text) {
  SingleDocument out;
  out.node = YAML::Load(text);
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  // The first call handles the document already loaded; a second true means another follows.
  if (parser.HandleNextDocument(starts) && parser.HandleNextDocument(starts)) {
    out.second = starts.last;
  }
  return out;
}

}  // namespace hydrant::specs
