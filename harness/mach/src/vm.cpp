// SPDX-License-Identifier: MIT
// vm_allocate / vm_deallocate and the ledger of memory the simulated kernel
// mapped: out-of-line regions delivered by messages are fresh page-aligned
// mappings, so the pager's vm_deallocate of them is seen and accounted
// (MemoryReleased events), and a second release of the same region is
// reported as a double free. Pages a pager's message takes away with the
// deallocate option stay reserved and inaccessible, with a record of the
// message (withdrawn pages, emmi/mach/withdrawn.h).
#include <dlfcn.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "core.h"

namespace emmi::mach::detail {

bool quiet_events();

// The C library's munmap (this library interposes munmap, see below).
int real_munmap(void* addr, std::size_t len) {
  using Fn = int (*)(void*, std::size_t);
  static Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "munmap"));
  return fn(addr, len);
}

std::uintptr_t Core::vm_map_fresh(Space* s, std::size_t size, bool ool,
                                  emmi::model::RegionId* region) {
  const std::size_t bytes = round_up(std::max<std::size_t>(size, 1), kVmPage);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  if (vm_.count(start)) vm_.erase(start);
  VmRegion r;
  r.start = start;
  r.size = bytes;
  r.space = s;
  if (ool) {
    r.ool_region = next_region_++;
    r.whole_id = r.ool_region;
    ool_pages_left_[r.whole_id] = bytes / kVmPage;
    if (region != nullptr) *region = r.ool_region;
  }
  vm_record(r);
  return start;
}

void Core::vm_record(const VmRegion& r) {
  // The address may have been released before: it is live again.
  released_ool_.erase(r.start);
  vm_[r.start] = r;
}

bool Core::vm_knows(std::uintptr_t start, std::size_t size) const {
  auto it = vm_.upper_bound(start + size - 1);
  if (it == vm_.begin()) return false;
  --it;
  return it->second.start + it->second.size > start;
}

emmi::model::RegionId Core::released_region_at(std::uintptr_t page) const {
  auto rel = released_ool_.find(page);
  return rel != released_ool_.end() ? rel->second : 0;
}

kern_return_t Core::vm_release(Space* s, std::uintptr_t start, std::size_t size,
                               std::vector<emmi::model::RegionId>* released_whole,
                               emmi::model::RegionId* double_free, bool unmap,
                               std::vector<std::pair<std::uintptr_t, std::uintptr_t>>* cuts) {
  if (size == 0) return KERN_SUCCESS;
  const std::uintptr_t lo = start & ~(kVmPage - 1);
  const std::uintptr_t hi = round_up(start + size, kVmPage);
  bool any = false;
  auto it = vm_.upper_bound(lo);
  if (it != vm_.begin()) --it;
  while (it != vm_.end() && it->first < hi) {
    VmRegion r = it->second;
    const std::uintptr_t rlo = r.start;
    const std::uintptr_t rhi = r.start + r.size;
    if (rhi <= lo || (s != nullptr && r.space != s)) {
      ++it;
      continue;
    }
    any = true;
    const std::uintptr_t cut_lo = std::max(lo, rlo);
    const std::uintptr_t cut_hi = std::min(hi, rhi);
    if (unmap) real_munmap(reinterpret_cast<void*>(cut_lo), cut_hi - cut_lo);
    if (cuts != nullptr) cuts->emplace_back(cut_lo, cut_hi);
    it = vm_.erase(it);
    if (rlo < cut_lo) {
      VmRegion left = r;
      left.size = cut_lo - rlo;
      vm_[left.start] = left;
    }
    if (cut_hi < rhi) {
      VmRegion right = r;
      right.start = cut_hi;
      right.size = rhi - cut_hi;
      it = vm_.emplace(right.start, right).first;
      ++it;
    }
    if (r.whole_id != 0) {
      auto left = ool_pages_left_.find(r.whole_id);
      if (left != ool_pages_left_.end()) {
        left->second -= std::min<std::size_t>(left->second, (cut_hi - cut_lo) / kVmPage);
        if (left->second == 0) {
          ool_pages_left_.erase(left);
          if (released_whole != nullptr) released_whole->push_back(r.whole_id);
        }
      }
      if (rlo == cut_lo) released_ool_[rlo] = r.whole_id;
    }
  }
  if (!any && double_free != nullptr) {
    auto rel = released_ool_.find(lo);
    if (rel != released_ool_.end()) *double_free = rel->second;
  }
  return KERN_SUCCESS;
}

}  // namespace emmi::mach::detail

// ---- Withdrawn pages (emmi/mach/withdrawn.h) ----------------------------------
//
// A fixed table, written under a mutex of its own and read by a fault
// handler without any lock: a record is filled in before it is published
// (`live`, then `used`, both with release), and is never written again; a
// record the pager's own unmapping made stale is only marked dead.

namespace {

struct WithdrawnSlot {
  std::atomic<std::uint32_t> live{0};
  emmi::mach::WithdrawnPages what;
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(std::atomic<std::size_t>::is_always_lock_free);

WithdrawnSlot g_withdrawn[emmi::mach::kWithdrawnRecords];
std::atomic<std::size_t> g_withdrawn_used{0};
std::mutex g_withdrawn_writers;

}  // namespace

namespace emmi::mach {

bool withdrawn_pages_at(std::uintptr_t address, WithdrawnPages* out) noexcept {
  const std::size_t used = g_withdrawn_used.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i) {
    const WithdrawnSlot& slot = g_withdrawn[i];
    if (slot.live.load(std::memory_order_acquire) == 0) continue;
    if (address < slot.what.start || address >= slot.what.end) continue;
    if (out != nullptr) *out = slot.what;
    return true;
  }
  return false;
}

}  // namespace emmi::mach

namespace emmi::mach::detail {

void withdraw_pages(std::uintptr_t lo, std::uintptr_t hi, const WithdrawnPages& what) {
  if (hi <= lo) return;
  {
    std::lock_guard g(g_withdrawn_writers);
    const std::size_t i = g_withdrawn_used.load(std::memory_order_relaxed);
    // A full table still takes the pages away; a touch of them is then
    // an anonymous crash, as a touch of unmapped memory always was.
    if (i < kWithdrawnRecords) {
      WithdrawnSlot& slot = g_withdrawn[i];
      slot.what = what;
      slot.what.start = lo;
      slot.what.end = hi;
      slot.live.store(1, std::memory_order_release);
      g_withdrawn_used.store(i + 1, std::memory_order_release);
    }
  }
  // In place (MAP_FIXED replaces the old pages in one step): there is no
  // moment at which another mapping could take these addresses.
  void* p = ::mmap(reinterpret_cast<void*>(lo), hi - lo, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) real_munmap(reinterpret_cast<void*>(lo), hi - lo);
}

void forget_withdrawn(std::uintptr_t lo, std::uintptr_t hi, bool unmap) {
  if (hi <= lo || g_withdrawn_used.load(std::memory_order_acquire) == 0) return;
  std::lock_guard g(g_withdrawn_writers);
  const std::size_t used = g_withdrawn_used.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < used; ++i) {
    WithdrawnSlot& slot = g_withdrawn[i];
    if (slot.live.load(std::memory_order_relaxed) == 0) continue;
    if (slot.what.end <= lo || slot.what.start >= hi) continue;
    slot.live.store(0, std::memory_order_release);
    const std::uintptr_t cut_lo = std::max(lo, slot.what.start);
    const std::uintptr_t cut_hi = std::min(hi, slot.what.end);
    if (unmap) real_munmap(reinterpret_cast<void*>(cut_lo), cut_hi - cut_lo);
  }
}

}  // namespace emmi::mach::detail

using namespace emmi::mach::detail;

namespace emmi::mach::detail {

// MemoryReleased events for releases by a pager thread (lock held): by
// vm_deallocate, munmap, and mach_msg's deallocate-on-send (mach_msg.cpp).
void report_released(Core& core, ThreadRec* t, bool pager,
                     const std::vector<emmi::model::RegionId>& released,
                     emmi::model::RegionId double_free) {
  if (!pager || !core.observing() || quiet_events()) return;
  auto one = [&](emmi::model::RegionId r, kern_return_t result) {
    emmi::model::MemoryReleased ev;
    ev.thread = t->id;
    ev.region = r;
    ev.result = result;
    core.emit(std::move(ev));
  };
  for (emmi::model::RegionId r : released) one(r, KERN_SUCCESS);
  if (double_free != 0) one(double_free, KERN_INVALID_ADDRESS);
}

}  // namespace emmi::mach::detail

namespace {

// The space `task` names in the caller's space, or null.
Space* task_space(Core& core, mach_port_t task) {
  Entry* e = core.lookup(core.current_space(), task);
  if (e == nullptr || !(e->type & MACH_PORT_TYPE_SEND) || e->port->kobject != KObject::task)
    return nullptr;
  return e->port->ktask;
}

}  // namespace

extern "C" {

kern_return_t vm_allocate(mach_port_t target_task, vm_address_t* address, vm_size_t size,
                          boolean_t anywhere) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  (void)core->thread();
  Core::Lock lk(*core);
  Space* s = task_space(*core, target_task);
  if (s == nullptr) return MACH_SEND_INVALID_DEST;
  if (size == 0) {
    *address = 0;
    return KERN_SUCCESS;
  }
  const std::size_t bytes = round_up(size, kVmPage);
  void* p;
  if (anywhere) {
    p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  } else {
    if (*address & (kVmPage - 1)) return KERN_INVALID_ADDRESS;
    // Pages a message took away are free addresses again in GNU Mach: a
    // fixed allocation may take them (and then they are the pager's again).
    forget_withdrawn(*address, *address + bytes, true);
    p = ::mmap(reinterpret_cast<void*>(*address), bytes, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != MAP_FAILED && reinterpret_cast<vm_address_t>(p) != *address) {
      real_munmap(p, bytes);
      return KERN_NO_SPACE;
    }
  }
  if (p == MAP_FAILED) return KERN_NO_SPACE;
  VmRegion r;
  r.start = reinterpret_cast<std::uintptr_t>(p);
  r.size = bytes;
  r.space = s;
  core->vm_record(r);
  *address = r.start;
  return KERN_SUCCESS;
}

kern_return_t vm_deallocate(mach_port_t target_task, vm_address_t address, vm_size_t size) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  Core::Lock lk(*core);
  Space* s = task_space(*core, target_task);
  if (s == nullptr) return MACH_SEND_INVALID_DEST;
  std::vector<emmi::model::RegionId> released;
  emmi::model::RegionId double_free = 0;
  // GNU Mach's vm_deallocate succeeds even where nothing is mapped; only
  // memory in the ledger is unmapped (anything else belongs to the process).
  core->vm_release(s, address, size, &released, &double_free);
  if (s == core->pager_space()) report_released(*core, t, pager, released, double_free);
  return KERN_SUCCESS;
}

}  // extern "C"

// Hurd code releases out-of-line data with munmap as often as with
// vm_deallocate (on the Hurd they are the same call). Interposing munmap
// keeps the ledger true and makes those releases visible as well; anything
// the ledger does not know goes straight to the C library.
extern "C" int munmap(void* addr, size_t len) {
  Core* core = installed_core();
  if (core == nullptr || len == 0) return real_munmap(addr, len);
  const auto start = reinterpret_cast<std::uintptr_t>(addr);
  // Withdrawn pages the pager unmaps (harmless, as unmapping nothing is in
  // GNU Mach) are ordinary free addresses from here on: a later fault there
  // is no longer a touch of what a message took away.
  forget_withdrawn(start & ~(kVmPage - 1), round_up(start + len, kVmPage), false);
  bool known = false;
  {
    Core::Lock lk(*core);
    known = core->vm_knows(start, len);
  }
  if (known) {
    ThreadRec* t = core->thread();
    const bool pager = core->acting_as_pager();
    Core::Lock lk(*core);
    std::vector<emmi::model::RegionId> released;
    core->vm_release(nullptr, start, len, &released, nullptr, false);
    report_released(*core, t, pager, released, 0);
  }
  return real_munmap(addr, len);
}
