// SPDX-License-Identifier: MIT
// What the kernel has seen of a COPY_DELAY object's own data (SEMANTICS.md,
// "Contents the kernel saw"): UN1, UN3 and CP4.
//
// A pager that makes an object ready with MEMORY_OBJECT_COPY_DELAY promises
// never to modify its data externally (CP4): the data of a block changes only
// when a kernel returns new contents. So while every kernel of the object
// holds it under COPY_DELAY, what the pager once told a kernel a block holds
// (the stamps of a data_supply, zeros for a data_unavailable, which makes the
// kernel zero-fill a user object's page, UN3) is what the block holds until a
// data_return brings other contents. The model keeps it per 4 KiB block and
// judges:
//   - data_unavailable for a requested page whose known contents are not
//     zero (UN1, UN3: the kernel zero-fills and the data is lost); the same
//     for contents the kernel returned before the request (RT4's expectation,
//     any copy strategy but COPY_TEMPORARY; control_data.cpp);
//   - data_supply of other contents than known (CP4: changed behind the
//     kernel's back);
//   - the pager's store (read_store) holding other contents than known (CP4).
// Only blocks no kernel ever returned are followed here: what a data_return
// leaves in the store is RT4's and RT5's. What is known is forgotten when the
// promise may lapse: a terminate of the object (no kernel may hold it any
// more), a ready or change_attributes with another strategy.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "state.h"

namespace emmi::model::detail::contents {

using Check = std::function<void(std::string_view rule)>;
using Report = std::function<void(std::string_view rule, std::string text)>;

void init(State& s);
// The kernel queued a message (data_return, terminate) on the pager's port.
void on_sent(State& s, const KernelSent& e);
// A control call on a live control port of incarnation `inc` of `p`, the
// kernel accepted it; called before the model's page states change.
void on_accepted(State& s, const ControlCalled& e, const Pair& p, std::uint32_t inc,
                 const Check& check, const Report& report);
// The store read (read_store) of object o from `offset`.
void store(const State& s, ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
           bool after_action, Judgement& out);
// Whether the incarnation's latest accepted strategy is COPY_TEMPORARY
// (CP5: the pager need not keep what the kernel returns).
bool temporary(const State& s, std::uint32_t inc);

}  // namespace emmi::model::detail::contents
