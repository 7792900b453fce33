// SPDX-License-Identifier: MIT
// Data path: DR1, DR3-DR5, DR8, SU1, SU2, SU4, SU12, UN4, ER5, RT1, RT2, RT4
// (what the pager may answer, where, in which unit, with which contents).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

TEST(DataPath, DR1_Violated_FaultBeyondObject) {
  Scenario s = ready_world();
  s.fault(0, 0, 0x10000);
  EXPECT_TRUE(Violates(s, "DR1", Party::kernel));
}

TEST(DataPath, DR1_Conforming_FaultOnLastPage) {
  Scenario s = ready_world();
  s.fault(0, 0, 0xf000).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

// data_unavailable: the kernel zero-fills the page and holds it, so it may
// page it out again (UN1, UN3), which is no RT1 error.
TEST(DataPath, RT1_Conforming_ZeroFilledPageIsHeldAndReturned) {
  Scenario s = ready_world();
  s.fault(0, 0, 0x3000).dequeue(2, 0).unavailable(2, 0, 0, 0x3000).ret(2);
  s.evict(0, 0, 0x3000).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, DR3_Violated_RequestNeverAnswered) {
  Scenario s = ready_world();
  s.fault(0, 0, 0x2000).handle(2, 0).quiesce();
  EXPECT_TRUE(Violates(s, "DR3", Party::pager));
}

TEST(DataPath, DR3_Conforming_EachAnswerKind) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).fault(0, 0, 0x1000).fault(0, 0, 0x2000);
  s.dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  s.dequeue(2, 0).unavailable(2, 0, 0, 0x1000).ret(2);
  s.dequeue(2, 0).error(2, 0, 0, 0x2000).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_TRUE(s.model().outstanding_requests(0, 0).empty());
}

TEST(DataPath, DR4_Violated_ErrorForUnrequestedPage) {
  EXPECT_TRUE(
      Violates(answered_world(ControlCall::data_error, 0x4000, 0x4000), "DR4", Party::pager));
}

TEST(DataPath, DR4_Conforming_ErrorAnswersRequest) {
  EXPECT_TRUE(Conforms(answered_world(ControlCall::data_error, 0x4000).quiesce()));
}

TEST(DataPath, DR5_Violated_UnavailableForUnrequestedPage) {
  EXPECT_TRUE(Violates(answered_world(ControlCall::data_unavailable, 0x8000), "DR5", Party::pager));
}

TEST(DataPath, DR5_Conforming_UnavailableAnswersRequest) {
  EXPECT_TRUE(Conforms(answered_world(ControlCall::data_unavailable, 0x4000).quiesce()));
}

TEST(DataPath, DR8_Violated_CallOnNamePort) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).call_on(2, ControlCall::data_unavailable, s.name(0, 0), 0, 0x1000);
  EXPECT_TRUE(Violates(s, "DR8", Party::pager));
}

TEST(DataPath, DR8_Conforming_CallOnTheRequestsControl) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).call_on(2, ControlCall::data_unavailable, s.control(0, 0), 0,
                                         0x1000);
  s.ret(2);
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, SU1_Violated_SupplyInAdvance) {
  EXPECT_TRUE(Violates(answered_world(ControlCall::data_supply, 0x8000), "SU1", Party::pager));
}

TEST(DataPath, SU1_Conforming_SupplyExactlyTheRequest) {
  Scenario s = ready_world();
  s.fault_range(0, 0, 0, 0x2000).dequeue(2, 0).supply(2, 0, 0, 0, 0x2000).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, SU2_Violated_SupplyOverResidentPage) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0).supply(2, 0, 0, 0);
  EXPECT_TRUE(Violates(s, "SU2", Party::pager));
}

TEST(DataPath, SU2_Conforming_SupplyAgainAfterEviction) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0, false).fault(0, 0, 0).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, SU4_Violated_SupplySizeNotWholePages) {
  EXPECT_TRUE(Violates(answered_world(ControlCall::data_supply, 0x2000), "SU4", Party::pager));
}

TEST(DataPath, SU4_Conforming_SupplyWholePages) {
  EXPECT_TRUE(Conforms(answered_world(ControlCall::data_supply, 0x4000)));
}

TEST(DataPath, SU12_Violated_SupplyOnObjectPort) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply_on(2, s.port(0), 0, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "SU12", Party::pager));
}

TEST(DataPath, SU12_Violated_SupplyAfterReleasingControl) {
  Scenario s = ready_world();
  PortName control = s.control(0, 0);
  s.fault(0, 0, 0).dequeue(2, 0).mod_refs(2, control, Right::send, -2).supply(2, 0, 0, 0);
  EXPECT_TRUE(Violates(s, "SU12", Party::pager));
}

TEST(DataPath, SU12_Conforming_SupplyOnControlFromInit) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply_on(2, s.control(0, 0), 0, 0, 0x1000).ret(2);
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, UN4_Violated_UnavailableSizeNotWholePages) {
  EXPECT_TRUE(Violates(answered_world(ControlCall::data_unavailable, 0x3000), "UN4", Party::pager));
}

TEST(DataPath, UN4_Conforming_UnavailableWholePages) {
  EXPECT_TRUE(Conforms(answered_world(ControlCall::data_unavailable, 0x4000)));
}

TEST(DataPath, ER5_Violated_ErrorSizeNotWholePages) {
  EXPECT_TRUE(Violates(answered_world(ControlCall::data_error, 0x1000), "ER5", Party::pager));
}

TEST(DataPath, ER5_Conforming_ErrorWholePages) {
  EXPECT_TRUE(Conforms(answered_world(ControlCall::data_error, 0x4000)));
}

TEST(DataPath, RT1_Violated_ReturnOfPageNeverSupplied) {
  Scenario s = ready_world();
  s.evict(0, 0, 0x3000);
  EXPECT_TRUE(Violates(s, "RT1", Party::kernel));
}

TEST(DataPath, RT1_Conforming_ReturnOfResidentPage) {
  Scenario s = ready_world();
  s.fault(0, 0, 0x3000).serve().evict(0, 0, 0x3000).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, RT2_Violated_ReturnedDataNeverReleased) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).handle(2, 0).quiesce();
  EXPECT_TRUE(Violates(s, "RT2", Party::pager));
}

TEST(DataPath, RT2_Conforming_ReturnedDataReleased) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict(0, 0, 0).dequeue(2, 0).release_last(2).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(DataPath, RT4_Violated_StaleSupplyAfterReturn) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).dequeue(2, 0).supply(2, 0, 0, 0, 0, {0xaaaa}).ret(2);
  s.evict_with(0, 0, 0, {0xbbbb}).serve().fault(0, 0, 0);
  s.dequeue(2, 0).supply(2, 0, 0, 0, 0, {0xaaaa});
  EXPECT_TRUE(Violates(s, "RT4", Party::pager));
}

TEST(DataPath, RT4_Violated_UnavailableAfterReturn) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict_with(0, 0, 0, {0xbbbb}).serve().fault(0, 0, 0);
  s.dequeue(2, 0).unavailable(2, 0, 0, 0);
  EXPECT_TRUE(Violates(s, "RT4", Party::pager));
}

TEST(DataPath, RT4_Conforming_SupplyServesReturnedContents) {
  Scenario s = ready_world();
  s.fault(0, 0, 0).serve().evict_with(0, 0, 0, {0xbbbb}).serve().fault(0, 0, 0);
  s.dequeue(2, 0).supply(2, 0, 0, 0, 0, {0xbbbb}).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.model().latest_contents(0, 0), Stamp{0xbbbb});
}

}  // namespace
}  // namespace emmi::model::testing
