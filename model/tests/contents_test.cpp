// SPDX-License-Identifier: MIT
// What the kernels saw of an object's data (contents.h; SEMANTICS.md,
// "Contents the kernel saw"): data_unavailable makes the kernel zero-fill a
// user object's page, so it is wrong where the pager holds other data (UN1,
// UN3); a COPY_DELAY object's data never changes behind the kernels' back
// (CP4).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

// One object of 64 KiB, kernel 0 with 4 KiB pages, made ready (thread 1)
// with `strategy`.
Scenario world(std::int32_t strategy = kCopyDelay) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  ControlCalled c{1, ControlCall::ready, s.control(0, 0)};
  c.copy_strategy = strategy;
  s.call(std::move(c)).ret(1);
  return s;
}

// Kernel 0 faults page `off`, thread 2 answers it with data_unavailable.
Scenario& fault_unavailable(Scenario& s, Offset off = 0) {
  return s.fault(0, 0, off).dequeue(2, 0).unavailable(2, 0, 0, off).ret(2);
}
Scenario& fault_supply(Scenario& s, Stamp stamp, Offset off = 0) {
  return s.fault(0, 0, off).dequeue(2, 0).supply(2, 0, 0, off, 0x1000, {stamp}).ret(2);
}
// The kernel drops the clean page silently (RT3) and faults it again.
Scenario& drop_and_refault(Scenario& s, Offset off = 0) { return s.fault(0, 0, off); }

// --- UN1 / UN3 ---------------------------------------------------------------------

// The page was zero-filled before and nothing changed it: unavailable again.
TEST(Contents, UN1_Conforming_UnavailableAgainForAZeroFilledPage) {
  Scenario s = world();
  fault_unavailable(s);
  drop_and_refault(s).dequeue(2, 0).unavailable(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
  Model m = s.model();
  EXPECT_TRUE(m.judge_store(0, 0, {0}, false).verdicts.empty());
}

TEST(Contents, UN3_Conforming_UnavailableForAPageNobodyReturned) {
  Scenario s = world();
  fault_unavailable(s);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The kernel paged the data out dirty; data_unavailable loses it (and RT4
// says the returned contents must be served).
TEST(Contents, UN3_Violated_UnavailableAfterADirtyReturn) {
  Scenario s = world();
  fault_unavailable(s);
  s.evict_with(0, 0, 0, {0x91}, true).dequeue(3, 0).release_last(3).ret(3);
  s.fault(0, 0, 0).dequeue(2, 0).unavailable(2, 0, 0, 0).ret(2);
  EXPECT_TRUE(Violates(s, "UN3", Party::pager));
  EXPECT_TRUE(Violates(s, "UN1", Party::pager));
  EXPECT_TRUE(Violates(s, "RT4", Party::pager));
}

// The pager's own data (supplied, COPY_DELAY, never returned): the kernel
// drops the clean page, and a data_unavailable for it would zero it.
TEST(Contents, UN1_Violated_UnavailableForDataThePagerSupplied) {
  Scenario s = world();
  fault_supply(s, 0x77);
  drop_and_refault(s).dequeue(2, 0).unavailable(2, 0, 0, 0).ret(2);
  EXPECT_TRUE(Violates(s, "UN1", Party::pager));
  EXPECT_TRUE(Violates(s, "UN3", Party::pager));
}

// COPY_NONE: the pager may change its data (and flush the kernels); the
// suite cannot know what it holds now.
TEST(Contents, UN1_Conforming_CopyNoneDataMayChange) {
  Scenario s = world(kCopyNone);
  fault_supply(s, 0x77);
  drop_and_refault(s).dequeue(2, 0).unavailable(2, 0, 0, 0).ret(2);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// A terminate ends the promise: the object may start over in its next life.
TEST(Contents, UN1_Conforming_NewLifeAfterTerminate) {
  Scenario s = world();
  fault_supply(s, 0x77);
  s.unmap(0, 0).serve();
  s.map(0, 0).dequeue(1, 0);
  ControlCalled c{1, ControlCall::ready, s.control(0, 0)};
  c.copy_strategy = kCopyDelay;
  s.call(std::move(c)).ret(1);
  s.forget_verdicts();
  fault_unavailable(s);
  EXPECT_FALSE(s.has("UN1", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("UN3", Party::pager)) << s.summary();
}

// COPY_TEMPORARY: the pager need not see the changes (CP5), so data it
// dropped is no UN verdict (RT4 is not this family's).
TEST(Contents, UN3_Conforming_TemporaryStrategyNeedNotKeepReturns) {
  Scenario s = world(kCopyTemporary);
  fault_unavailable(s);
  s.evict_with(0, 0, 0, {0x91}, true).dequeue(3, 0).release_last(3).ret(3);
  s.fault(0, 0, 0).dequeue(2, 0).unavailable(2, 0, 0, 0).ret(2);
  EXPECT_FALSE(s.has("UN1", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("UN3", Party::pager)) << s.summary();
}

// --- CP4 -------------------------------------------------------------------------------

TEST(Contents, CP4_Conforming_StoreStillHoldsWhatTheKernelSaw) {
  Scenario s = world();
  fault_supply(s, 0x77);
  fault_unavailable(s, 0x1000);
  Model m = s.model();
  Judgement j = m.judge_store(0, 0, {0x77, 0, 0x55}, false);
  EXPECT_TRUE(j.verdicts.empty());
  EXPECT_NE(std::find(j.checked.begin(), j.checked.end(), "CP4"), j.checked.end());
}

TEST(Contents, CP4_Violated_StoreChangedAZeroFilledBlock) {
  Scenario s = world();
  fault_unavailable(s);
  s.store_read(0, 0, {0x99}, true);
  EXPECT_TRUE(Violates(s, "CP4", Party::pager));
}

TEST(Contents, CP4_Violated_SupplyOfOtherDataWithoutAReturn) {
  Scenario s = world();
  fault_supply(s, 0x77);
  drop_and_refault(s).dequeue(2, 0).supply(2, 0, 0, 0, 0x1000, {0x78}).ret(2);
  EXPECT_TRUE(Violates(s, "CP4", Party::pager));
}

// A block the kernel returned is the kernel's data from then on (RT5 judges
// the store); a dirty return is no external change.
TEST(Contents, CP4_Conforming_ReturnedBlockChanges) {
  Scenario s = world();
  fault_unavailable(s);
  s.evict_with(0, 0, 0, {0x91}, true).dequeue(3, 0).release_last(3).ret(3);
  s.store_read(0, 0, {0x91});
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0, 0x1000, {0x91}).ret(2);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(Contents, CP4_Conforming_CopyNoneMayChange) {
  Scenario s = world(kCopyNone);
  fault_unavailable(s);
  s.store_read(0, 0, {0x99}, true);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

// The pager's change_attributes to COPY_NONE (a CP1 verdict of its own)
// ends the promise too.
TEST(Contents, CP4_Conforming_NoPromiseOnceTheStrategyIsNotDelay) {
  Scenario s = world();
  fault_unavailable(s);
  ControlCalled c{1, ControlCall::change_attributes, s.control(0, 0)};
  c.copy_strategy = kCopyNone;
  s.call(std::move(c));
  s.store_read(0, 0, {0x99}, true);
  EXPECT_FALSE(s.has("CP4", Party::pager)) << s.summary();
}

// After the kernel's terminate the pager may rewrite its data.
TEST(Contents, CP4_Conforming_StoreRewrittenAfterTerminate) {
  Scenario s = world();
  fault_unavailable(s);
  s.unmap(0, 0).serve();
  s.forget_verdicts();
  s.store_read(0, 0, {0x99});
  EXPECT_FALSE(s.has("CP4", Party::pager)) << s.summary();
}

// A block no kernel ever saw binds nothing.
TEST(Contents, CP4_Conforming_UnseenBlockMayHoldAnything) {
  Scenario s = world();
  fault_unavailable(s);
  s.store_read(0, 0x2000, {0x99});
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

}  // namespace
}  // namespace emmi::model::testing
