// SPDX-License-Identifier: MIT
// Init family: IN1-IN9, and PS1 (sizes in whole pages of the kernel's unit).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

TEST(Init, IN1_Violated_SecondInitWhileLive) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).map(0, 0);
  EXPECT_TRUE(Violates(s, "IN1", Party::kernel));
}

TEST(Init, IN1_Violated_RequestBeforeInit) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).fault(0, 0, 0);
  EXPECT_TRUE(Violates(s, "IN1", Party::kernel));
}

TEST(Init, IN1_Conforming_ReinitQueuedBehindTerminate) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).unmap(0, 0).map(0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
  EXPECT_EQ(s.model().control_port(0, 0), s.control(0, 0));
}

TEST(Init, IN2_Violated_RequestRefusedAfterInit) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).ret(2, kKernFailure);
  EXPECT_TRUE(Violates(s, "IN2", Party::pager));
}

TEST(Init, IN2_Violated_DemuxDoesNotKnowDataReturn) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).handle(2, 0).supply(2, 0, 0, 0).evict(0, 0, 0).dequeue(2, 0).ret(2, kMigBadId);
  EXPECT_TRUE(Violates(s, "IN2", Party::pager));
}

TEST(Init, IN2_Conforming_RequestAnsweredRightAfterInit) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0);
  s.dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.fault(0, 0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Init, IN3_Violated_InitWithoutNameRight) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0, [](Dequeued& d) { d.rights.pop_back(); });
  EXPECT_TRUE(Violates(s, "IN3", Party::kernel));
}

TEST(Init, IN3_Conforming_InitGivesOneSendReferenceEach) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.control(0, 0), Right::send), 1u);
  EXPECT_EQ(s.urefs(s.name(0, 0), Right::send), 1u);
}

TEST(Init, IN4_Violated_InitMovesControlReceiveRight) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0, [](Dequeued& d) {
    d.rights[0].right = Right::receive;
  });
  EXPECT_TRUE(Violates(s, "IN4", Party::kernel));
}

TEST(Init, IN4_Conforming_KernelKeepsControlReceiveRight) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.control(0, 0), Right::receive), 0u);
}

TEST(Init, IN5_Violated_SupplyAtMisalignedOffset) {
  EXPECT_TRUE(
      Violates(answered_world(ControlCall::data_supply, 0x4000, 0x2000), "IN5", Party::pager));
}

TEST(Init, IN5_Conforming_SupplyAtPageOffset) {
  Scenario s = ready_world();
  s.fault(0, 0, 0x3000).dequeue(2, 0).supply(2, 0, 0, 0x3000, 0x1000).ret(2);
  EXPECT_TRUE(Conforms(s));
}

TEST(Init, IN7_Violated_InitSentToAnotherObjectsPort) {
  Scenario s(WorldConfig{2, 0x10000});
  s.attach(0, 0x1000).offer(0).offer(1);
  s.send(KernelSent{MessageKind::init, s.port(1), 0, 0});
  EXPECT_TRUE(Violates(s, "IN7", Party::kernel));
}

TEST(Init, IN7_Conforming_InitOnTheOfferedPort) {
  Scenario s(WorldConfig{2, 0x10000});
  s.attach(0, 0x1000).offer(0).offer(1).map(1, 0).map(0, 0);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().queued(s.port(0)), 1u);
  EXPECT_EQ(s.model().queued(s.port(1)), 1u);
}

TEST(Init, IN8_Violated_SecondKernelReusesControl) {
  Scenario s;
  s.attach(0, 0x1000).attach(1, 0x1000).offer(0).map(0, 0).handle(1, 0).map(0, 1);
  PortName first = s.control(0, 0);
  s.dequeue(1, 0, [&](Dequeued& d) { d.rights[0].name = first; });
  EXPECT_TRUE(Violates(s, "IN8", Party::kernel));
}

TEST(Init, IN8_Conforming_EachKernelItsOwnControl) {
  Scenario s;
  s.attach(0, 0x1000).attach(1, 0x1000).offer(0).map(0, 0).map(0, 1).serve();
  EXPECT_TRUE(Conforms(s));
  EXPECT_NE(s.model().control_port(0, 0), s.model().control_port(0, 1));
}

TEST(Init, IN9_Violated_ControlUsedAfterInitError) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ret(1, kKernFailure).ready(1, 0, 0);
  EXPECT_TRUE(Violates(s, "IN9", Party::pager));
}

TEST(Init, IN9_Conforming_RefusedInitLeavesControlAlone) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ret(1, kKernFailure);
  EXPECT_EQ(s.urefs(s.control(0, 0), Right::send), 0u);  // mach_msg_server released it
  s.unmap(0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

// The pager drops init's control reference while init is still being handled;
// terminate, dequeued by another thread before init's handler fails, moves the
// control's receive right in under a new name. That right is the pager's: a
// call on it by terminate's handler is a use after terminate (TM8), while the
// name init carried stays IN9.
TEST(Init, IN9_FollowsTheNamesInitCarried_TerminateBeforeTheError) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).unmap(0, 0);
  PortName control = s.control(0, 0);
  s.dequeue(1, 0).deallocate(1, control);
  s.dequeue(2, 0, [](Dequeued& d) { d.rights[0].name = 0x9001; });
  s.ret(1, kKernFailure);
  s.call_on(2, ControlCall::lock_request, 0x9001, 0, 0x1000);
  EXPECT_TRUE(s.has("TM8", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("IN9", Party::pager)) << s.summary();
  s.call_on(1, ControlCall::ready, control);
  EXPECT_TRUE(s.has("IN9", Party::pager)) << s.summary();
}

// The other order: init fails, the pager holds nothing of the control any
// more, and terminate brings its receive right under a new name. The port is
// still the one mach_msg_server released for the failed init: IN9.
TEST(Init, IN9_FollowsThePortToTheNameTerminateGivesAfterTheError) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ret(1, kKernFailure).unmap(0, 0);
  s.dequeue(1, 0, [](Dequeued& d) { d.rights[0].name = 0x9001; });
  s.call_on(1, ControlCall::ready, 0x9001);
  EXPECT_TRUE(s.has("IN9", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("TM8", Party::pager)) << s.summary();
}

TEST(Init, PS1_Violated_KernelRequestNotWholePages) {
  Scenario s = ready_world(0x2000);
  s.fault_range(0, 0, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "PS1", Party::kernel));
}

TEST(Init, LK1_Violated_LockRequestNotWholePages) {
  Scenario s = ready_world(0x2000);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).lock(2, 0, 0, 0, 0x3000);
  EXPECT_TRUE(Violates(s, "LK1", Party::pager));
}

TEST(Init, PS1_Violated_BadPageSizeIsASuiteError) {
  Scenario s;
  s.attach(0, 0x1800);
  EXPECT_TRUE(Violates(s, "PS1", Party::suite));
  EXPECT_FALSE(s.model().page_size(0).has_value());
}

TEST(Init, PS1_Conforming_WholePagesBothWays) {
  Scenario s = ready_world(0x2000);
  s.fault(0, 0, 0x2000).dequeue(2, 0).supply(2, 0, 0, 0x2000).lock(2, 0, 0, 0x2000, 0x2000).ret(2);
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
