// SPDX-License-Identifier: MIT
// MemoryReleased (SEMANTICS.md, "Memory release"): out-of-line memory the
// pager releases (V4), and the blocks a released data_return touches (SQ7).
#include "step.h"

namespace emmi::model::detail {

void Step::operator()(const MemoryReleased& e) {
  ThreadRec& th = s_.thread(e.thread);
  RegionRec* reg = s_.find_region(e.region);
  if (reg == nullptr) {
    report(rule::PR8, Party::suite,
           cat("thread ", dec(e.thread), " released region ", hex(e.region),
               ", which no message delivered"));
    return;
  }
  bool predicted_ok = reg->state == RegionState::live;
  check(rule::V4);
  if (!predicted_ok)
    report(rule::V4, Party::pager,
           cat("release", handling(th), " of the out-of-line memory ", hex(e.region), " of ",
               to_string(reg->msg.kind), " seqno ", dec(reg->seqno), " on ", port_text(reg->port),
               " again (already ",
               reg->state == RegionState::released
                   ? "released by the pager"
                   : "freed by mach_msg_server after an error return",
               ")"));
  if (predicted_ok != (e.result == kKernSuccess))
    report(rule::V4, Party::suite,
           cat("simulated kernel answered ", code_name(e.result), " to the release of ",
               hex(e.region), "; the model predicts ", predicted_ok ? "success" : "failure"));
  if (!predicted_ok) return;
  reg->state = RegionState::released;

  // SQ7: releasing returned data marks the data_return's handling done with
  // those blocks; the release is charged to the message that delivered it.
  if (reg->msg.kind != MessageKind::data_return || reg->msg.object >= s_.objects.size()) return;
  const PortName object_port = s_.objects[reg->msg.object].port;
  if (std::optional<Attrib> who = charge(Target::of(reg->port, reg->seqno, reg->msg.kind), th,
                                         object_port)) {
    ObjectRec& o = s_.objects[reg->msg.object];
    Size end = sat_add(reg->msg.offset, reg->msg.length);
    std::size_t b_end = std::min<std::size_t>(o.touch.size(), (end + kBlockSize - 1) / kBlockSize);
    for (std::size_t b = reg->msg.offset / kBlockSize; b < b_end; ++b)
      if (touch(o.touch[b], *who, Verb::released_data, [&] {
            return cat("block ", hex(b * kBlockSize), " of object ", dec(reg->msg.object));
          }))
        break;
  }
}

}  // namespace emmi::model::detail
