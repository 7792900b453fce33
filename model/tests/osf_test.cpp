// SPDX-License-Identifier: MIT
// The OSF dialect (model/src/osf.cpp): init and terminate without a name
// port, synchronize and its completion (SY2-SY8, SY10), flavoured
// change_attributes (CA1, CA2), get_attributes (CA6), and the pager's own
// actions with the OSF control calls (LK2, LK8, CA3, CA5, DS3). Each test
// cites the page its rule follows.
#include <gtest/gtest.h>

#include "scenario.h"
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

// One object of 64 KiB, OSF kernel 0 with 4 KiB pages; thread 1 handled
// init and confirmed the object with the attributes flavour.
Scenario osf_world() {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.change_flavored(1, 0, 0, kFlavorAttributes, kAttrInfoCount).ret(1);
  return s;
}

// memory_object_init.html / memory_object_terminate.html: one right each.
TEST(OsfInit, ConformingInitAndTerminateWithoutNamePort) {
  Scenario s = osf_world();
  PortName control = s.control(0, 0);
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
  s.unmap(0, 0).dequeue(1, 0);
  s.deallocate(1, control).mod_refs(1, control, Right::receive, -1).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_TRUE(s.model().judge_quiescent().verdicts.empty());
}

// A GNU Mach style init (two rights) to an OSF kernel is the kernel's fault.
TEST(OsfInit, TwoRightsOnAnOsfInitIsAKernelFault) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0);
  s.dequeue(1, 0, [](Dequeued& d) { d.rights.push_back({0x7777, Right::send}); });
  EXPECT_TRUE(Violates(s, "IN3", Party::kernel));
}

// V-rules: a terminate handler ported from GNU Mach that releases "the name
// port" as well releases the control send right twice.
TEST(OsfInit, GnuMachNameReleaseInOsfIsADoubleRelease) {
  Scenario s = osf_world();
  PortName control = s.control(0, 0);
  s.unmap(0, 0).dequeue(1, 0);
  // The second deallocate finds only the receive right (KERN_INVALID_RIGHT,
  // no effect); the second receive release is the double release.
  s.deallocate(1, control).deallocate(1, control);
  s.mod_refs(1, control, Right::receive, -1).mod_refs(1, control, Right::receive, -1);
  EXPECT_TRUE(Violates(s, "V3", Party::pager));
}

// MO_SY_completed.html: "The offset and length must match that of the
// corresponding memory_object_synchronize call."
TEST(OsfSync, SY3_ConformingCompletionNamesTheRange) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0x2000, 0x2000).dequeue(1, 0).sync_completed(1, 0, 0, 0x2000, 0x2000).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_TRUE(s.model().judge_quiescent().verdicts.empty());
}

TEST(OsfSync, SY3_ViolatedByADifferentRange) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0x2000, 0x2000).dequeue(1, 0).sync_completed(1, 0, 0, 0x2000, 0x3000);
  EXPECT_TRUE(Violates(s, "SY3", Party::pager));
}

// vm_msync.html: the client waits for synchronize_completed (SY5).
TEST(OsfSync, SY5_ViolatedByNoCompletion) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x1000).dequeue(1, 0).ret(1);
  EXPECT_TRUE(Conforms(s));
  auto q = s.model().judge_quiescent().verdicts;
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].rule, "SY5");
}

TEST(OsfSync, SY5_ConformingWhenTerminateAbandonsTheSync) {
  Scenario s = osf_world();
  PortName control = s.control(0, 0);
  s.synchronize(0, 0, 0, 0x1000).unmap(0, 0).handle(1, 0);
  s.dequeue(1, 0).deallocate(1, control).mod_refs(1, control, Right::receive, -1).ret(1);
  // The synchronize's own control send right is the pager's to release.
  s.deallocate(1, control);
  EXPECT_TRUE(s.model().judge_quiescent(Model::Quiescence::before_stop).verdicts.empty());
}

// memory_object_synchronize.html: the manager "waits for the pages to reach
// the desired state and then replies" (SY2). Observable: after the
// completion, a supply of the range carries what the kernel returned before
// the synchronize.
Scenario synced_then_refaulted() {
  Scenario s = osf_world();
  s.fault(0, 0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1);
  s.evict(0, 0, 0).synchronize(0, 0, 0, 0x1000);
  s.handle(1, 0).dequeue(1, 0).sync_completed(1, 0, 0, 0, 0x1000).ret(1);
  s.fault(0, 0, 0).dequeue(1, 0);
  return s;
}

TEST(OsfSync, SY2_ConformingSupplyAfterTheSync) {
  Scenario s = synced_then_refaulted();
  s.supply(1, 0, 0, 0).ret(1);  // the contents the kernel returned
  EXPECT_TRUE(Conforms(s));
}

TEST(OsfSync, SY2_ViolatedByStaleDataAfterTheSync) {
  Scenario s = synced_then_refaulted();
  s.supply(1, 0, 0, 0, 0x1000, {0x5151}).ret(1);  // not what was returned
  EXPECT_TRUE(Violates(s, "SY2", Party::pager));
  EXPECT_TRUE(Violates(s, "RT4", Party::pager));
}

// MO_SY_completed.html: completion means the data "has been queued or
// placed on backing storage" (SY8); memory_object_synchronize.html, with
// VM_SYNC_SYNCHRONOUS: it "waits for pages to reach backing storage" (SY6).
// The engine reads the store the instant the completion is sent.
Scenario completed_after_return(std::int32_t flags) {
  Scenario s = osf_world();
  s.fault(0, 0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1);
  s.evict_with(0, 0, 0, {0xab}).synchronize(0, 0, 0, 0x1000, flags);
  s.handle(1, 0).dequeue(1, 0).sync_completed(1, 0, 0, 0, 0x1000);
  return s;
}

TEST(OsfSync, SY6_ConformingReturnedDataIsStoredAtTheCompletion) {
  Scenario s = completed_after_return(kSyncSynchronous);
  const auto due = s.store_due();
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(due->object, 0u);
  EXPECT_EQ(due->offset, 0u);
  EXPECT_EQ(due->length, 0x1000u);
  EXPECT_TRUE(due->synchronous);
  const std::vector<Stamp> held{0xab};
  s.store_at_completion(&held, &held).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_TRUE(s.checked("SY6"));
  EXPECT_TRUE(s.checked("SY8"));
  EXPECT_FALSE(s.store_due().has_value());  // judged once
}

TEST(OsfSync, SY6_ViolatedByDataOnlyQueuedAtASynchronousCompletion) {
  Scenario s = completed_after_return(kSyncSynchronous);
  const std::vector<Stamp> queued{0xab}, disk{0};
  s.store_at_completion(&queued, &disk).ret(1);
  EXPECT_TRUE(Violates(s, "SY6", Party::pager));
  EXPECT_FALSE(s.has("SY8", Party::pager));
}

TEST(OsfSync, SY8_ViolatedByDataNeitherQueuedNorStored) {
  Scenario s = completed_after_return(kSyncAsynchronous);
  const std::vector<Stamp> stale{0};
  s.store_at_completion(&stale, &stale).ret(1);
  EXPECT_TRUE(Violates(s, "SY8", Party::pager));
}

// memory_object_synchronize.html: ASYNCHRONOUS "returns without waiting for
// pages to reach backing storage" (SY7): the backing storage is not judged.
TEST(OsfSync, SY8_ConformingAsynchronousCompletionMayLeaveTheBackingStorageBehind) {
  Scenario s = completed_after_return(kSyncAsynchronous);
  EXPECT_FALSE(s.store_due()->synchronous);
  const std::vector<Stamp> queued{0xab}, disk{0};
  s.store_at_completion(&queued, &disk).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_TRUE(s.checked("SY8"));
  EXPECT_FALSE(s.checked("SY6"));
}

// Only what the kernel returned before its synchronize is vouched for: a
// block it never returned is not judged, and no read (the look had to wait
// for a pager thread) judges nothing.
TEST(OsfSync, StoreAtCompletionNothingReturnedOrNothingReadIsNotJudged) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x1000).dequeue(1, 0).sync_completed(1, 0, 0, 0, 0x1000);
  const std::vector<Stamp> zeros{0};
  s.store_at_completion(&zeros, &zeros).ret(1);
  EXPECT_FALSE(s.checked("SY6"));
  EXPECT_FALSE(s.checked("SY8"));
  Scenario t = completed_after_return(kSyncSynchronous);
  t.store_at_completion(nullptr, nullptr).ret(1);
  EXPECT_FALSE(t.checked("SY6"));
  EXPECT_FALSE(t.store_due().has_value());
}

// A look that had to wait for a pager thread is unjudged where it would have
// compared a block: the report can say why SY6 and SY8 were never
// exercised. The backing storage was not wanted for an ASYNCHRONOUS one
// (SY7), and a range nobody returned has nothing to judge.
TEST(OsfSync, StoreAtCompletionAWaitedLookIsUnjudgedNotChecked) {
  Scenario s = completed_after_return(kSyncSynchronous);
  s.store_at_completion(nullptr, nullptr, {.supply = true, .backing = true}).ret(1);
  EXPECT_TRUE(s.unjudged("SY6"));
  EXPECT_TRUE(s.unjudged("SY8"));
  EXPECT_FALSE(s.checked("SY6"));
  EXPECT_FALSE(s.checked("SY8"));
  EXPECT_FALSE(s.store_due().has_value());
  EXPECT_TRUE(s.verdicts().empty());

  Scenario a = completed_after_return(kSyncAsynchronous);
  a.store_at_completion(nullptr, nullptr, {.supply = true, .backing = true}).ret(1);
  EXPECT_TRUE(a.unjudged("SY8"));
  EXPECT_FALSE(a.unjudged("SY6"));

  Scenario n = osf_world();
  n.synchronize(0, 0, 0, 0x1000).dequeue(1, 0).sync_completed(1, 0, 0, 0, 0x1000);
  n.store_at_completion(nullptr, nullptr, {.supply = true, .backing = true}).ret(1);
  EXPECT_FALSE(n.unjudged("SY8"));
  EXPECT_FALSE(n.unjudged("SY6"));

  // Read at the instant: judged, nothing left unjudged.
  Scenario r = completed_after_return(kSyncSynchronous);
  const std::vector<Stamp> held{0xab};
  r.store_at_completion(&held, &held).ret(1);
  EXPECT_TRUE(r.checked("SY6"));
  EXPECT_FALSE(r.unjudged("SY6"));
}

// Without a synchronize, stale data is RT4 alone.
TEST(OsfSync, StaleDataWithoutASyncIsOnlyRT4) {
  Scenario s = osf_world();
  s.fault(0, 0, 0).dequeue(1, 0).supply(1, 0, 0, 0).ret(1);
  s.evict(0, 0, 0).handle(1, 0).fault(0, 0, 0).dequeue(1, 0);
  s.supply(1, 0, 0, 0, 0x1000, {0x5151}).ret(1);
  EXPECT_TRUE(Violates(s, "RT4", Party::pager));
  EXPECT_FALSE(s.has("SY2", Party::pager));
}

// memory_object_synchronize.html: "Multiple synchronize requests may be
// outstanding at a time but they will not overlap" (SY4, the kernel's).
TEST(OsfSync, SY4_ConformingDisjointRanges) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x1000).synchronize(0, 0, 0x1000, 0x1000);
  EXPECT_TRUE(Conforms(s));
}

TEST(OsfSync, SY4_ViolatedByOverlappingRequests) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x2000).synchronize(0, 0, 0x1000, 0x1000);
  EXPECT_TRUE(Violates(s, "SY4", Party::kernel));
}

// vm_msync.html: "Specifying both VM_SYNC_SYNCHRONOUS and
// VM_SYNC_ASYNCHRONOUS is invalid" (SY10, the kernel's).
TEST(OsfSync, SY10_ConformingOneMode) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x1000, kSyncAsynchronous | kSyncInvalidate);
  EXPECT_TRUE(Conforms(s));
}

TEST(OsfSync, SY10_ViolatedByBothModes) {
  Scenario s = osf_world();
  s.synchronize(0, 0, 0, 0x1000, kSyncAsynchronous | kSyncSynchronous);
  EXPECT_TRUE(Violates(s, "SY10", Party::kernel));
}

// MO_change_attributes.html: the flavour selects the structure (CA1) and
// attributes_count is its size in natural-sized units (CA2).
TEST(OsfAttributes, CA1_ConformingKnownFlavours) {
  Scenario s = osf_world();
  s.dequeue(1, 0);  // nothing queued: an idle receive
  s.change_flavored(1, 0, 0, kFlavorPerformance, kPerfInfoCount);
  s.change_flavored(1, 0, 0, kFlavorBehavior, kBehaviorInfoCount);
  EXPECT_FALSE(s.has("CA1", Party::pager)) << s.summary();
  EXPECT_FALSE(s.has("CA2", Party::pager)) << s.summary();
}

TEST(OsfAttributes, CA1_ViolatedByAnUnknownFlavour) {
  Scenario s = osf_world();
  s.change_flavored(1, 0, 0, 12, kAttrInfoCount);
  EXPECT_TRUE(Violates(s, "CA1", Party::pager));
}

TEST(OsfAttributes, CA2_ConformingAttributesCount) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.change_flavored(1, 0, 0, kFlavorAttributes, kAttrInfoCount).ret(1);
  EXPECT_TRUE(Conforms(s));
}

// MO_get_attributes.html: attributes_count is "On input, the maximum size of
// the buffer; on output, the size returned" (CA6; the kernel's half).
TEST(OsfAttributes, CA6_ConformingReplyOfTheFlavoursSizeWithinTheBuffer) {
  Scenario s = osf_world();
  s.dequeue(1, 0);
  s.get_flavored(1, 0, 0, kFlavorAttributes, kAttrInfoCount + 2, kAttrInfoCount);
  s.get_flavored(1, 0, 0, kFlavorPerformance, 1, 0);  // too small: refused, nothing
  EXPECT_TRUE(s.checked("CA6"));
  EXPECT_FALSE(s.has("CA6", Party::kernel)) << s.summary();
}

TEST(OsfAttributes, CA6_ViolatedByAReplyLongerThanTheBuffer) {
  Scenario s = osf_world();
  s.dequeue(1, 0);
  s.get_flavored(1, 0, 0, kFlavorPerformance, 2, kPerfInfoCount);
  EXPECT_TRUE(s.has("CA6", Party::kernel)) << s.summary();
}

// memory_object_attr_info.html: the copy strategy cannot change once the
// object is initialised (CP1). PERFORMANCE_INFO names none, so it keeps the
// strategy; ATTRIBUTES_INFO and BEHAVIOR_INFO name one (their first field).
TEST(OsfAttributes, CP1_ConformingPerformanceFlavourNamesNoStrategy) {
  Scenario s = osf_world();
  s.change_flavored(1, 0, 0, kFlavorPerformance, kPerfInfoCount);
  s.change_flavored(1, 0, 0, kFlavorBehavior, kBehaviorInfoCount, 0);
  EXPECT_FALSE(s.has("CP1", Party::pager)) << s.summary();
}

TEST(OsfAttributes, CP1_ViolatedByAttributesNamingAnotherStrategy) {
  Scenario s = osf_world();
  s.change_flavored(1, 0, 0, kFlavorAttributes, kAttrInfoCount, kCopyDelay);
  EXPECT_TRUE(Violates(s, "CP1", Party::pager));
}

// CP6: COPY_SYMMETRIC is the kernel's own strategy, in any flavour naming one.
TEST(OsfAttributes, CP6_ViolatedBySymmetricInTheBehaviourFlavour) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.change_flavored(1, 0, 0, kFlavorBehavior, kBehaviorInfoCount, kCopySymmetric);
  EXPECT_TRUE(Violates(s, "CP6", Party::pager));
}

TEST(OsfAttributes, CA2_ViolatedByAnotherFlavoursCount) {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.change_flavored(1, 0, 0, kFlavorAttributes, kPerfInfoCount);
  EXPECT_TRUE(Violates(s, "CA2", Party::pager));
}

// --- The pager's own actions against an OSF kernel --------------------------
// The OSF control calls of the actions: memory_object_lock_request
// (memory_object_lock_request.html) and MO_lock_completed.html, the
// flavoured memory_object_change_attributes (MO_change_attributes.html)
// and MO_change_completed.html, which "echoes" the flavour changed (CA5).

constexpr ThreadId kAction = 50;  // the suite's thread running the action

PagerAction osf_action(PagerActionKind kind, Offset off = 0, Size len = 0x10000) {
  PagerAction a;
  a.kind = kind;
  a.offset = off;
  a.length = len;
  return a;
}

// An OSF change_attributes of the action: `flavor` with its own count, the
// caching attribute the simulated kernel reads from the structure (the
// PERFORMANCE_INFO and ATTRIBUTES_INFO flavours hold it; BEHAVIOR_INFO does
// not, and the event's may_cache is then FALSE), copy strategy COPY_DELAY
// where the flavour names one.
ControlCalled osf_change(PortName control, std::int32_t flavor, bool may_cache, PortName reply) {
  ControlCalled c{kAction, ControlCall::change_attributes, control};
  c.flavor = flavor;
  c.attributes_count = flavor == kFlavorPerformance  ? kPerfInfoCount
                       : flavor == kFlavorAttributes ? kAttrInfoCount
                                                     : kBehaviorInfoCount;
  c.names_copy_strategy = flavor != kFlavorPerformance;
  c.copy_strategy = c.names_copy_strategy ? kCopyDelay : 0;
  c.may_cache = flavor != kFlavorBehavior && may_cache;
  c.reply_to = reply;
  return c;
}

// The OSF kernel's change_completed to `reply`, naming `flavor`.
KernelSent change_completed(PortName reply, std::int32_t flavor) {
  KernelSent m{MessageKind::change_completed, reply, 0, 0};
  m.flavor = flavor;
  return m;
}

// osf_world() confirmed with COPY_DELAY (the strategy osf_change names).
Scenario osf_delay_world() {
  Scenario s(WorldConfig{1, 0x10000});
  s.attach_osf(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  s.change_flavored(1, 0, 0, kFlavorAttributes, kAttrInfoCount, kCopyDelay).ret(1);
  return s;
}

// A sync under way on an OSF kernel: a written page, the action's
// lock_request (RETURN_ALL, reply to the object port), the page returned
// with `stamp` and the lock_completed queued, none of them dequeued yet.
Scenario sync_under_way(Stamp stamp) {
  Scenario s = osf_world();
  s.fault(0, 0, 0, kProtRead | kProtWrite).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.begin_action(osf_action(PagerActionKind::sync));
  ControlCalled lock{kAction, ControlCall::lock_request, s.control(0, 0), 0, 0x10000};
  lock.lock_value = kProtNoChange;
  lock.should_return = kReturnAll;
  lock.reply_to = s.port(0);
  s.call(lock);
  s.evict_with(0, 0, 0, {stamp}, true);
  s.complete(MessageKind::lock_completed, s.port(0), 0, 0, 0, 0x10000);
  return s;
}

// sync (LK2, LK8, RT5) with the OSF lock_request and lock_completed.
TEST(OsfActions, LK2_Conforming_SyncReturnsAndWaitsForLockCompleted) {
  Scenario s = sync_under_way(0x91);
  s.handle(3, 0).handle(3, 0);
  s.end_action().store_read(0, 0, {0x91}, true);
  EXPECT_TRUE(Conforms(s)) << s.summary();
}

TEST(OsfActions, LK8_Violated_SyncReturnsBeforeLockCompleted) {
  Scenario s = sync_under_way(0x92);
  s.end_action();
  EXPECT_TRUE(Violates(s, "LK8", Party::pager));
}

// CA3 with the ATTRIBUTES_INFO flavour: caching off, a reply port, and the
// change_completed (echoing the flavour, CA5) dequeued before returning.
TEST(OsfActions, CA3_Conforming_UncacheInTheAttributesFlavourWaits) {
  Scenario s = osf_delay_world();
  PagerAction a = osf_action(PagerActionKind::change_attributes);
  s.begin_action(a);
  s.call(osf_change(s.control(0, 0), kFlavorAttributes, false, s.port(0)));
  s.send(change_completed(s.port(0), kFlavorAttributes)).handle(3, 0);
  s.end_action().quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_FALSE(s.has("CA5", Party::kernel)) << s.summary();
}

// The caching attribute is in the PERFORMANCE_INFO structure too: turning
// it off there without a reply port is CA3.
TEST(OsfActions, CA3_Violated_UncacheInThePerformanceFlavourWithoutReply) {
  Scenario s = osf_delay_world();
  s.begin_action(osf_action(PagerActionKind::change_attributes));
  s.call(osf_change(s.control(0, 0), kFlavorPerformance, false, kNullPort));
  s.end_action();
  EXPECT_TRUE(Violates(s, "CA3", Party::pager));
}

// A BEHAVIOR_INFO change holds no caching attribute: it turns nothing off,
// so it needs no reply port, even in an action asked to turn caching off
// (whatever the pager does about caching, this call is not it).
TEST(OsfActions, CA3_Conforming_BehaviourFlavourTurnsNothingOff) {
  Scenario s = osf_delay_world();
  s.begin_action(osf_action(PagerActionKind::change_attributes));
  s.call(osf_change(s.control(0, 0), kFlavorBehavior, false, kNullPort));
  s.end_action();
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_FALSE(s.has("CA3", Party::pager)) << s.summary();
}

// MO_change_completed.html (CA5): the completion names the flavour changed.
TEST(OsfActions, CA5_Conforming_CompletionEchoesThePerformanceFlavour) {
  Scenario s = osf_delay_world();
  s.call(osf_change(s.control(0, 0), kFlavorPerformance, true, s.port(0)));
  s.send(change_completed(s.port(0), kFlavorPerformance)).handle(3, 0).quiesce();
  EXPECT_TRUE(Conforms(s)) << s.summary();
  EXPECT_FALSE(s.has("CA5", Party::kernel)) << s.summary();
}

// MO_change_completed.html: "The flavor of attributes changed by the
// corresponding memory_object_change_attributes call" (CA5, the kernel's).
TEST(OsfActions, CA5_Violated_CompletionNamesAnotherFlavour) {
  Scenario s = osf_delay_world();
  s.begin_action(osf_action(PagerActionKind::change_attributes));
  s.call(osf_change(s.control(0, 0), kFlavorAttributes, false, s.port(0)));
  s.send(change_completed(s.port(0), kFlavorPerformance)).handle(3, 0);
  s.end_action();
  EXPECT_TRUE(Violates(s, "CA5", Party::kernel));
  EXPECT_FALSE(s.has("CA3", Party::pager)) << s.summary();
}

// memory_object_destroy.html (DS3): the OSF shutdown flushes with a write
// lock first; a destroy while the kernel still caches a page is reported.
TEST(OsfActions, DS3_Violated_DestroyWhileAPageIsCached) {
  Scenario s = osf_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.begin_action(osf_action(PagerActionKind::shutdown));
  s.call(ControlCalled{kAction, ControlCall::destroy, s.control(0, 0)});
  s.end_action();
  EXPECT_TRUE(Violates(s, "DS3", Party::pager));
}

}  // namespace
}  // namespace emmi::model::testing
