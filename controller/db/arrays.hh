// Postgres array literals for set-based statements: a column of values is sent as one text
// parameter ('{"a","b",NULL}') and unnested in SQL. Internal to controller/db/.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hydrant::db {

// Accumulates one array-valued parameter.
class ArrayParam {
 public:
  void add(const std::string& v) {
    sep();
    text_ += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void add(const std::optional<std::string>& v) {
    if (v) {
      add(*v);
    } else {
      sep();
      text_ += "NULL";
    }
  }
  void add(long long v) { add(std::to_string(v)); }
  void add(int v) { add(std::to_string(v)); }
  void add(bool v) { add(v ? 1 : 0); }
  std::string literal() const { return "{" + text_ + "}"; }
  bool empty() const { return text_.empty(); }

 private:
  void sep() {
    if (!text_.empty()) text_ += ',';
  }
  std::string text_;
};

}  // namespace hydrant::db
