// SPDX-License-Identifier: MIT
// The OSF dialect (model/src/osf.cpp; model/SEMANTICS.md, "OSF dialect"),
// run for the pairs of an OSF kernel only (Bounds::osf_kernels): its part of
// KernelSent (synchronize: SY10, SY4, the outstanding requests,
// VM_SYNC_INVALIDATE) and of ControlCalled (flavoured change_attributes:
// CA1, CA2; synchronize_completed: SY3).
#include "step.h"

namespace emmi::smt::detail {

// KernelSent to OSF pair p (called from kernel_sent.cpp).
void StepBuilder::osf_sent(unsigned p, const z3::expr& init, const z3::expr& term,
                           const z3::expr& sync) {
  const z3::expr zero = bv(0, b_.pages);
  const z3::expr flags = e_.flags;
  auto flag = [&](unsigned f) { return (flags & bv(f, kFlagBits)) != bv(0, kFlagBits); };
  // SY10 (vm_msync.html): never SYNCHRONOUS and ASYNCHRONOUS together.
  verdict("SY10", "kernel", sync && flag(kSyncSynchronous) && flag(kSyncAsynchronous));
  // SY4 (memory_object_synchronize.html): outstanding synchronize requests
  // of an incarnation never overlap.
  z3::expr overlap = ff();
  for (unsigned y = 0; y < b_.syncs; ++y)
    overlap = overlap || (current_sync(p, y) && (pre_(F::smask, p, y) & e_.mask) != zero);
  verdict("SY4", "kernel", sync && overlap);
  // The request is outstanding from now on, in the first free slot.
  z3::expr taken = ff();
  for (unsigned y = 0; y < b_.syncs; ++y) {
    const z3::expr here = sync && free_slot(p, y) && !taken;
    taken = taken || free_slot(p, y);
    upd_sync(F::smask, p, y, here, e_.mask);
    upd_sync(F::sorph, p, y, here, ff());
    // A new incarnation: the old one's requests can no longer be completed
    // (its control is dead) but still wait (SY5). Terminate abandons the
    // incarnation's requests (the client's vm_msync fails with the mapping).
    upd_sync(F::sorph, p, y, init && !free_slot(p, y), tt());
    upd_sync(F::smask, p, y, term && !pre_(F::sorph, p, y), zero);
  }
  // VM_SYNC_INVALIDATE: no page of the range stays resident (SY9's flush).
  for (unsigned pg = 0; pg < b_.pages; ++pg)
    upd_page(F::res, p, pg, sync && flag(kSyncInvalidate) && e_.mask.extract(pg, pg) == bv(1, 1),
             ff());
}

// ControlCalled (from control_called.cpp) on an OSF pair's live control: flavoured
// change_attributes and synchronize_completed. `refused` and `attrs_ok` come in as false and true
// and leave as what the simulated kernel answers.
void StepBuilder::osf_control(unsigned p, const z3::expr& live, z3::expr& refused,
                              z3::expr& attrs_ok) {
  const z3::expr change = live && is_call(Call::change_attributes);
  verdict("CA1", "pager", change && is(e_.attrs, unsigned(Attrs::unknown_flavor)));
  verdict("CA2", "pager", change && is(e_.attrs, unsigned(Attrs::wrong_count)));
  attrs_ok = is(e_.attrs, unsigned(Attrs::ok));
  const z3::expr completes = live && is_call(Call::synchronize_completed);
  // SY3 (MO_SY_completed.html): offset and length are those of an
  // outstanding synchronize of this incarnation; a match completes the
  // oldest such request.
  z3::expr matched = ff();
  for (unsigned y = 0; y < b_.syncs; ++y) {
    const z3::expr match = current_sync(p, y) && pre_(F::smask, p, y) == e_.mask;
    upd_sync(F::smask, p, y, completes && match && !matched, bv(0, b_.pages));
    matched = matched || match;
  }
  verdict("SY3", "pager", completes && !matched);
  refused = (is_call(Call::change_attributes) && !attrs_ok) ||
            (is_call(Call::synchronize_completed) && !matched);
}

}  // namespace emmi::smt::detail
