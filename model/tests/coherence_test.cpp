// SPDX-License-Identifier: MIT
// Write access across kernels: SU3 and MK3 (SEMANTICS.md, "Coherence").
// GNU Mach keeps mappings coherent only within one host (PS3,
// gnumach-kernel.md §3: every kernel has its own control port, page cache
// and locks, and lock_request acts on one kernel's cache, §3e), so the
// pager must recall one kernel's writable copy (lock_request with a flush or
// a clean, §3c: the write-back comes as data_return, then lock_completed)
// before another kernel may write.
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr Prot kWrite = kProtRead | kProtWrite;

ControlCalled recall(ThreadId t, PortName control, Offset off, Size size, PortName reply,
                     bool flush = true, Prot lock = kProtNoChange) {
  ControlCalled c{t, ControlCall::lock_request, control, off, size};
  c.should_return = kReturnDirty;
  c.should_flush = flush;
  c.lock_value = lock;
  c.reply_to = reply;
  return c;
}

ControlCalled read_only_supply(ThreadId t, PortName control, Offset off, Size size,
                               std::vector<Stamp> stamps) {
  ControlCalled c{t, ControlCall::data_supply, control, off, size};
  c.lock_value = kProtWrite;
  c.stamps = std::move(stamps);
  return c;
}

// Two 4 KiB kernels on object 0; kernel 0 faulted page 0 for writing and
// was supplied it writable (thread 2); kernel 1 then faulted page 0 for
// writing, and thread 3 has dequeued that request.
Scenario writer_world() {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 1, 0, kWrite).dequeue(3, 0);
  return s;
}

// writer_world() where thread 3 recalled kernel 0's page (flush, return
// dirty, the completion to the object port) and the kernel wrote it back
// (contents 0x77) and completed; nothing of it is dequeued yet.
Scenario recalled_world() {
  Scenario s = writer_world();
  s.call(recall(3, s.control(0, 0), 0, 0x1000, s.port(0)));
  s.evict_with(0, 0, 0, {0x77});
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  s.ret(3);
  return s;
}

TEST(Coherence, MK3_Violated_SecondKernelGetsWriteWhileTheFirstHoldsIt) {
  Scenario s = writer_world();
  s.supply(3, 0, 1, 0).ret(3);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
  EXPECT_FALSE(s.has("SU3", Party::pager)) << s.summary();
}

// data_unavailable zero-fills the page without a lock: write access too.
TEST(Coherence, MK3_Violated_DataUnavailableWhileAnotherKernelWrites) {
  Scenario s = writer_world();
  s.unavailable(3, 0, 1, 0).ret(3);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
}

// A lock_request lowering kernel 1's write lock while kernel 0 writes.
TEST(Coherence, MK3_Violated_UnlockGrantedWhileAnotherKernelWrites) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 1, 0).dequeue(3, 0);
  s.call(read_only_supply(3, s.control(0, 1), 0, 0x1000, {0}));
  s.ret(3);
  EXPECT_TRUE(Conforms(s));  // a read-only copy is no write grant
  s.unlock(0, 1, 0).dequeue(3, 0).lock(3, 0, 1, 0).ret(3);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
}

// The recall is sent, but the write is granted at once, before the
// write-back and the lock_completed reached the pager.
TEST(Coherence, MK3_Violated_GrantBeforeTheRecallCompleted) {
  Scenario s = writer_world();
  s.call(recall(3, s.control(0, 0), 0, 0x1000, s.port(0)));
  s.evict_with(0, 0, 0, {0x77});
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  s.supply(3, 0, 1, 0, 0, {0}).ret(3);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
}

// The reference pager's way: recall, take the write-back and the
// completion, then supply the returned contents to the new writer.
TEST(Coherence, MK3_Conforming_RecallThenLockCompletedThenGrant) {
  Scenario s = recalled_world();
  s.dequeue(4, 0).release_last(4).ret(4);
  s.dequeue(4, 0).supply(4, 0, 1, 0).ret(4).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// Kernel 0 gave the page up itself (evicted dirty): once the pager took
// that data_return, kernel 1 may write.
TEST(Coherence, MK3_Conforming_GrantAfterTheWriterEvicted) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.evict(0, 0, 0).dequeue(2, 0).release_last(2).ret(2);
  s.fault(0, 1, 0, kWrite).dequeue(3, 0).supply(3, 0, 1, 0).ret(3).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// A clean with a write lock (no flush) also recalls: kernel 0 keeps a
// read-only copy.
TEST(Coherence, MK3_Conforming_CleanWithWriteLockThenGrant) {
  Scenario s = writer_world();
  s.call(recall(3, s.control(0, 0), 0, 0x1000, s.port(0), false, kProtWrite));
  s.ret(3);
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  s.dequeue(4, 0).supply(4, 0, 1, 0).ret(4);
  EXPECT_FALSE(s.has("MK3", Party::pager)) << s.summary();
}

// A clean that leaves kernel 0 writable recalls nothing.
TEST(Coherence, MK3_Violated_CleanWithoutWriteLock) {
  Scenario s = writer_world();
  s.call(recall(3, s.control(0, 0), 0, 0x1000, s.port(0), false, kProtNoChange));
  s.ret(3);
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x1000);
  s.dequeue(4, 0).supply(4, 0, 1, 0).ret(4);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
}

// A 16 KiB kernel holding blocks 0..3 writable conflicts with a 4 KiB
// kernel's write of block 2.
TEST(Coherence, MK3_Violated_BlocksOfALargerPage) {
  Scenario s = two_kernel_world(0x4000, 0x1000);
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 1, 0x2000, kWrite).dequeue(3, 0).supply(3, 0, 1, 0x2000).ret(3);
  EXPECT_TRUE(Violates(s, "MK3", Party::pager));
}

// Readers may share: read-only copies to both kernels are no write grant.
TEST(Coherence, MK3_Conforming_ReadOnlyCopiesShared) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(read_only_supply(2, s.control(0, 0), 0, 0x1000, {0}));
  s.ret(2);
  s.fault(0, 1, 0).dequeue(3, 0);
  s.call(read_only_supply(3, s.control(0, 1), 0, 0x1000, {0}));
  s.ret(3).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// Counting: MK3 is exercised on a write grant only where another kernel
// maps the object; SU3 on every write grant.
TEST(Coherence, MK3_CountedOnlyWithAnotherKernel) {
  Scenario one = ready_world();
  one.fault(0, 0, 0, kWrite).dequeue(2, 0);
  Model m = one.model();
  ControlCalled c{2, ControlCall::data_supply, one.control(0, 0), 0, 0x1000};
  c.stamps = {0};
  Judgement j = m.judge(Event{c});
  auto counted = [&](std::string_view r) {
    return std::find(j.checked.begin(), j.checked.end(), r) != j.checked.end();
  };
  EXPECT_TRUE(counted("SU3"));
  EXPECT_FALSE(counted("MK3"));
}

// The write-back was dequeued (by another thread) before the answer: the
// pager had it, whichever thread handles what.
TEST(Coherence, SU3_Conforming_ReturnTakenByAnotherThread) {
  Scenario s = ready_world();
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.evict(0, 0, 0).fault(0, 0, 0, kWrite);
  // Thread 3 takes the data_return, thread 4 the request; 4 answers first.
  s.dequeue(3, 0);
  s.dequeue(4, 0);
  s.call(ControlCalled{4, ControlCall::data_supply, s.control(0, 0), 0, 0x1000});
  EXPECT_FALSE(s.has("SU3", Party::pager)) << s.summary();
}

TEST(Coherence, SU3_Violated_FlushWithoutReplyThenWritableAgain) {
  // The pager flushes kernel 0's page returning it, asks for no
  // completion, and supplies it writable to the same kernel's refault
  // before it took the write-back.
  Scenario s = ready_world();
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 0, 0x1000, kWrite).dequeue(2, 0);
  s.call(recall(2, s.control(0, 0), 0, 0x1000, kNullPort));
  s.evict_with(0, 0, 0, {0x99});
  s.supply(2, 0, 0, 0x1000).ret(2);
  s.fault(0, 0, 0, kWrite);
  // A thread takes the refault ahead of the write-back: impossible with one
  // queue in order, so the model is driven directly here.
  Model m = s.model();
  ControlCalled c{3, ControlCall::data_supply, s.control(0, 0), 0, 0x1000};
  c.stamps = {0x99};
  c.accepted = true;
  std::vector<Verdict> v = m.apply(Event{c});
  EXPECT_TRUE(std::any_of(v.begin(), v.end(), [](const Verdict& x) { return x.rule == "SU3"; }));
}

TEST(Coherence, SU3_Conforming_WritableAgainAfterTheReturn) {
  Scenario s = ready_world();
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.evict(0, 0, 0).fault(0, 0, 0, kWrite);
  s.dequeue(2, 0).release_last(2).ret(2);
  s.dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// A page the kernel dropped silently was clean: nothing to wait for.
TEST(Coherence, SU3_Conforming_RefaultAfterASilentDrop) {
  Scenario s = ready_world();
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 0, 0, kWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_FALSE(s.has("SU3", Party::pager)) << s.summary();
}

// RT4: contents a kernel returned after the request was sent (the
// write-back a recall brought) are the newest, and may be served.
TEST(Coherence, RT4_Conforming_ServesAReturnThatFollowedTheRequest) {
  Scenario s = recalled_world();
  s.dequeue(4, 0).release_last(4).ret(4);
  s.dequeue(4, 0).supply(4, 0, 1, 0, 0, {0x77}).ret(4);
  EXPECT_FALSE(s.has("RT4", Party::pager)) << s.summary();
}

}  // namespace
}  // namespace emmi::model::testing
