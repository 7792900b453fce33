// SPDX-License-Identifier: MIT
// One bit mixer for every seed the suite derives: SplitMix64's finaliser
// (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
// OOPSLA 2014). The engine derives case and schedule seeds with mix(); the
// thread scheduler draws its random stream with splitmix_next(). Both must
// stay bit-for-bit stable: replay tokens and schedule digests depend on them.
#pragma once

#include <cstdint>

namespace emmi {

inline constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ull;

// A stateless 64-bit mix of x (SplitMix64 applied to the state x).
constexpr std::uint64_t mix(std::uint64_t x) {
  x += kGoldenGamma;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The next number of the SplitMix64 stream whose state is `state`.
constexpr std::uint64_t splitmix_next(std::uint64_t& state) {
  const std::uint64_t out = mix(state);
  state += kGoldenGamma;
  return out;
}

}  // namespace emmi
