// SPDX-License-Identifier: MIT
// Generated command sequences are always a legal kernel's, whatever RapidCheck
// draws, and the weighted choice reaches the rare bursts.
#include "emmi/properties/generator.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

using namespace emmi::properties;

namespace {
World test_world() { return World{{4096, 16384}, 2, 65536}; }
}  // namespace

RC_GTEST_PROP(Generator, EverySequenceIsLegalFromTheStart, ()) {
  const auto commands = *gen_case(test_world());
  CaseModel m(test_world());
  for (const Command& c : commands) {
    RC_ASSERT(enabled(m, c));
    apply(m, c);
  }
}

TEST(Generator, InitialStateOffersOnlyMapsAndStrayMessages) {
  CaseModel m(test_world());
  auto offered = enabled_commands(m);
  ASSERT_FALSE(offered.empty());
  for (const auto& w : offered)
    EXPECT_TRUE(w.command.kind == CommandKind::map || w.command.kind == CommandKind::stray)
        << describe(w.command);
}

TEST(Generator, PagesAlreadyUsedWeighMore) {
  CaseModel m(test_world());
  apply(m, {CommandKind::map, 0, 0});
  apply(m, {CommandKind::fault, 0, 0, 0, 5});
  apply(m, {CommandKind::evict, 0, 0, 0, 5, false, true});
  std::uint32_t used = 0, fresh = 0;
  for (const auto& w : enabled_commands(m)) {
    if (w.command.kind != CommandKind::fault || w.command.write) continue;
    (w.command.page == 5 ? used : fresh) = w.weight;
  }
  EXPECT_GT(used, fresh);
}

TEST(Generator, FaultNeedsAMappedPageNotYetHeld) {
  CaseModel m(test_world());
  Command fault{CommandKind::fault, 0, 0, 0, 2};
  EXPECT_FALSE(enabled(m, fault));
  apply(m, {CommandKind::map, 0, 0});
  EXPECT_TRUE(enabled(m, fault));
  apply(m, fault);
  EXPECT_FALSE(enabled(m, fault));
  EXPECT_TRUE(enabled(m, {CommandKind::evict, 0, 0, 0, 2, false, true}));
  Command out_of_range{CommandKind::fault, 1, 0, 0, 4};  // 16 KiB kernel: 4 pages
  apply(m, {CommandKind::map, 1, 0});
  EXPECT_FALSE(enabled(m, out_of_range));
}

TEST(Generator, WeightedChoiceFollowsTheWeights) {
  std::map<int, int> seen;
  auto gen = weighted_choice<int>({{1, 0}, {3, 1}, {0, 2}});
  for (int i = 0; i < 4000; ++i) ++seen[gen(rc::Random(i), 0).value()];
  EXPECT_EQ(seen[2], 0);
  EXPECT_GT(seen[1], 2 * seen[0]);  // 3:1 expected
  EXPECT_GT(seen[0], 500);
}

TEST(Generator, BurstsAreGenerated) {
  std::map<CommandKind, int> kinds;
  auto gen = gen_case(test_world());
  for (int i = 0; i < 200; ++i)
    for (const Command& c : gen(rc::Random(i), 40).value()) ++kinds[c.kind];
  for (auto k : {CommandKind::evict_then_unmap, CommandKind::evict_then_refault,
                 CommandKind::map_while_unmap, CommandKind::unmap_then_remap})
    EXPECT_GT(kinds[k], 0) << to_string(k);
}
