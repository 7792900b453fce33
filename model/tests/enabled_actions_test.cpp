// SPDX-License-Identifier: MIT
// enabled_kernel_actions(): what a conforming kernel may do next, in a fixed
// order, and never anything the model would blame on the kernel.
#include "verdicts.h"

#include <rapidcheck/gtest.h>  // after gtest.h

namespace emmi::model::testing {
namespace {

std::vector<std::string> described(const std::vector<KernelAction>& actions) {
  std::vector<std::string> out;
  for (const KernelAction& a : actions) out.push_back(describe(a));
  return out;
}

// kernel_may is the one statement of the preconditions: the model's list
// and the command generator (properties/state_machine) both ask it.
TEST(EnabledActions, KernelMayStatesEachActionsPrecondition) {
  using K = KernelActionKind;
  using L = Lifecycle;
  for (L life : {L::uninitialised, L::initialised, L::ready, L::terminating, L::terminated}) {
    const bool live = life == L::initialised || life == L::ready;
    EXPECT_EQ(kernel_may(K::map, {life}), !live) << to_string(life);
    EXPECT_EQ(kernel_may(K::unmap, {life}), live) << to_string(life);
    EXPECT_EQ(kernel_may(K::fault, {life}), life == L::ready) << to_string(life);
    EXPECT_FALSE(kernel_may(K::evict, {life})) << to_string(life) << ": no page held";
    EXPECT_EQ(kernel_may(K::evict, {life, false, true}), life == L::ready) << to_string(life);
  }
  EXPECT_FALSE(kernel_may(K::fault, {L::ready, false, true})) << "a held page";
  EXPECT_FALSE(kernel_may(K::fault, {L::ready, false, false, true})) << "a page asked for";
  EXPECT_FALSE(kernel_may(K::fault, {L::ready, true})) << "the pager destroys the object";
  EXPECT_FALSE(kernel_may(K::evict, {L::ready, true, true})) << "the pager destroys the object";
  EXPECT_TRUE(kernel_may(K::unmap, {L::ready, true}));
}

TEST(EnabledActions, MapEveryOfferedObjectFromEveryKernelInIdOrder) {
  Scenario s(WorldConfig{3, 0x4000});
  s.attach(7, 0x1000).attach(2, 0x4000).offer(0).offer(2);  // object 1 not offered
  EXPECT_EQ(described(s.model().enabled_kernel_actions()),
            (std::vector<std::string>{"map object 0 from kernel 2", "map object 0 from kernel 7",
                                      "map object 2 from kernel 2", "map object 2 from kernel 7"}));
}

TEST(EnabledActions, InitialisedPairMayOnlyBeUnmapped) {
  Scenario s(WorldConfig{1, 0x4000});
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0);
  EXPECT_EQ(described(s.model().enabled_kernel_actions()),
            (std::vector<std::string>{"unmap object 0 from kernel 0"}));
}

TEST(EnabledActions, ReadyPairFaultsEvictsAndUnmaps) {
  Scenario s(WorldConfig{1, 0x2000});
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.fault(0, 0, 0x1000).serve();
  EXPECT_EQ(described(s.model().enabled_kernel_actions()),
            (std::vector<std::string>{
                "fault object 0 from kernel 0 offset 0x0 read",
                "fault object 0 from kernel 0 offset 0x0 read/write",
                "evict object 0 from kernel 0 offset 0x1000 dirty",
                "evict object 0 from kernel 0 offset 0x1000 clean",
                "unmap object 0 from kernel 0",
            }));
}

TEST(EnabledActions, OutstandingPageIsNotFaultedAgain) {
  Scenario s(WorldConfig{1, 0x2000});
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1).fault(0, 0, 0);
  for (const KernelAction& a : s.model().enabled_kernel_actions())
    EXPECT_FALSE(a.kind == KernelActionKind::fault && a.offset == 0) << describe(a);
}

TEST(EnabledActions, RemapOfferedOnceTerminateIsSent) {
  Scenario s(WorldConfig{1, 0x2000});
  s.attach(0, 0x1000).offer(0).map(0, 0).unmap(0, 0);
  EXPECT_EQ(described(s.model().enabled_kernel_actions()),
            (std::vector<std::string>{"map object 0 from kernel 0"}));
}

TEST(EnabledActions, SameStateSameList) {
  auto run = [] {
    Scenario s = two_kernel_world(0x1000, 0x4000);
    s.fault(0, 1, 0x4000).fault(0, 0, 0x2000).serve();
    return described(s.model().enabled_kernel_actions());
  };
  EXPECT_EQ(run(), run());
}

// A conforming kernel (actions drawn from enabled_kernel_actions) against a
// conforming pager (Scenario::serve_one) never earns a kernel verdict, and a
// run drained to quiescence earns no verdict at all.
RC_GTEST_PROP(EnabledActions, NeverOfferAnActionTheModelBlamesOnTheKernel, ()) {
  Scenario s(WorldConfig{2, 0x8000});
  s.record_trace(true).attach(0, 0x1000).attach(1, 0x4000).offer(0).offer(1);
  auto log_trace = [&] {
    for (const Event& e : s.trace()) RC_LOG() << describe(e) << "\n";
    RC_LOG() << s.summary();
  };
  const int steps = *rc::gen::inRange(1, 150);
  for (int i = 0; i < steps; ++i) {
    std::vector<KernelAction> actions = s.model().enabled_kernel_actions();
    std::vector<PortName> pending = s.pending_ports();
    bool kernel_moves = pending.empty() || (!actions.empty() && *rc::gen::inRange(0, 3) != 0);
    if (kernel_moves) {
      RC_ASSERT(!actions.empty());
      const KernelAction& a = actions[*rc::gen::inRange<std::size_t>(0, actions.size())];
      s.perform(a);
    } else {
      PortName port = pending[*rc::gen::inRange<std::size_t>(0, pending.size())];
      s.serve_one(*rc::gen::inRange<ThreadId>(1, 4), port);
    }
    if (s.has_party(Party::kernel)) log_trace();
    RC_ASSERT(!s.has_party(Party::kernel));
  }
  s.serve().quiesce();
  if (!s.verdicts().empty()) log_trace();
  RC_ASSERT(s.verdicts().empty());
}

}  // namespace
}  // namespace emmi::model::testing
