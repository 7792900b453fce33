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

TEST(Release, V3_Violated_RightReleasedThenErrorReturn) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, carry_send).deallocate(1, kCarried).ret(1, kMigBadId);
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
  s.dequeue(1, 0, [](Dequeued& d) {
     d.region = 0x9000;
     d.region_size = 0x1000;
   }).ret(1).quiesce();
  EXPECT_TRUE(Violates(s, "PR8", Party::pager));
}

TEST(Release, PR8_Conforming_OutOfLineMemoryReleased) {
  Scenario s = foreign_message_world();
  s.dequeue(1, 0, [](Dequeued& d) {
     d.region = 0x9000;
     d.region_size = 0x1000;
   }).release(1, 0x9000).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
