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

// HMAC-SHA256 of `data` under `key` (any length; RFC 2104), as 64 lowercase hex digits. What
// GitHub's X-Hub-Signature-256 and Gitea's X-Gitea-Signature carry.
std::string hmacSha256Hex(std::string_view key, std::string_view data);

// Whether two hex strings encode the same bytes (either case), comparing the bytes in constant
// time. False when either is not hex (even length, 0-9a-fA-F only) or they differ in length; the
// lengths themselves are not secret (a digest's length is public).
bool hexEqualConstantTime(std::string_view a, std::string_view b);

// Whether two secrets are equal, in time that depends on neither their contents nor their
// lengths: their SHA-256 digests are compared in constant time. For bearer tokens.
bool secretEqualConstantTime(std::string_view a, std::string_view b);

}  // namespace hydrant::crypto
