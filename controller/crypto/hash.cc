#include "controller/crypto/hash.hh"

#include <sodium.h>

#include <cstdlib>

namespace hydrant::crypto {

namespace {

void init() {
  // sodium_init is thread-safe and returns 1 once initialised; -1 means no usable randomness,
  // which hashing does not need, but the library must not be used half-initialised.
  static const int rc = sodium_init();
  if (rc < 0) std::abort();
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  init();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

std::optional<std::string> base64Decode(std::string_view text) {
  init();
  std::string bytes(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), " \t\r\n", &length, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  bytes.resize(length);
  return bytes;
}

}  // namespace hydrant::crypto
