// SPDX-License-Identifier: MIT
// Readiness: RD1 (the pager makes an initialised object ready; the kernel
// sends no request before that) and RD3 (an init is answered by ready, to
// allow mappings, or by memory_object_destroy, to refuse them).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

TEST(Readiness, RD1_Violated_PagerNeverMakesObjectReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
}

TEST(Readiness, RD1_Violated_InitNeverDequeued) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
}

TEST(Readiness, RD1_Violated_InitLostToASmallReceiveBuffer) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0, [](Dequeued& d) {
    d.rights.clear();
    d.too_large = true;
  });
  EXPECT_FALSE(s.has_party(Party::kernel)) << s.summary();
  s.quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
  EXPECT_FALSE(s.model().control_port(0, 0).has_value());
}

TEST(Readiness, RD1_Violated_KernelFaultsBeforeReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0).fault(0, 0, 0);
  EXPECT_TRUE(Violates(s, "RD1", Party::kernel));
}

TEST(Readiness, RD1_Conforming_ReadyAfterInit) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).ready(1, 0, 0).ret(1).quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
}

TEST(Readiness, RD1_Conforming_ChangeAttributesMakesReady) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).change_attributes(1, 0, 0).ret(1);
  s.fault(0, 0, 0).quiesce();
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::ready);
  EXPECT_TRUE(Violates(s, "DR3", Party::pager));  // only the unanswered fault
  EXPECT_FALSE(s.has("RD1", Party::pager) || s.has("RD1", Party::kernel));
}

TEST(Readiness, RD1_Conforming_RefusalByDestroy) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0).destroy_object(1, 0, 0).ret(1);
  s.quiesce();
  EXPECT_TRUE(Conforms(s));  // the kernel owes the terminate now, not the pager
  auto actions = s.model().enabled_kernel_actions();
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, KernelActionKind::unmap);
  s.unmap(0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

// The model's judgement of one more control call, after the scenario so far.
Judgement judge_call(const Scenario& s, ControlCall call, ObjectId o, KernelId k) {
  Model m = s.model();
  ControlCalled c{1, call, s.control(o, k)};
  c.accepted = true;
  return m.judge(Event{c});
}

bool counts(const Judgement& j, std::string_view rule) {
  return std::find(j.checked.begin(), j.checked.end(), rule) != j.checked.end();
}

// RD3 is counted on the answer to an init, whichever the pager chose:
// ready allows mappings, memory_object_destroy refuses them (GNU Mach then
// sends terminate, gnumach-kernel.md §3b).
TEST(Readiness, RD3_Conforming_InitAnsweredByReadyOrByDestroy) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  Judgement allow = judge_call(s, ControlCall::ready, 0, 0);
  EXPECT_TRUE(counts(allow, "RD3"));
  EXPECT_TRUE(allow.verdicts.empty());
  Judgement refuse = judge_call(s, ControlCall::destroy, 0, 0);
  EXPECT_TRUE(counts(refuse, "RD3"));
  EXPECT_TRUE(refuse.verdicts.empty());
  // Once ready, a later ready or destroy is no longer the answer to the init.
  s.ready(1, 0, 0).ret(1);
  EXPECT_FALSE(counts(judge_call(s, ControlCall::ready, 0, 0), "RD3"));
  EXPECT_FALSE(counts(judge_call(s, ControlCall::destroy, 0, 0), "RD3"));
}

// An init answered by neither blocks every fault: one verdict, under RD1
// (the rule that requires readiness), not a second one under RD3.
TEST(Readiness, RD3_NeverViolated_UnansweredInitIsReportedUnderRD1) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).handle(1, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RD1", Party::pager));
  EXPECT_FALSE(s.has("RD3", Party::pager)) << s.summary();
}

}  // namespace
}  // namespace emmi::model::testing
