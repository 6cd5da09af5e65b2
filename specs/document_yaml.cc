// YAML documents, loaded by yaml-cpp and copied into Values; declared in specs/document.hh.
#include <yaml-cpp/yaml.h>

#include "specs/document.hh"
#include "specs/yaml_load.hh"

namespace hydrant::specs {
namespace {

Position positionOf(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Copies a yaml-cpp tree. An alias is a second reference to the node of its anchor, so a copy
// can be far larger than the text, or endless (`&a [*a]`): depth and size are bounded.
class YamlCopier {
 public:
  explicit YamlCopier(Sink& sink) : sink_(sink) {}

  // False after reporting why the copy stopped.
  bool copy(const YAML::Node& node, Value& out, int depth) {
    out.where = positionOf(node.Mark());
    if (++count_ > kMaxYamlValues) {
      return fail(out.where, "more than " + std::to_string(kMaxYamlValues) +
                                 " values (counting each use of an alias)");
    }
    switch (node.Type()) {
      case YAML::NodeType::Scalar:
        out.kind = Value::Kind::kScalar;
        out.text = node.Scalar();
        // yaml-cpp tags a quoted scalar "!" and a plain one "?".
        out.quoted = node.Tag() == "!";
        return true;
      case YAML::NodeType::Sequence:
        out.kind = Value::Kind::kSequence;
        if (depth >= kMaxDepth) return tooDeep(out.where);
        out.items.reserve(node.size());
        for (const auto& item : node) {
          if (!copy(item, out.items.emplace_back(), depth + 1)) return false;
        }
        return true;
      case YAML::NodeType::Map: {
        out.kind = Value::Kind::kMap;
        if (depth >= kMaxDepth) return tooDeep(out.where);
        out.members.reserve(node.size());
        for (const auto& pair : node) {
          Member& member = out.members.emplace_back();
          if (!copy(pair.first, member.key, depth + 1)) return false;
          if (!copy(pair.second, member.value, depth + 1)) return false;
        }
        return true;
      }
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        break;
    }
    out.kind = Value::Kind::kNull;
    return true;
  }

 private:
  bool tooDeep(Position where) {
    return fail(where, "nesting deeper than " + std::to_string(kMaxDepth));
  }
  bool fail(Position where, const std::string& message) {
    sink_.add(sink_.at(where), message);
    return false;
  }

  Sink& sink_;
  long count_ = 0;
};

}  // namespace

std::optional<Value> fromYaml(const YAML::Node& node, Sink& sink) {
  Value value;
  if (!YamlCopier(sink).copy(node, value, 0)) return std::nullopt;
  return value;
}

std::optional<Value> loadYaml(const std::string& text, Sink& sink) {
  SingleDocument doc;
  try {
    doc = loadSingleDocument(text);
  } catch (const YAML::Exception& e) {
    sink.add(sink.at(positionOf(e.mark)), printable(e.msg));
    return std::nullopt;
  }
  if (doc.second) {
    sink.add(sink.at(positionOf(*doc.second)), "expected one document, found a second one");
    return std::nullopt;
  }
  return doc.node.IsDefined() && !doc.node.IsNull() ? fromYaml(doc.node, sink) : Value();
}

}  // namespace hydrant::specs
