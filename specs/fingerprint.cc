#include "specs/fingerprint.hh"

#include <cstdint>
#include <cstdio>

namespace hydrant::specs {

std::string fingerprint(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace hydrant::specs
