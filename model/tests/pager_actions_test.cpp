// SPDX-License-Identifier: MIT
// The pager's own actions (entry ABI version 2): sync (LK2), flush (LK3),
// waiting for lock_completed (LK8), change_attributes (CA3, CP1), shutdown
// (DS3), the observable store (RT5), and the kernel's side of them (LK11,
// CA4). See SEMANTICS.md, "The pager's own actions".
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr ThreadId kAction = 50;  // the suite's thread running the action

ControlCalled lock_call(PortName control, Offset off, Size size, std::int32_t should_return,
                        bool flush, PortName reply, Prot lock = kProtNoChange) {
  ControlCalled c{kAction, ControlCall::lock_request, control, off, size};
  c.lock_value = lock;
  c.should_return = should_return;
  c.should_flush = flush;
  c.reply_to = reply;
  return c;
}

ControlCalled change_call(PortName control, bool may_cache, std::int32_t strategy, PortName reply) {
  ControlCalled c{kAction, ControlCall::change_attributes, control};
  c.may_cache = may_cache;
  c.copy_strategy = strategy;
  c.reply_to = reply;
  return c;
}

// The pager's change_attributes action turning caching off: its call to
// kernel 0 for object 0, naming `reply`.
void begin_uncaching(Scenario& s, PortName reply) {
  PagerAction a;
  a.kind = PagerActionKind::change_attributes;
  s.begin_action(a);
  s.call(change_call(s.control(0, 0), false, 0, reply));
}

PagerAction range_action(PagerActionKind kind, Offset off, Size len) {
  PagerAction a;
  a.kind = kind;
  a.offset = off;
  a.length = len;
  return a;
}

// ready_world() where kernel 0 faulted page 0 for writing and holds it
// writable (supplied with no lock).
Scenario written_world() {
  Scenario s = ready_world();
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  return s;
}

// The kernel's answer to a lock_request returning page 0 dirty with stamp
// `stamp`, then lock_completed to the object port; the pager's thread 3
// handles both.
Scenario& write_back_and_complete(Scenario& s, Stamp stamp, Size size = 0x10000) {
  s.evict_with(0, 0, 0, {stamp}, true);
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, size);
  return s.handle(3, 0).handle(3, 0);
}

TEST(PagerActions, LK2_Conforming_SyncReturnsDirtyAndWaits) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x10000));
  s.call(lock_call(s.control(0, 0), 0, 0x10000, kReturnAll, false, s.port(0)));
  write_back_and_complete(s, 0x77);
  s.end_action().store_read(0, 0, {0x77}, true);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, LK2_Violated_SyncReturnsNothing) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x10000));
  s.call(lock_call(s.control(0, 0), 0, 0x10000, kReturnNone, false, s.port(0)));
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x10000).handle(3, 0);
  s.end_action();
  EXPECT_TRUE(Violates(s, "LK2", Party::pager));
}

// A page supplied write-locked cannot be dirty: a sync may leave it alone.
TEST(PagerActions, LK2_Conforming_WriteLockedPageNeedsNoSync) {
  Scenario s = ready_world();
  ControlCalled c{2, ControlCall::data_supply, 0, 0, 0x1000};
  s.fault(0, 0, 0).dequeue(2, 0);
  c.control = s.control(0, 0);
  c.lock_value = kProtWrite;
  c.stamps = {0};
  s.call(c).ret(2);
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x10000)).end_action();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// A declined action (error return) is judged on nothing it had to do.
TEST(PagerActions, LK2_Conforming_DeclinedSync) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x10000)).end_action(kKernInvalidArgument);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, LK3_Conforming_FlushFlushesAndWaits) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::flush, 0, 0x10000));
  s.call(lock_call(s.control(0, 0), 0, 0x10000, kReturnNone, true, s.port(0)));
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x10000).handle(3, 0);
  s.end_action();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, LK3_Violated_FlushWithoutShouldFlush) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::flush, 0, 0x10000));
  s.call(lock_call(s.control(0, 0), 0, 0x10000, kReturnAll, false, s.port(0)));
  write_back_and_complete(s, 0x78);
  s.end_action();
  EXPECT_TRUE(Violates(s, "LK3", Party::pager));
}

TEST(PagerActions, LK8_Conforming_CompletionDequeuedBeforeReturning) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x1000));
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, s.port(0)));
  write_back_and_complete(s, 0x79, 0x1000);
  s.end_action();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, LK8_Violated_NoCompletionAskedFor) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x1000));
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, kNullPort));
  s.evict_with(0, 0, 0, {0x7a}, true);
  s.end_action();
  EXPECT_TRUE(Violates(s, "LK8", Party::pager));
}

TEST(PagerActions, LK8_Violated_ReturnsBeforeTheCompletionIsDequeued) {
  Scenario s = written_world();
  s.begin_action(range_action(PagerActionKind::sync, 0, 0x1000));
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, s.port(0)));
  s.evict_with(0, 0, 0, {0x7b}, true);
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  s.end_action();
  EXPECT_TRUE(Violates(s, "LK8", Party::pager));
}

TEST(PagerActions, RT5_Conforming_StoreHoldsWhatWasReturned) {
  Scenario s = written_world();
  s.evict_with(0, 0, 0, {0x81}, true).handle(3, 0);
  s.store_read(0, 0, {0x81, 0, 0});
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// Only returns the pager has dequeued bind its store.
TEST(PagerActions, RT5_Conforming_ReturnNotYetDequeued) {
  Scenario s = written_world();
  s.evict_with(0, 0, 0, {0x82}, true);
  s.store_read(0, 0, {0});
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, RT5_Violated_StoreLacksAKernelCopyReturn) {
  Scenario s = written_world();
  KernelSent m{MessageKind::data_return, s.port(0), 0, 0, 0, 0x1000};
  m.dirty = true;
  m.kernel_copy = true;
  m.stamps = {0x83};
  s.send(m).handle(3, 0);
  s.store_read(0, 0, {0});
  EXPECT_TRUE(Violates(s, "RT5", Party::pager));
}

TEST(PagerActions, CA3_Conforming_UncacheWaitsForChangeCompleted) {
  Scenario s = ready_world();
  begin_uncaching(s, s.port(0));
  s.complete(MessageKind::change_completed, s.port(0), 0, 0).handle(3, 0);
  s.end_action().quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, CA3_Violated_UncacheWithoutReplyPort) {
  Scenario s = ready_world();
  begin_uncaching(s, kNullPort);
  s.end_action();
  EXPECT_TRUE(Violates(s, "CA3", Party::pager));
}

TEST(PagerActions, CA3_Violated_ReturnsBeforeChangeCompleted) {
  Scenario s = ready_world();
  begin_uncaching(s, s.port(0));
  s.complete(MessageKind::change_completed, s.port(0), 0, 0);
  s.end_action();
  EXPECT_TRUE(Violates(s, "CA3", Party::pager));
}

// gnumach-kernel.md §3d, trigger 4: turning caching off on a cached object
// terminates it before change_completed. A pager that stops waiting once
// it has dequeued that terminate (Hurd's libpager wakes every waiter on
// terminate) knows all it needs to: no CA3 verdict, and the completion it
// reads later is still counted (CA4).
TEST(PagerActions, CA3_Conforming_StopsWaitingAtTheTerminateThatComesFirst) {
  Scenario s = ready_world();
  begin_uncaching(s, s.port(0));
  s.unmap(0, 0);
  s.complete(MessageKind::change_completed, s.port(0), 0, 0);
  s.serve_one(3, s.port(0));  // terminate
  s.end_action();
  s.handle(3, 0).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The terminate must have been dequeued: one merely queued tells the
// pager nothing.
TEST(PagerActions, CA3_Violated_ReturnsWithTheTerminateStillQueued) {
  Scenario s = ready_world();
  begin_uncaching(s, s.port(0));
  s.unmap(0, 0);
  s.complete(MessageKind::change_completed, s.port(0), 0, 0);
  s.end_action();
  EXPECT_TRUE(Violates(s, "CA3", Party::pager));
}

// ready_world's ready carries copy strategy 0 (COPY_NONE).
TEST(PagerActions, CP1_Conforming_SameStrategyAgain) {
  Scenario s = ready_world();
  s.call(change_call(s.control(0, 0), true, 0, kNullPort));
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, CP1_Violated_StrategyChangedAfterReady) {
  Scenario s = ready_world();
  s.call(change_call(s.control(0, 0), true, 2, kNullPort));
  EXPECT_TRUE(Violates(s, "CP1", Party::pager));
}

// A new init is a new initialisation: its ready may choose again.
TEST(PagerActions, CP1_Conforming_NewStrategyAfterReinit) {
  Scenario s = ready_world();
  s.unmap(0, 0).handle(1, 0).map(0, 0).dequeue(1, 0);
  s.call(change_call(s.control(0, 0), false, 2, kNullPort)).ret(1);
  EXPECT_FALSE(s.has("CP1", Party::pager)) << s.summary();
}

// CP6: MEMORY_OBJECT_COPY_SYMMETRIC (4 in the OSF headers) is the
// kernel's. GNU Mach refuses it, so the calls below are not accepted.

bool checks(const Judgement& j, std::string_view rule) {
  return std::find(j.checked.begin(), j.checked.end(), rule) != j.checked.end();
}

TEST(PagerActions, CP6_Violated_ReadyWithCopySymmetric) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  ControlCalled c{1, ControlCall::ready, s.control(0, 0)};
  c.copy_strategy = kCopySymmetric;
  c.accepted = false;
  s.call_as(c).ret(1);
  EXPECT_TRUE(Violates(s, "CP6", Party::pager));
}

TEST(PagerActions, CP6_Violated_ChangeAttributesWithCopySymmetric) {
  Scenario s = ready_world();
  ControlCalled c = change_call(s.control(0, 0), true, kCopySymmetric, kNullPort);
  c.accepted = false;
  s.call_as(c);
  EXPECT_TRUE(Violates(s, "CP6", Party::pager));
  EXPECT_FALSE(s.has("CP1", Party::pager)) << s.summary();  // refused: nothing changed
}

// Every strategy GNU Mach defines is a user pager's to ask for; CP6 is
// checked (exercised) on each ready and change_attributes all the same.
TEST(PagerActions, CP6_Conforming_GnuMachStrategiesAreCheckedNotCharged) {
  for (std::int32_t strategy : {0, 1, 2, 3}) {
    Scenario s(WorldConfig{1, 0x10000});
    s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
    ControlCalled ready{1, ControlCall::ready, s.control(0, 0)};
    ready.copy_strategy = strategy;
    ready.accepted = true;
    Model m = s.model();
    Judgement j = m.judge(Event{ready});
    EXPECT_TRUE(checks(j, "CP6")) << strategy;
    EXPECT_TRUE(j.verdicts.empty()) << strategy;
    s.call_as(ready).ret(1);
    ControlCalled change = change_call(s.control(0, 0), false, strategy, kNullPort);
    change.accepted = true;
    m = s.model();
    j = m.judge(Event{change});
    EXPECT_TRUE(checks(j, "CP6")) << strategy;
    EXPECT_TRUE(j.verdicts.empty()) << strategy;
    s.call_as(change).quiesce();
    EXPECT_TRUE(Conforms(s)) << strategy;
  }
}

// After terminate the kernel no longer serves the control port: such a
// call is judged as a use after terminate (TM8), not as a request for a
// copy strategy.
TEST(PagerActions, CP6_NotJudged_OnAControlPortTheKernelNoLongerServes) {
  Scenario s = ready_world();
  s.unmap(0, 0).dequeue(1, 0);
  ControlCalled c = change_call(s.control(0, 0), true, kCopySymmetric, kNullPort);
  c.thread = 1;
  c.accepted = false;
  s.call_as(c);
  EXPECT_FALSE(s.has("CP6", Party::pager)) << s.summary();
}

TEST(PagerActions, DS3_Conforming_FlushThenDestroy) {
  Scenario s = written_world();
  PagerAction a;
  a.kind = PagerActionKind::shutdown;
  a.length = 0x10000;
  s.begin_action(a);
  s.call(lock_call(s.control(0, 0), 0, 0x10000, kReturnAll, true, s.port(0), kProtWrite));
  write_back_and_complete(s, 0x90);
  s.destroy_object(kAction, 0, 0);
  s.end_action();
  EXPECT_FALSE(s.has("DS3", Party::pager)) << s.summary();
}

TEST(PagerActions, DS3_Violated_DestroyWhileThePageIsCached) {
  Scenario s = written_world();
  PagerAction a;
  a.kind = PagerActionKind::shutdown;
  s.begin_action(a);
  s.destroy_object(kAction, 0, 0);
  s.end_action();
  EXPECT_TRUE(Violates(s, "DS3", Party::pager));
}

TEST(PagerActions, LK11_Conforming_ReturnDirtyReturnsADirtyPage) {
  Scenario s = written_world();
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, kNullPort));
  s.evict_with(0, 0, 0, {0x91}, true);
  EXPECT_FALSE(s.has("LK11", Party::kernel)) << s.summary();
}

// The window closes with the next event: a clean eviction later is not the
// lock_request's.
TEST(PagerActions, LK11_Conforming_LaterCleanEvictionIsNotTheRequests) {
  Scenario s = written_world();
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, kNullPort));
  s.ret(2);
  s.evict(0, 0, 0, false);
  EXPECT_FALSE(s.has("LK11", Party::kernel)) << s.summary();
}

TEST(PagerActions, LK11_Violated_ReturnDirtyReturnsACleanPage) {
  Scenario s = written_world();
  s.call(lock_call(s.control(0, 0), 0, 0x1000, kReturnDirty, false, kNullPort));
  s.evict(0, 0, 0, false);
  EXPECT_TRUE(Violates(s, "LK11", Party::kernel));
}

TEST(PagerActions, CA4_Conforming_ChangeCompletedSent) {
  Scenario s = ready_world();
  s.call(change_call(s.control(0, 0), false, 0, s.port(0)));
  s.complete(MessageKind::change_completed, s.port(0), 0, 0).handle(3, 0).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(PagerActions, CA4_Violated_NoChangeCompleted) {
  Scenario s = ready_world();
  s.call(change_call(s.control(0, 0), false, 0, s.port(0)));
  s.quiesce();
  EXPECT_TRUE(Violates(s, "CA4", Party::kernel));
}

}  // namespace
}  // namespace emmi::model::testing
