// SPDX-License-Identifier: MIT
// The world after set-up (model/src/setup.cpp: KernelAttached, ObjectOffered).
// The encoding has no set-up events: every kernel is attached and every
// object offered in the initial state.
#include "emmi/smt/encoding.h"

namespace emmi::smt {

z3::expr Encoding::initial(const State& s) const {
  const Bounds& b = bounds();
  z3::expr_vector c(*ctx_);
  for (unsigned p = 0; p < b.pairs(); ++p) {
    c.push_back(is(s(F::lc, p), unsigned(Life::uninitialised)));
    c.push_back(!s(F::named, p));
    c.push_back(!s(F::ever_ready, p));
    c.push_back(!s(F::destroyed, p));
    c.push_back(!s(F::plive, p));
    c.push_back(!s(F::pready, p));
    c.push_back(is(s(F::linit, p), 0));
    c.push_back(is(s(F::qlen, p), 0));
    c.push_back(is(s(F::qreg, p), 0));
    for (unsigned pg = 0; pg < b.pages; ++pg) {
      c.push_back(!s(F::req, p, pg));
      c.push_back(!s(F::res, p, pg));
    }
    if (b.osf_kernels != 0)
      for (unsigned y = 0; y < b.syncs; ++y) {
        c.push_back(is(s(F::smask, p, y), 0));
        c.push_back(!s(F::sorph, p, y));
      }
  }
  for (unsigned n = 0; n < b.names; ++n) {
    const bool object_port = n < b.objects;
    c.push_back(object_port ? s(F::recv, n) : !s(F::recv, n));
    // An object port's send references are whatever start() left the pager
    // after the kernels took theirs (ObjectOffered's disposition: MAKE_SEND
    // takes none, COPY_SEND keeps them, MOVE_SEND takes one), so any count.
    if (!object_port) c.push_back(is(s(F::snd, n), 0));
    c.push_back(is(s(F::dead, n), 0));
    c.push_back(is(s(F::ctr, n), 0));
    c.push_back(is(s(F::kctr, n), 0));
    c.push_back(!s(F::has_last, n));
    c.push_back(is(s(F::role, n), unsigned(object_port ? Role::other : Role::none)));
    c.push_back(!s(F::failed, n));
    c.push_back(!s(F::ended, n));
    c.push_back(is(s(F::qother, n), 0));
  }
  for (unsigned t = 0; t < b.threads; ++t) {
    c.push_back(!s(F::busy, t));
    c.push_back(is(s(F::tkind, t), unsigned(Msg::none)));
  }
  return z3::mk_and(c);
}

}  // namespace emmi::smt
