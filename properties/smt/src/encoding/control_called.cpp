// SPDX-License-Identifier: MIT
// ControlCalled (model/src/control_called.cpp): which port the call names,
// the pair whose live control it is, the kernel's accept/refuse, readiness
// and destroy. The data path is in control_data.cpp, the OSF calls in
// osf.cpp.
#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::control_called() {
  const z3::expr call = kind(Ev::control_called);
  const z3::expr supply = is_call(Call::data_supply);
  const z3::expr answer = supply || is_call(Call::data_unavailable) || is_call(Call::data_error);
  const z3::expr usable = control_port(call, supply);
  for (unsigned p = 0; p < b_.pairs(); ++p) control_pair(p, usable, supply, answer);
}

// The port the call names (SU12, DR8, IN9, TM8); true when it is a control
// port the pager may still use.
z3::expr StepBuilder::control_port(const z3::expr& call, const z3::expr& supply) {
  const z3::expr control = is(at_slot(F::role, e_.port), unsigned(Role::control));
  const z3::expr failed = at_slot(F::failed, e_.port), ended = at_slot(F::ended, e_.port);
  const z3::expr holds = at_slot(F::recv, e_.port) || at_slot(F::snd, e_.port) != zero_refs();
  // SU12 / DR8: replies go to a control port the kernel gave in init, and
  // the pager must still hold a right to it.
  const z3::expr wrong_port = !control || (!failed && !ended && !holds);
  verdict("SU12", "pager", call && wrong_port && supply);
  verdict("DR8", "pager", call && wrong_port && !supply);
  // IN9: after an init error the pager does not own that control right.
  verdict("IN9", "pager", call && control && failed);
  // TM8 (pager side): no use of a control port after terminate, once
  // terminate's handling shows: the pager let go of the receive right it
  // moved in, or the calling thread handles that terminate. Before that the
  // call may be an earlier message's work (a worker pool): no verdict.
  const z3::expr handling_terminate = enc_.at_thread(pre_, F::busy, e_.thread) &&
                                      is_msg(enc_, enc_.at_thread(pre_, F::tkind, e_.thread),
                                             Msg::terminate) &&
                                      enc_.at_thread(pre_, F::tc, e_.thread) == e_.port;
  verdict("TM8", "pager",
          call && control && !failed && ended &&
              (!at_slot(F::recv, e_.port) || handling_terminate));
  return call && control && !failed && !ended && holds;
}

// Pair p: the call reaches the kernel if the port is the pair's live control.
void StepBuilder::control_pair(unsigned p, const z3::expr& usable, const z3::expr& supply,
                               const z3::expr& answer) {
  const z3::expr lc = pre_(F::lc, p);
  // The kernel serves a control port only for the current incarnation
  // and only until it sends terminate or the pager destroys the object
  // (vm_object_lookup fails after, gnumach-kernel.md §3b, §3d); the pager
  // learns the new control port when it dequeues the new init.
  z3::expr live = usable && at_slot(F::owner, e_.port) == bv(p, pb()) && pre_(F::named, p) &&
                  pre_(F::ctl, p) == e_.port;
  // After memory_object_destroy the kernel has removed the port
  // associations (gnumach-kernel.md §3b): the control port is dead too.
  if (enc_.variant().ready_needs_current_control)
    live = live && enc_.no_init_in_flight(pre_, p) && !pre_(F::destroyed, p) &&
           (life(lc, Life::initialised) || life(lc, Life::ready));
  else
    live = live &&
           (life(lc, Life::initialised) || life(lc, Life::ready) || life(lc, Life::terminating));
  // OSF (model osf.cpp): flavoured change_attributes (CA1, CA2) and
  // synchronize_completed (SY3); the simulated kernel refuses a change
  // whose flavour and count disagree and a completion that matches no
  // outstanding synchronize. A GNU Mach kernel has no completion call.
  z3::expr refused = ff(), attrs_ok = tt();
  if (b_.osf_pair(p)) {
    osf_control(p, live, refused, attrs_ok);
  } else if (b_.osf_kernels != 0) {
    refused = is_call(Call::synchronize_completed);
  }
  accepted_ = accepted_ || (refused.is_false() ? live : live && !refused);
  // ready / change_attributes make an initialised pair ready (an OSF
  // change only when accepted).
  const z3::expr change_ready = attrs_ok.is_true() ? is_call(Call::change_attributes)
                                                   : is_call(Call::change_attributes) && attrs_ok;
  const z3::expr ready = live && (is_call(Call::ready) || change_ready);
  upd(F::lc, p, ready && life(lc, Life::initialised), bv(unsigned(Life::ready), kLifeBits));
  upd(F::ever_ready, p, ready, tt());
  upd(F::pready, p, ready, tt());
  upd(F::destroyed, p, live && is_call(Call::destroy), tt());
  control_data(p, live, supply, answer);
}

}  // namespace emmi::smt::detail
