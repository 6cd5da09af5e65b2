// Names for the numbers the build queue's pure logic passes around (dispatcher, share accounting,
// retry and backoff timing), so a unix time cannot be mistaken for a duration by its name alone.
// Aliases only; no state.
#pragma once

#include <cstdint>

namespace hydrant::reconcilers {

using UnixTime = long long;    // seconds since the epoch, from the caller's injected clock
using StepId = std::uint64_t;  // the caller's handle for a step (one per derivation path)
using BuildId = std::int32_t;  // builds.id (serial)
using JobsetId = int;          // jobsets.id (serial)

}  // namespace hydrant::reconcilers
