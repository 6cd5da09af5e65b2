#include "specs/result.hh"

namespace hydrant {

const char* errorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTransient:
      return "Transient";
    case ErrorClass::kWaiting:
      return "Waiting";
    case ErrorClass::kStalled:
      return "Stalled";
    case ErrorClass::kInvalid:
      return "Invalid";
  }
  return "Unknown";
}

}  // namespace hydrant
