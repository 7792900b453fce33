// SPDX-License-Identifier: MIT
#include "emmi/mix.h"

#include <gtest/gtest.h>

namespace {

// The published SplitMix64 stream for seed 0 (the reference implementation's
// first outputs); replay tokens and schedule digests depend on these bits.
TEST(Mix, SplitMixStreamMatchesTheReferenceOutputs) {
  std::uint64_t state = 0;
  EXPECT_EQ(emmi::splitmix_next(state), 0xe220a8397b1dcdafull);
  EXPECT_EQ(emmi::splitmix_next(state), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(emmi::splitmix_next(state), 0x06c45d188009454full);
  EXPECT_EQ(state, 3 * emmi::kGoldenGamma);
}

TEST(Mix, StatelessMixIsTheStreamsStep) {
  std::uint64_t state = 12345;
  const std::uint64_t first = emmi::mix(12345);
  EXPECT_EQ(emmi::splitmix_next(state), first);
  EXPECT_NE(emmi::mix(1), emmi::mix(2));
  static_assert(emmi::mix(0) == 0xe220a8397b1dcdafull);
}

}  // namespace
