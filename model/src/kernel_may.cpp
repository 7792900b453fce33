// SPDX-License-Identifier: MIT
// The preconditions of the kernel's actions (model.h, kernel_may): what a
// conforming kernel may do next on one (object, kernel) pair.
#include "emmi/model/model.h"

namespace emmi::model {

bool kernel_may(KernelActionKind kind, const PairFacts& f) {
  switch (kind) {
    case KernelActionKind::map:
      // A first mapping, or a new one once terminate was sent (a new init).
      return f.life == Lifecycle::uninitialised || f.life == Lifecycle::terminating ||
             f.life == Lifecycle::terminated;
    case KernelActionKind::unmap:
      return f.life == Lifecycle::initialised || f.life == Lifecycle::ready;
    case KernelActionKind::fault:
      // Requests wait for ready (RD1/IN10), stop once the pager destroys the
      // object, and never repeat a page held or already asked for.
      return f.life == Lifecycle::ready && !f.destroying && !f.page_resident && !f.page_requested;
    case KernelActionKind::evict:
      return f.life == Lifecycle::ready && !f.destroying && f.page_resident;
  }
  return false;
}

}  // namespace emmi::model
