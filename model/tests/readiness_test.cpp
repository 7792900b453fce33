// SPDX-License-Identifier: MIT
// Readiness: RD1 (the pager makes an initialised object ready; the kernel
// sends no request before that).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

TEST(Readiness, RD1_Violated_PagerNeverMakesObjectReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
}

TEST(Readiness, RD1_Violated_InitNeverDequeued) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
}

TEST(Readiness, RD1_Violated_InitLostToASmallReceiveBuffer) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0, [](Dequeued& d) {
    d.rights.clear();
    d.too_large = true;
  });
  EXPECT_FALSE(s.has_party(Party::kernel)) << s.summary();
  s.quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
  EXPECT_FALSE(s.model().control_port(0, 0).has_value());
}

TEST(Readiness, RD1_Violated_KernelFaultsBeforeReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0).fault(0, 0, 0);
  EXPECT_TRUE(Violates(s, "RD1", Party::kernel));
}

TEST(Readiness, RD1_Conforming_ReadyAfterInit) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
}

TEST(Readiness, RD1_Conforming_ChangeAttributesMakesReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).change_attributes(1, 0, 0).ret(1);
  s.fault(0, 0, 0).quiesce();
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
  EXPECT_TRUE(Violates(s, "DR3", Party::pager));  // only the unanswered fault
  EXPECT_FALSE(s.has("RD1", Party::pager) || s.has("RD1", Party::kernel));
}

TEST(Readiness, RD1_Conforming_RefusalByDestroy) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).destroy_object(1, 0, 0).ret(1);
  s.quiesce();
  EXPECT_TRUE(Conforms(s));  // the kernel owes the terminate now, not the pager
  auto actions = s.model().enabled_kernel_actions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, KernelActionKind::unmap);
  s.unmap(0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
