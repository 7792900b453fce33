// SPDX-License-Identifier: MIT
// SQ7 (SEMANTICS.md, "Attribution", "SQ7"): which message an effect is charged
// to. The templates that word a crossing are in step.h.
#include "step.h"

namespace emmi::model::detail {

std::string_view verb_text(Verb v) {
  switch (v) {
    case Verb::supplied: return "supplied";
    case Verb::answered_unavailable: return "answered data_unavailable for";
    case Verb::answered_error: return "answered data_error for";
    case Verb::locked: return "lock_request'ed";
    case Verb::released_data: return "released the returned data of";
    case Verb::called: return "made a control call on";
    case Verb::operated: return "operated on";
  }
  return "touched";
}

std::optional<Attrib> Step::charge(const Target& target, const ThreadRec& th,
                                   PortName object_port) const {
  if (target.what == Target::ambiguous || s_.stopping) return std::nullopt;
  std::optional<Attrib> mine;
  const Current& c = th.cur;
  if (c.busy && c.port != kNullPort &&
      (object_port != kNullPort ? c.port == object_port : is_object_port(c.port)))
    mine = Attrib{c.port, c.seqno, c.msg.kind};
  if (target.what == Target::none) return mine;
  if (object_port != kNullPort && target.msg.port != object_port) return std::nullopt;
  if (mine && !mine->same(target.msg)) return std::nullopt;
  return target.msg;
}

void Step::note(Touch& t, const Attrib& c, Verb verb) {
  const std::uint32_t mine = c.seqno + 1;
  if (t.port != c.port) t = Touch{0, c.port};
  if (mine > t.seqno_plus1) t = Touch{mine, c.port, c.kind, verb};
}

}  // namespace emmi::model::detail
