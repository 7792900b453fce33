// SPDX-License-Identifier: MIT
// What can be observed at all (well_formed), and what a conforming kernel
// and a conforming pager do (kernel_conforms, pager_conforms,
// bounded_incarnation): the assumptions of the proofs. The model has no
// counterpart: it judges every event instead of assuming conformance.
#include "emmi/smt/encoding.h"

#include <cstdint>

namespace emmi::smt {

namespace {

// Builds well_formed one event kind at a time. The parts run in a fixed
// order (build()), which is the order their terms are created in.
struct WellFormed {
  WellFormed(const Encoding& en, const State& st, const Event& ev)
      : enc(en),
        s(st),
        e(ev),
        b(en.bounds()),
        nb(en.layout().name_bits()),
        emmi(z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) &&
             z3::ule(e.msg, bv(unsigned(Msg::synchronize), kMsgBits))),
        osf(b.osf_kernels != 0),
        c(en.ctx()) {}

  z3::expr build() {
    ranges();
    kernel_sent();
    const z3::expr deq = is(e.kind, unsigned(Ev::dequeued));
    dequeued(deq);
    carried_rights(deq);
    handled_and_operated();
    return z3::mk_and(c);
  }

  z3::expr bv(std::uint64_t v, unsigned w) const { return enc.bv(v, w); }
  z3::expr is(const z3::expr& t, unsigned code) const { return enc.is(t, code); }
  z3::expr msg(Msg m) const { return is(e.msg, unsigned(m)); }
  z3::expr at_name(const State& st, F f, const z3::expr& slot) const {
    return enc.at_name(st, f, slot);
  }
  z3::expr held_at(const State& st, const z3::expr& slot) const { return enc.held_at(st, slot); }
  // A name the pager may come to hold (not an object port).
  z3::expr dynamic(const z3::expr& slot) const { return z3::uge(slot, bv(b.objects, nb)); }
  // A name copy-out may give a new port: unused, and not the name of an
  // incarnation the pager has not seen terminated.
  z3::expr fresh(const z3::expr& slot) const {
    return dynamic(slot) && !held_at(s, slot) && !enc.reserved(s, slot);
  }

  // Every parameter in range.
  void ranges() {
    c.push_back(z3::ule(e.kind, bv(unsigned(Ev::port_operated), kEvBits)));
    c.push_back(enc.below(e.obj, b.objects));
    c.push_back(enc.below(e.ker, b.kernels));
    c.push_back(enc.below(e.page, b.pages));
    c.push_back(enc.below(e.port, b.names));
    c.push_back(enc.below(e.c, b.names));
    c.push_back(enc.below(e.n, b.names));
    c.push_back(enc.below(e.thread, b.threads));
    c.push_back(z3::ule(e.code, bv(unsigned(Ret::error), kRetBits)));
    c.push_back(z3::ule(e.op, bv(unsigned(Op::insert_send), kOpBits)));
    c.push_back(z3::ule(e.call, bv(unsigned(Call::synchronize_completed), kCallBits)));
    c.push_back(z3::ule(e.attrs, bv(unsigned(Attrs::unknown_flavor), kAttrBits)));
    c.push_back(e.mask != bv(0, b.pages));
    c.push_back(z3::uge(e.msg, bv(unsigned(Msg::init), kMsgBits)) &&
                z3::ule(e.msg, bv(unsigned(Msg::other), kMsgBits)));
  }

  void kernel_sent() {
    // KernelSent: EMMI messages go to the object port; at most queue_depth in
    // flight per pair (the bound of the world); other messages go to a receive
    // right the pager holds.
    const z3::expr sent = is(e.kind, unsigned(Ev::kernel_sent));
    z3::expr room = enc.ctx().bool_val(false);
    for (unsigned p = 0; p < b.pairs(); ++p)
      room = room || (is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels) &&
                      z3::ult(s(F::qlen, p), bv(b.queue_depth, enc.layout().qlen_bits())));
    c.push_back(z3::implies(sent && emmi, room));
    // Only an OSF kernel sends synchronize (message 3410), and the world
    // bounds its outstanding requests per pair.
    if (!osf) {
      c.push_back(z3::implies(sent, !msg(Msg::synchronize)));
    } else {
      z3::expr slot = enc.ctx().bool_val(false);
      for (unsigned p = 0; p < b.pairs(); ++p) {
        if (!b.osf_pair(p)) continue;
        z3::expr free = enc.ctx().bool_val(false);
        for (unsigned y = 0; y < b.syncs; ++y) free = free || is(s(F::smask, p, y), 0);
        slot = slot || (is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels) && free);
      }
      c.push_back(z3::implies(sent && msg(Msg::synchronize), slot));
    }
    c.push_back(z3::implies(sent && msg(Msg::other),
                            at_name(s, F::recv, e.port) &&
                                at_name(s, F::qother, e.port) != bv(255, kCountBits)));
  }

  void dequeued(const z3::expr& deq) {
    // Dequeued: from a receive right the pager holds; the message is the
    // oldest of its sender (per-sender FIFO, SQ8/SQ9).
    z3::expr front = enc.ctx().bool_val(false);
    for (unsigned p = 0; p < b.pairs(); ++p) {
      const z3::expr k = enc.queued_kind(s, p, 0);
      front = front || (is(e.port, p / b.kernels) && is(e.ker, p % b.kernels) &&
                        s(F::qlen, p) != bv(0, enc.layout().qlen_bits()) &&
                        (k == e.msg || (is(k, unsigned(Msg::stray)) && !msg(Msg::init))));
    }
    c.push_back(z3::implies(deq, at_name(s, F::recv, e.port)));
    c.push_back(z3::implies(deq && emmi, z3::ult(e.port, bv(b.objects, nb)) && front));
    c.push_back(
        z3::implies(deq && msg(Msg::other), at_name(s, F::qother, e.port) != bv(0, kCountBits)));
    // init: copy-out names two new ports with names the task does not use.
    // OSF: init carries the control alone; the event's second name repeats it.
    const z3::expr named = enc.named_kernel(e.ker);
    if (named.is_true()) {
      c.push_back(z3::implies(deq && msg(Msg::init), e.c != e.n && fresh(e.c) && fresh(e.n)));
    } else {
      c.push_back(
          z3::implies(deq && msg(Msg::init) && named, e.c != e.n && fresh(e.c) && fresh(e.n)));
      c.push_back(z3::implies(deq && msg(Msg::init) && !named, fresh(e.c) && e.n == e.c));
    }
  }

  void carried_rights(const z3::expr& deq) {
    // terminate carries the receive rights of the pager's current incarnation,
    // under the names init gave them, or under new names (never used) when
    // the pager no longer holds the old ones (the model's TM3 check); requests
    // carry a send right to the control under its name (the model's MK2).
    for (unsigned p = 0; p < b.pairs(); ++p) {
      const z3::expr mine = deq && is(e.port, p / b.kernels) && is(e.ker, p % b.kernels);
      auto arrives = [&](const z3::expr& carried, F which) {
        const z3::expr old = s(which, p);
        return carried == old || (!held_at(s, old) && fresh(carried) &&
                                  is(at_name(s, F::role, carried), unsigned(Role::none)));
      };
      if (enc.named_pair(p))
        c.push_back(z3::implies(mine && msg(Msg::terminate),
                                e.c != e.n && arrives(e.c, F::ctl) && arrives(e.n, F::nam)));
      else
        c.push_back(z3::implies(mine && msg(Msg::terminate), arrives(e.c, F::ctl) && e.n == e.c));
      const z3::expr requests = msg(Msg::data_request) || msg(Msg::data_unlock) ||
                                msg(Msg::data_return);
      c.push_back(z3::implies(mine && (osf ? requests || msg(Msg::synchronize) : requests),
                              e.c == s(F::ctl, p)));
    }
  }

  void handled_and_operated() {
    // HandlerReturned: the thread is handling a message.
    c.push_back(z3::implies(is(e.kind, unsigned(Ev::handler_returned)),
                            enc.at_thread(s, F::busy, e.thread)));
    // PortOperated: on the names the pager came to hold, not on object ports
    // (outside the encoded vocabulary); allocate takes a free name; making a
    // send right needs the receive right.
    const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
    c.push_back(z3::implies(po, dynamic(e.port)));
    c.push_back(z3::implies(po && is(e.op, unsigned(Op::allocate)), fresh(e.port)));
    c.push_back(
        z3::implies(po && is(e.op, unsigned(Op::insert_send)), at_name(s, F::recv, e.port)));
  }

  const Encoding& enc;
  const State& s;
  const Event& e;
  const Bounds& b;
  const unsigned nb;
  const z3::expr emmi;  // an EMMI message (not "other")
  const bool osf;       // some kernel speaks the OSF dialect
  z3::expr_vector c;
};

}  // namespace

z3::expr Encoding::well_formed(const State& s, const Event& e) const {
  return WellFormed(*this, s, e).build();
}

z3::expr Encoding::kernel_conforms(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  auto msg = [&](Msg m) { return is(e.msg, unsigned(m)); };
  z3::expr_vector c(*ctx_);
  const z3::expr sent = is(e.kind, unsigned(Ev::kernel_sent));
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr mine = sent && is(e.obj, p / b.kernels) && is(e.ker, p % b.kernels);
    const z3::expr lc = s(F::lc, p);
    const z3::expr live = is(lc, unsigned(Life::initialised)) || is(lc, unsigned(Life::ready));
    const z3::expr ready = is(lc, unsigned(Life::ready));
    z3::expr requested = ctx_->bool_val(false), resident = ctx_->bool_val(false);
    for (unsigned pg = 0; pg < b.pages; ++pg) {
      requested = requested || (is(e.page, pg) && s(F::req, p, pg));
      resident = resident || (is(e.page, pg) && s(F::res, p, pg));
    }
    // One init per pair until its terminate (IN1, gnumach-kernel.md §3a).
    c.push_back(z3::implies(mine && msg(Msg::init), !live));
    // Terminate only for a live incarnation (TM1/TM2), nothing after it (TM8).
    c.push_back(z3::implies(mine && msg(Msg::terminate), live));
    // A fault asks for a page neither resident nor requested, once ready
    // (IN10, RD1; vm_fault_page waits for pager_ready).
    c.push_back(z3::implies(mine && msg(Msg::data_request), ready && !requested && !resident));
    // Unlock and return concern resident pages of a ready pair (RT1).
    c.push_back(
        z3::implies(mine && (msg(Msg::data_unlock) || msg(Msg::data_return)), ready && resident));
    // OSF synchronize: once ready (RD1), never overlapping an outstanding
    // one (SY4), never SYNCHRONOUS with ASYNCHRONOUS (SY10).
    if (b.osf_pair(p)) {
      z3::expr overlap = ctx_->bool_val(false);
      for (unsigned y = 0; y < b.syncs; ++y)
        overlap = overlap || (s(F::smask, p, y) != bv(0, b.pages) && !s(F::sorph, p, y) &&
                              (s(F::smask, p, y) & e.mask) != bv(0, b.pages));
      const z3::expr both = bv(kSyncSynchronous | kSyncAsynchronous, kFlagBits);
      c.push_back(z3::implies(mine && msg(Msg::synchronize),
                              ready && !overlap && (e.flags & both) != both));
    }
  }
  // The kernel stamps its own counter (SQ1/SQ2, SQ6).
  c.push_back(
      z3::implies(is(e.kind, unsigned(Ev::dequeued)), e.seqno == at_name(s, F::kctr, e.port)));
  return z3::mk_and(c);
}

z3::expr Encoding::bounded_incarnation(const State& s, const Event& e) const {
  return z3::implies(is(e.kind, unsigned(Ev::dequeued)),
                     at_name(s, F::kctr, e.port) != bv(0xffffffffu, kSeqnoBits));
}

z3::expr Encoding::pager_conforms(const State& s, const Event& e) const {
  const Bounds& b = bounds();
  const unsigned tb = layout_.thread_bits();
  auto request = [&](const z3::expr& k) {
    return is(k, unsigned(Msg::data_request)) || is(k, unsigned(Msg::data_unlock)) ||
           is(k, unsigned(Msg::data_return));
  };
  z3::expr_vector c(*ctx_);
  // A thread finishes its message before dequeuing the next.
  c.push_back(z3::implies(is(e.kind, unsigned(Ev::dequeued)), !at_thread(s, F::busy, e.thread)));

  // Handler returns. terminate: every right to the control and name ports is
  // released first (TM4, TM5, V6); with an error return mach_msg_server
  // destroys the receive rights, so they must still be there and no send
  // reference may be left. A handler that released a right its message
  // carried owns it and must not return an error (V1/IN9, V3). Requests are
  // never refused (IN2).
  const z3::expr ret = is(e.kind, unsigned(Ev::handler_returned));
  const z3::expr kind = at_thread(s, F::tkind, e.thread);
  const z3::expr tc = at_thread(s, F::tc, e.thread), tn = at_thread(s, F::tn, e.thread);
  const z3::expr error = is(e.code, unsigned(Ret::error));
  auto no_send = [&](const z3::expr& slot) {
    return at_name(s, F::snd, slot) == bv(0, kUrefBits) &&
           at_name(s, F::dead, slot) == bv(0, kUrefBits);
  };
  const z3::expr named = named_pair_at(at_thread(s, F::tpair, e.thread));
  if (named.is_true()) {
    const z3::expr both_receive = at_name(s, F::recv, tc) && at_name(s, F::recv, tn);
    c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)),
                            z3::ite(error, both_receive && no_send(tc) && no_send(tn),
                                    !held_at(s, tc) && !held_at(s, tn))));
  } else {
    // OSF: the terminate carried the control's receive right alone.
    c.push_back(z3::implies(ret && is(kind, unsigned(Msg::terminate)) && named,
                            z3::ite(error,
                                    at_name(s, F::recv, tc) && at_name(s, F::recv, tn) &&
                                        no_send(tc) && no_send(tn),
                                    !held_at(s, tc) && !held_at(s, tn))));
    c.push_back(
        z3::implies(ret && is(kind, unsigned(Msg::terminate)) && !named,
                    z3::ite(error, at_name(s, F::recv, tc) && no_send(tc), !held_at(s, tc))));
  }
  c.push_back(z3::implies(ret && at_thread(s, F::committed, e.thread), !error));
  c.push_back(z3::implies(ret && request(kind), !error));

  // Port operations release only references the pager owns: the references
  // a message in another thread's hands carried belong to mach_msg_server
  // until that handler succeeds.
  const z3::expr po = is(e.kind, unsigned(Ev::port_operated));
  const unsigned w = kUrefBits + 1;  // sums of two 16-bit counts
  z3::expr borrowed = bv(0, w);
  for (unsigned t = 0; t < b.threads; ++t) {
    const z3::expr lent = e.thread != bv(t, tb) && s(F::busy, t) && !s(F::committed, t);
    const z3::expr k = s(F::tkind, t);
    const z3::expr carries_c = b.osf_kernels != 0 ? request(k) || is(k, unsigned(Msg::synchronize))
                                                  : request(k);
    const z3::expr by_c = lent && (is(k, unsigned(Msg::init)) || carries_c) &&
                          s(F::tc, t) == e.port;
    const z3::expr named_t = named_pair_at(s(F::tpair, t));
    const z3::expr by_n = named_t.is_true()
                              ? lent && is(k, unsigned(Msg::init)) && s(F::tn, t) == e.port
                              : lent && named_t && is(k, unsigned(Msg::init)) &&
                                    s(F::tn, t) == e.port;
    borrowed = borrowed + z3::ite(by_c, bv(1, w), bv(0, w)) + z3::ite(by_n, bv(1, w), bv(0, w));
  }
  const z3::expr snd = at_name(s, F::snd, e.port);
  const z3::expr refs = z3::zext(snd, 1) + z3::zext(at_name(s, F::dead, e.port), 1);
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::deallocate)), z3::ugt(refs, borrowed)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::mod_refs_send)),
                          snd != bv(0, kUrefBits) && z3::ugt(refs, borrowed)));
  c.push_back(z3::implies(po && is(e.op, unsigned(Op::destroy)),
                          held_at(s, e.port) && borrowed == bv(0, w)));
  c.push_back(
      z3::implies(po && is(e.op, unsigned(Op::mod_refs_receive)), at_name(s, F::recv, e.port)));
  c.push_back(
      z3::implies(po && is(e.op, unsigned(Op::insert_send)), z3::ult(refs, bv(kUrefsMax, w))));
  return z3::mk_and(c);
}

}  // namespace emmi::smt
