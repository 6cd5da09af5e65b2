// Result<T>: a value or a classed Error, the way errors cross module boundaries in Hydrant.
// The API is a subset of C++23 std::expected (has_value, value, error, operator*, ->), so a
// later move to std::expected is mechanical. Plain value type; not synchronized.
#pragma once

#include <cassert>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hydrant {

// How the caller should react to an error (DESIGN.md, reconciler contract).
enum class ErrorClass {
  kTransient,  // retry with capped backoff: network, database went away, lock conflict
  kWaiting,    // retry at a known time (Error::retry_at)
  kStalled,    // nothing changes until a new spec revision or a human acts; no retry
  kInvalid,    // bad user input (CLI flag, config file): exit code 2, never retried
};

struct Error {
  ErrorClass cls = ErrorClass::kTransient;
  std::string message;
  std::optional<std::chrono::system_clock::time_point> retry_at;  // only for kWaiting

  static Error transient(std::string m) { return {ErrorClass::kTransient, std::move(m), {}}; }
  static Error stalled(std::string m) { return {ErrorClass::kStalled, std::move(m), {}}; }
  static Error invalid(std::string m) { return {ErrorClass::kInvalid, std::move(m), {}}; }
  static Error waiting(std::string m, std::chrono::system_clock::time_point at) {
    return {ErrorClass::kWaiting, std::move(m), at};
  }
};

// Names an ErrorClass for logs and status ("Transient", "Waiting", "Stalled", "Invalid").
const char* errorClassName(ErrorClass c);

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const {
    assert(error_);
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace hydrant
