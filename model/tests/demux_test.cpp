// SPDX-License-Identifier: MIT
// The demux's own duties (model/SEMANTICS.md, "Demux"): G5 and SQ4 (TRUE for
// the memory_object routines, FALSE for a foreign message), V2 (a refused
// foreign message's rights are destroyed, by mach_msg_server or by the
// pager's own loop) and V5 (a notification the pager asked for reaches a
// handler).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr PortName kCarried = 0x3100;
constexpr ThreadId kThread = 1;

// What mach_msg_server reports after the demux ran for the message thread 1
// dequeued from object 0's port as seqno `seqno`.
HandlerReturned returned(const Scenario& s, Seqno seqno, bool handled, KernReturn code) {
  HandlerReturned h{kThread, code, s.port(0), seqno};
  h.handled = handled;
  return h;
}

// The engine's stray-message on a ready object (init was seqno 0): it
// carries a send right to another task's port.
Scenario stray_world() {
  Scenario s = ready_world();
  s.notify(MessageKind::foreign, s.port(0));
  s.dequeue(kThread, 0, [](Dequeued& d) { d.rights = {{kCarried, Right::send}}; });
  return s;
}

TEST(Demux, G5_Conforming_ForeignMessageRefused) {
  Scenario s = stray_world();
  s.apply(returned(s, 1, false, kMigBadId));
  EXPECT_TRUE(Conforms(s));
  // mach_msg_server destroyed the request with its right.
  EXPECT_EQ(s.urefs(kCarried, Right::send), 0u);
}

TEST(Demux, G5_Violated_ForeignMessageClaimed) {
  Scenario s = stray_world();
  s.apply(returned(s, 1, true, kMigBadId));
  EXPECT_TRUE(Violates(s, "G5", Party::pager));
}

TEST(Demux, SQ4_Violated_SeqnosDemuxClaimsForeignMessage) {
  Scenario s = stray_world();
  s.apply(returned(s, 1, true, kMigBadId));
  EXPECT_TRUE(Violates(s, "SQ4", Party::pager));
}

TEST(Demux, SQ4_Conforming_SeqnosDemuxRoutesItsOwnRoutines) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(kThread, 0).supply(kThread, 0, 0, 0);
  s.apply(returned(s, 1, true, kKernSuccess));
  EXPECT_TRUE(Conforms(s));
}

TEST(Demux, G5_Conforming_FrontDemuxQueuesForeignMessage) {
  // A front demux that copies every message for a worker answers TRUE and
  // MIG_NO_REPLY: the MIG demux runs later, unseen; no verdict. Its worker
  // destroys the copy (mach_msg_destroy: the release is the pager's).
  Scenario s = stray_world();
  s.apply(returned(s, 1, true, kMigNoReply));
  s.deallocate(2, kCarried);
  EXPECT_TRUE(Conforms(s.quiesce()));
}

TEST(Demux, G5_Violated_MemoryObjectRoutineRefused) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(kThread, 0);
  s.apply(returned(s, 1, false, kMigBadId));
  EXPECT_TRUE(Violates(s, "G5", Party::pager));
}

TEST(Demux, G5_Conforming_NotJudgedWithoutTheDemuxResult) {
  // A receive loop of the pager's own: the handler return is never seen
  // with what the demux said.
  Scenario s = stray_world();
  s.apply(HandlerReturned{kThread, kMigBadId, s.port(0), 1});
  EXPECT_TRUE(Conforms(s));
}

TEST(Demux, V2_Violated_OwnLoopKeepsForeignRights) {
  // The loop never destroyed the refused request: the right is still the
  // pager's after stop().
  Scenario s = stray_world();
  s.dequeue(kThread, 0);  // the loop moves on; the model saw no handler return
  EXPECT_TRUE(Violates(s.quiesce(), "V2", Party::pager));
}

TEST(Demux, V2_Conforming_OwnLoopDestroysForeignRights) {
  Scenario s = stray_world();
  s.deallocate(kThread, kCarried);  // mach_msg_destroy
  EXPECT_TRUE(Conforms(s.quiesce()));
}

TEST(Demux, V2_Conforming_ServerDestroysForeignRights) {
  Scenario s = stray_world();
  s.apply(returned(s, 1, false, kMigBadId));
  EXPECT_TRUE(Conforms(s.quiesce()));
}

TEST(Demux, V5_Violated_RequestedNoSendersRefused) {
  Scenario s = ready_world();
  s.notify(MessageKind::no_senders, s.port(0)).dequeue(kThread, 0);
  s.apply(returned(s, 1, false, kMigBadId));
  EXPECT_TRUE(Violates(s, "V5", Party::pager));
}

TEST(Demux, V5_Conforming_NoSendersHandled) {
  Scenario s = ready_world();
  s.notify(MessageKind::no_senders, s.port(0)).dequeue(kThread, 0);
  s.apply(returned(s, 1, true, kKernSuccess));
  EXPECT_TRUE(Conforms(s));
}

TEST(Demux, V5_Conforming_UnaskedSendOnceNotJudged) {
  // A send-once notification comes unasked (a reply right destroyed
  // unused): a pager need not serve notify.defs for it.
  Scenario s = ready_world();
  s.notify(MessageKind::send_once, s.port(0)).dequeue(kThread, 0);
  s.apply(returned(s, 1, false, kMigBadId));
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
