// Fingerprints: a short, stable hash of text, used to tell "same spec as last applied" without
// reading back everything it produced. Not cryptographic. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace hydrant::specs {

// 16 lowercase hex digits of the 64-bit FNV-1a hash of `text`.
std::string fingerprint(std::string_view text);

}  // namespace hydrant::specs
