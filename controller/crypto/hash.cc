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

std::string hmacSha256Hex(std::string_view key, std::string_view data) {
  init();
  // The _init/_update/_final form takes a key of any length; crypto_auth_hmacsha256 itself
  // wants exactly 32 bytes.
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                                data.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  sodium_memzero(&state, sizeof state);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string(hex, crypto_auth_hmacsha256_BYTES * 2);
}

bool hexEqualConstantTime(std::string_view a, std::string_view b) {
  init();
  if (a.size() != b.size() || a.size() % 2 != 0 || a.empty()) return false;
  std::string x(a.size() / 2, '\0'), y(b.size() / 2, '\0');
  auto decode = [](std::string_view hex, std::string& bytes) {
    size_t length = 0;
    const char* end = nullptr;
    return sodium_hex2bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), hex.data(),
                          hex.size(), nullptr, &length, &end) == 0 &&
           end == hex.data() + hex.size() && length == bytes.size();
  };
  // Both are decoded whatever the first gives, so a malformed `a` costs what a good one does.
  const bool ok_a = decode(a, x);
  const bool ok_b = decode(b, y);
  const bool same = sodium_memcmp(x.data(), y.data(), x.size()) == 0;
  return ok_a && ok_b && same;
}

bool secretEqualConstantTime(std::string_view a, std::string_view b) {
  init();
  unsigned char da[crypto_hash_sha256_BYTES], db[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(da, reinterpret_cast<const unsigned char*>(a.data()), a.size());
  crypto_hash_sha256(db, reinterpret_cast<const unsigned char*>(b.data()), b.size());
  return sodium_memcmp(da, db, sizeof da) == 0;
}

}  // namespace hydrant::crypto
