// Building HTML text for the status pages: escaping, the page frame (navigation, a small
// stylesheet that reads well on a phone, no JavaScript), and a few pieces every page uses.
// Everything that comes from a spec, a repository or a build goes through escape(). Pure
// functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hydrant::web::html {

// `text` with & < > " ' replaced by entities: safe in element content and quoted attributes.
std::string escape(std::string_view text);

// A complete document: <title>, the navigation (Projects, Queue, Machines), an <h1> with
// `title`, then `body` (already HTML). `title` is escaped here.
std::string page(std::string_view title, std::string_view body);

// <a href="href">text</a>, both escaped.
std::string link(std::string_view href, std::string_view text);

// A table: `head` cells are escaped; `rows` cells are HTML already (use escape() or link()).
std::string table(const std::vector<std::string>& head,
                  const std::vector<std::vector<std::string>>& rows);

// A path segment percent-encoded for use in a URL (project, jobset and job names).
std::string urlSegment(std::string_view text);

}  // namespace hydrant::web::html
