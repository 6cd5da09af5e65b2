// Cryptographic hashes, the only place that uses libsodium. Pure functions, thread-safe once
// init() has run (it is called by each function, and is idempotent).
#pragma once

#include <string>
#include <string_view>

namespace hydrant::crypto {

// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);

}  // namespace hydrant::crypto
