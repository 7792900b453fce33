// SPDX-License-Identifier: MIT
// Dequeued (model/src/dequeued.cpp): the seqno checks, the message's
// meaning and the rights it carries, and the thread's current message.
#include <tuple>

#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::dequeued() {
  const z3::expr deq = kind(Ev::dequeued);
  dequeue_seqnos(deq);
  const Dequeue m = dequeue_front(deq);
  const z3::expr pair = pair_index_of_port_event();
  dequeue_rights(m, pair);
  dequeue_thread(deq, m, pair);
}

// Per name: the seqno the message carries against the port's counter.
void StepBuilder::dequeue_seqnos(const z3::expr& deq) {
  const unsigned inc = enc_.variant().dequeue_increment;
  for (unsigned s = 0; s < b_.names; ++s) {
    const z3::expr here = deq && slot_is(e_.port, s);
    const z3::expr ctr = pre_(F::ctr, s);
    const z3::expr mismatch = here && e_.seqno != ctr;
    // SQ5: the first message since the right was created or moved carries
    // 0; SQ6: the counter moves by one per dequeue, so a larger seqno means
    // numbers were skipped; otherwise the number is wrong for the port:
    // SQ1 (object port) or SQ2 (any other receive right).
    const z3::expr first = !pre_(F::has_last, s) && ctr == bv(0, kSeqnoBits);
    verdict("SQ5", "kernel", mismatch && first);
    verdict("SQ6", "kernel", mismatch && !first && z3::ugt(e_.seqno, ctr));
    verdict(s < b_.objects ? "SQ1" : "SQ2", "kernel", mismatch && !first && z3::ult(e_.seqno, ctr));
    upd(F::ctr, s, here, e_.seqno + bv(inc, kSeqnoBits));
    upd(F::kctr, s, here, pre_(F::kctr, s) + bv(1, kSeqnoBits));
    upd(F::last, s, here, e_.seqno);
    upd(F::has_last, s, here, tt());
    upd(F::qother, s, here && msg(Msg::other), sat_dec(pre_(F::qother, s)));
  }
}

// Per pair: the message leaves the front of the pair's queue.
StepBuilder::Dequeue StepBuilder::dequeue_front(const z3::expr& deq) {
  // The message is the oldest of its pair: its meaning is the one it was
  // sent with, or none if it was sent outside any incarnation.
  z3::expr real_init = ff(), real_term = ff(), real_request = ff(), stray = ff();
  // The same, for pairs whose init and terminate carry a name port.
  z3::expr named_init = ff(), named_term = ff();
  z3::expr old_ctl = bv(0, nb()), old_nam = bv(0, nb());  // names the terminated incarnation had
  for (unsigned p = 0; p < b_.pairs(); ++p) {
    const z3::expr mine = deq && pair_of_port_event(p) && emmi();
    const z3::expr front = enc_.queued_kind(pre_, p, 0);
    const z3::expr real = mine && front == e_.msg;
    stray = stray || (mine && is(front, unsigned(Msg::stray)));
    upd(F::qreg, p, mine, z3::lshr(pre_(F::qreg, p), bv(kMsgBits, enc_.layout().qreg_bits())));
    upd(F::qlen, p, mine, sat_dec(pre_(F::qlen, p)));
    // init: the pager learns the incarnation's control and name (IN3).
    const z3::expr init = real && msg(Msg::init);
    real_init = real_init || init;
    // OSF (memory_object_init.html): no name port; the pair's name slot
    // repeats the control so that it denotes no other port.
    const bool named = enc_.named_pair(p);
    if (named) named_init = named_init || init;
    upd(F::ctl, p, init, e_.c);
    upd(F::nam, p, init, named ? e_.n : e_.c);
    upd(F::named, p, init, tt());
    upd(F::plive, p, init, tt());
    upd(F::pready, p, init, ff());
    // terminate: the incarnation ends for the pager; the pair is
    // terminated unless a new init is already on its way.
    const z3::expr term = real && msg(Msg::terminate);
    real_term = real_term || term;
    if (named) named_term = named_term || term;
    upd(F::plive, p, term, ff());
    upd(F::pready, p, term, ff());
    upd(F::lc, p, term && enc_.no_init_in_flight(pre_, p, 1),
        bv(unsigned(Life::terminated), kLifeBits));
    // The receive rights may arrive under new names when the pager no
    // longer held the old ones; the new names then stand for those ports.
    upd(F::ctl, p, term, e_.c);
    upd(F::nam, p, term, named ? e_.n : e_.c);
    old_ctl = z3::ite(term, pre_(F::ctl, p), old_ctl);
    old_nam = z3::ite(term, pre_(F::nam, p), old_nam);
    for (unsigned s = b_.objects; s < b_.names; ++s)
      upd(F::ended, s,
          term && pre_(F::named, p) && (slot_is(pre_(F::ctl, p), s) || slot_is(pre_(F::nam, p), s)),
          tt());
    real_request = real_request || (real && carries_control(e_.msg));
  }
  return Dequeue{real_init,  real_term,  real_request, stray,
                 named_init, named_term, old_ctl,      old_nam};
}

// Per name other than the object ports: the rights the message carries.
void StepBuilder::dequeue_rights(const Dequeue& m, const z3::expr& pair) {
  for (unsigned s = b_.objects; s < b_.names; ++s) {
    const z3::expr as_c = slot_is(e_.c, s), as_n = slot_is(e_.n, s);
    // init carries a send right to each (IN3); requests carry a send right
    // to the control port (MAKE_SEND, MK2).
    z3::expr snd = post_(F::snd, s);
    snd = z3::ite((m.real_init || m.real_request) && as_c, add_send(s, snd), snd);
    snd = z3::ite(m.named_init && as_n, add_send(s, snd), snd);
    post_.set(F::snd, s, snd);
    const z3::expr given = (m.real_init && as_c) || (m.named_init && as_n);
    upd(F::role, s, m.real_init && as_c, bv(unsigned(Role::control), kRoleBits));
    upd(F::role, s, m.named_init && as_n, bv(unsigned(Role::name), kRoleBits));
    upd(F::owner, s, given, pair);
    upd(F::failed, s, given, ff());
    upd(F::ended, s, given, ff());
    // A fresh name is a fresh port (ipc_port_init: seqno 0).
    upd(F::kctr, s, given && !enc_.held(pre_, s), bv(0, kSeqnoBits));
    if (enc_.variant().terminate_moves_rights) move_in_receive_rights(s, m, pair, as_c, as_n);
  }
}

void StepBuilder::move_in_receive_rights(unsigned s, const Dequeue& m, const z3::expr& pair,
                                         const z3::expr& as_c, const z3::expr& as_n) {
  // terminate moves the control and name receive rights in (TM3). The
  // model's counter restarts at 0 (SQ5); the kernel's own counter is
  // not reset on this path (ipc_object_copyin_from_kernel): it is 0
  // because nothing is dequeued from a kernel-held control/name port.
  const z3::expr moved = (m.real_term && as_c) || (m.named_term && as_n);
  upd(F::recv, s, moved, tt());
  if (enc_.variant().reset_seqno_on_move_in) upd(F::ctr, s, moved, bv(0, kSeqnoBits));
  upd(F::has_last, s, moved, ff());
  upd(F::qother, s, moved, bv(0, kCountBits));
  // The port keeps its incarnation's flags whatever name it arrives
  // under. Under a new name its kernel counter is the one it had while
  // kernel-held, 0: the seqno proof shows that the old name's counter
  // is 0 (its auxiliary conjunct), so this equals carrying it over on
  // every reachable state, and keeps the query small.
  for (const auto& [as, old, role] : {std::tuple{m.real_term && as_c, m.old_ctl, Role::control},
                                      std::tuple{m.named_term && as_n, m.old_nam, Role::name}}) {
    const z3::expr here = as;
    upd(F::kctr, s, here && !slot_is(old, s), bv(0, kSeqnoBits));
    upd(F::failed, s, here, at_slot(F::failed, old));
    upd(F::role, s, here, bv(unsigned(role), kRoleBits));
    upd(F::owner, s, here, pair);
    upd(F::ended, s, here, tt());
  }
}

// Per thread: the message it handles now.
void StepBuilder::dequeue_thread(const z3::expr& deq, const Dequeue& m, const z3::expr& pair) {
  // From an object port the thread's current message becomes this one (an
  // unfinished earlier one counts as returned with KERN_SUCCESS: nothing is
  // destroyed). From any other port while it handles a message, the
  // message nests (an RPC reply): the handler's message stays current.
  const z3::expr from_object = z3::ult(e_.port, bv(b_.objects, nb()));
  for (unsigned t = 0; t < b_.threads; ++t) {
    const z3::expr mine = deq && is(e_.thread, t) && (from_object || !pre_(F::busy, t));
    upd(F::busy, t, mine, tt());
    upd(F::tkind, t, mine, z3::ite(m.stray, bv(unsigned(Msg::stray), kMsgBits), e_.msg));
    upd(F::tport, t, mine, e_.port);
    upd(F::tpair, t, mine, pair);
    upd(F::tc, t, mine, z3::ite(m.real_init || m.real_term || m.real_request, e_.c, bv(0, nb())));
    upd(F::tn, t, mine, z3::ite(m.named_init || m.named_term, e_.n, bv(0, nb())));
    upd(F::committed, t, mine, ff());
  }
}

}  // namespace emmi::smt::detail
