// SPDX-License-Identifier: MIT
// The kernel side of the EMMI on the simulated kernel: the harness acts as
// one or more kernels (each with its own task, page size and page state) and
// every action sends the real message through the MIG-generated user stubs.
// The control plane serves the pager's control calls with GNU Mach's checks
// (spec/gnumach-kernel.md section 3e) and sends the completions.
#pragma once

// Through <mach.h>: GNU Mach's headers need its C linkage block in C++.
#include <mach.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "emmi/mach/kernel.h"
#include "emmi/model/types.h"

namespace emmi::mach {

namespace detail {
class KernelVm;
}

using emmi::model::KernelId;
using emmi::model::ObjectId;
using emmi::model::Offset;
using emmi::model::Prot;
using emmi::model::Size;
using emmi::model::Stamp;

class KernelDriver {
 public:
  explicit KernelDriver(Kernel& kernel);
  ~KernelDriver();
  KernelDriver(const KernelDriver&) = delete;
  KernelDriver& operator=(const KernelDriver&) = delete;

  // A new kernel with EMMI page size `page_size` (4, 8 or 16 KiB): its own
  // task in the simulated kernel. Reports KernelAttached. `dialect` is the
  // wire protocol this kernel speaks to every object it maps: GNU Mach's
  // memory_object.defs, or the OSF interface of the manual pages
  // (defs/osf/: init and terminate without a name port, synchronize,
  // flavoured change_attributes; its control calls are served by their OSF
  // message ids).
  KernelId attach(Size page_size, emmi::model::Dialect dialect = emmi::model::Dialect::gnumach);

  // Take the kernels' send right to a memory object the pager offered
  // (an emmi_pager_object: a name in the pager's task and a disposition).
  // Reports ObjectOffered. Returns 0 when the right cannot be taken.
  ObjectId adopt(mach_port_t pager_name, mach_msg_type_name_t disposition, Size object_size);

  // memory_object_init through the MIG stub, with a fresh control port and
  // name port and that kernel's page size. Fails (KERN_FAILURE) if the
  // object is already mapped by this kernel. A cached object (see unmap) is
  // taken out of the cache instead, with no message.
  kern_return_t map(KernelId kernel, ObjectId object);
  // memory_object_data_request for the page at `offset` (one page).
  kern_return_t fault(KernelId kernel, ObjectId object, Offset offset, Prot access);
  // memory_object_data_unlock for the page at `offset`.
  kern_return_t unlock(KernelId kernel, ObjectId object, Offset offset, Prot access);
  // memory_object_data_return of stamps.size() 4 KiB blocks from `offset`,
  // out-of-line pages filled with the stamps. Without kernel_copy the kernel
  // drops its copy of those pages.
  kern_return_t return_data(KernelId kernel, ObjectId object, Offset offset,
                            std::span<const Stamp> stamps, bool dirty, bool kernel_copy);
  // The pageout daemon takes the resident page at `offset` (residency.cpp,
  // gnumach-kernel.md §3c): a dirty or precious page goes back in one
  // data_return (dirty TRUE unless it is precious and clean, SU7; no kernel
  // copy), a clean page that is not precious is freed silently (RT3). A
  // page a write waits on is left alone. A cached object (see unmap) whose
  // last page goes is collected: terminate follows (§3d, trigger 2).
  enum class Eviction : std::uint8_t { none, returned, dropped };
  Eviction evict(KernelId kernel, ObjectId object, Offset offset);
  // The kernel writes to a resident page: it becomes dirty with new contents.
  // A page whose lock forbids writing is not written: the write waits, and
  // the kernel sends memory_object_data_unlock for that one page with the
  // union of the access asked so far (gnumach-kernel.md §3c, vm_fault_page).
  // The pager's lock_request relaxing the lock lets the write happen; a flush
  // makes the write fault again (data_request), and a data_error answering
  // that fault fails it (UL4, UL5). Returns KERN_SUCCESS in both cases;
  // page().pending_write tells whether the write still waits.
  kern_return_t write(KernelId kernel, ObjectId object, Offset offset,
                      std::span<const Stamp> stamps);
  // OSF dialect only: the kernel's vm_msync of [offset, offset+length)
  // with `sync_flags` (VM_SYNC_*, vm_msync.html). The range's dirty and
  // precious pages are returned first (memory_object_synchronize.html:
  // "preceded by memory_object_data_return messages cleaning or flushing
  // the specified range", SY1); with VM_SYNC_INVALIDATE the pages are
  // flushed, and without SYNCHRONOUS/ASYNCHRONOUS only precious ones are
  // returned (SY9). Then memory_object_synchronize; the client's vm_msync
  // waits until the pager's synchronize_completed names the same range
  // (SY3, SY5). KERN_INVALID_ARGUMENT for both SYNCHRONOUS and ASYNCHRONOUS
  // (SY10), for a GNU Mach kernel, or for a range not in whole pages;
  // KERN_FAILURE when it overlaps a synchronize still waiting (SY4) or the
  // object is not ready.
  kern_return_t synchronize(KernelId kernel, ObjectId object, Offset offset, Size length,
                            std::int32_t sync_flags);
  // The last mapping of the object goes (vm_object_deallocate of the last
  // reference, gnumach-kernel.md §3d). An object the pager made ready with
  // may_cache TRUE that still has pages goes into the object cache: no
  // message, the pages and ports stay, and map() takes it back without an
  // init. Any other object is terminated: dirty and precious pages are
  // returned first (as vm_object_terminate does), then terminate moves the
  // kernel's send right and the control and name receive rights.
  // KERN_INVALID_ARGUMENT when the object is not mapped (or already cached).
  kern_return_t unmap(KernelId kernel, ObjectId object);
  // A cached object is collected: the pageout daemon reclaims its pages and
  // the object is terminated as by unmap (trigger 2 of §3d).
  // KERN_INVALID_ARGUMENT unless the object is cached; KERN_FAILURE when it
  // has no page left to reclaim (a lock_request flushed it bare: GNU Mach
  // collects only on a reclaimed page, so it stays cached). The pager ends it
  // too, by turning may_cache off (ready or change_attributes, trigger 4:
  // terminate, then change_completed) or by memory_object_destroy.
  kern_return_t collect(KernelId kernel, ObjectId object);
  // In the object cache: initialised, not terminated, but no task maps it
  // (no faults or writes until map() takes it back).
  bool cached(KernelId kernel, ObjectId object) const;
  // A task copies [offset, offset+length) of a mapped, ready object the pager
  // made ready with MEMORY_OBJECT_COPY_CALL (vm_map with copy TRUE,
  // vm_copy, a fork's inherited copy: vm_object_copy_strategically), as GNU
  // Mach's vm_object_copy_call does (gnumach-kernel.md §1a, 2202): the kernel
  // makes a port for the copy, sends memory_object_copy(old control made
  // send, offset, length, the new port's receive right), write-locks the
  // range's resident pages of the original, then enters the new port as a
  // memory object: init on it, and the new object shadows the original at
  // `offset` (a data_unavailable for one of its pages reads the original's
  // page, faulting the original if it is not resident). The original lives
  // as long as a copy shadows it: unmap() then keeps it (kept()) until the
  // last copy is terminated. Returns the new object's id, 0 when the object
  // is not copied by call (another strategy, not ready, an OSF kernel, which
  // has no such message (X14), a bad range).
  ObjectId copy(KernelId kernel, ObjectId object, Offset offset, Size length);
  // Unmapped by every task but kept for the copies that shadow it.
  bool kept(KernelId kernel, ObjectId object) const;
  // The original a copy object shadows, and where (0: not a copy).
  ObjectId shadow_of(ObjectId copy) const;
  // The mapping client goes away (the engine does this once its commands are
  // done, before the pager's stop()): the driver's task deallocates the send
  // right it took for every object it adopted, as a Hurd client deallocates
  // the memory object port io_map gave it once vm_map holds the kernel's own
  // copy. A kernel still mapping an object keeps the send right its init
  // copied (object->pager) until terminate moves it. When the last send
  // right goes, the no-senders notification the pager asked for is
  // generated with the port's make-send count (gnumach-kernel.md §3d;
  // GNU Mach ipc_port_release_send). Adopted objects cannot be mapped again
  // afterwards (map fails with KERN_FAILURE).
  void release_objects();

  // --- The default memory manager (default_pager_kernel.cpp) -----------------
  // A temporary (internal) object of `size` bytes that `kernel` creates and
  // hands to the default memory manager with memory_object_create: the new
  // object's receive right (moved), send rights made for a fresh control and
  // name port, and the kernel's page size (gnumach-kernel.md 1b, 3a). The
  // object is ready at once (CR3). Returns 0 when no default memory manager
  // is set (vm_set_default_memory_manager) or its port is dead.
  ObjectId create_temporary(KernelId kernel, Size size);
  // Page out the resident page at `offset` of a temporary object:
  // memory_object_data_initialize the first time this kernel pages it out,
  // memory_object_data_return (dirty, no kernel copy) later (3c). With
  // `initialize` true, data_initialize even for a page paged out before (the
  // manual page allows it; DI2 says the pager ignores it). The kernel drops
  // the page.
  kern_return_t page_out(KernelId kernel, ObjectId object, Offset offset, bool initialize = false);
  // The default memory manager is set and its port alive.
  bool has_default_manager() const;
  // Whether `object` is a temporary object (made by create_temporary).
  bool temporary(ObjectId object) const;
  // The pager's name of a temporary object's port once the pager has
  // received the create message (else MACH_PORT_NULL).
  mach_port_t temporary_port(ObjectId object) const;
  // The last reference to a temporary object is gone: GNU Mach's
  // vm_object_terminate frees an internal object's pages without paging
  // them out (no data_return, unlike an external object) and then sends
  // memory_object_terminate (memory_object_release: the object's send right
  // moved, the receive rights of control and name; gnumach-kernel.md 3d).
  kern_return_t destroy_temporary(KernelId kernel, ObjectId object);
  // The pager's name of the default memory manager's receive right
  // (MACH_PORT_NULL when none is set or it is not the pager's).
  mach_port_t default_manager_port() const;
  // memory_object_data_request sent by the calling task (the task of the
  // current Kernel::TaskScope) to `object`, a send right it holds (moved),
  // with `control` (a receive right it holds; a send right is made): what
  // any task holding a send right to a pager port can send.
  static kern_return_t send_data_request(mach_port_t object, mach_port_t control, Offset offset,
                                         Size length, Prot access);

  // --- A privileged client of the default pager (default_pager.defs, 2275) ---
  // MIG's user stubs, split in two: the request is sent now, the reply taken
  // later (after the pager's threads ran), never waited for.
  enum class DefaultPagerCall : std::uint8_t {
    object_create,
    info,
    objects,
    object_pages,
    paging_file
  };
  struct DefaultPagerReply {
    bool answered = false;                // a reply was there
    kern_return_t code = KERN_SUCCESS;    // what the stub returned (RetCode, or MIG's own error)
    mach_port_t object = MACH_PORT_NULL;  // object_create: the caller's send right
    mach_port_t object_in_pager = MACH_PORT_NULL;  // ... its receive right's name in the pager
                                                   // task (null when the pager does not hold it)
    std::uint64_t total = 0, free = 0, page_size = 0;  // info
    std::size_t count = 0;                             // objects: entries; object_pages: pages
    std::vector<mach_port_t> names;  // objects: the valid name ports given to the caller
  };
  // Sends `call` from the calling task (the current Kernel::TaskScope) to
  // `manager` (a send right it holds, copied), the reply to come to `reply`
  // (a receive right it holds). `object`: object_pages' name port (copied);
  // `size`: object_create's size.
  static kern_return_t default_pager_request(DefaultPagerCall call, mach_port_t manager,
                                             mach_port_t reply, mach_port_t object, Size size);
  // The reply to `call` on `reply`, if one is queued (answered false if not).
  static DefaultPagerReply default_pager_reply(DefaultPagerCall call, mach_port_t reply);

  // --- Queries ---------------------------------------------------------------
  enum class PageState : std::uint8_t {
    requested,  // data_request sent, no answer yet (busy, absent)
    resident,   // data supplied (or zero-filled after data_unavailable)
    error       // data_error answered the request
  };
  struct Page {
    Offset offset = 0;
    PageState state = PageState::requested;
    Prot requested_access = 0;
    Prot lock = 0;  // accesses the pager locked (lock_value)
    bool precious = false;
    bool dirty = false;
    std::vector<Stamp> stamps;  // one per 4 KiB block of the page
    // Access asked for in data_unlock and not granted yet (GNU Mach's
    // unlock_request): the union of every access asked so far.
    Prot unlock_access = 0;
    // A write waiting for the lock to be relaxed, with what it will write.
    bool pending_write = false;
    std::vector<Stamp> pending_stamps;
    // A copy object's page the pager answered with data_unavailable, waiting
    // for the original's page it reads through (the original was not
    // resident and is being requested).
    bool through_shadow = false;
  };
  // A vm_msync waiting for the pager's synchronize_completed.
  struct Sync {
    Offset offset = 0;
    Size length = 0;
    std::int32_t flags = 0;
  };
  std::vector<Sync> pending_syncs(KernelId kernel, ObjectId object) const;
  // vm_msyncs the pager completed (synchronize_completed matching one).
  std::uint32_t completed_syncs(KernelId kernel, ObjectId object) const;
  emmi::model::Dialect dialect(KernelId kernel) const;
  // The last attributes the pager set (OSF flavours or GNU Mach's ready /
  // change_attributes).
  struct Attributes {
    bool may_cache = false;
    int copy_strategy = 0;
    Size cluster_size = 0;
    bool temporary = false;
    bool invalidate = false;
  };
  std::optional<Attributes> attributes(KernelId kernel, ObjectId object) const;
  bool mapped(KernelId kernel, ObjectId object) const;  // init sent, not terminated
  bool ready(KernelId kernel, ObjectId object) const;   // ready/change_attributes seen
  std::optional<Page> page(KernelId kernel, ObjectId object, Offset offset) const;
  std::vector<Page> pages(KernelId kernel, ObjectId object) const;
  std::vector<Offset> pending_requests(KernelId kernel, ObjectId object) const;
  Size page_size(KernelId kernel) const;
  TaskId task(KernelId kernel) const;
  // The pager's name (receive right) of an adopted object.
  mach_port_t pager_port(ObjectId object) const;
  // Terminations the kernel performed because the pager called
  // memory_object_destroy.
  std::uint32_t destroyed_by_pager(KernelId kernel, ObjectId object) const;

 private:
  std::unique_ptr<detail::KernelVm> impl_;
};

}  // namespace emmi::mach
