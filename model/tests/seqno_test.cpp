// SPDX-License-Identifier: MIT
// Seqno family: SQ1, SQ2, SQ5, SQ6 (the kernel stamps each dequeue with the
// receive right's next number) and SQ7 (the pager's effects keep seqno order).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr PortName kReply = 0x4000;

Seqno set_seqno(Dequeued& d, Seqno s) { return d.seqno = s; }

TEST(Seqno, SQ1_Violated_ObjectPortSeqnoRepeats) {
  Scenario s = ready_world();  // init took seqno 0
  s.fault(0, 0, 0).dequeue(2, 0, [](Dequeued& d) { set_seqno(d, 0); });
  EXPECT_TRUE(Violates(s, "SQ1", Party::kernel));
}

TEST(Seqno, SQ1_Conforming_ObjectPortCountsEveryMessage) {
  Scenario s = ready_world();
  EXPECT_EQ(s.model().next_seqno(s.port(0)), 1u);
  s.fault(0, 0, 0).fault(0, 0, 0x1000).serve();
  EXPECT_EQ(s.model().next_seqno(s.port(0)), 3u);
  EXPECT_TRUE(Conforms(s));
}

// mach_port_set_seqno on the pager's own object port: the kernel numbers
// the next message from there, and the model follows.
TEST(Seqno, SQ1_Conforming_ThePagerSetsItsObjectPortsCounter) {
  Scenario s = ready_world();
  PortOperated set{1, PortOp::set_seqno, s.port(0), Right::receive, 40};
  s.apply(set);
  EXPECT_EQ(s.model().next_seqno(s.port(0)), 40u);
  s.fault(0, 0, 0).dequeue(2, 0, [](Dequeued& d) { set_seqno(d, 40); });
  s.supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(Seqno, SetSeqnoOnANameWithoutAReceiveRightIsExpectedToFail) {
  Scenario s = ready_world();
  PortOperated set{1, PortOp::set_seqno, s.control(0, 0), Right::receive, 7, kKernInvalidRight};
  s.apply(set);
  EXPECT_TRUE(Conforms(s)) << s.summary();
  set.result = kKernSuccess;  // a kernel that let it through disagrees with the model
  s.apply(set);
  EXPECT_TRUE(s.has("V3", Party::suite)) << s.summary();
}

TEST(Seqno, SQ2_Violated_ReplyPortSeqnoRepeats) {
  Scenario s = ready_world();
  s.allocate(1, kReply);
  s.complete(MessageKind::lock_completed, kReply, 0, 0, 0, 0x1000);
  s.complete(MessageKind::lock_completed, kReply, 0, 0, 0, 0x1000);
  s.dequeue_port(1, kReply).ret(1);
  s.dequeue_port(1, kReply, [](Dequeued& d) { set_seqno(d, 0); });
  EXPECT_TRUE(Violates(s, "SQ2", Party::kernel));
}

TEST(Seqno, SQ2_Conforming_ReplyPortHasItsOwnCounter) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).fault(0, 0, 0x1000).serve();  // object port now at 3
  s.allocate(1, kReply);
  s.complete(MessageKind::supply_completed, kReply, 0, 0, 0, 0x1000);
  s.dequeue_port(1, kReply, [](Dequeued& d) { EXPECT_EQ(d.seqno, 0u); }).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().next_seqno(kReply), 1u);
  EXPECT_EQ(s.model().next_seqno(s.port(0)), 3u);
}

TEST(Seqno, SQ5_Violated_MovedReceiveRightKeepsOldNumber) {
  Scenario s = ready_world();
  PortName control = s.control(0, 0);
  s.unmap(0, 0).dequeue(1, 0).ret(1);  // control's receive right moves in
  s.notify(MessageKind::no_senders, control);
  s.dequeue_port(1, control, [](Dequeued& d) { set_seqno(d, 5); });
  EXPECT_TRUE(Violates(s, "SQ5", Party::kernel));
}

TEST(Seqno, SQ5_Violated_NewPortDoesNotStartAtZero) {
  Scenario s = ready_world();
  s.allocate(1, kReply).complete(MessageKind::lock_completed, kReply, 0, 0);
  s.dequeue_port(1, kReply, [](Dequeued& d) { set_seqno(d, 1); });
  EXPECT_TRUE(Violates(s, "SQ5", Party::kernel));
}

TEST(Seqno, SQ5_Conforming_MovedReceiveRightStartsAtZero) {
  Scenario s = ready_world();
  PortName control = s.control(0, 0);
  s.unmap(0, 0).dequeue(1, 0).ret(1).notify(MessageKind::no_senders, control);
  s.dequeue_port(1, control, [](Dequeued& d) { EXPECT_EQ(d.seqno, 0u); }).ret(1);
  EXPECT_TRUE(Conforms(s));
}

TEST(Seqno, SQ6_Violated_SeqnoSkipped) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0, [](Dequeued& d) { set_seqno(d, 2); });
  EXPECT_TRUE(Violates(s, "SQ6", Party::kernel));
}

TEST(Seqno, SQ6_Violated_DequeueFromEmptyQueueIsASuiteError) {
  Scenario s = ready_world();
  s.dequeue(2, 0);
  EXPECT_TRUE(Violates(s, "SQ6", Party::suite));
}

TEST(Seqno, SQ6_Conforming_NotificationsTakeNumbersToo) {
  Scenario s = ready_world();
  s.notify(MessageKind::no_senders, s.port(0)).fault(0, 0, 0);
  s.dequeue(2, 0, [](Dequeued& d) { EXPECT_EQ(d.seqno, 1u); }).ret(2);
  s.dequeue(2, 0, [](Dequeued& d) { EXPECT_EQ(d.seqno, 2u); }).supply(2, 0, 0, 0).ret(2);
  EXPECT_TRUE(Conforms(s));
}

TEST(Seqno, SQ7_Violated_ReturnedDataReleasedAfterLaterSupply) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve(2);  // seqno 1, page 0 supplied
  s.evict(0, 0, 0).fault(0, 0, 0);
  s.dequeue(1, 0);  // thread 1: data_return seqno 2
  RegionId returned = s.last_region();
  s.dequeue(2, 0).supply(2, 0, 0, 0).ret(2);  // thread 2: data_request seqno 3
  s.release(1, returned).ret(1);
  EXPECT_TRUE(Violates(s, "SQ7", Party::pager));
}

TEST(Seqno, SQ7_Violated_ReadyAfterLaterDestroy) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).notify(MessageKind::other, s.port(0));
  s.dequeue(1, 0);                                 // init, seqno 0
  s.dequeue(2, 0).destroy_object(2, 0, 0).ret(2);  // seqno 1 refuses the object
  s.ready(1, 0, 0).ret(1);                         // seqno 0 makes it ready afterwards
  EXPECT_TRUE(Violates(s, "SQ7", Party::pager));
}

// Requests for pages 0 and 1, being handled by threads 1 and 2 (seqnos 1
// and 2); page 1 is answered first.
Scenario two_requests_in_flight() {
  Scenario s = ready_world();
  s.fault(0, 0, 0).fault(0, 0, 0x1000);
  s.dequeue(1, 0).dequeue(2, 0).supply(2, 0, 0, 0x1000);
  return s;
}

// Each request carries a send reference to the control port; dropping them
// in either order leaves the same count (a multi-threaded pager such as one
// on libpager drops them after it has let the next message go).
TEST(Seqno, SQ7_Conforming_RequestReferencesDroppedOutOfOrder) {
  Scenario s = two_requests_in_flight();
  PortName control = s.control(0, 0);
  s.deallocate(2, control).ret(2);
  s.supply(1, 0, 0, 0).deallocate(1, control).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// Dropping a reference does not commute with destroying the name: a later
// message's destroy before an earlier message's release crosses.
TEST(Seqno, SQ7_Violated_ReferenceDroppedAfterLaterDestroy) {
  Scenario s = two_requests_in_flight();
  PortName control = s.control(0, 0);
  s.destroy_port(2, control).ret(2);
  s.supply(1, 0, 0, 0).deallocate(1, control).ret(1);
  EXPECT_TRUE(Violates(s, "SQ7", Party::pager));
}

// ... nor with a lifecycle call on it.
TEST(Seqno, SQ7_Violated_LifecycleCallAfterLaterReferenceDrop) {
  Scenario s = two_requests_in_flight();
  s.deallocate(2, s.control(0, 0)).ret(2);
  s.supply(1, 0, 0, 0).change_attributes(1, 0, 0).ret(1);
  EXPECT_TRUE(Violates(s, "SQ7", Party::pager));
}

TEST(Seqno, SQ7_Conforming_ReturnedDataReleasedBeforeSupply) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve(2).evict(0, 0, 0).fault(0, 0, 0);
  s.dequeue(1, 0);
  RegionId returned = s.last_region();
  s.release(1, returned).ret(1);
  s.dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Seqno, SQ7_Conforming_AnswersForDifferentPagesCommute) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).fault(0, 0, 0x1000);
  s.dequeue(1, 0).dequeue(2, 0);  // seqnos 1 and 2
  s.supply(2, 0, 0, 0x1000).ret(2).supply(1, 0, 0, 0).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
