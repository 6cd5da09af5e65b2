// Writing user text into messages: quoted with escapes, control characters made visible, so a
// message always stays one readable line. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace hydrant::specs {

// `"text"` with quotes, backslashes and control characters escaped.
std::string quote(std::string_view text);

// `message` with control characters written as \n, \t or \xNN, so a library's message that
// quotes raw input stays on one line.
std::string printable(const std::string& message);

}  // namespace hydrant::specs
