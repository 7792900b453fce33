// SPDX-License-Identifier: MIT
// Properties of the model as a whole: the rule table, determinism and
// copies, explanations, and that every rule has its two tests.
#include <algorithm>
#include <set>
#include <sstream>
#include <string>

#include "verdicts.h"

#include <rapidcheck/gtest.h>  // after gtest.h

namespace emmi::model::testing {
namespace {

std::string detail_hex(std::uint64_t v) {
  std::ostringstream out;
  out << "0x" << std::hex << v;
  return out.str();
}

std::string to_string_all(const std::vector<Verdict>& vs) {
  std::string out;
  for (const Verdict& v : vs) out += to_string(v) + "\n";
  return out;
}

TEST(RuleTable, ListsEachRuleOnceAndCoversTheIssue) {
  std::set<std::string_view> seen;
  for (std::string_view r : checked_rules()) EXPECT_TRUE(seen.insert(r).second) << r;
  for (std::string_view r :
       {"IN1", "IN2", "IN3", "IN4", "IN5", "IN7", "IN8", "IN9", "MK1", "MK2", "MK4",  "PS1", "PS2",
        "TM3", "TM4", "TM5", "TM6", "TM8", "V6",  "SQ1", "SQ2", "SQ5", "SQ6", "SQ7",  "V1",  "V2",
        "V3",  "V4",  "PR8", "DR3", "DR4", "DR5", "DR8", "SU1", "SU2", "SU4", "SU12", "UN4", "ER5",
        "RT2", "RT4", "RD1", "SU6", "UL1", "UL2", "UL3", "UL4", "UL6", "LK1", "LK4",  "LK5", "LK9"})
    EXPECT_TRUE(seen.contains(r)) << r;
}

// Every rule the model can emit has a test showing a violation and one
// showing conformance, named <RULE>_Violated... and <RULE>_Conforming....
// A permission (a MAY rule counted when a pager uses it, such as UL5 and
// LK6) has no violation of its own: its <RULE>_NeverViolated... test shows
// the other choices the pager may make are not charged.
TEST(RuleTable, EveryRuleHasAViolatingAndAConformingTest) {
  std::set<std::string> names;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) names.insert(suite->GetTestInfo(j)->name());
  }
  auto has_prefix = [&](const std::string& prefix) {
    auto it = names.lower_bound(prefix);
    return it != names.end() && it->rfind(prefix, 0) == 0;
  };
  for (std::string_view r : checked_rules()) {
    EXPECT_TRUE(has_prefix(std::string(r) + "_Violated") ||
                has_prefix(std::string(r) + "_NeverViolated"))
        << r << " has no violating test";
    EXPECT_TRUE(has_prefix(std::string(r) + "_Conforming")) << r << " has no conforming test";
  }
}

TEST(Explanations, NameThePortsInHex) {
  Scenario s = ready_world();
  s.attach(1, 0x1000).map(0, 1).serve();
  PortName control = s.control(0, 1);
  s.fault(0, 1, 0x2000).dequeue(2, 0).supply(2, 0, 1, 0x3000);
  ASSERT_TRUE(Violates(s, "SU1", Party::pager));
  const Verdict& v = s.verdicts().back();
  EXPECT_NE(v.explanation.find("control " + detail_hex(control) + " of object 0 / kernel 1"),
            std::string::npos)
      << v.explanation;
  EXPECT_NE(v.explanation.find("0x3000"), std::string::npos) << v.explanation;
  EXPECT_EQ(v.explanation.find('\n'), std::string::npos);
  EXPECT_EQ(v.event_index, s.model().events_applied() - 1);
  EXPECT_EQ(to_string(v).rfind("SU1 [pager] @", 0), 0u) << to_string(v);
}

TEST(Explanations, SeqnoVerdictNamesBothNumbers) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0, [](Dequeued& d) { d.seqno = 4; });
  ASSERT_TRUE(Violates(s, "SQ6", Party::kernel));
  const std::string& text = s.verdicts().back().explanation;
  EXPECT_NE(text.find("seqno 4"), std::string::npos) << text;
  EXPECT_NE(text.find("1..3"), std::string::npos) << text;
  EXPECT_NE(text.find("object port 0x100 of object 0"), std::string::npos) << text;
}

TEST(Describe, EventsAndActionsAreOneLine) {
  Event e = Dequeued{3, 0x100, 7, {{0x1a00, Right::send}}, 0x70000000, 0x1000};
  EXPECT_EQ(
      describe(e),
      "thread 3 dequeues seqno 7 from 0x100 rights [send 0x1a00] region 0x70000000 size 0x1000");
  EXPECT_EQ(describe(Event{HandlerReturned{3, kMigBadId}}),
            "thread 3 handler returns MIG_BAD_ID (-303)");
  EXPECT_EQ(describe(Event{PortOperated{1, PortOp::mod_refs, 0x1a00, Right::send, -2}}),
            "thread 1 mach_port_mod_refs 0x1a00 send -2 -> KERN_SUCCESS (0x0)");
  EXPECT_EQ(describe(KernelAction{KernelActionKind::fault, 1, 0, 0x4000, kProtRead | kProtWrite}),
            "fault object 0 from kernel 1 offset 0x4000 read/write");
  KernelSent ret{MessageKind::data_return, 0x100, 0, 0, 0x1000, 0x1000};
  ret.dirty = true;
  ret.stamps = {0xbeef};
  EXPECT_EQ(describe(Event{ret}),
            "kernel 0 sends data_return to 0x100 (object 0) offset 0x1000 length 0x1000 dirty "
            "stamps [0xbeef]");
}

TEST(Copies, ASnapshotIsIndependent) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  Model snapshot = s.model();
  s.supply(2, 0, 0, 0).ret(2);
  EXPECT_EQ(snapshot.outstanding_requests(0, 0), std::vector<Offset>{0});
  EXPECT_TRUE(s.model().outstanding_requests(0, 0).empty());
  EXPECT_EQ(snapshot.check_quiescent().size(), 1u);  // DR3 in the snapshot only
  EXPECT_TRUE(s.model().check_quiescent().empty());
  Model moved = std::move(snapshot);
  EXPECT_EQ(moved.events_applied(), s.model().events_applied() - 2);
}

// The model cross-checks the simulated kernel's answers; a disagreement is
// the suite's own bug (party suite), never the pager's.
TEST(SimulatedKernel, AcceptingACallOnAStaleControlIsASuiteError) {
  Scenario s = ready_world();
  PortName old = s.control(0, 0);
  s.unmap(0, 0);
  ControlCalled c{2, ControlCall::ready, old};
  c.accepted = true;
  s.call_as(c);
  EXPECT_TRUE(Violates(s, "DR8", Party::suite));
  EXPECT_FALSE(s.has_party(Party::pager)) << s.summary();
}

TEST(SimulatedKernel, RefusingAValidSupplyIsASuiteError) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0);
  ControlCalled c{2, ControlCall::data_supply, s.control(0, 0), 0, 0x1000};
  c.stamps = {0};
  c.accepted = false;
  s.call_as(c);
  EXPECT_TRUE(Violates(s, "SU12", Party::suite));
  EXPECT_EQ(s.model().outstanding_requests(0, 0), std::vector<Offset>{0});  // not answered
}

TEST(SimulatedKernel, ReadyMayBeRefusedForAnInvalidCopyStrategy) {
  Scenario s;
  s.attach(0, 0x1000).offer(0).map(0, 0).dequeue(1, 0);
  ControlCalled c{1, ControlCall::ready, s.control(0, 0)};
  c.accepted = false;  // e.g. MEMORY_OBJECT_COPY_SYMMETRIC, which the event does not carry
  s.call_as(c).ret(1);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().lifecycle(0, 0), Lifecycle::initialised);
}

TEST(SimulatedKernel, CallsAfterDestroyAreRefused) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).destroy_object(2, 0, 0);
  ControlCalled c{2, ControlCall::data_supply, s.control(0, 0), 0, 0x1000};
  c.stamps = {0};
  c.accepted = true;
  s.call_as(c);
  EXPECT_TRUE(Violates(s, "SU12", Party::suite));
  EXPECT_FALSE(s.has_party(Party::pager)) << s.summary();
}

TEST(SimulatedKernel, WrongPortOperationAnswerIsASuiteError) {
  Scenario s = ready_world();
  s.apply(PortOperated{1, PortOp::deallocate, s.name(0, 0), Right::send, -1, kKernInvalidName});
  EXPECT_TRUE(Violates(s, "V3", Party::suite));
  EXPECT_EQ(s.urefs(s.name(0, 0), Right::send), 0u);  // the model follows its own ledger
}

TEST(SimulatedKernel, WrongMemoryReleaseAnswerIsASuiteError) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).dequeue(1, 0);
  s.apply(MemoryReleased{1, s.last_region(), kKernInvalidArgument});
  EXPECT_TRUE(Violates(s, "V4", Party::suite));
  EXPECT_FALSE(s.has_party(Party::pager)) << s.summary();
}

// Arbitrary (mostly non-conforming) event streams: the model never crashes,
// only names rules of its table, and a copy fed the same suffix decides the
// same verdicts (determinism, snapshots).
rc::Gen<Event> arbitrary_event() {
  auto name = rc::gen::elementOf(
      std::vector<PortName>{0, 0x100, 0x101, 0x1a00, 0x1a01, 0x1a02, 0x1a03, 0x3000, kDeadPort});
  auto right = rc::gen::element(Right::send, Right::receive, Right::send_once, Right::dead_name);
  auto rights = rc::gen::container<std::vector<CarriedRight>>(
      rc::gen::construct<CarriedRight>(name, right));
  auto offset = rc::gen::elementOf(std::vector<Offset>{0, 0x800, 0x1000, 0x4000, 0xf000, 0x10000});
  auto size = rc::gen::elementOf(std::vector<Size>{0, 0x800, 0x1000, 0x2000, 0x4000});
  return rc::gen::oneOf(
      rc::gen::construct<Event>(rc::gen::construct<KernelAttached>(
          rc::gen::inRange<KernelId>(0, 3),
          rc::gen::elementOf(std::vector<Size>{0, 0x1000, 0x1800, 0x4000}))),
      rc::gen::construct<Event>(
          rc::gen::construct<ObjectOffered>(rc::gen::inRange<ObjectId>(0, 3), name,
                                            rc::gen::element(Disposition::make_send,
                                                             Disposition::copy_send,
                                                             Disposition::move_send))),
      rc::gen::construct<Event>(rc::gen::exec([=] {
        KernelSent m{*rc::gen::element(MessageKind::init, MessageKind::terminate,
                                       MessageKind::data_request, MessageKind::data_unlock,
                                       MessageKind::data_return, MessageKind::lock_completed,
                                       MessageKind::no_senders, MessageKind::other),
                     *name,
                     *rc::gen::inRange<KernelId>(0, 3),
                     *rc::gen::inRange<ObjectId>(0, 3),
                     *offset,
                     *size,
                     *rc::gen::inRange<Prot>(0, 8)};
        m.stamps = *rc::gen::container<std::vector<Stamp>>(rc::gen::inRange<Stamp>(0, 4));
        return m;
      })),
      rc::gen::construct<Event>(rc::gen::construct<Dequeued>(
          rc::gen::inRange<ThreadId>(1, 3), name, rc::gen::inRange<Seqno>(0, 5), rights,
          rc::gen::elementOf(std::vector<RegionId>{0, 0, 7, 8}), rc::gen::just<Size>(0x1000))),
      rc::gen::construct<Event>(rc::gen::construct<HandlerReturned>(
          rc::gen::inRange<ThreadId>(1, 3),
          rc::gen::element(kKernSuccess, kKernFailure, kMigNoReply, kMigBadId,
                           kMigDestroyRequest))),
      rc::gen::construct<Event>(rc::gen::exec([=] {
        ControlCalled c{*rc::gen::inRange<ThreadId>(1, 3),
                        *rc::gen::element(ControlCall::ready, ControlCall::data_supply,
                                          ControlCall::data_unavailable, ControlCall::data_error,
                                          ControlCall::lock_request, ControlCall::destroy),
                        *name, *offset, *size};
        c.stamps = *rc::gen::container<std::vector<Stamp>>(rc::gen::inRange<Stamp>(0, 4));
        c.accepted = *rc::gen::arbitrary<bool>();
        return c;
      })),
      rc::gen::construct<Event>(rc::gen::construct<PortOperated>(
          rc::gen::inRange<ThreadId>(1, 3),
          rc::gen::element(PortOp::deallocate, PortOp::mod_refs, PortOp::destroy, PortOp::allocate,
                           PortOp::insert_right, PortOp::set_seqno),
          name, right, rc::gen::inRange<std::int32_t>(-3, 3),
          rc::gen::element(kKernSuccess, kKernInvalidName))),
      rc::gen::construct<Event>(rc::gen::construct<MemoryReleased>(
          rc::gen::inRange<ThreadId>(1, 3), rc::gen::elementOf(std::vector<RegionId>{7, 8, 9}),
          rc::gen::element(kKernSuccess, kKernInvalidArgument))));
}

RC_GTEST_PROP(Robustness, ArbitraryEventsOnlyNameTableRulesAndCopiesAgree, ()) {
  const auto prefix = *rc::gen::container<std::vector<Event>>(arbitrary_event());
  const auto suffix = *rc::gen::container<std::vector<Event>>(arbitrary_event());
  Model m(WorldConfig{3, 0x10000});
  auto check = [](const std::vector<Verdict>& vs) {
    for (const Verdict& v : vs) {
      RC_ASSERT(is_checked_rule(v.rule));
      RC_ASSERT(v.explanation.find('\n') == std::string::npos);
    }
  };
  for (const Event& e : prefix) check(m.apply(e));
  Model copy = m;
  for (const Event& e : suffix) {
    auto a = m.apply(e);
    auto b = copy.apply(e);
    check(a);
    RC_ASSERT(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) RC_ASSERT(to_string(a[i]) == to_string(b[i]));
    (void)m.enabled_kernel_actions();
  }
  check(m.check_quiescent());
  RC_ASSERT(to_string_all(m.check_quiescent()) == to_string_all(copy.check_quiescent()));
}

// The coverage the model reports (Judgement::checked) is consistent with what
// it does: judge() and apply() agree, every rule a pager or kernel verdict
// names was checked on that event, and only table rules are ever checked.
RC_GTEST_PROP(Coverage, EveryReportedRuleWasCheckedOnItsEvent, ()) {
  const auto events = *rc::gen::container<std::vector<Event>>(arbitrary_event());
  Model judged(WorldConfig{3, 0x10000});
  Model applied(WorldConfig{3, 0x10000});
  auto consistent = [](const Judgement& j) {
    for (std::string_view rule : j.checked) RC_ASSERT(is_checked_rule(rule));
    std::set<std::string_view> once(j.checked.begin(), j.checked.end());
    RC_ASSERT(once.size() == j.checked.size());
    for (const Verdict& v : j.verdicts)
      if (v.party != Party::suite) RC_ASSERT(once.count(v.rule) == 1);
  };
  for (const Event& e : events) {
    Judgement j = judged.judge(e);
    consistent(j);
    RC_ASSERT(to_string_all(j.verdicts) == to_string_all(applied.apply(e)));
  }
  Judgement q = judged.judge_quiescent();
  consistent(q);
  RC_ASSERT(to_string_all(q.verdicts) == to_string_all(applied.check_quiescent()));

  // Before and after the pager's stop(): together exactly the whole, with
  // progress and terminate's receive rights before, holdings after.
  Judgement before = judged.judge_quiescent(Model::Quiescence::before_stop);
  Judgement after = judged.judge_quiescent(Model::Quiescence::after_stop);
  consistent(before);
  consistent(after);
  std::multiset<std::string> whole, parts;
  for (const Verdict& v : q.verdicts) whole.insert(to_string(v));
  for (const Judgement* j : {&before, &after})
    for (const Verdict& v : j->verdicts) parts.insert(to_string(v));
  RC_ASSERT(whole == parts);
  const std::set<std::string_view> holdings{rule::V6, rule::RT2, rule::PR8};
  for (const Verdict& v : before.verdicts) RC_ASSERT(holdings.count(v.rule) == 0);
  for (const Verdict& v : after.verdicts) RC_ASSERT(holdings.count(v.rule) == 1);
}

bool checked_on_last(const Scenario& s, std::string_view rule, const Event& e) {
  Model copy = s.model();
  Judgement j = copy.judge(e);
  return std::find(j.checked.begin(), j.checked.end(), rule) != j.checked.end();
}

TEST(Coverage, V2IsCheckedExactlyWhenAHandlerReturnsDestroyRequest) {
  auto carry_send = [](Dequeued& d) { d.rights = {{0x700, Right::send}}; };
  Scenario s = ready_world();
  s.notify(MessageKind::other, s.port(0));  // a message the demux refuses
  s.dequeue(1, 0, carry_send);
  EXPECT_TRUE(checked_on_last(s, rule::V2, HandlerReturned{1, kMigDestroyRequest}));
  EXPECT_FALSE(checked_on_last(s, rule::V2, HandlerReturned{1, kKernSuccess}));
  EXPECT_TRUE(checked_on_last(s, rule::V3, HandlerReturned{1, kKernFailure}));
  EXPECT_FALSE(checked_on_last(s, rule::V3, HandlerReturned{1, kKernSuccess}));
}

TEST(Coverage, KernelChecksOfADataRequestAreReported) {
  Scenario s = ready_world();
  Model copy = s.model();
  KernelSent request{MessageKind::data_request, s.port(0), 0, 0, 0, 0x1000, kProtRead};
  Judgement j = copy.judge(request);
  for (std::string_view rule : {rule::IN1, rule::IN7, rule::TM8, rule::PS1, rule::RD1, rule::DR1})
    EXPECT_NE(std::find(j.checked.begin(), j.checked.end(), rule), j.checked.end()) << rule;
  EXPECT_TRUE(j.verdicts.empty());
}

}  // namespace
}  // namespace emmi::model::testing
