#include "controller/web/html.hh"

#include <cctype>

namespace hydrant::web::html {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string page(std::string_view title, std::string_view body) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += escape(title);
  out +=
      " · Hydrant</title>\n<style>\n"
      "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:0 1rem;"
      "line-height:1.4;color:#222}\n"
      "nav{padding:.6rem 0;border-bottom:1px solid #ddd;margin-bottom:1rem}\n"
      "nav a{margin-right:1rem;font-weight:600}\n"
      "a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}\n"
      "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem;font-size:.95rem}\n"
      "th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;"
      "vertical-align:top;overflow-wrap:anywhere}\n"
      "th{background:#f6f6f6;overflow-wrap:normal}\n"
      ".ok{color:#1a7f37}.fail{color:#cf222e}.wait{color:#9a6700}.muted{color:#666}\n"
      ".error{color:#cf222e;white-space:pre-wrap}\n"
      "pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:.5rem}\n"
      "@media (max-width:40rem){th,td{padding:.25rem;font-size:.85rem}"
      "table{display:block;overflow-x:auto}}\n"
      "</style>\n</head>\n<body>\n<nav><a href=\"/\">Projects</a><a href=\"/queue\">Queue</a>"
      "<a href=\"/machines\">Machines</a></nav>\n<h1>";
  out += escape(title);
  out += "</h1>\n";
  out += body;
  out += "\n</body>\n</html>\n";
  return out;
}

std::string link(std::string_view href, std::string_view text) {
  return "<a href=\"" + escape(href) + "\">" + escape(text) + "</a>";
}

std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table>\n<thead><tr>";
  for (const std::string& h : head) out += "<th>" + escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& cell : row) out += "<td>" + cell + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  return out;
}

std::string urlSegment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace hydrant::web::html
