// SPDX-License-Identifier: MIT
// ControlCalled, data path (model/src/control_data.cpp): data_supply,
// data_unavailable and data_error answer the kernel's requests.
#include "step.h"

namespace emmi::smt::detail {

void StepBuilder::control_data(unsigned p, const z3::expr& live, const z3::expr& supply,
                               const z3::expr& answer) {
  const unsigned o = p / b_.kernels, k = p % b_.kernels;
  // data_supply / data_unavailable / data_error answer requests.
  for (unsigned pg = 0; pg < b_.pages; ++pg) {
    const z3::expr covered = live && answer && e_.mask.extract(pg, pg) == bv(1, 1);
    const z3::expr requested = pre_(F::req, p, pg), resident = pre_(F::res, p, pg);
    z3::expr elsewhere = ff();
    for (unsigned k2 = 0; k2 < b_.kernels; ++k2)
      if (k2 != k) elsewhere = elsewhere || pre_(F::req, enc_.pair_of(o, k2), pg);
    const z3::expr unasked = covered && !requested;
    // DR8 / MK2: the answer went to another kernel's control port.
    verdict("DR8", "pager", unasked && elsewhere);
    // SU2 / SU1: supply only requested data, never over live data.
    verdict("SU2", "pager", unasked && !elsewhere && supply && resident);
    verdict("SU1", "pager", unasked && !elsewhere && supply && !resident);
    // DR5 / DR4: unavailable and error exist only to answer a request.
    verdict("DR5", "pager", unasked && !elsewhere && is_call(Call::data_unavailable));
    verdict("DR4", "pager", unasked && !elsewhere && is_call(Call::data_error));
    // Supplied pages become resident (a resident one stays: the kernel
    // answers KERN_MEMORY_PRESENT); a requested page answered with
    // data_unavailable is zero-filled and held by the kernel from then on
    // (UN1); data_error leaves it absent.
    upd_page(F::res, p, pg, covered && (supply || (requested && is_call(Call::data_unavailable))),
             tt());
    upd_page(F::req, p, pg, covered, ff());
  }
}

}  // namespace emmi::smt::detail
