// The Postgres advisory-lock keys Hydrant uses, in one place so no two uses collide. Keys are
// the two-int form (class, object); the class is Hydrant's own. Plain constants.
#pragma once

#include <cstdint>
#include <string_view>

namespace hydrant::db {

inline constexpr int32_t kLockClass = 0x48796472;  // "Hydr"
inline constexpr int32_t kMigrationLock = 0;

// The lock object of a singleton role: a stable 31-bit FNV-1a hash of its name (never 0).
constexpr int32_t roleLockId(std::string_view role) {
  uint32_t h = 2166136261u;
  for (char c : role) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  int32_t id = static_cast<int32_t>(h & 0x7fffffff);
  return id == kMigrationLock ? 1 : id;
}

}  // namespace hydrant::db
