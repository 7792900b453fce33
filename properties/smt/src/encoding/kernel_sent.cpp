// SPDX-License-Identifier: MIT
// KernelSent (model/src/kernel_sent.cpp): the kernel's lifecycle checks
// (IN1, TM8, RD1, RT1), what init, terminate and the requests do to the
// pair, the message's place in the pair's queue, and other messages to a
// receive right. The OSF part of synchronize is in osf.cpp.
#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::kernel_sent() {
  const z3::expr sent = kind(Ev::kernel_sent);
  for (unsigned p = 0; p < b_.pairs(); ++p) {
    const unsigned o = p / b_.kernels, k = p % b_.kernels;
    const z3::expr to_pair = sent && emmi() && is(e_.obj, o) && is(e_.ker, k);
    const z3::expr lc = pre_(F::lc, p);
    const z3::expr live = life(lc, Life::initialised) || life(lc, Life::ready);
    const z3::expr after_terminate = life(lc, Life::terminating) || life(lc, Life::terminated);
    const z3::expr init = to_pair && msg(Msg::init);
    const z3::expr other = to_pair && !msg(Msg::init);
    // IN1: one init per (object, kernel) until its terminate, and init
    // precedes every other message of that kernel.
    verdict("IN1", "kernel", (init && live) || (other && life(lc, Life::uninitialised)));
    // TM8: after terminate this kernel makes no further calls on the object.
    verdict("TM8", "kernel", other && after_terminate);
    // RD1 (kernel side, IN10): no request before the pager made the object ready.
    // An OSF synchronize needs readiness too (model/SEMANTICS.md, "OSF dialect").
    const z3::expr asks = b_.osf_pair(p) ? msg(Msg::data_request) || msg(Msg::data_unlock) ||
                                               msg(Msg::synchronize)
                                         : msg(Msg::data_request) || msg(Msg::data_unlock);
    verdict("RD1", "kernel", to_pair && asks && life(lc, Life::initialised));
    // A message outside any incarnation is queued without meaning.
    const z3::expr stray = other && !live;

    // init opens a new incarnation (GNU Mach queues a re-init behind the
    // terminate, gnumach-kernel.md §3a); the kernel forgets the old pages.
    upd(F::lc, p, init, bv(unsigned(Life::initialised), kLifeBits));
    upd(F::destroyed, p, init, ff());
    upd(F::linit, p, init, sat_inc(pre_(F::linit, p), 3));
    clear_pages(p, init);
    // terminate: outstanding requests are no longer waited for, resident
    // pages are gone (all returns came first, §3d).
    const z3::expr term = to_pair && msg(Msg::terminate) && live;
    upd(F::lc, p, term, bv(unsigned(Life::terminating), kLifeBits));
    upd(F::linit, p, term, sat_dec(pre_(F::linit, p)));
    clear_pages(p, term);
    for (unsigned pg = 0; pg < b_.pages; ++pg) {
      const z3::expr here = to_pair && live && is(e_.page, pg);
      // data_request: the page is requested (a second request merges).
      upd_page(F::req, p, pg, here && msg(Msg::data_request), tt());
      upd_page(F::res, p, pg, here && msg(Msg::data_request), ff());
      // data_return: a resident page leaves; any other page is RT1.
      verdict("RT1", "kernel", here && msg(Msg::data_return) && !pre_(F::res, p, pg));
      upd_page(F::res, p, pg, here && msg(Msg::data_return), ff());
    }
    if (b_.osf_pair(p)) osf_sent(p, init, term, to_pair && live && msg(Msg::synchronize));
    // The pair's queue on the object port: append the message's kind.
    const z3::expr qlen = pre_(F::qlen, p);
    const unsigned qb = enc_.layout().qreg_bits(), lb = enc_.layout().qlen_bits();
    const z3::expr room = z3::ult(qlen, bv(b_.queue_depth, lb));
    const z3::expr shift = z3::zext(qlen, qb - lb) * bv(kMsgBits, qb);
    const z3::expr code = z3::ite(stray, bv(unsigned(Msg::stray), kMsgBits), e_.msg);
    const z3::expr cell = z3::shl(z3::zext(code, qb - kMsgBits), shift);
    upd(F::qreg, p, to_pair && room, pre_(F::qreg, p) | cell);
    upd(F::qlen, p, to_pair && room, qlen + bv(1, lb));
  }
  for (unsigned s = 0; s < b_.names; ++s) {
    // Completions and notifications go to a receive right; one the model
    // has not seen (a reply port) is adopted with a fresh counter.
    const z3::expr here = sent && msg(Msg::other) && slot_is(e_.port, s);
    const z3::expr adopt = here && !pre_(F::recv, s);
    upd(F::recv, s, adopt, tt());
    upd(F::ctr, s, adopt, bv(0, kSeqnoBits));
    upd(F::kctr, s, adopt, bv(0, kSeqnoBits));
    upd(F::has_last, s, adopt, ff());
    upd(F::qother, s, here, sat_inc(pre_(F::qother, s), 255));
  }
}

}  // namespace emmi::smt::detail
