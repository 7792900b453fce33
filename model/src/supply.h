// SPDX-License-Identifier: MIT
// What a data_supply owes beyond the pages it answers (model/SEMANTICS.md,
// "Supplies"): its data lies page aligned in the pager's space (SU9), pages
// it sent away with deallocate TRUE are counted for SU10 (a touch of them
// afterwards is a fault the engine judges), and a reply port the pager receives on gets the
// kernel's supply_completed (SU11, a permission counted when used). Where GNU Mach stops a supply
// at a page it already holds (KERN_MEMORY_PRESENT, SC4) is followed by the page states in
// control_data.cpp. The step calls these hooks (kernel_sent.cpp, control_called.cpp).
#pragma once

#include <vector>

#include "emmi/model/event.h"
#include "osf.h"

namespace emmi::model::detail {

struct State;
struct Pair;

namespace supply {

using Found = osf::Found;

struct SupplyState {
  // Reply ports owed a supply_completed, one entry per accepted data_supply
  // that named one the pager receives on (oldest first).
  std::vector<PortName> owed;
};

// A data_supply the kernel accepted on a live control port of `p`.
Found accepted(State& s, const ControlCalled& e, const Pair& p);

// The kernel queued a completion or notification `e` on a pager port.
Found sent(State& s, const KernelSent& e);

}  // namespace supply
}  // namespace emmi::model::detail
