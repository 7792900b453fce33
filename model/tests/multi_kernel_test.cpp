// SPDX-License-Identifier: MIT
// Several kernels on one object: MK1, MK2, MK4, PS2, and DR8 across kernels
// (each kernel has its own control and name ports and its own page size).
#include "verdicts.h"

namespace emmi::model::testing {
namespace {

TEST(MultiKernel, MK1_Violated_SecondKernelReusesNamePort) {
  Scenario s;
  s.attach(0, 0x1000).attach(1, 0x1000).offer(0).map(0, 0).handle(1, 0).map(0, 1);
  PortName first = s.name(0, 0);
  s.dequeue(1, 0, [&](Dequeued& d) { d.rights[1].name = first; });
  EXPECT_TRUE(Violates(s, "MK1", Party::kernel));
}

TEST(MultiKernel, MK1_Conforming_DistinctPortsPerKernel) {
  Scenario s = two_kernel_world(0x1000, 0x4000);
  EXPECT_TRUE(Conforms(s));
  EXPECT_NE(s.model().name_port(0, 0), s.model().name_port(0, 1));
  EXPECT_NE(s.model().control_port(0, 0), s.model().name_port(0, 1));
}

TEST(MultiKernel, MK2_Violated_RequestCarriesOtherKernelsControl) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  PortName other = s.control(0, 0);
  s.fault(0, 1, 0).dequeue(2, 0, [&](Dequeued& d) { d.rights[0].name = other; });
  EXPECT_TRUE(Violates(s, "MK2", Party::kernel));
}

TEST(MultiKernel, MK2_Conforming_RequestCarriesItsKernelsControl) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 1, 0).dequeue(2, 0);
  EXPECT_TRUE(Conforms(s));
  EXPECT_EQ(s.urefs(s.control(0, 1), Right::send), 2u);
  EXPECT_EQ(s.urefs(s.control(0, 0), Right::send), 1u);
}

TEST(MultiKernel, DR8_Violated_AnswerOnOtherKernelsControl) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 1, 0).dequeue(2, 0).unavailable(2, 0, 0, 0);
  EXPECT_TRUE(Violates(s, "DR8", Party::pager));
}

TEST(MultiKernel, DR8_Conforming_EachKernelAnsweredOnItsControl) {
  Scenario s = two_kernel_world(0x1000, 0x1000);
  s.fault(0, 0, 0).fault(0, 1, 0);
  s.dequeue(2, 0).supply(2, 0, 0, 0).ret(2);
  // Kernel 0 may write: kernel 1 gets a read-only copy (MK3).
  s.dequeue(2, 0).supply_on(2, s.control(0, 1), 0, 0, 0x1000, {}, kProtWrite).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(MultiKernel, MK4_Violated_SmallerUnitForBigPageKernel) {
  Scenario s = two_kernel_world(0x1000, 0x4000);
  s.fault(0, 1, 0).dequeue(2, 0).supply(2, 0, 1, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "MK4", Party::pager));
}

TEST(MultiKernel, MK4_Violated_BiggerUnitForSmallPageKernel) {
  Scenario s = two_kernel_world(0x4000, 0x1000);
  s.fault(0, 1, 0).dequeue(2, 0).supply(2, 0, 1, 0, 0x4000);
  EXPECT_TRUE(Violates(s, "MK4", Party::pager));
}

TEST(MultiKernel, MK4_Conforming_EachKernelInItsOwnUnit) {
  Scenario s = two_kernel_world(0x1000, 0x4000);
  s.fault(0, 0, 0x1000).fault(0, 1, 0x4000).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

TEST(MultiKernel, PS2_Violated_KernelUsesAnotherKernelsPageSize) {
  Scenario s = two_kernel_world(0x1000, 0x4000);
  s.fault_range(0, 1, 0, 0x1000);
  EXPECT_TRUE(Violates(s, "PS2", Party::kernel));
}

TEST(MultiKernel, PS2_Conforming_DifferentPageSizesSideBySide) {
  Scenario s = two_kernel_world(0x1000, 0x4000);
  EXPECT_EQ(s.model().page_size(0), Size{0x1000});
  EXPECT_EQ(s.model().page_size(1), Size{0x4000});
  s.fault_range(0, 0, 0, 0x1000).fault_range(0, 1, 0, 0x4000).serve().quiesce();
  EXPECT_TRUE(Conforms(s));
}

// A request carrying the control port under a fresh name, after the pager
// released every send right it had to it, is the same kernel (MK2 holds).
TEST(MultiKernel, MK2_Conforming_ControlComesBackUnderAFreshName) {
  Scenario s = ready_world();
  s.deallocate(1, s.control(0, 0));
  s.fault(0, 0, 0).dequeue(2, 0, [](Dequeued& d) { d.rights[0].name = 0x9001; });
  ControlCalled supply{2, ControlCall::data_supply, 0x9001, 0, 0x1000};
  supply.stamps = {0};
  supply.accepted = true;  // the kernel sees its own control port
  s.call_as(supply).ret(2).quiesce();
  EXPECT_TRUE(Conforms(s));
}

}  // namespace
}  // namespace emmi::model::testing
