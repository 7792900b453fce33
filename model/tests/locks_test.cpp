// SPDX-License-Identifier: MIT
// Page locks: data_unlock (UL1-UL4, UL6), lock values (SU6, LK4), the size of
// lock_request (LK1) and lock_completed (LK5, LK9). See SEMANTICS.md,
// "Page locks".
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

ControlCalled lock_call(ThreadId t, PortName control, Offset off, Size size, Prot lock,
                        bool flush = false, PortName reply = kNullPort) {
  ControlCalled c{t, ControlCall::lock_request, control, off, size};
  c.lock_value = lock;
  c.should_flush = flush;
  c.reply_to = reply;
  return c;
}

ControlCalled supply_call(ThreadId t, PortName control, Offset off, Size size, Prot lock) {
  ControlCalled c{t, ControlCall::data_supply, control, off, size};
  c.lock_value = lock;
  c.stamps.assign(size / kBlockSize, 0);
  return c;
}

// ready_world() where page 0 was faulted for read and supplied write-locked.
Scenario locked_world() {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(supply_call(2, s.control(0, 0), 0, 0x1000, kProtWrite));
  s.ret(2);
  return s;
}

// locked_world() where the pager refused the write unlock of page 0 the
// manual's way (UL4: a flush) and the waiting write faulted it in again:
// the request for write access is dequeued by thread 2, unanswered.
Scenario refused_world() {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0);
  s.call(lock_call(2, s.control(0, 0), 0, 0x1000, kProtNoChange, true));
  s.ret(2);
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0);
  return s;
}

TEST(Locks, UL2_Conforming_UnlockAnsweredByALockRequestThatRelaxes) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0);
  s.call(lock_call(2, s.control(0, 0), 0, 0x1000, 0));
  s.ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, UL2_Violated_UnlockLeftUnanswered) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0).ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "UL2", Party::pager));
}

TEST(Locks, UL2_Violated_LockRequestKeepsTheWriteLock) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0);
  s.call(lock_call(2, s.control(0, 0), 0, 0x1000, kProtNoChange));
  s.ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "UL2", Party::pager));
}

TEST(Locks, UL4_Conforming_FlushThenDataErrorForTheRefault) {
  Scenario s = refused_world();
  s.error(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, UL4_Violated_DataErrorWithoutFlushingFirst) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0).error(2, 0, 0, 0).ret(2);
  EXPECT_TRUE(Violates(s, "UL4", Party::pager));
  EXPECT_FALSE(s.has("DR4", Party::pager));
}

// The refusal done wrong the other way round: data_error first (the kernel
// still holds the page), the flush only after it.
TEST(Locks, UL4_Violated_DataErrorBeforeTheFlush) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0).error(2, 0, 0, 0);
  s.call(lock_call(2, s.control(0, 0), 0, 0x1000, kProtNoChange, true));
  s.ret(2);
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0).error(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "UL4", Party::pager));
  EXPECT_FALSE(s.has("DR4", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("UL2", Party::pager)) << s.summary();
}

// What the model checks when the lock_request `c` of thread 2 reaches the
// world `s` (a copy of its model judges it; the scenario is unchanged).
Judgement judge_lock(const Scenario& s, ControlCalled c) {
  Model m = s.model();
  c.accepted = true;  // a live control port, whole pages: GNU Mach accepts it
  return m.judge(Event{c});
}

// ... and the data_error of thread 2 for page 0 of object 0 on kernel 0.
Judgement judge_error(const Scenario& s) {
  Model m = s.model();
  ControlCalled err{2, ControlCall::data_error, s.control(0, 0), 0, 0x1000};
  err.accepted = true;
  return m.judge(Event{err});
}

bool checks(const Judgement& j, std::string_view rule) {
  return std::find(j.checked.begin(), j.checked.end(), rule) != j.checked.end();
}

// UL4 is exercised by the refusal done right: a flush of a page whose
// unlock is outstanding (counted, no verdict).
TEST(Locks, UL4_Counted_FlushRefusingAnOutstandingUnlock) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0);
  Judgement j = judge_lock(s, lock_call(2, s.control(0, 0), 0, 0x1000, kProtNoChange, true));
  EXPECT_TRUE(checks(j, "UL4"));
  EXPECT_TRUE(j.verdicts.empty());
}

// A grant is not a refusal, and a flush with no unlock outstanding refuses
// nothing: neither counts UL4, neither is charged.
TEST(Locks, UL4_NotCounted_OnAGrant) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0).dequeue(2, 0);
  Judgement j = judge_lock(s, lock_call(2, s.control(0, 0), 0, 0x1000, 0));
  EXPECT_FALSE(checks(j, "UL4"));
  EXPECT_TRUE(checks(j, "UL2"));
  EXPECT_TRUE(j.verdicts.empty());
}

TEST(Locks, UL4_NotCounted_OnAFlushWithNoUnlockOutstanding) {
  Scenario s = locked_world();
  Judgement j = judge_lock(s, lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, true));
  EXPECT_FALSE(checks(j, "UL4"));
  EXPECT_TRUE(j.verdicts.empty());
}

// A flush for coherence of a range that also holds a page being unlocked:
// the page the flush drops is refused, the other pages are not charged.
TEST(Locks, UL4_Conforming_FlushOfARangeWithAnUnlockThenGrantOfTheRefault) {
  Scenario s = locked_world();
  s.fault(0, 0, 0x1000).dequeue(3, 0);
  s.call(supply_call(3, s.control(0, 0), 0x1000, 0x1000, 0));
  s.ret(3);
  s.unlock(0, 0, 0).dequeue(2, 0);
  s.call(lock_call(2, s.control(0, 0), 0, 0x2000, kProtNoChange, true));
  s.ret(2);
  // The pager changed its mind: the re-request gets the page writable (UL5
  // is a MAY; any answer is accepted).
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0);
  s.call(supply_call(2, s.control(0, 0), 0, 0x1000, 0));
  s.ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// The write-back of the pages a flushing lock_request returns follows the
// call: those pages are no longer cached, yet the return is the kernel's
// due (gnumach-kernel.md §3c), not an RT1.
TEST(Locks, RT1_Conforming_WriteBackOfAFlushedPage) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, true));
  s.evict(0, 0, 0);
  EXPECT_TRUE(Conforms(s));
  s.evict(0, 0, 0);  // a second one is not
  EXPECT_TRUE(Violates(s, "RT1", Party::kernel));
}

TEST(Locks, UL1_Conforming_UnlockOfACachedPage) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0);
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, UL1_Violated_UnlockOfAPageNotCached) {
  Scenario s = ready_world();
  s.unlock(0, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "UL1", Party::kernel));
}

TEST(Locks, UL3_Conforming_UnlockForALockedAccess) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0, kProtWrite);
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, UL3_Violated_UnlockForAnAccessNotLocked) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.unlock(0, 0, 0);
  EXPECT_TRUE(Violates(s, "UL3", Party::kernel));
}

TEST(Locks, UL6_Conforming_UnlockOfOnePage) {
  Scenario s = locked_world();
  s.unlock(0, 0, 0);
  EXPECT_FALSE(s.has("UL6", Party::kernel));
}

TEST(Locks, UL6_Violated_UnlockOfHalfAPage) {
  Scenario s = locked_world();
  s.send(KernelSent{MessageKind::data_unlock, s.port(0), 0, 0, 0, 0x800, kProtWrite});
  EXPECT_TRUE(Violates(s, "UL6", Party::kernel));
}

TEST(Locks, SU6_Conforming_SupplyWriteLocked) {
  Scenario s = locked_world();
  s.quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, SU6_Violated_LockValueOutsideVmProtAll) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call_as(supply_call(2, s.control(0, 0), 0, 0x1000, 0x10));  // GNU Mach refuses it
  EXPECT_TRUE(Violates(s, "SU6", Party::pager));
}

TEST(Locks, LK1_Conforming_WholePages) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x2000, kProtNoChange));
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, LK4_Conforming_NoChange) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange));
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, LK4_Violated_LockValueNeitherAccessesNorNoChange) {
  Scenario s = locked_world();
  ControlCalled c = lock_call(3, s.control(0, 0), 0, 0x1000, 0x10);
  c.accepted = false;  // GNU Mach refuses it (§3e)
  s.call_as(c);
  EXPECT_TRUE(Violates(s, "LK4", Party::pager));
}

TEST(Locks, LK5_Conforming_CompletionSentToTheReplyPort) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, false, s.port(0)));
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000).handle(3, 0).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, LK5_Violated_NoCompletion) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, false, s.port(0)));
  s.quiesce();
  EXPECT_TRUE(Violates(s, "LK5", Party::kernel));
}

TEST(Locks, LK9_Conforming_EchoesOffsetAndSize) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, false, s.port(0)));
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  EXPECT_TRUE(Conforms(s));
}

TEST(Locks, LK9_Violated_CompletionForAnotherRange) {
  Scenario s = locked_world();
  s.call(lock_call(3, s.control(0, 0), 0, 0x1000, kProtNoChange, false, s.port(0)));
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0x1000, 0x1000);
  EXPECT_TRUE(Violates(s, "LK9", Party::kernel));
}

// UL5 is a permission: the data_error that answers the request following a
// refusal done right (UL4's flush) counts it, and is no verdict.
TEST(Locks, UL5_Conforming_DataErrorAnsweringTheRequestAfterARefusal) {
  Judgement j = judge_error(refused_world());
  EXPECT_TRUE(checks(j, "UL5"));
  EXPECT_TRUE(j.verdicts.empty());
}

// Answering that request with data instead is just as correct: the pager
// flushed for coherence, or changed its mind (SEMANTICS.md, "Page locks").
TEST(Locks, UL5_NeverViolated_DataForTheRequestAfterARefusal) {
  Scenario s = refused_world();
  s.supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// A data_error for a page no unlock was refused for does not count UL5.
TEST(Locks, UL5_NotCounted_OnAPlainDataError) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  Judgement j = judge_error(s);
  EXPECT_FALSE(checks(j, "UL5"));
  EXPECT_TRUE(checks(j, "DR4"));
}

// LK6: a lock_request asking for no completion counts the permission; one
// with a reply port does not.
TEST(Locks, LK6_Conforming_CountedOnlyForANullReplyPort) {
  Scenario s = locked_world();
  EXPECT_TRUE(checks(judge_lock(s, lock_call(2, s.control(0, 0), 0, 0x1000, 0)), "LK6"));
  ControlCalled with_reply = lock_call(2, s.control(0, 0), 0, 0x1000, 0, false, s.port(0));
  with_reply.reply_to_received_by_pager = true;
  Judgement j = judge_lock(s, with_reply);
  EXPECT_FALSE(checks(j, "LK6"));
  EXPECT_TRUE(checks(j, "PR6"));
  EXPECT_TRUE(j.verdicts.empty());
}

// A pager that names a reply port and never reads the completion breaks
// nothing the suite can see: not charged under LK6 (or LK5, a kernel duty).
TEST(Locks, LK6_NeverViolated_CompletionAskedForAndIgnored) {
  Scenario s = locked_world();
  ControlCalled c = lock_call(2, s.control(0, 0), 0, 0x1000, 0, false, s.port(0));
  c.reply_to_received_by_pager = true;
  s.call(c);
  s.ret(2).quiesce();
  EXPECT_FALSE(s.has("LK6", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("PR6", Party::pager)) << s.summary();
}

TEST(Locks, PR6_Conforming_ReplyPortIsOneOfThePagersReceiveRights) {
  Scenario s = locked_world();
  ControlCalled c = lock_call(2, s.control(0, 0), 0, 0x1000, 0, false, s.port(0));
  c.reply_to_received_by_pager = true;
  Judgement j = judge_lock(s, c);
  EXPECT_TRUE(checks(j, "PR6"));
  EXPECT_TRUE(j.verdicts.empty());
}

// PR6: the kernel saw that the reply port's receive right is not the
// pager's (a send right passed on): the completion would go elsewhere.
TEST(Locks, PR6_Violated_ReplyPortReceivedByAnotherTask) {
  Scenario s = locked_world();
  ControlCalled c = lock_call(2, s.control(0, 0), 0, 0x1000, 0, false, s.control(0, 0));
  c.reply_to_received_by_pager = false;
  Judgement j = judge_lock(s, c);
  EXPECT_TRUE(checks(j, "PR6"));
  EXPECT_TRUE(std::any_of(j.verdicts.begin(), j.verdicts.end(), [](const Verdict& v) {
    return v.rule == "PR6" && v.party == Party::pager;
  }));
}

// Not seen (the receive right was in a message): not judged.
TEST(Locks, PR6_NotJudged_WhenTheKernelCouldNotSee) {
  Scenario s = locked_world();
  Judgement j = judge_lock(s, lock_call(2, s.control(0, 0), 0, 0x1000, 0, false, s.port(0)));
  EXPECT_FALSE(checks(j, "PR6"));
}

}  // namespace
}  // namespace emmi::model::testing
