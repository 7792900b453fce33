// SPDX-License-Identifier: MIT
// Copies of MEMORY_OBJECT_COPY_CALL objects (copies.h; SEMANTICS.md,
// "Copies"): GNU Mach's memory_object_copy gives the pager a new object that
// must read as the original's range did when the copy was made (CP3).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

constexpr ObjectId kCopy = 1;  // the copy's slot, after the one offered object
constexpr PortName kCopyPort = 0x300;

// Object 0 (64 KiB) made ready with COPY_CALL by kernel 0 (4 KiB pages),
// with one slot for a copy.
Scenario copy_call_world() {
  Scenario s(WorldConfig{2, 0x10000});
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  ControlCalled c{1, ControlCall::ready, s.control(0, 0)};
  c.copy_strategy = kCopyCall;
  s.call(std::move(c)).ret(1);
  return s;
}

// Object 0 (64 KiB) made ready with COPY_CALL by kernel 0 (4 KiB pages);
// page 0 supplied with 0x11; the kernel copies page 0 while it holds it,
// and the pager takes the copy (releasing the old control's send right)
// and makes the copy ready.
Scenario copied() {
  Scenario s = copy_call_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0, 0x1000, {0x11}).ret(2);
  s.copy(0, 0, 0, 0x1000, kCopy, kCopyPort, {0x11}, {1});
  s.dequeue(3, 0).deallocate(3, s.control(0, 0)).ret(3);
  s.map(kCopy, 0).dequeue(4, kCopy).ready(4, kCopy, 0).ret(4);
  s.fault(kCopy, 0, 0).dequeue(5, kCopy);
  return s;
}

TEST(Copies, CP3_Conforming_TheCopyIsSuppliedWithTheContentsOfTheCopy) {
  Scenario s = copied();
  s.supply(5, kCopy, 0, 0, 0x1000, {0x11}).ret(5);
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_TRUE(s.checked("CP3")) << s.summary();
}

// memory_object.defs: "the memory manager may use the
// memory_object_data_unavailable call to indicate that the appropriate page
// of the original memory object may be used" -- right while it is unchanged.
TEST(Copies, CP3_Conforming_UnavailableReadsTheUnchangedOriginal) {
  Scenario s = copied();
  s.unavailable_read(5, kCopy, 0, 0, {0x11}).ret(5);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(Copies, CP3_Violated_UnavailableReadsTheOriginalChangedSinceTheCopy) {
  Scenario s = copied();
  s.unavailable_read(5, kCopy, 0, 0, {0x22}).ret(5);
  EXPECT_TRUE(Violates(s, "CP3", Party::pager));
  EXPECT_FALSE(s.has("UN1", Party::pager)) << s.summary();  // no zero-fill for a copy
}

TEST(Copies, CP3_Violated_SupplyOfOtherContents) {
  Scenario s = copied();
  s.supply(5, kCopy, 0, 0, 0x1000, {0x22}).ret(5);
  EXPECT_TRUE(Violates(s, "CP3", Party::pager));
}

// A block the kernel did not hold and never returned: the model does not
// know what the range held there, and judges nothing.
TEST(Copies, CP3_Conforming_UnknownContentsAreNotJudged) {
  Scenario s = copied();
  s.supply(5, kCopy, 0, 0, 0x1000, {0x11}).ret(5);
  s.fault(kCopy, 0, 0x1000);
  s.dequeue(6, kCopy).supply(6, kCopy, 0, 0x1000, 0x1000, {0x77}).ret(6);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// Once the kernel returns a copy's page, RT4 follows it: the copy's own
// contents change with the kernel's writes.
TEST(Copies, CP3_Conforming_ACopysReturnedPageIsItsOwn) {
  Scenario s = copied();
  s.supply(5, kCopy, 0, 0, 0x1000, {0x11}).ret(5);
  s.evict_with(kCopy, 0, 0, {0x33}, true).dequeue(6, kCopy).release_last(6).ret(6);
  s.fault(kCopy, 0, 0).dequeue(7, kCopy).supply(7, kCopy, 0, 0, 0x1000, {0x33}).ret(7);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The copy's port is bound by the kernel's first message for it; the pager
// ends the copy like any object.
TEST(Copies, CP3_Conforming_TheCopyIsTerminatedLikeAnyObject) {
  Scenario s = copied();
  s.supply(5, kCopy, 0, 0, 0x1000, {0x11}).ret(5);
  s.unmap(kCopy, 0).serve(8).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The pager refuses the copy: mach_msg_server destroys the old control's
// send right and the new object's receive right with the request, and the
// init queued there with it. Nothing is owed for an object that never was.
TEST(Copies, CP3_Conforming_ARefusedCopyOwesNothing) {
  Scenario s = copy_call_world();
  s.copy(0, 0, 0, 0x1000, kCopy, kCopyPort);
  s.dequeue(3, 0).map(kCopy, 0).ret(3, kKernFailure).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The copy write-locks the original's resident pages: a write then asks to
// unlock (no UL3), and the pager lowering that lock hands out no data: the
// kernel's modifications never left its page (no SU3).
TEST(Copies, CP3_Conforming_TheOriginalIsUnlockedAfterTheCopy) {
  Scenario s = copy_call_world();
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0);
  s.supply(2, 0, 0, 0, 0x1000, {0x11}).ret(2);  // writable: the kernel writes 0x12
  s.copy(0, 0, 0, 0x1000, kCopy, kCopyPort, {0x12}, {1});
  s.unlock(0, 0, 0);
  s.dequeue(3, 0).deallocate(3, s.control(0, 0)).ret(3);
  s.map(kCopy, 0).dequeue(4, kCopy).ready(4, kCopy, 0).ret(4);
  s.fault(kCopy, 0, 0).dequeue(5, kCopy).supply(5, kCopy, 0, 0, 0x1000, {0x12}).ret(5);
  s.dequeue(6, 0).lock(6, 0, 0, 0).ret(6);
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_TRUE(s.checked("SU3")) << s.summary();
}

// A page being supplied when the copy is made: the supply the pager sent
// before it knew of the copy may let the kernel write it first, so what the
// range held there is not judged.
TEST(Copies, CP3_Conforming_APageInFlightAtTheCopyIsNotJudged) {
  Scenario s = copy_call_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0, 0x1000, {0x11}).ret(2);
  s.evict_with(0, 0, 0, {0x12}, true).dequeue(3, 0).release_last(3).ret(3);
  s.fault(0, 0, 0, kProtRead | kProtWrite);  // requested again: 0x12 is on its way
  s.copy(0, 0, 0, 0x1000, kCopy, kCopyPort);
  s.dequeue(4, 0).supply(4, 0, 0, 0, 0x1000, {0x12}).ret(4);  // writable: the kernel writes 0x13
  s.dequeue(5, 0).deallocate(5, s.control(0, 0)).ret(5);
  s.map(kCopy, 0).dequeue(6, kCopy).ready(6, kCopy, 0).ret(6);
  s.fault(kCopy, 0, 0).dequeue(7, kCopy).supply(7, kCopy, 0, 0, 0x1000, {0x13}).ret(7);
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_FALSE(s.checked("CP3")) << s.summary();
}

}  // namespace
}  // namespace emmi::model::testing
