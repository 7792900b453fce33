// SPDX-License-Identifier: MIT
// Pageout of an ordinary object's page, as GNU Mach's pageout daemon does it
// (gnumach-kernel.md §3c, vm/vm_pageout.c): a dirty or precious page is
// written back with one data_return (dirty TRUE unless the page is precious
// and clean, kernel_copy FALSE since the page is flushed); a clean page that
// is not precious is freed without a word to the pager (RT3).
#include "emmi/mach/stamp.h"
#include "kernel_vm.h"

namespace emmi::mach {

using detail::KernelVm;
using PageStateT = KernelDriver::PageState;

KernelDriver::Eviction KernelDriver::evict(KernelId kernel, ObjectId object, Offset offset) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped) return Eviction::none;
  auto it = mp->pages.find(offset);
  if (it == mp->pages.end() || it->second.state != PageStateT::resident) return Eviction::none;
  Page& page = it->second;
  // A page a thread waits on (a write waiting for the pager's unlock) is in
  // use: the pageout daemon passes it by.
  if (page.pending_write || page.unlock_access != 0) return Eviction::none;
  Eviction done = Eviction::dropped;
  if (!page.dirty && !page.precious) {
    mp->pages.erase(it);
  } else {
    std::vector<Stamp> stamps = page.stamps;
    stamps.resize(k->page_size / kBlockSize, 0);
    const bool dirty = page.dirty || !page.precious;
    mp->pages.erase(it);
    (void)d.send_data_return(*k, *o, *mp, offset, stamps, dirty, false);
    done = Eviction::returned;
  }
  // A cached object whose last page is reclaimed is collected: terminated
  // (gnumach-kernel.md §3d, trigger 2).
  if (mp->cached && !KernelVm::holds_pages(*mp)) d.terminate(*k, *o, *mp);
  return done;
}

}  // namespace emmi::mach
