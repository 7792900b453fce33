// SPDX-License-Identifier: MIT
// Copies of MEMORY_OBJECT_COPY_CALL objects (model/SEMANTICS.md, "Copies"):
// GNU Mach's memory_object_copy (gnumach-kernel.md §1a, 2202) gives the
// pager the receive right of a new memory object that must read as the
// original's range did when the copy was made (CP3). The kernel reports what
// it held of the range then (KernelSent::stamps, resident); for the blocks it
// did not hold, the contents it last returned to the pager (RT4's record)
// are what the range held, when no other kernel held the block. The copy's
// object slot (an object id beyond the pager's own, WorldConfig::objects)
// binds to the port the kernel's first message for it names.
//
// Judged, for each block whose contents at the copy are known and that the
// kernel has not returned from the copy since (RT4 follows those):
//   - a data_supply on the copy's control port carries those contents;
//   - a data_unavailable makes the kernel read the original's page as it is
//     now (memory_object.defs: "the appropriate page of the original memory
//     object may be used"); where the original's page was resident the
//     kernel reports what it read (ControlCalled::stamps), and it must be
//     those contents. A read that has to fault the original is not judged.
// The step (step.h: kernel_sent.cpp, control_called.cpp, control_data.cpp,
// quiescence.cpp) calls these hooks.
#pragma once

#include <cstdint>
#include <vector>

#include "emmi/model/event.h"
#include "osf.h"

namespace emmi::model::detail {

struct State;
struct Pair;

namespace copies {

using Found = osf::Found;

struct CopyRec {
  bool made = false;
  ObjectId original = 0;
  std::uint32_t kernel = 0;  // index into State::kernels
  Offset offset = 0;
  Size length = 0;
  std::vector<Stamp> expect;        // per 4 KiB block of the copy
  std::vector<std::uint8_t> known;  // expect[i] is known and still owed
};

struct CopyState {
  std::vector<CopyRec> of;  // by object id
};

bool is_copy(const State& s, ObjectId o);
// memory_object_copy, queued on the original's port by kernel `kidx`.
Found made(State& s, const KernelSent& e, std::uint32_t kidx);
// The kernel's first message for a copy object names its port in the pager
// task: the object is bound to it (the pager took the receive right with
// the copy message). False when `e` is about no copy the model knows.
bool bind(State& s, const KernelSent& e);
// A data_return from the copy: RT4 follows the returned blocks from now.
void returned(State& s, const KernelSent& e);
// A data_supply or data_unavailable the kernel accepted on the copy `p`.
Found accepted(State& s, const ControlCalled& e, const Pair& p);

}  // namespace copies
}  // namespace emmi::model::detail
