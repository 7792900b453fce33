// SPDX-License-Identifier: MIT
// Supplies (model/src/supply.cpp): the data of a data_supply lies page
// aligned in the pager's space (SU9), and a reply port the pager receives
// on gets the kernel's supply_completed (SU11, a permission counted when
// used; gnumach-kernel.md §3c, §3e). See SEMANTICS.md, "Control calls".
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

bool checks(const Judgement& j, std::string_view rule) {
  return std::find(j.checked.begin(), j.checked.end(), rule) != j.checked.end();
}

// Thread 2 supplies page 0 of object 0 (kernel 0, `page_size`), which kernel
// 0 requested, from `address` in a space whose pages are 4 KiB.
ControlCalled supply_from(const Scenario& s, std::uint64_t address, Size size) {
  ControlCalled c{2, ControlCall::data_supply, s.control(0, 0), 0, size};
  c.stamps.assign(size / kBlockSize, 0);
  c.data_address = address;
  c.data_page_size = 0x1000;
  return c;
}

Scenario requested_world(Size page_size = 0x1000) {
  Scenario s = ready_world(page_size);
  s.fault(0, 0, 0).dequeue(2, 0);
  return s;
}

TEST(Supply, SU9_Conforming_DataPageAlignedInThePagersSpace) {
  Scenario s = requested_world();
  Model m = s.model();
  ControlCalled c = supply_from(s, 0x7f0000010000, 0x1000);
  c.accepted = true;
  Judgement j = m.judge(Event{c});
  EXPECT_TRUE(checks(j, "SU9"));
  EXPECT_TRUE(j.verdicts.empty());
  s.call(supply_from(s, 0x7f0000010000, 0x1000)).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Supply, SU9_Violated_DataEightBytesPastAPageBoundary) {
  Scenario s = requested_world();
  s.call(supply_from(s, 0x7f0000010008, 0x1000)).ret(2).quiesce();
  EXPECT_TRUE(Violates(s, "SU9", Party::pager));
  // The kernel took the page all the same: the request is answered.
  EXPECT_FALSE(s.has("DR3", Party::pager)) << s.summary();
}

// The sender's page is the pager task's vm_page_size: data 4 KiB aligned
// for a kernel of 16 KiB pages is aligned in the pager's space.
TEST(Supply, SU9_Conforming_TheSendersPageNotTheReceivingKernels) {
  Scenario s = requested_world(0x4000);
  s.call(supply_from(s, 0x7f0000011000, 0x4000)).ret(2).quiesce();
  EXPECT_FALSE(s.has("SU9", Party::pager)) << s.summary();
}

// A supply the kernel refuses (no whole pages) is SU4's; its data is not
// judged.
TEST(Supply, SU9_NotCounted_OnARefusedSupply) {
  Scenario s = requested_world();
  Model m = s.model();
  ControlCalled c = supply_from(s, 0x7f0000010008, 0x1000);
  c.size = 0x800;
  c.accepted = false;
  Judgement j = m.judge(Event{c});
  EXPECT_FALSE(checks(j, "SU9"));
  EXPECT_TRUE(checks(j, "SU4"));
}

// SU10: a supply whose pages the kernel took out of the pager's space
// (deallocate TRUE, memory_object_data_supply.html) is counted.
TEST(Supply, SU10_Conforming_CountedWhenTheSuppliedPagesLeftThePagersSpace) {
  Scenario s = requested_world();
  Model m = s.model();
  ControlCalled c = supply_from(s, 0x7f0000010000, 0x1000);
  c.accepted = true;
  c.data_withdrawn = true;
  Judgement j = m.judge(Event{c});
  EXPECT_TRUE(checks(j, "SU10"));
  EXPECT_TRUE(j.verdicts.empty());
  c = supply_from(s, 0x7f0000010000, 0x1000);
  c.data_withdrawn = true;
  s.call(c).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

// The touch that breaks SU10 is a fault in the pager's process, which the
// engine charges to SU10 (harness/engine/src/case_runner.cpp); the model
// never reports it. Data the pager keeps (deallocate FALSE, or memory the
// kernel could not take) is not counted, nor is a refused supply.
TEST(Supply, SU10_NeverViolated_ByTheModel_DataKeptOrRefusedIsNotCounted) {
  Scenario s = requested_world();
  Model m = s.model();
  ControlCalled c = supply_from(s, 0x7f0000010000, 0x1000);
  c.accepted = true;
  EXPECT_FALSE(checks(m.judge(Event{c}), "SU10"));
  c.data_withdrawn = true;
  c.size = 0x800;
  c.accepted = false;
  Judgement j = m.judge(Event{c});
  EXPECT_FALSE(checks(j, "SU10"));
  for (const auto& v : j.verdicts) EXPECT_NE(v.rule, "SU10");
}

// SU11 counts when the pager names a reply port it receives on and the
// kernel's supply_completed goes there; without a reply port it does not.
TEST(Supply, SU11_Conforming_CountedWhenTheCompletionReachesTheReplyPort) {
  Scenario s = requested_world();
  ControlCalled c = supply_from(s, 0x7f0000010000, 0x1000);
  c.reply_to = s.port(0);
  c.reply_to_received_by_pager = true;
  s.call(c);
  Model m = s.model();
  Judgement j = m.judge(
      Event{KernelSent{MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x1000}});
  EXPECT_TRUE(checks(j, "SU11"));
  EXPECT_TRUE(j.verdicts.empty());
  s.complete(MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x1000);
  s.ret(2).dequeue(2, 0).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(Supply, SU11_NotCounted_WithoutAReplyPort) {
  Scenario s = requested_world();
  s.call(supply_from(s, 0x7f0000010000, 0x1000)).ret(2);
  // A completion nobody asked for (another supply's, a stray) counts nothing.
  Model m = s.model();
  Judgement j = m.judge(
      Event{KernelSent{MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x1000}});
  EXPECT_FALSE(checks(j, "SU11"));
}

// A permission: naming a reply port and never reading the completion breaks
// nothing SU11 says (what the pager then fails to do is SC4's, DR3's).
TEST(Supply, SU11_NeverViolated_CompletionAskedForAndIgnored) {
  Scenario s = requested_world();
  ControlCalled c = supply_from(s, 0x7f0000010000, 0x1000);
  c.reply_to = s.port(0);
  c.reply_to_received_by_pager = true;
  s.call(c);
  s.complete(MessageKind::supply_completed, s.port(0), 0, 0, 0, 0x1000);
  s.ret(2).quiesce();
  EXPECT_FALSE(s.has("SU11", Party::pager)) << s.summary();
}

}  // namespace
}  // namespace emmi::model::testing
