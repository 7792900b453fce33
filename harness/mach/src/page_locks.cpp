// SPDX-License-Identifier: MIT
// Page locks on the simulated kernel: the lock_value a page was supplied with,
// writes that wait for the pager to unlock, memory_object_data_unlock, and the
// kernel's side of memory_object_lock_request. What GNU Mach does, and where
// (spec/gnumach-kernel.md):
//   - §3c: data_unlock asks for one page, with the union of the access the
//     faulting threads asked for so far (vm_fault_page's unlock_request);
//   - §3c: lock_request writes pages back in contiguous clusters of at most
//     32 pages (DATA_WRITE_MAX), dirty = "must clean", kernel_copy =
//     !should_flush, then sends lock_completed to reply_to if it is valid;
//   - §3e: the size is rounded up to whole pages, and only pages cached at
//     the time of the call are affected (LK7).
// A thread waiting on a write-locked page re-runs its fault when the lock
// changes: it writes if the lock now allows it, and faults the page in again
// (data_request) if the page was flushed meanwhile.
#include <algorithm>

#include "emmi/mach/stamp.h"
#include "kernel_vm.h"
#include "osf_kernel.h"

extern "C" {
#include "memory_object_kernel.h"
}

namespace emmi::mach::detail {

namespace {

using PageState = KernelDriver::PageState;

// GNU Mach's DATA_WRITE_MAX: the longest cluster lock_request returns in one
// data_return (vm/memory_object.c).
constexpr std::size_t kDataWriteMax = 32;

constexpr Prot kWriteAccess = VM_PROT_READ | VM_PROT_WRITE;

// data_unlock and data_request of one page are the same call: the message's
// SendInfo (the page, asking for `access`), then the dialect's stub, sent
// from the kernel's space.
using PageCall = kern_return_t (*)(mach_port_t object, mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t access);

kern_return_t send_for_page(const KernelVm::KernelRec& k, const KernelVm::ObjectRec& o,
                            const KernelVm::Mapping& mp, const KernelDriver::Page& page,
                            Prot access, PageCall osf_call, PageCall gnumach_call) {
  SendInfo info;
  info.kernel = k.id;
  info.object = o.id;
  info.offset = page.offset;
  info.length = k.page_size;
  info.access = access;
  SpaceScope in_kernel(k.space);
  SendInfoScope si(&info);
  return (k.osf() ? osf_call : gnumach_call)(mp.object_send, mp.control, page.offset, k.page_size,
                                             access);
}

}  // namespace

kern_return_t KernelVm::send_unlock(KernelRec& k, ObjectRec& o, Mapping& mp,
                                    KernelDriver::Page& page) {
  return send_for_page(k, o, mp, page, page.unlock_access, osf::data_unlock,
                       memory_object_data_unlock);
}

kern_return_t KernelVm::send_request(KernelRec& k, ObjectRec& o, Mapping& mp,
                                     KernelDriver::Page& page) {
  return send_for_page(k, o, mp, page, page.requested_access, osf::data_request,
                       memory_object_data_request);
}

void KernelVm::write_page(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page,
                          std::vector<Stamp> stamps) {
  stamps.resize(k.page_size / kBlockSize, 0);
  if ((page.lock & VM_PROT_WRITE) == 0) {
    page.stamps = std::move(stamps);
    page.dirty = true;
    return;
  }
  // The write waits. The kernel asks again only when the union of the
  // access asked for grows (one data_unlock per new need, §3c).
  page.pending_write = true;
  page.pending_stamps = std::move(stamps);
  const Prot before = page.unlock_access;
  page.unlock_access |= kWriteAccess;
  if (page.unlock_access != before) (void)send_unlock(k, o, mp, page);
}

void KernelVm::after_fill(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page) {
  // Copies waiting to read this page through take it as it comes in.
  if (mp.shadowed_by > 0) shadow_filled(k, o.id, page);
  if (page.pending_write) {
    if ((page.lock & VM_PROT_WRITE) == 0) {
      page.pending_write = false;
      page.unlock_access = 0;
      page.stamps = std::move(page.pending_stamps);
      page.pending_stamps.clear();
      page.stamps.resize(k.page_size / kBlockSize, 0);
      page.dirty = true;
      return;
    }
    page.unlock_access |= kWriteAccess;
    (void)send_unlock(k, o, mp, page);
    return;
  }
  // A fault that asked for an access the supplied lock forbids waits for
  // the pager to unlock it (vm_fault_page).
  page.unlock_access = 0;
  if ((page.requested_access & page.lock) != 0) {
    page.unlock_access = page.requested_access;
    (void)send_unlock(k, o, mp, page);
  }
}

void KernelVm::lock_request(KernelRec& k, ObjectRec& o, Mapping& mp, Offset offset, Size size,
                            int should_return, bool should_flush, Prot lock_value,
                            mach_port_t reply, mach_msg_type_name_t reply_poly) {
  const Size page = k.page_size;
  const std::size_t blocks = page / kBlockSize;
  // §3e: the size is rounded up to whole pages.
  const Offset end = offset + (size + page - 1) / page * page;
  auto in_range = [&](Offset off) { return off >= offset && off < end; };

  // Write back what should_return asks for (LK2, LK11, LK12).
  std::vector<Offset> to_return;
  for (auto& [off, p] : mp.pages) {
    if (!in_range(off) || p.state != PageState::resident) continue;
    const bool must = (should_return == MEMORY_OBJECT_RETURN_DIRTY && p.dirty) ||
                      (should_return == MEMORY_OBJECT_RETURN_ALL && (p.dirty || p.precious));
    if (must) to_return.push_back(off);
  }
  for (std::size_t i = 0; i < to_return.size();) {
    std::size_t j = i + 1;
    while (j < to_return.size() && j - i < kDataWriteMax && to_return[j] == to_return[j - 1] + page)
      ++j;
    std::vector<Stamp> stamps;
    bool dirty = false;
    for (std::size_t n = i; n < j; ++n) {
      KernelDriver::Page& p = mp.pages[to_return[n]];
      std::vector<Stamp> s = p.stamps;
      s.resize(blocks, 0);
      stamps.insert(stamps.end(), s.begin(), s.end());
      dirty = dirty || p.dirty;
      p.dirty = false;  // clean now: the pager has the contents
    }
    (void)send_data_return(k, o, mp, to_return[i], stamps, dirty, !should_flush);
    i = j;
  }

  // Flush (LK3, LK14) or set the lock (LK4) on every page cached now (LK7).
  std::vector<KernelDriver::Page> refault;
  for (auto it = mp.pages.begin(); it != mp.pages.end();) {
    KernelDriver::Page& p = it->second;
    if (!in_range(it->first) || p.state != PageState::resident) {
      ++it;
      continue;
    }
    if (should_flush) {
      // A write waiting on the page faults it in again (UL4: the pager's
      // way to refuse an unlock is to flush, then answer data_error).
      if (p.pending_write) {
        KernelDriver::Page again;
        again.offset = p.offset;
        again.state = PageState::requested;
        again.requested_access = p.requested_access | p.unlock_access | kWriteAccess;
        again.pending_write = true;
        again.pending_stamps = std::move(p.pending_stamps);
        refault.push_back(std::move(again));
      }
      it = mp.pages.erase(it);
      continue;
    }
    if (lock_value != VM_PROT_NO_CHANGE) {
      p.lock = lock_value;
      if ((p.unlock_access & p.lock) == 0) {
        p.unlock_access = 0;
        if (p.pending_write) after_fill(k, o, mp, p);
      }
    }
    ++it;
  }

  // LK5, LK9, LK10: the completion echoes offset and size, after every
  // data_return above.
  if (MACH_PORT_VALID(reply)) {
    SendInfo info;
    info.kernel = k.id;
    info.object = o.id;
    info.offset = offset;
    info.length = size;
    SpaceScope in_kernel(k.space);
    SendInfoScope si(&info);
    if (k.osf())
      (void)osf::lock_completed(reply, reply_poly, mp.control, offset, size);
    else
      (void)memory_object_lock_completed(reply, reply_poly, mp.control, offset, size);
  }

  // The waiting writers run their faults again.
  for (KernelDriver::Page& p : refault) {
    KernelDriver::Page& slot = mp.pages[p.offset];
    slot = std::move(p);
    (void)send_request(k, o, mp, slot);
  }
}

}  // namespace emmi::mach::detail
