// SPDX-License-Identifier: MIT
// Reference release under mach_msg_server: V1-V4 (an error return destroys
// the request's rights and memory; the pager must not release them again)
// and PR8 (out-of-line memory must be released).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr PortName kCarried = 0x3000;

// A foreign message on the object port carrying one send right; the demux
// does not know it, so mach_msg_server destroys it (G5, X2).
Scenario foreign_message_world() {
  Scenario s = ready_world();
  s.notify(MessageKind::other, s.port(0));
  return s;
}
void carry_send(Dequeued& d) { d.rights = {{kCarried, Right::send}}; }

TEST(Release, V1_Violated_ControlReleasedAfterInitError) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ret(1, kKernInvalidArgument);
  s.deallocate(1, s.control(0, 0));
  EXPECT_TRUE(Violates(s, "V1", Party::pager));
}

TEST(Release, V1_Violated_ControlReleasedBeforeErrorReturn) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.deallocate(1, s.control(0, 0)).ret(1, kKernFailure);
  EXPECT_TRUE(Violates(s, "V1", Party::pager));
}

TEST(Release, V1_Conforming_PagerOwnsInitRightsAfterSuccess) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  // On success the references are the pager's to release when it likes.
  s.deallocate(1, s.name(0, 0));
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.control(0, 0), Right::send), 1u);
  EXPECT_EQ(s.urefs(s.name(0, 0), Right::send), 0u);
}

TEST(Release, V2_Violated_RightReleasedThenDestroyRequest) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).deallocate(1, kCarried).ret(1, kMigDestroyRequest);
  EXPECT_TRUE(Violates(s, "V2", Party::pager));
}

TEST(Release, V2_Conforming_DestroyRequestLeavesRightsToTheServer) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).ret(1, kMigDestroyRequest);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(kCarried, Right::send), 0u);
}

TEST(Release, V2_Violated_RightReleasedThenBadId) {
  // MIG_BAD_ID: the demux refused the request as such (V2), not a handler's
  // error (V3).
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).deallocate(1, kCarried).ret(1, kMigBadId);
  EXPECT_TRUE(Violates(s, "V2", Party::pager));
  EXPECT_FALSE(s.has("V3", Party::pager));
}

TEST(Release, V3_Violated_RightReleasedThenErrorReturn) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).deallocate(1, kCarried).ret(1, kKernFailure);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

TEST(Release, V3_Violated_ReceiveRightDestroyedTwice) {
  Scenario s = ready_world();
  s.notify(MessageKind::port_destroyed, s.port(0));
  s.dequeue(1, 0, [](Dequeued& d) { d.rights = {{kCarried, Right::receive}}; });
  s.destroy_port(1, kCarried).ret(1, kKernFailure);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

TEST(Release, V3_Violated_DeallocateTwiceAfterSuccess) {
  Scenario s = ready_world();
  s.deallocate(1, s.name(0, 0)).deallocate(1, s.name(0, 0));
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

TEST(Release, V3_Violated_ModRefsBelowZeroFailsWithoutChange) {
  Scenario s = ready_world();
  PortName control = s.control(0, 0);
  s.mod_refs(1, control, Right::send, -2);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
  EXPECT_EQ(s.urefs(control, Right::send), 1u);  // Mach fails the whole operation
}

TEST(Release, V3_Conforming_UnknownMessageLeftToTheServer) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).ret(1, kMigBadId);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(kCarried, Right::send), 0u);
}

TEST(Release, V4_Violated_ReturnedDataFreedThenErrorReturn) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).dequeue(1, 0).release_last(1).ret(1, kKernFailure);
  EXPECT_TRUE(Violates(s, "V4", Party::pager));
}

TEST(Release, V4_Violated_ReleasedAfterServerFreedIt) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).dequeue(1, 0).ret(1, kKernFailure).release_last(1);
  EXPECT_TRUE(Violates(s, "V4", Party::pager));
}

TEST(Release, V4_Conforming_ReleasedOnceOnSuccess) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).dequeue(1, 0).release_last(1).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().live_regions(), 0u);
}

TEST(Release, PR8_Violated_OutOfLineMemoryKept) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0,
            [](Dequeued& d) {
              d.region = 0x9000;
              d.region_size = 0x1000;
            })
      .ret(1)
      .quiesce();
  EXPECT_TRUE(Violates(s, "PR8", Party::pager));
}

TEST(Release, PR8_Conforming_OutOfLineMemoryReleased) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0,
            [](Dequeued& d) {
              d.region = 0x9000;
              d.region_size = 0x1000;
            })
      .release(1, 0x9000)
      .ret(1)
      .quiesce();
  EXPECT_TRUE(Conforms(s));
}

// --- Dispositions of the offered objects (emmi_pager_object.disposition) -------

// One object of 64 KiB, kernel 0 with 4 KiB pages, offered with `d` after the
// pager made `sends` send rights under its name.
Scenario offered_world(Disposition d, std::uint32_t sends) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach(0, 0x1000).offer_with(0, d, sends);
  return s;
}

TEST(Release, V3_Violated_ReleaseOfASendRightGivenAwayWithMoveSend) {
  // start() made one send right and gave it to the kernels: the name keeps
  // only the receive right, so deallocating it releases a right the pager no
  // longer holds (GNU Mach answers KERN_INVALID_RIGHT).
  Scenario s = offered_world(Disposition::move_send, 1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.port(0), Right::send), 0u);
  s.deallocate(1, s.port(0));
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
  EXPECT_FALSE(s.has_party(Party::suite)) << s.summary();
}

TEST(Release, V3_Violated_ModRefsOfASendRightGivenAwayWithMoveSend) {
  Scenario s = offered_world(Disposition::move_send, 1);
  s.mod_refs(1, s.port(0), Right::send, -1);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
  EXPECT_FALSE(s.has_party(Party::suite)) << s.summary();
}

TEST(Release, V3_Conforming_MoveSendOfOneOfTwoReferences) {
  // Two user references, one moved: the pager may release the other once.
  Scenario s = offered_world(Disposition::move_send, 2);
  s.deallocate(1, s.port(0));
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.port(0), Right::send), 0u);
  s.deallocate(1, s.port(0));
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

TEST(Release, V3_Conforming_CopySendKeepsThePagersRight) {
  Scenario s = offered_world(Disposition::copy_send, 1);
  EXPECT_EQ(s.urefs(s.port(0), Right::send), 1u);
  s.deallocate(1, s.port(0));
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.port(0), Right::send), 0u);
  EXPECT_EQ(s.urefs(s.port(0), Right::receive), 1u);
}

TEST(Release, V3_Conforming_MakeSendTakesNothing) {
  Scenario s = offered_world(Disposition::make_send, 0);
  // Deallocating the receive right's name is a harmless error, as before.
  s.deallocate(1, s.port(0));
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.port(0), Right::receive), 1u);
}

TEST(Release, V3_Conforming_SuiteBlamedWhenACopiedOrMovedRightWasNeverSeen) {
  // The simulated kernel could only copy or move a send right the pager
  // held; a ledger without one is the suite's error, never the pager's.
  for (Disposition d : {Disposition::copy_send, Disposition::move_send}) {
    Scenario s = offered_world(d, 0);
    EXPECT_TRUE(Violates(s, "V3", Party::suite)) << to_string(d);
    EXPECT_FALSE(s.has_party(Party::pager)) << s.summary();
  }
}

// A server makes its threads leave mach_msg by destroying the port set they
// receive on (the default pager's stop() does): that destroys a right the
// pager holds, no double release.
TEST(Release, V3_Conforming_DestroyOfAPortSetThePagerAllocated) {
  Scenario s;
  s.allocate(1, 0x500, Right::port_set);
  s.apply(PortOperated{1, PortOp::destroy, 0x500});
  EXPECT_TRUE(Conforms(s));
}

TEST(Release, V3_Violated_PortSetDestroyedTwice) {
  Scenario s;
  s.allocate(1, 0x500, Right::port_set);
  s.apply(PortOperated{1, PortOp::destroy, 0x500});
  s.apply(PortOperated{1, PortOp::destroy, 0x500, Right::send, -1, kKernInvalidName});
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

}  // namespace
}  // namespace emmi::model::testing
