// SPDX-License-Identifier: MIT
// PortOperated (model/src/port_operated.cpp): the right ledger, V1/V3
// releases, and what GNU Mach answers.
#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::port_operated() {
  const z3::expr po = kind(Ev::port_operated);
  auto is_op = [&](Op o) { return is(e_.op, unsigned(o)); };
  const z3::expr releases = is_op(Op::deallocate) || is_op(Op::mod_refs_send) ||
                            is_op(Op::destroy) || is_op(Op::mod_refs_receive);
  for (unsigned s = 0; s < b_.names; ++s) {
    const z3::expr here = po && slot_is(e_.port, s);
    const z3::expr snd = pre_(F::snd, s), dead = pre_(F::dead, s), recv = pre_(F::recv, s);
    // V1 / V3: a uref count never goes below zero; releasing what the pager
    // does not hold is a double release, V1 when mach_msg_server already
    // released it for a failed init.
    const z3::expr failed_init = pre_(F::failed, s) &&
                                 (is(pre_(F::role, s), unsigned(Role::control)) ||
                                  is(pre_(F::role, s), unsigned(Role::name)));
    const z3::expr nothing = snd == zero_refs() && dead == zero_refs() && !recv;
    const z3::expr twice = here && ((is_op(Op::deallocate) && nothing) ||
                                    (is_op(Op::mod_refs_send) && snd == zero_refs()) ||
                                    (is_op(Op::mod_refs_receive) && !recv) ||
                                    (is_op(Op::destroy) && nothing));
    verdict("V1", "pager", twice && failed_init);
    verdict("V3", "pager", twice && !failed_init);
    // What GNU Mach answers (a deallocate of a receive-only name fails with
    // KERN_INVALID_RIGHT, without being a double release).
    const z3::expr total = z3::zext(snd, 1) + z3::zext(dead, 1);
    succeeds_ = succeeds_ ||
                (here &&
                 ((is_op(Op::deallocate) && !(snd == zero_refs() && dead == zero_refs())) ||
                  (is_op(Op::mod_refs_send) && snd != zero_refs()) ||
                  (is_op(Op::mod_refs_receive) && recv) || (is_op(Op::destroy) && !nothing) ||
                  is_op(Op::allocate) ||
                  (is_op(Op::insert_send) && z3::ult(total, bv(kUrefsMax, kUrefBits + 1)))));
    drop_send(s, here && is_op(Op::deallocate));
    upd(F::snd, s, here && is_op(Op::mod_refs_send), sat_dec(snd));
    remove_receive(s, here && is_op(Op::mod_refs_receive) && recv);
    const z3::expr destroy = here && is_op(Op::destroy);
    upd(F::recv, s, destroy, ff());
    upd(F::snd, s, destroy, zero_refs());
    upd(F::dead, s, destroy, zero_refs());
    upd(F::qother, s, destroy, bv(0, kCountBits));
    const z3::expr alloc = here && is_op(Op::allocate);
    upd(F::recv, s, alloc, tt());
    upd(F::ctr, s, alloc, bv(0, kSeqnoBits));
    upd(F::kctr, s, alloc, bv(0, kSeqnoBits));
    upd(F::has_last, s, alloc, ff());
    upd(F::qother, s, alloc, bv(0, kCountBits));
    // A new port: the name no longer denotes an old control or name port.
    upd(F::role, s, alloc, bv(unsigned(Role::other), kRoleBits));
    upd(F::snd, s, here && is_op(Op::insert_send), add_send(s, snd));
  }
  for (unsigned t = 0; t < b_.threads; ++t) {
    const z3::expr own = po && is(e_.thread, t) && pre_(F::busy, t) && releases &&
                         (pre_(F::tc, t) == e_.port || pre_(F::tn, t) == e_.port);
    upd(F::committed, t, own, tt());
  }
}

}  // namespace emmi::smt::detail
