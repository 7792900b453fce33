// SPDX-License-Identifier: MIT
// Copies of MEMORY_OBJECT_COPY_CALL objects, as GNU Mach makes them
// (vm/vm_object.c: vm_object_copy_strategically, vm_object_copy_call;
// gnumach-kernel.md §1a, 2202; memory_object.defs' comment on
// memory_object_copy):
//   1. the kernel allocates a port for the copy and keeps a send right;
//   2. memory_object_copy(original object, original control (made send),
//      offset, length, the new port's receive right) goes to the pager;
//   3. every resident page of the range in the original is write-locked, so
//      the pager hears (data_unlock) before the kernel changes one;
//   4. the new port is entered as a memory object (vm_object_enter): init
//      on it, and the new object shadows the original at `offset`, holding
//      a reference to it. A data_unavailable for one of the copy's pages
//      makes the fault go on in the original: its resident page, or a
//      data_request for it.
// The pager's part (that the copy reads as the range did when it was made)
// is judged by the model (CP3).
#include "emmi/mach/stamp.h"
#include "kernel_vm.h"

extern "C" {
#include "memory_object_kernel.h"
}

namespace emmi::mach::detail {

void KernelVm::release(KernelRec& k, ObjectRec& o, Mapping& mp) {
  // A copy still shadows it: vm_object_copy_call's reference keeps the
  // original (not cached, not terminated) until the last copy goes.
  if (mp.shadowed_by > 0) {
    mp.kept = true;
    return;
  }
  mp.kept = false;
  // vm_object_deallocate of the last reference: an object that may be
  // cached and still has pages goes into the cache, with no message to the
  // pager; any other is terminated (gnumach-kernel.md §3d, trigger 1).
  if (mp.ready && mp.may_cache && holds_pages(mp)) {
    mp.cached = true;
    return;
  }
  terminate(k, o, mp);
}

void KernelVm::unshadow(KernelRec& k, Mapping& copy) {
  const ObjectId original = copy.shadow;
  copy.shadow = 0;
  if (original == 0) return;
  ObjectRec* o = object_rec(original);
  Mapping* src = mapping(k.id, original);
  if (o == nullptr || src == nullptr || !src->mapped) return;
  if (src->shadowed_by > 0) --src->shadowed_by;
  if (src->kept && src->shadowed_by == 0) release(k, *o, *src);
}

void KernelVm::read_through(KernelRec& k, Mapping& mp, KernelDriver::Page& page) {
  ObjectRec* o = object_rec(mp.shadow);
  Mapping* src = mp.shadow != 0 ? mapping(k.id, mp.shadow) : nullptr;
  if (o == nullptr || src == nullptr || !src->mapped) {
    // The original is gone (the pager destroyed or terminated it): the
    // fault has nothing to read and fails.
    page.state = KernelDriver::PageState::error;
    page.pending_write = false;
    page.pending_stamps.clear();
    return;
  }
  const Offset at = page.offset + mp.shadow_offset;
  auto it = src->pages.find(at);
  if (it != src->pages.end() && it->second.state == KernelDriver::PageState::resident) {
    page.state = KernelDriver::PageState::resident;
    page.lock = 0;
    page.stamps = it->second.stamps;
    page.stamps.resize(k.page_size / kBlockSize, 0);
    return;
  }
  page.through_shadow = true;
  if (it != src->pages.end() && it->second.state == KernelDriver::PageState::requested) return;
  // vm_fault_page goes on in the shadow: the original's page is absent, so
  // its pager is asked for it (read access: the copy only reads it).
  if (!src->ready) return;  // the request goes once the original is ready
  KernelDriver::Page want;
  want.offset = at;
  want.state = KernelDriver::PageState::requested;
  want.requested_access = VM_PROT_READ;
  KernelDriver::Page& slot = src->pages[at] = want;
  (void)send_request(k, *o, *src, slot);
}

std::vector<Stamp> KernelVm::shadow_contents(KernelRec& k, Mapping& mp, Offset offset, Size size) {
  std::vector<Stamp> out;
  Mapping* src = mp.shadow != 0 ? mapping(k.id, mp.shadow) : nullptr;
  if (src == nullptr || !src->mapped) return out;
  for (Offset at = offset; at < offset + size; at += k.page_size) {
    auto mine = mp.pages.find(at);
    auto theirs = src->pages.find(at + mp.shadow_offset);
    const bool asked = mine != mp.pages.end() &&
                       mine->second.state == KernelDriver::PageState::requested;
    if (!asked || theirs == src->pages.end() ||
        theirs->second.state != KernelDriver::PageState::resident)
      return {};
    std::vector<Stamp> page = theirs->second.stamps;
    page.resize(k.page_size / kBlockSize, 0);
    out.insert(out.end(), page.begin(), page.end());
  }
  return out;
}

void KernelVm::shadow_filled(KernelRec& k, ObjectId original, const KernelDriver::Page& page) {
  for (auto& [key, mp] : maps) {
    if (key.first != k.id || mp.shadow != original || !mp.mapped) continue;
    for (auto& [off, p] : mp.pages) {
      if (!p.through_shadow || off + mp.shadow_offset != page.offset) continue;
      p.through_shadow = false;
      if (page.state == KernelDriver::PageState::resident) {
        p.state = KernelDriver::PageState::resident;
        p.lock = 0;
        p.stamps = page.stamps;
        p.stamps.resize(k.page_size / kBlockSize, 0);
        ObjectRec* co = object_rec(key.second);
        if (co != nullptr) after_fill(k, *co, mp, p);
      } else {
        p.state = KernelDriver::PageState::error;
        p.pending_write = false;
        p.pending_stamps.clear();
      }
    }
  }
}

}  // namespace emmi::mach::detail

namespace emmi::mach {

using detail::KernelVm;
using detail::SendInfo;
using detail::SendInfoScope;
using detail::SpaceScope;

ObjectId KernelDriver::copy(KernelId kernel, ObjectId object, Offset offset, Size length) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || mp->cached || mp->kept ||
      !mp->ready || k->osf() || mp->copy_strategy != MEMORY_OBJECT_COPY_CALL)
    return 0;
  if (length == 0 || offset % k->page_size != 0 || length % k->page_size != 0 ||
      offset + length > o->size)
    return 0;
  SpaceScope in_kernel(k->space);
  // 1. The copy's port (ipc_port_alloc_kernel) and the kernel's send right.
  mach_port_t port = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &port) != KERN_SUCCESS ||
      mach_port_insert_right(mach_task_self(), port, port, MACH_MSG_TYPE_MAKE_SEND) != KERN_SUCCESS)
    return 0;
  KernelVm::ObjectRec rec;
  rec.id = static_cast<ObjectId>(d.objects.size() + 1);
  rec.size = length;
  const ObjectId id = rec.id;
  d.objects.push_back(rec);

  // 2. memory_object_copy, with what the range held in this kernel.
  SendInfo info;
  info.kernel = kernel;
  info.object = object;
  info.offset = offset;
  info.length = length;
  info.copy_object = id;
  for (Offset at = offset; at < offset + length; at += k->page_size) {
    auto it = mp->pages.find(at);
    const bool resident = it != mp->pages.end() && it->second.state == PageState::resident;
    for (std::size_t b = 0; b < k->page_size / kBlockSize; ++b) {
      info.resident.push_back(resident ? 1 : 0);
      info.stamps.push_back(resident && b < it->second.stamps.size() ? it->second.stamps[b] : 0);
    }
  }
  {
    SendInfoScope si(&info);
    if (memory_object_copy(mp->object_send, mp->control, offset, length, port) != KERN_SUCCESS)
      return 0;
  }
  // 3. The range's resident pages are write-locked (a page already being
  // written after an unlock keeps its new lock too).
  for (auto it = mp->pages.lower_bound(offset);
       it != mp->pages.end() && it->first < offset + length; ++it)
    if (it->second.state == PageState::resident) it->second.lock |= VM_PROT_WRITE;

  // 4. vm_object_enter of the new port: a new memory object that shadows
  // the original, init on it.
  KernelVm::Mapping& entered = d.maps[{kernel, id}];
  entered.object_send = port;  // stays when the receive right moves
  entered.shadow = object;
  entered.shadow_offset = offset;
  (void)d.init_mapping(*k, id, entered);
  if (entered.mapped) ++mp->shadowed_by;
  return id;
}

bool KernelDriver::kept(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr && mp->mapped && mp->kept;
}

ObjectId KernelDriver::shadow_of(ObjectId copy) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  for (const auto& [key, mp] : impl_->maps)
    if (key.second == copy && mp.shadow != 0) return mp.shadow;
  return 0;
}

}  // namespace emmi::mach
