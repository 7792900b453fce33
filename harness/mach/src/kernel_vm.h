// SPDX-License-Identifier: MIT
// The simulated kernels' VM side (KernelVm): the kernels, the memory objects
// they map with their pages, and the kernel-object server of their control
// and name ports (control_plane.cpp). KernelDriver (emmi/mach/kernel_driver.h)
// is its public face. Lock order: KernelVm::mu, then Core's lock; the MIG
// stubs it calls take Core's lock themselves.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

#include "core.h"
#include "emmi/mach/kernel_driver.h"

namespace emmi::mach::detail {

class KernelVm : public KObjectServer {
 public:
  explicit KernelVm(Kernel& kernel);
  ~KernelVm() override;

  void serve(KMsg* msg, KObject kind, std::uint64_t cookie) override;

  struct KernelRec {
    KernelId id = 0;
    Size page_size = 0;
    TaskId task = 0;
    Space* space = nullptr;
    mach_port_t driver_task = MACH_PORT_NULL;  // in this kernel's space
    emmi::model::Dialect dialect = emmi::model::Dialect::gnumach;
    bool osf() const { return dialect == emmi::model::Dialect::osf; }
  };
  struct ObjectRec {
    ObjectId id = 0;
    mach_port_t held = MACH_PORT_NULL;  // send right, in the driver's space
    mach_port_t pager_port = MACH_PORT_NULL;
    Size size = 0;
  };
  struct Mapping {
    bool mapped = false;
    bool ready = false;
    bool may_cache = false;
    // No task maps the object any more, but the kernel keeps it with its
    // pages (GNU Mach's object cache: may_cache and resident pages when the
    // last mapping went, gnumach-kernel.md §3d). `mapped` stays true: the
    // object, its ports and its pages live on until it is collected.
    bool cached = false;
    int copy_strategy = 0;
    // OSF attributes beyond GNU Mach's two (cluster size, temporary, the
    // behaviour flavour's invalidate flag).
    Size cluster_size = 0;
    bool temporary_attr = false;
    bool invalidate = false;
    // OSF: vm_msyncs waiting for synchronize_completed, and how many the
    // pager completed.
    std::vector<KernelDriver::Sync> syncs;
    std::uint32_t syncs_completed = 0;
    mach_port_t object_send = MACH_PORT_NULL;  // in the kernel's space
    mach_port_t control = MACH_PORT_NULL;      // receive right, kernel's space
    mach_port_t name = MACH_PORT_NULL;         // receive right, kernel's space
    std::map<Offset, KernelDriver::Page> pages;
    std::uint32_t destroyed_by_pager = 0;
    std::uint64_t cookie = 0;
    // A temporary object this kernel created (memory_object_create to the
    // default memory manager); `paged_out`: pages it has paged out at
    // least once (later pageouts are data_return, the first data_initialize).
    bool temporary = false;
    std::set<Offset> paged_out;
    // memory_object_copy: a copy object shadows the original `shadow` of the
    // same kernel at `shadow_offset`; an original counts the copies that
    // shadow it, and `kept` says no task maps it any more but the copies
    // keep it alive (vm_object_copy_call takes a reference for the shadow).
    ObjectId shadow = 0;
    Offset shadow_offset = 0;
    std::uint32_t shadowed_by = 0;
    bool kept = false;
  };

  // Each init gets a fresh cookie for its control and name ports, so a
  // message to an old control port can never act on a later mapping.
  std::uint64_t next_cookie = 1;
  std::map<std::uint64_t, std::pair<KernelId, ObjectId>> by_cookie;
  KernelRec* kernel_rec(KernelId k);
  ObjectRec* object_rec(ObjectId o);
  Mapping* mapping(KernelId k, ObjectId o);
  // What a KernelDriver call on (kernel, object) works on: the kernel, the
  // object and the kernel's mapping of it, each null if there is none.
  struct Records {
    KernelRec* k;
    ObjectRec* o;
    Mapping* mp;
  };
  Records records(KernelId k, ObjectId o) { return {kernel_rec(k), object_rec(o), mapping(k, o)}; }

  // vm_object_enter of a new mapping whose object_send is set: control and
  // name ports in the kernel's space (the current one), bound to a fresh
  // cookie, then memory_object_init. KernelVm::mu held.
  kern_return_t init_mapping(KernelRec& k, ObjectId object, Mapping& mp);
  // Sends terminate (after returning dirty and precious pages) and forgets
  // the mapping. KernelVm::mu held.
  void terminate(KernelRec& k, ObjectRec& o, Mapping& mp);
  // Whether the kernel holds any page of the mapping (resident, or being
  // filled): GNU Mach caches only an object with pages.
  static bool holds_pages(const Mapping& mp);
  // memory_object_data_return of `stamps` from `offset`. KernelVm::mu held.
  kern_return_t send_data_return(KernelRec& k, ObjectRec& o, Mapping& mp, Offset offset,
                                 std::span<const Stamp> stamps, bool dirty, bool kernel_copy);
  // --- Page locks (page_locks.cpp, gnumach-kernel.md §3c, §3e) ---------------
  // memory_object_data_unlock for `page` with its unlock_access. KernelVm::mu held.
  kern_return_t send_unlock(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page);
  // memory_object_data_request for `page` (now requested) with its access.
  kern_return_t send_request(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page);
  // The kernel writes `stamps` into resident `page`, or, if its lock forbids
  // writing, keeps the write waiting and asks the pager to unlock.
  void write_page(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page,
                  std::vector<Stamp> stamps);
  // A page just became resident (supplied or zero-filled): a waiting write
  // happens if the lock allows it, else the kernel asks to unlock; a fault
  // that asked for an access the supplied lock forbids asks too.
  void after_fill(KernelRec& k, ObjectRec& o, Mapping& mp, KernelDriver::Page& page);
  // memory_object_lock_request on [offset, offset+size): return, flush and
  // lock every resident page, then lock_completed to `reply` (if valid).
  void lock_request(KernelRec& k, ObjectRec& o, Mapping& mp, Offset offset, Size size,
                    int should_return, bool should_flush, Prot lock_value, mach_port_t reply,
                    mach_msg_type_name_t reply_poly);
  // --- Copies (copy.cpp, gnumach-kernel.md §1a 2202) --------------------------
  // The last reference to a mapped object goes: into the object cache, or
  // terminate (unmap, and the last copy of a kept original). KernelVm::mu held.
  void release(KernelRec& k, ObjectRec& o, Mapping& mp);
  // A terminated copy stops shadowing its original, which is released if no
  // task maps it and no other copy shadows it.
  void unshadow(KernelRec& k, Mapping& copy);
  // data_unavailable for page `page` of copy `mp`: the fault goes on in the
  // original (vm_fault_page): its resident page's contents, or a
  // data_request for it, the copy's page waiting (through_shadow).
  void read_through(KernelRec& k, Mapping& mp, KernelDriver::Page& page);
  // What a data_unavailable of [offset, offset+size) of copy `mp` makes the
  // kernel read from the original right now: the stamps of its resident
  // pages, empty as soon as one of the requested pages is not resident.
  std::vector<Stamp> shadow_contents(KernelRec& k, Mapping& mp, Offset offset, Size size);
  // The original's page at `offset` of object `original` became resident
  // (or failed): the copies' pages waiting on it take its contents (or fail).
  void shadow_filled(KernelRec& k, ObjectId original, const KernelDriver::Page& page);
  // Points a port (a name in `s`) at a kernel object. Takes Core::mutex.
  void set_kobject(Space* s, mach_port_t name, KObject kind, std::uint64_t cookie);

  Kernel& kernel;
  Core& core;
  mutable std::recursive_mutex mu;
  std::vector<KernelRec> kernels;
  std::vector<ObjectRec> objects;
  std::map<std::pair<KernelId, ObjectId>, Mapping> maps;
  TaskId driver_task = 0;
  Space* driver_space = nullptr;
  mach_port_t pager_task_in_driver = MACH_PORT_NULL;
};

}  // namespace emmi::mach::detail
