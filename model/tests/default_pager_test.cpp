// SPDX-License-Identifier: MIT
// The default-pager model (default_pager.h): a conforming exchange passes
// and exercises its rules; each default-pager bug gets its rule's verdict.
#include <gtest/gtest.h>

#include <algorithm>

#include "emmi/model/default_pager.h"

namespace emmi::model {
namespace {

constexpr PortName kManager = 0x100, kObject = 0x200, kControl = 0x201, kName = 0x202;
constexpr ObjectId kTemp = 0;
constexpr ThreadId kThread = 1;

struct Exchange {
  DefaultPagerModel m{0};
  std::vector<Verdict> verdicts;
  std::vector<std::string_view> checked;
  Seqno object_seqno = 0;

  void apply(const Event& e) {
    Judgement j = m.judge(e);
    verdicts.insert(verdicts.end(), j.verdicts.begin(), j.verdicts.end());
    checked.insert(checked.end(), j.checked.begin(), j.checked.end());
  }
  void create() {
    apply(KernelAttached{1, 4096});
    KernelSent s{MessageKind::create, kManager, 1, kTemp};
    ASSERT_TRUE(m.claims(s));
    apply(s);
    apply(Dequeued{kThread,
                   kManager,
                   0,
                   {{kObject, Right::receive}, {kControl, Right::send}, {kName, Right::send}}});
    apply(HandlerReturned{kThread, kKernSuccess, kManager, 0});
  }
  // The kernel sends `kind` for page `off` and the pager dequeues it.
  void deliver(MessageKind kind, Offset off, Stamp stamp = 0, RegionId region = 0) {
    KernelSent s{kind, kObject, 1, kTemp, off, 4096};
    if (stamp != 0) s.stamps = {stamp};
    ASSERT_TRUE(m.claims(s));
    apply(s);
    apply(Dequeued{kThread, kObject, object_seqno, {}, region, region != 0 ? 4096u : 0u});
    apply(HandlerReturned{kThread, kKernSuccess, kObject, object_seqno++});
    if (region != 0) apply(MemoryReleased{kThread, region});
  }
  void answer(ControlCall call, Offset off, Stamp stamp = 0) {
    ControlCalled c{kThread, call, kControl, off, 4096};
    if (call == ControlCall::data_supply) c.stamps = {stamp};
    ASSERT_TRUE(m.claims(c));
    apply(c);
  }
  bool has(std::string_view rule) const {
    return std::any_of(verdicts.begin(), verdicts.end(),
                       [&](const Verdict& v) { return v.rule == rule; });
  }
  bool exercised(std::string_view rule) const {
    return std::find(checked.begin(), checked.end(), rule) != checked.end();
  }
};

TEST(DefaultPagerModel, ConformingExchangePassesAndExercisesTheRules) {
  Exchange r;
  r.create();
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_unavailable, 0);        // UN2, CR2
  r.deliver(MessageKind::data_initialize, 0, 7, 1);  // DI3
  r.deliver(MessageKind::data_initialize, 0, 8, 2);  // DI2: must be ignored
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_supply, 0, 7);
  r.deliver(MessageKind::data_return, 0, 9, 3);
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_supply, 0, 9);
  Judgement q = r.m.judge_quiescent();
  EXPECT_TRUE(r.verdicts.empty()) << r.verdicts.front().explanation;
  EXPECT_TRUE(q.verdicts.empty());
  for (auto rule : {"CR1", "CR6", "SQ3", "DI1", "DI2", "DI3", "UN2", "CR2", "G6"})
    EXPECT_TRUE(r.exercised(rule)) << rule;
}

// A request for a page no one wrote, answered with `call`.
Exchange answered_never_written(ControlCall call, Stamp stamp = 0) {
  Exchange r;
  r.create();
  r.deliver(MessageKind::data_request, 0);
  r.answer(call, 0, stamp);
  return r;
}

TEST(DefaultPagerModel, CR2_ViolatedByGarbageForANeverWrittenPage) {
  EXPECT_TRUE(answered_never_written(ControlCall::data_supply, 0xa5a5).has("CR2"));
}

TEST(DefaultPagerModel, UN2_ViolatedByDataErrorForANeverWrittenPage) {
  EXPECT_TRUE(answered_never_written(ControlCall::data_error).has("UN2"));
}

TEST(DefaultPagerModel, DI2_ViolatedByInitializeOverwritingHeldData) {
  Exchange r;
  r.create();
  r.deliver(MessageKind::data_initialize, 0, 7, 1);
  r.deliver(MessageKind::data_initialize, 0, 8, 2);
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_supply, 0, 8);
  EXPECT_TRUE(r.has("DI2"));
}

// data_initialize's memory never released, then a data_request never answered.
void unreleased_and_unanswered(Exchange& r) {
  r.create();
  r.apply(
      KernelSent{MessageKind::data_initialize, kObject, 1, kTemp, 0, 4096, 0, false, false, {7}});
  r.apply(Dequeued{kThread, kObject, 0, {}, 5, 4096});
  r.apply(HandlerReturned{kThread, kKernSuccess, kObject, 0});
  r.apply(KernelSent{MessageKind::data_request, kObject, 1, kTemp, 4096, 4096});
}

TEST(DefaultPagerModel, UnansweredRequestAndUnreleasedInitializeMemoryAtQuiescence) {
  Exchange r;
  unreleased_and_unanswered(r);
  Judgement q = r.m.judge_quiescent();
  auto has = [&](std::string_view rule) {
    return std::any_of(q.verdicts.begin(), q.verdicts.end(),
                       [&](const Verdict& v) { return v.rule == rule; });
  };
  EXPECT_TRUE(has("DR3"));
  EXPECT_TRUE(has("PR8"));
}

// As Model's: progress (DR3) is judged before the pager's stop(), what it
// still holds (PR8, RT2) after it; both halves make the whole.
TEST(DefaultPagerModel, QuiescenceSplitsProgressBeforeStopFromHoldingsAfterIt) {
  Exchange r;
  unreleased_and_unanswered(r);
  auto rules = [](const Judgement& j) {
    std::vector<std::string_view> out;
    for (const Verdict& v : j.verdicts) out.push_back(v.rule);
    return out;
  };
  using Q = Model::Quiescence;
  EXPECT_EQ(rules(r.m.judge_quiescent(Q::before_stop)), std::vector<std::string_view>{"DR3"});
  EXPECT_EQ(rules(r.m.judge_quiescent(Q::after_stop)), std::vector<std::string_view>{"PR8"});
  const Judgement before = r.m.judge_quiescent(Q::before_stop);
  EXPECT_NE(std::find(before.checked.begin(), before.checked.end(), "DR3"), before.checked.end());
  EXPECT_EQ(std::find(before.checked.begin(), before.checked.end(), "PR8"), before.checked.end());
  EXPECT_EQ(rules(r.m.judge_quiescent()), (std::vector<std::string_view>{"DR3", "PR8"}));
}

TEST(DefaultPagerModel, OrdinaryObjectsEventsAreNotClaimed) {
  DefaultPagerModel m{2};
  EXPECT_FALSE(m.claims(KernelSent{MessageKind::data_request, 0x300, 1, 0, 0, 4096}));
  EXPECT_FALSE(m.claims(ControlCalled{kThread, ControlCall::data_supply, 0x301}));
  EXPECT_FALSE(m.claims(KernelAttached{1, 4096}));
}

// The conforming exchange above, once per rule, so each rule has its
// <RULE>_Conforming test (model_test.cpp, RuleTable).
void conforming(std::string_view rule) {
  Exchange r;
  r.create();
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_unavailable, 0);
  r.deliver(MessageKind::data_initialize, 0, 7, 1);
  r.deliver(MessageKind::data_initialize, 0, 8, 2);
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_supply, 0, 7);
  EXPECT_TRUE(r.exercised(rule)) << rule;
  EXPECT_FALSE(r.has(rule));
}
TEST(DefaultPagerModel, CR1_ConformingCreateToTheManager) { conforming("CR1"); }
TEST(DefaultPagerModel, CR2_ConformingUnavailableForNeverWritten) { conforming("CR2"); }
TEST(DefaultPagerModel, CR6_ConformingCreateRights) { conforming("CR6"); }
TEST(DefaultPagerModel, DI1_ConformingInitializeOnATemporaryObject) { conforming("DI1"); }
TEST(DefaultPagerModel, DI2_ConformingRepeatedInitializeIgnored) { conforming("DI2"); }
TEST(DefaultPagerModel, DI3_ConformingInitializeKept) { conforming("DI3"); }
TEST(DefaultPagerModel, UN2_ConformingUnavailable) { conforming("UN2"); }
TEST(DefaultPagerModel, SQ3_ConformingManagerSeqnos) { conforming("SQ3"); }
TEST(DefaultPagerModel, G6_ConformingDemux) { conforming("G6"); }

TEST(DefaultPagerModel, CR1_ViolatedByCreateToAnotherPort) {
  Exchange r;
  r.create();
  r.apply(KernelSent{MessageKind::create, 0x999, 1, 1});
  EXPECT_TRUE(r.has("CR1"));
}

TEST(DefaultPagerModel, CR6_ViolatedByCreateWithoutTheReceiveRight) {
  Exchange r;
  r.apply(KernelAttached{1, 4096});
  r.apply(KernelSent{MessageKind::create, kManager, 1, kTemp});
  r.apply(Dequeued{kThread, kManager, 0, {{kObject, Right::send}}});
  EXPECT_TRUE(r.has("CR6"));
}

TEST(DefaultPagerModel, DI1_ViolatedByInitializeOfAnObjectTheKernelDidNotCreate) {
  Exchange r;
  r.create();
  r.apply(KernelSent{MessageKind::data_initialize, 0x300, 1, 5, 0, 4096, 0, false, false, {1}});
  EXPECT_TRUE(r.has("DI1"));
}

TEST(DefaultPagerModel, DI3_ViolatedByLosingInitializedData) {
  Exchange r;
  r.create();
  r.deliver(MessageKind::data_initialize, 0, 7, 1);
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_unavailable, 0);
  EXPECT_TRUE(r.has("DI3"));
}

TEST(DefaultPagerModel, SQ3_ViolatedByAGapOnTheManagerPort) {
  Exchange r;
  r.create();
  r.apply(KernelSent{MessageKind::create, kManager, 1, 1});
  r.apply(Dequeued{
      kThread, kManager, 5, {{0x300, Right::receive}, {0x301, Right::send}, {0x302, Right::send}}});
  EXPECT_TRUE(r.has("SQ3"));
}

TEST(DefaultPagerModel, G6_ViolatedByADemuxThatDoesNotKnowCreate) {
  Exchange r;
  r.apply(KernelAttached{1, 4096});
  r.apply(KernelSent{MessageKind::create, kManager, 1, kTemp});
  r.apply(Dequeued{kThread,
                   kManager,
                   0,
                   {{kObject, Right::receive}, {kControl, Right::send}, {kName, Right::send}}});
  r.apply(HandlerReturned{kThread, kMigBadId, kManager, 0});
  EXPECT_TRUE(r.has("G6"));
}

// Another task's memory_object_data_request on the manager port: refusing it
// (MIG_BAD_ID) is what the default demux does; serving it breaks G6.
void stray_on_manager(Exchange& r, KernReturn code) {
  r.create();
  KernelSent s{MessageKind::data_request, kManager};
  ASSERT_TRUE(r.m.claims(s));
  r.apply(s);
  r.apply(Dequeued{kThread, kManager, 1, {{0x400, Right::send}}});
  r.apply(HandlerReturned{kThread, code, kManager, 1});
}

TEST(DefaultPagerModel, G6_ConformingRefusalOfACommonMessageOnTheManagerPort) {
  Exchange r;
  stray_on_manager(r, kMigBadId);
  EXPECT_TRUE(r.verdicts.empty()) << r.verdicts.front().explanation;
  EXPECT_TRUE(r.exercised("G6"));
}

TEST(DefaultPagerModel, G6_ViolatedByServingACommonMessageOnTheManagerPort) {
  Exchange r;
  stray_on_manager(r, kKernSuccess);
  EXPECT_TRUE(r.has("G6"));
}

// terminate of a temporary object (GNU Mach: nothing paged out, the
// receive rights of control and name moved to the pager); what the pager
// then releases decides TM4, TM5 and V6 after its stop().
Judgement terminated(Exchange& r, PortOp op, Right right, std::int32_t delta) {
  r.create();
  r.deliver(MessageKind::data_request, 0);
  r.answer(ControlCall::data_unavailable, 0);
  KernelSent t{MessageKind::terminate, kObject, 1, kTemp};
  r.apply(t);
  r.apply(Dequeued{
      kThread, kObject, r.object_seqno, {{kControl, Right::receive}, {kName, Right::receive}}});
  for (PortName p : {kControl, kName}) {
    PortOperated o{kThread, op, p, right, delta};
    EXPECT_TRUE(r.m.claims(o));
    r.apply(o);
  }
  r.apply(HandlerReturned{kThread, kKernSuccess, kObject, r.object_seqno++});
  return r.m.judge_quiescent(Model::Quiescence::after_stop);
}

TEST(DefaultPagerModel, V6_ConformingDestroyOfControlAndNameAfterTerminate) {
  Exchange r;
  Judgement q = terminated(r, PortOp::destroy, Right::send, 0);
  EXPECT_TRUE(q.verdicts.empty()) << q.verdicts.front().explanation;
  for (auto rule : {"TM4", "TM5", "V6"})
    EXPECT_NE(std::find(q.checked.begin(), q.checked.end(), rule), q.checked.end()) << rule;
}

TEST(DefaultPagerModel, V6_ViolatedByKeepingCreatesSendRightsAfterTerminate) {
  Exchange r;
  // Only terminate's receive rights released: create's send rights (and the
  // data_request's one for control) stay, as dead names.
  Judgement q = terminated(r, PortOp::mod_refs, Right::receive, -1);
  ASSERT_EQ(q.verdicts.size(), 2u);  // control and name
  for (const Verdict& v : q.verdicts) EXPECT_EQ(v.rule, "V6") << v.explanation;
}

TEST(DefaultPagerModel, TM4_ViolatedByKeepingTheControlReceiveRight) {
  Exchange r;
  Judgement q = terminated(r, PortOp::deallocate, Right::send, -1);
  EXPECT_TRUE(std::any_of(q.verdicts.begin(), q.verdicts.end(),
                          [](const Verdict& v) { return v.rule == "TM4"; }));
}

// default_pager_object_create's answer (CR10).
TEST(DefaultPagerModel, CR10_ConformingNewObject) {
  Exchange r;
  r.create();
  DefaultPagerAnswer a{DefaultPagerAnswer::Call::object_create, true, kKernSuccess, true, 0x500};
  Judgement j = r.m.judge_answer(a);
  EXPECT_TRUE(j.verdicts.empty()) << j.verdicts.front().explanation;
  EXPECT_EQ(j.checked, (std::vector<std::string_view>{"CR10"}));
  // A refusal is allowed.
  a.code = 5;  // KERN_FAILURE
  EXPECT_TRUE(r.m.judge_answer(a).verdicts.empty());
}

TEST(DefaultPagerModel, CR10_ViolatedByNoReplyOrAnOldPort) {
  Exchange r;
  r.create();
  DefaultPagerAnswer none{DefaultPagerAnswer::Call::object_create};
  EXPECT_EQ(r.m.judge_answer(none).verdicts.size(), 1u);
  DefaultPagerAnswer manager{DefaultPagerAnswer::Call::object_create, true, kKernSuccess, true,
                             kManager};
  EXPECT_EQ(r.m.judge_answer(manager).verdicts.size(), 1u);
  DefaultPagerAnswer temp{DefaultPagerAnswer::Call::object_create, true, kKernSuccess, true,
                          kObject};
  EXPECT_EQ(r.m.judge_answer(temp).verdicts.size(), 1u);
  DefaultPagerAnswer foreign{DefaultPagerAnswer::Call::object_create, true, kKernSuccess, true,
                             kNullPort};
  EXPECT_EQ(r.m.judge_answer(foreign).verdicts.size(), 1u);
}

}  // namespace
}  // namespace emmi::model
