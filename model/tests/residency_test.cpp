// SPDX-License-Identifier: MIT
// Residency: pages the kernel drops silently (RT3) and precious pages it
// must return (SU7, gnumach-kernel.md §3c), and the retry of a fault the
// pager failed with data_error (ER2, §3e). See SEMANTICS.md, "Residency".
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

ControlCalled precious_supply(ThreadId t, PortName control, Offset off) {
  ControlCalled c{t, ControlCall::data_supply, control, off, 0x1000};
  c.precious = true;
  c.stamps.assign(1, 0);
  return c;
}

ControlCalled error_call(ThreadId t, PortName control, Offset off, KernReturn value) {
  ControlCalled c{t, ControlCall::data_error, control, off, 0x1000};
  c.error_value = value;
  return c;
}

// §3c: the kernel frees a clean page that is not precious without a word
// and faults it in again; the model takes the new request as that drop.
TEST(Residency, SU7_Conforming_CleanPageDroppedSilentlyAndRequestedAgain) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// SU7: a precious page comes back when evicted, clean or not.
TEST(Residency, SU7_Conforming_PreciousPageReturnedCleanThenRequested) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(precious_supply(2, s.control(0, 0), 0));
  s.ret(2);
  s.evict(0, 0, 0, false).dequeue(2, 0);
  s.release_last(2).ret(2);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Residency, SU7_Violated_KernelDropsAPreciousPage) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(precious_supply(2, s.control(0, 0), 0));
  s.ret(2);
  s.fault(0, 0, 0);
  EXPECT_TRUE(Violates(s, "SU7", Party::kernel));
  EXPECT_FALSE(s.has("SU7", Party::pager));
}

// DR3 names RT3 when the unanswered request follows a silent drop.
TEST(Residency, RT3_UnansweredRequestAfterASilentDropSaysSo) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 0, 0).dequeue(2, 0).ret(2).quiesce();
  ASSERT_TRUE(Violates(s, "DR3", Party::pager));
  EXPECT_NE(s.summary().find("RT3"), std::string::npos) << s.summary();
}

// ER2: the client's retry after data_error is answered (here with data).
TEST(Residency, ER2_Conforming_RetryAfterDataErrorAnswered) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(error_call(2, s.control(0, 0), 0, 10));
  s.ret(2);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Residency, ER2_Violated_RetryAfterDataErrorNeverAnswered) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(error_call(2, s.control(0, 0), 0, 10));
  s.ret(2);
  s.fault(0, 0, 0).dequeue(2, 0).ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "ER2", Party::pager));
  EXPECT_TRUE(s.has("DR3", Party::pager));
}

// A lock_request over the failed page (it holds nothing there) leaves the
// mark: the retry is still one.
TEST(Residency, ER2_Violated_RetryUnansweredAfterALockRequestOverThePage) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(error_call(2, s.control(0, 0), 0, 10));
  s.ret(2);
  ControlCalled lock{3, ControlCall::lock_request, s.control(0, 0), 0, 0x1000};
  lock.lock_value = kProtNoChange;
  lock.should_flush = true;
  s.call(lock);
  s.fault(0, 0, 0).dequeue(2, 0).ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "ER2", Party::pager));
}

// A request that is no retry (the page was never failed) is DR3 only.
TEST(Residency, ER2_NotChargedForAFirstRequest) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).ret(2).quiesce();
  EXPECT_TRUE(s.has("DR3", Party::pager));
  EXPECT_FALSE(s.has("ER2", Party::pager));
}

// DR4: a data_error carrying KERN_SUCCESS fails the fault for no error.
TEST(Residency, DR4_Violated_DataErrorWithKernSuccess) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  s.call(error_call(2, s.control(0, 0), 0, kKernSuccess));
  s.ret(2);
  EXPECT_TRUE(Violates(s, "DR4", Party::pager));
}

// GNU Mach's reading of X6 (a supply may reach pages in advance), one
// object, kernel 0 with 4 KiB pages: page 0 supplied, page 1 requested.
Scenario present_world() {
  WorldConfig c{1, 0x10000};
  c.readings.unsolicited_supply = Reading::gnumach;
  Scenario s(c);
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1);
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.fault(0, 0, 0x1000).dequeue(2, 0);
  // A supply of pages 0 and 1 with a reply port: the kernel stops at page
  // 0, which it holds (KERN_MEMORY_PRESENT, §3e); page 1 stays requested.
  ControlCalled c2{2, ControlCall::data_supply, s.control(0, 0), 0, 0x2000};
  c2.stamps.assign(2, 0);
  c2.reply_to = s.port(0);
  c2.present_at = 0;
  s.call(c2);
  s.ret(2);
  return s;
}

TEST(Residency, SC4_Conforming_PageTheSupplyDidNotReachIsSuppliedAgain) {
  Scenario s = present_world();
  s.complete(MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x2000).dequeue(2, 0);
  s.supply(2, 0, 0, 0x1000).ret(2).quiesce();
  EXPECT_FALSE(s.has("SC4", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("DR3", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("SU2", Party::pager) && s.verdicts().back().portability.empty());
}

TEST(Residency, SC4_Violated_PageTheSupplyDidNotReachIsLeftUnanswered) {
  Scenario s = present_world();
  s.complete(MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x2000).dequeue(2, 0).ret(2);
  s.quiesce();
  EXPECT_TRUE(Violates(s, "SC4", Party::pager));
  EXPECT_TRUE(s.has("DR3", Party::pager));
}

}  // namespace
}  // namespace emmi::model::testing
