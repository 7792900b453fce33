// SPDX-License-Identifier: MIT
// HandlerReturned (model/src/handler_returned.cpp): what mach_msg_server
// releases after an error return (V1, V3), and IN2.
#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::handler_returned() {
  const z3::expr ret = kind(Ev::handler_returned);
  const z3::expr error = is(e_.code, unsigned(Ret::error));
  for (unsigned t = 0; t < b_.threads; ++t) {
    const z3::expr mine = ret && is(e_.thread, t) && pre_(F::busy, t);
    upd(F::busy, t, mine, ff());
    upd(F::tkind, t, mine, bv(unsigned(Msg::none), kMsgBits));
    const z3::expr tc = pre_(F::tc, t), tn = pre_(F::tn, t), tkind = pre_(F::tkind, t);
    // mach_msg_server destroys a request whose handler failed (X2), with
    // every right it carried. A right the pager already released is
    // released twice: V1 for init (IN9 names the same fault), else V3.
    const z3::expr destroy = mine && error;
    const z3::expr init = destroy && is_msg(enc_, tkind, Msg::init);
    const z3::expr request = destroy && request_kind(tkind);
    const z3::expr term = destroy && is_msg(enc_, tkind, Msg::terminate);
    // An OSF init or terminate carried no name (its tn is no slot the pager names).
    const z3::expr named = enc_.named_pair_at(pre_(F::tpair, t));
    const z3::expr carried = destroy && carries_control(tkind);
    verdict("V1", "pager", init && (no_send_reference(tc) || guard(named, no_send_reference(tn))));
    verdict("V3", "pager", carried && no_send_reference(tc));
    verdict("V3", "pager", term && (!at_slot(F::recv, tc) || guard(named, !at_slot(F::recv, tn))));
    // IN2: after init the pager must accept the kernel's requests (a
    // refused synchronize is not IN2: the model names only the requests).
    verdict("IN2", "pager", request);
    for (unsigned s = b_.objects; s < b_.names; ++s) {
      drop_send(s, (init || carried) && slot_is(tc, s));
      const z3::expr as_n = guard(named, slot_is(tn, s));
      drop_send(s, init && as_n);
      upd(F::failed, s, init && (slot_is(tc, s) || as_n), tt());
      remove_receive(s, term && (slot_is(tc, s) || as_n) && pre_(F::recv, s));
    }
  }
}

}  // namespace emmi::smt::detail
