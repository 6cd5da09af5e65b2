// Cryptographic hashes and encodings, the only place that uses libsodium. Pure functions,
// thread-safe once init() has run (it is called by each function, and is idempotent).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hydrant::crypto {

// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);

// The bytes of standard (padded) base64 text, ignoring blanks and newlines; std::nullopt when
// `text` is not base64.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace hydrant::crypto
