// SPDX-License-Identifier: MIT
// The pager's own actions in the model (entry ABI version 2: sync, flush,
// change_attributes, shutdown, read_store; see emmi/pager_abi.h and
// SEMANTICS.md, "The pager's own actions"). The step's files (the event
// families of step.h: dequeued.cpp, control_called.cpp, quiescence.cpp)
// call the hooks below from their handlers; the begin/end/store judgements
// are the Model
// methods of the same names.
//
// What is judged, and why it is fair to every correct pager:
//   - sync (LK2): every page a kernel holds writable in the range when the
//     call begins (so possibly dirty; the pager cannot know) is reached by an
//     accepted lock_request of the call with should_return DIRTY or ALL.
//   - flush (LK3): every page a kernel holds in the range when the call
//     begins is reached by an accepted lock_request with should_flush.
//   - both (LK8): the call returns only after the pager dequeued the
//     lock_completed of a lock_request it made for each kernel it had to
//     reach: lock_completed is the only sure sign the kernel is done.
//   - change_attributes (CA3): turning caching off, the pager asks for
//     change_completed and dequeues it before the call returns. On an OSF
//     kernel only the flavours holding the caching attribute
//     (PERFORMANCE_INFO, ATTRIBUTES_INFO) can turn it off; a BEHAVIOR_INFO
//     change is not judged.
//   - any ready / change_attributes (CP1): the copy strategy of an
//     initialised object does not change; (CP6) it is never
//     MEMORY_OBJECT_COPY_SYMMETRIC, the kernel's own strategy (judged on
//     the objects the pager offered, whether or not the kernel accepts).
//   - shutdown (DS3): memory_object_destroy comes after a flush of every page
//     the kernel holds (no page of that kernel is cached when it arrives).
//   - the store (RT5): each block holds the latest contents the kernel
//     returned for it that the pager dequeued.
// A call that returns an error declined the action: only CP1, CP6 and DS3 (on
// what it did send) apply to it.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "state.h"

namespace emmi::model::detail::actions {

using Check = std::function<void(std::string_view rule)>;
using Report = std::function<void(std::string_view rule, std::string text)>;

// A message the kernel queued on a pager port (after the model's own
// checks). Self-checks of the kernel: LK11 (a lock_request returning only
// dirty pages returns no clean one), CA4 (change_completed to the port
// given) and, for an OSF kernel, CA5 (it names the flavour changed).
void on_sent(State& s, const KernelSent& e, const Check& check, const Report& kernel_report);
// The pager dequeued `m` from `port`.
void on_dequeued(State& s, PortName port, const Queued& m);
// At quiescence: a change_completed the kernel still owes (CA4, kernel).
void quiescent(const State& s, Judgement& out);
// A control call to a control port of incarnation `inc` of pair `p`;
// `live`: the kernel serves that port.
void on_control(State& s, const ControlCalled& e, Pair& p, std::uint32_t inc, bool live,
                const Check& check, const Report& report);

Judgement begin(State& s, const PagerAction& a);
Judgement end(State& s, KernReturn result);
Judgement store(const State& s, ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
                bool after_action);

}  // namespace emmi::model::detail::actions
