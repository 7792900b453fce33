// SPDX-License-Identifier: MIT
// The verdicts due at quiescence (model/src/quiescence.cpp).
#include "emmi/smt/encoding.h"

namespace emmi::smt {

Verdicts Encoding::quiescent(const State& s) const {
  Verdicts v;
  const Bounds& b = bounds();
  for (unsigned p = 0; p < b.pairs(); ++p) {
    const z3::expr lc = s(F::lc, p);
    const z3::expr current = !s(F::destroyed, p) &&
                             (is(lc, unsigned(Life::initialised)) || is(lc, unsigned(Life::ready)));
    // DR3: every data_request is answered.
    for (unsigned pg = 0; pg < b.pages; ++pg)
      v.items.emplace_back(VerdictKey{"DR3", "pager"}, current && s(F::req, p, pg));
    // RD1 / TM6: an init is followed by ready (or destroy).
    const z3::expr unready = current && is(lc, unsigned(Life::initialised));
    v.items.emplace_back(VerdictKey{"RD1", "pager"}, unready && !s(F::ever_ready, p));
    v.items.emplace_back(VerdictKey{"TM6", "pager"}, unready && s(F::ever_ready, p));
    // SY5 (vm_msync.html): every synchronize is answered; the client waits.
    if (b.osf_pair(p))
      for (unsigned y = 0; y < b.syncs; ++y)
        v.items.emplace_back(VerdictKey{"SY5", "pager"}, s(F::smask, p, y) != bv(0, b.pages));
  }
  // TM4 / TM5 / V6: the rights terminate handed over are released.
  for (unsigned n = b.objects; n < b.names; ++n) {
    const z3::expr control = is(s(F::role, n), unsigned(Role::control));
    const z3::expr name = is(s(F::role, n), unsigned(Role::name));
    const z3::expr done = s(F::ended, n);
    v.items.emplace_back(VerdictKey{"TM4", "pager"}, done && control && s(F::recv, n));
    v.items.emplace_back(VerdictKey{"TM5", "pager"}, done && name && s(F::recv, n));
    v.items.emplace_back(VerdictKey{"V6", "pager"}, done && (control || name) &&
                                                        (s(F::snd, n) != bv(0, kUrefBits) ||
                                                         s(F::dead, n) != bv(0, kUrefBits)));
  }
  return v;
}

}  // namespace emmi::smt
