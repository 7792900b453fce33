// SPDX-License-Identifier: MIT
// Formatting helpers for explanations and traces. Used only when a verdict or
// a description is produced, never on the event hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace emmi::model::detail {

std::string hex(std::uint64_t v);  // "0x1a03"
std::string dec(std::uint64_t v);
std::string code_name(std::int32_t kr);  // "KERN_FAILURE (0x5)", "MIG_BAD_ID (-303)"

// Concatenates its pieces: cat("control ", hex(n), " of object ", dec(o)).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  out.reserve(96);
  (out.append(std::string_view(parts)), ...);
  return out;
}

}  // namespace emmi::model::detail
