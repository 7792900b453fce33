// SPDX-License-Identifier: MIT
// Terminate family: TM3-TM6, TM8 and V6 (what terminate moves, and what the
// pager must release afterwards).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

// Object 0 ready with kernel 0, one page supplied, and terminate queued.
Scenario terminating_world() {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1).unmap(0, 0);
  return s;
}

TEST(Terminate, TM3_Violated_TerminateMovesSendRights) {
  Scenario s = terminating_world();
  s.dequeue(1, 0, [](Dequeued& d) {
    for (CarriedRight& r : d.rights) r.right = Right::send;
  });
  EXPECT_TRUE(Violates(s, "TM3", Party::kernel));
}

TEST(Terminate, TM3_Violated_TerminateMovesAnotherControl) {
  Scenario s = terminating_world();
  s.dequeue(1, 0, [](Dequeued& d) { d.rights[0].name = 0x7777; });
  EXPECT_TRUE(Violates(s, "TM3", Party::kernel));
}

TEST(Terminate, TM3_Conforming_ReceiveRightsMovedWithFreshSeqnos) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(control, Right::receive), 1u);
  EXPECT_EQ(s.urefs(name, Right::receive), 1u);
  EXPECT_EQ(s.model().next_seqno(control), 0u);
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::terminated);
}

// Once the pager has released every right it held to the control and name
// ports, GNU Mach copies the receive rights terminate moves out under new
// names (the simulated kernel never reuses names): still the same ports.
TEST(Terminate, TM3_Conforming_FreshNamesAfterEveryRightWasReleased) {
  Scenario s = ready_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.deallocate(1, control).deallocate(1, name).unmap(0, 0);
  s.dequeue(1, 0, [](Dequeued& d) {
    d.rights[0].name = 0x9001;
    d.rights[1].name = 0x9002;
  });
  s.destroy_port(1, 0x9001).destroy_port(1, 0x9002).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Terminate, TM3_Violated_FreshNameWhileTheOldOneIsStillHeld) {
  Scenario s = ready_world();
  s.unmap(0, 0);
  s.dequeue(1, 0, [](Dequeued& d) { d.rights[0].name = 0x9001; });
  EXPECT_TRUE(Violates(s, "TM3", Party::kernel));
}

TEST(Terminate, TM4_Violated_ControlReceiveRightKept) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0).destroy_port(1, name).mod_refs(1, control, Right::send, -2).ret(1).quiesce();
  EXPECT_TRUE(Violates(s, "TM4", Party::pager));
  EXPECT_FALSE(s.has("V6", Party::pager)) << s.summary();
}

TEST(Terminate, TM4_Conforming_ControlDestroyed) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0).destroy_port(1, control).destroy_port(1, name).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Terminate, TM5_Violated_NameReceiveRightKept) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0).destroy_port(1, control).deallocate(1, name).ret(1).quiesce();
  EXPECT_TRUE(Violates(s, "TM5", Party::pager));
}

TEST(Terminate, TM5_Conforming_ReceiveDroppedThenDeadNameReleased) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0).destroy_port(1, control);
  // Dropping the receive right turns the remaining send reference into a
  // dead name, which is released next.
  s.mod_refs(1, name, Right::receive, -1);
  EXPECT_EQ(s.urefs(name, Right::dead_name), 1u);
  s.deallocate(1, name).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Terminate, TM6_Violated_ReinitNotMadeReady) {
  Scenario s = ready_world();
  s.unmap(0, 0).serve().map(0, 0).handle(1, 0).quiesce();
  EXPECT_TRUE(Violates(s, "TM6", Party::pager));
}

TEST(Terminate, TM6_Conforming_ReinitMadeReadyAgain) {
  Scenario s = ready_world();
  s.unmap(0, 0).serve().map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.fault(0, 0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Terminate, TM8_Violated_PagerUsesControlAfterTerminate) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0);
  s.dequeue(1, 0).call_on(1, ControlCall::data_unavailable, control, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "TM8", Party::pager));
}

TEST(Terminate, TM8_Violated_KernelFaultsAfterTerminate) {
  Scenario s = terminating_world();
  s.fault(0, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "TM8", Party::kernel));
}

TEST(Terminate, TM8_Conforming_AnswerRacingTerminateIsNoFault) {
  // The request is queued before terminate: the pager answers it before it
  // sees terminate; the kernel drops the answer silently.
  Scenario s = ready_world();
  s.fault(0, 0, 0).unmap(0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1);
  EXPECT_TRUE(Conforms(s));
  s.serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Terminate, V6_Violated_SendReferencesLeftAsDeadNames) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  s.dequeue(1, 0)
      .mod_refs(1, control, Right::receive, -1)
      .mod_refs(1, name, Right::receive, -1)
      .ret(1)
      .quiesce();
  EXPECT_TRUE(Violates(s, "V6", Party::pager));
  EXPECT_FALSE(s.has("TM4", Party::pager) || s.has("TM5", Party::pager)) << s.summary();
}

TEST(Terminate, V6_Conforming_EveryReferenceReleased) {
  Scenario s = terminating_world();
  PortName control = s.control(0, 0), name = s.name(0, 0);
  // init gave one send reference to each; the data_request one more to control.
  s.dequeue(1, 0)
      .mod_refs(1, control, Right::send, -2)
      .mod_refs(1, control, Right::receive, -1)
      .deallocate(1, name)
      .mod_refs(1, name, Right::receive, -1)
      .ret(1)
      .quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
