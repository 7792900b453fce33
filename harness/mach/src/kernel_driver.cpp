// SPDX-License-Identifier: MIT
// The kernel driver: each action of a kernel is the real EMMI message, sent
// from that kernel's own task through the MIG-generated user stubs
// (memory_object.defs built with -D__x86_64__).
#include <algorithm>

#include "emmi/mach/stamp.h"
#include "kernel_vm.h"
#include "osf_kernel.h"

extern "C" {
#include "memory_object_kernel.h"
}

namespace emmi::mach::detail {

KernelVm::KernelVm(Kernel& k) : kernel(k), core(k.core()) {
  driver_task = kernel.create_task("vm clients");
  {
    Core::Lock lk(core);
    driver_space = core.space_by_id(driver_task);
  }
  pager_task_in_driver = kernel.task_port_in(driver_task, kernel.pager_task());
  Core::Lock lk(core);
  core.set_kobject_server(this);
}

KernelVm::~KernelVm() {
  Core::Lock lk(core);
  if (core.kobject_server() == this) core.set_kobject_server(nullptr);
}

KernelVm::KernelRec* KernelVm::kernel_rec(KernelId k) {
  if (k == 0 || k > kernels.size()) return nullptr;
  return &kernels[k - 1];
}

KernelVm::ObjectRec* KernelVm::object_rec(ObjectId o) {
  if (o == 0 || o > objects.size()) return nullptr;
  return &objects[o - 1];
}

KernelVm::Mapping* KernelVm::mapping(KernelId k, ObjectId o) {
  auto it = maps.find({k, o});
  return it == maps.end() ? nullptr : &it->second;
}

void KernelVm::set_kobject(Space* s, mach_port_t name, KObject kind, std::uint64_t c) {
  Core::Lock lk(core);
  Entry* e = core.lookup(s, name);
  if (e == nullptr || e->port == nullptr) return;
  e->port->kobject = kind;
  e->port->kcookie = c;
}

kern_return_t KernelVm::send_data_return(KernelRec& k, ObjectRec& o, Mapping& mp, Offset offset,
                                         std::span<const Stamp> stamps, bool dirty,
                                         bool kernel_copy) {
  std::vector<std::uint8_t> bytes(stamps.size() * kBlockSize);
  fill_blocks(bytes, stamps);
  SendInfo info;
  info.kernel = k.id;
  info.object = o.id;
  info.offset = offset;
  info.length = bytes.size();
  info.dirty = dirty;
  info.kernel_copy = kernel_copy;
  info.stamps.assign(stamps.begin(), stamps.end());
  SpaceScope in_kernel(k.space);
  SendInfoScope si(&info);
  if (k.osf())
    return osf::data_return(mp.object_send, mp.control, offset,
                            reinterpret_cast<vm_offset_t>(bytes.data()),
                            static_cast<mach_msg_type_number_t>(bytes.size()), dirty ? TRUE : FALSE,
                            kernel_copy ? TRUE : FALSE);
  return memory_object_data_return(mp.object_send, mp.control, offset,
                                   reinterpret_cast<vm_offset_t>(bytes.data()),
                                   static_cast<mach_msg_type_number_t>(bytes.size()),
                                   dirty ? TRUE : FALSE, kernel_copy ? TRUE : FALSE);
}

bool KernelVm::holds_pages(const Mapping& mp) {
  // GNU Mach counts the object's resident pages, busy ones being filled
  // included; a page whose fault failed was freed (vm_fault_page).
  for (const auto& [off, page] : mp.pages)
    if (page.state != KernelDriver::PageState::error) return true;
  return false;
}

kern_return_t KernelVm::init_mapping(KernelRec& k, ObjectId object, Mapping& mp) {
  mp.name = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mp.control) != KERN_SUCCESS ||
      (!k.osf() &&
       mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mp.name) != KERN_SUCCESS))
    return KERN_RESOURCE_SHORTAGE;
  mp.cookie = next_cookie++;
  by_cookie[mp.cookie] = {k.id, object};
  set_kobject(k.space, mp.control, KObject::control, mp.cookie);
  if (MACH_PORT_VALID(mp.name)) set_kobject(k.space, mp.name, KObject::name, mp.cookie);
  mp.mapped = true;
  mp.ready = false;
  mp.pages.clear();
  mp.syncs.clear();
  SendInfo info;
  info.kernel = k.id;
  info.object = object;
  SendInfoScope si(&info);
  // An OSF kernel makes no name port (memory_object_init.html: object,
  // control and page size only).
  if (k.osf()) return osf::init(mp.object_send, mp.control, k.page_size);
  return memory_object_init(mp.object_send, mp.control, mp.name, k.page_size);
}

void KernelVm::terminate(KernelRec& k, ObjectRec& o, Mapping& mp) {
  // vm_object_terminate returns every dirty or precious page before
  // terminate, one page per data_return (spec section 3d).
  const std::size_t blocks = k.page_size / kBlockSize;
  for (auto& [off, page] : mp.pages) {
    if (page.state != KernelDriver::PageState::resident || !(page.dirty || page.precious)) continue;
    std::vector<Stamp> stamps = page.stamps;
    stamps.resize(blocks, 0);
    (void)send_data_return(k, o, mp, off, stamps, page.dirty || !page.precious, false);
  }
  // Copies reading through this object's pages being requested fail, and
  // the copies no longer shadow it (GNU Mach aborts the object's activity);
  // a copy terminated stops holding its original.
  for (auto& [off, page] : mp.pages) {
    if (page.state != KernelDriver::PageState::requested) continue;
    KernelDriver::Page failed = page;
    failed.state = KernelDriver::PageState::error;
    shadow_filled(k, o.id, failed);
  }
  for (auto& [key, other] : maps)
    if (key.first == k.id && other.shadow == o.id) other.shadow = 0;
  mp.shadowed_by = 0;
  mp.kept = false;
  unshadow(k, mp);
  mp.pages.clear();
  // A vm_msync still waiting fails with the mapping (the client's call
  // returns an error); the pager owes no synchronize_completed any more.
  mp.syncs.clear();
  by_cookie.erase(mp.cookie);
  mp.cookie = 0;
  // From here control calls on the old control port are no longer served
  // (vm_object_remove clears the kobjects before terminate is sent).
  set_kobject(k.space, mp.control, KObject::none, 0);
  set_kobject(k.space, mp.name, KObject::none, 0);
  SendInfo info;
  info.kernel = k.id;
  info.object = o.id;
  {
    SpaceScope in_kernel(k.space);
    SendInfoScope si(&info);
    // OSF: memory_object_terminate.html gives object and control only.
    if (k.osf())
      (void)osf::terminate(mp.object_send, mp.control);
    else
      (void)memory_object_terminate(mp.object_send, mp.control, mp.name);
  }
  mp.mapped = false;
  mp.ready = false;
  mp.cached = false;
  mp.object_send = MACH_PORT_NULL;
  mp.control = MACH_PORT_NULL;
  mp.name = MACH_PORT_NULL;
}

}  // namespace emmi::mach::detail

namespace emmi::mach {

using detail::Core;
using detail::KernelVm;
using detail::SendInfo;
using detail::SendInfoScope;
using detail::SpaceScope;

KernelDriver::KernelDriver(Kernel& kernel) : impl_(std::make_unique<KernelVm>(kernel)) {}

KernelDriver::~KernelDriver() = default;

KernelId KernelDriver::attach(Size page_size, emmi::model::Dialect dialect) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  KernelVm::KernelRec k;
  k.id = static_cast<KernelId>(d.kernels.size() + 1);
  k.page_size = page_size;
  k.dialect = dialect;
  k.task = d.kernel.create_task("kernel " + std::to_string(k.id));
  {
    Core::Lock lk(d.core);
    k.space = d.core.space_by_id(k.task);
  }
  k.driver_task = d.kernel.task_port_in(k.task, d.driver_task);
  d.kernels.push_back(k);
  Core::Lock lk(d.core);
  if (d.core.observing()) d.core.emit(emmi::model::KernelAttached{k.id, page_size, dialect});
  return k.id;
}

ObjectId KernelDriver::adopt(mach_port_t pager_name, mach_msg_type_name_t disposition,
                             Size object_size) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  if (disposition != MACH_MSG_TYPE_MAKE_SEND && disposition != MACH_MSG_TYPE_COPY_SEND &&
      disposition != MACH_MSG_TYPE_MOVE_SEND)
    return 0;
  {
    // A proxy (memory_object_create_proxy) is no memory object of the
    // pager's: the kernels would map the real object through it with its
    // maximum protection, which the kernel driver does not model. Refused
    // before anything is taken, so a MOVE_SEND leaves the pager's right.
    Core::Lock lk(d.core);
    detail::Entry* e = d.core.lookup(d.core.pager_space(), pager_name);
    if (e != nullptr && e->port != nullptr && e->port->kobject == detail::KObject::pager_proxy)
      return 0;
  }
  mach_port_t held = MACH_PORT_NULL;
  mach_msg_type_name_t type = 0;
  {
    SpaceScope in_driver(d.driver_space);
    if (mach_port_extract_right(d.pager_task_in_driver, pager_name, disposition, &held, &type) !=
            KERN_SUCCESS ||
        type != MACH_MSG_TYPE_PORT_SEND)
      return 0;
  }
  KernelVm::ObjectRec o;
  o.id = static_cast<ObjectId>(d.objects.size() + 1);
  o.held = held;
  o.size = object_size;
  Core::Lock lk(d.core);
  detail::Entry* e = d.core.lookup(d.driver_space, held);
  detail::Port* p = e != nullptr ? e->port : nullptr;
  o.pager_port = (p != nullptr && p->receiver == d.core.pager_space()) ? p->receiver_name
                                                                       : pager_name;
  d.objects.push_back(o);
  // The model accounts what the kernels' right cost the pager: nothing for
  // MAKE_SEND, nothing it loses for COPY_SEND, one user reference for
  // MOVE_SEND (mach_port_extract_right from the driver's task is no pager
  // port operation, so the disposition travels with the offer).
  using emmi::model::Disposition;
  const Disposition how = disposition == MACH_MSG_TYPE_MOVE_SEND   ? Disposition::move_send
                          : disposition == MACH_MSG_TYPE_COPY_SEND ? Disposition::copy_send
                                                                   : Disposition::make_send;
  if (d.core.observing()) d.core.emit(emmi::model::ObjectOffered{o.id, o.pager_port, how});
  return o.id;
}

kern_return_t KernelDriver::map(KernelId kernel, ObjectId object) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  KernelVm::KernelRec* k = d.kernel_rec(kernel);
  KernelVm::ObjectRec* o = d.object_rec(object);
  if (k == nullptr || o == nullptr) return KERN_INVALID_ARGUMENT;
  // The client let go of the object (release_objects): nothing to map with.
  if (!MACH_PORT_VALID(o->held)) return KERN_FAILURE;
  KernelVm::Mapping& mp = d.maps[{kernel, object}];
  // A cached object is mapped again as it is: vm_object_enter finds it by
  // its pager port and takes it out of the cache, with its pages, and sends
  // no init (gnumach-kernel.md §3d).
  if (mp.mapped && mp.cached) {
    mp.cached = false;
    return KERN_SUCCESS;
  }
  // So is an original kept for the copies that shadow it: vm_object_enter
  // finds the same object, initialised (copy.cpp).
  if (mp.mapped && mp.kept) {
    mp.kept = false;
    return KERN_SUCCESS;
  }
  if (mp.mapped) return KERN_FAILURE;  // one init per (object, kernel) until terminate
  SpaceScope in_kernel(k->space);
  mach_msg_type_name_t type = 0;
  if (mach_port_extract_right(k->driver_task, o->held, MACH_MSG_TYPE_COPY_SEND, &mp.object_send,
                              &type) != KERN_SUCCESS)
    return KERN_FAILURE;
  return d.init_mapping(*k, object, mp);
}

kern_return_t KernelDriver::fault(KernelId kernel, ObjectId object, Offset offset, Prot access) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || mp->cached || mp->kept)
    return KERN_INVALID_ARGUMENT;
  if (offset % k->page_size != 0) return KERN_INVALID_ARGUMENT;
  // GNU Mach sends data_request only once the pager is ready, and only for
  // a page neither present nor already being requested (vm_fault_page).
  if (!mp->ready) return KERN_FAILURE;
  auto it = mp->pages.find(offset);
  if (it != mp->pages.end() && it->second.state != KernelDriver::PageState::error)
    return KERN_FAILURE;
  KernelDriver::Page page;
  page.offset = offset;
  page.state = PageState::requested;
  page.requested_access = access;
  KernelDriver::Page& slot = mp->pages[offset] = page;
  return d.send_request(*k, *o, *mp, slot);
}

kern_return_t KernelDriver::unlock(KernelId kernel, ObjectId object, Offset offset, Prot access) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || !mp->ready)
    return KERN_INVALID_ARGUMENT;
  if (offset % k->page_size != 0) return KERN_INVALID_ARGUMENT;
  auto it = mp->pages.find(offset);
  if (it == mp->pages.end() || it->second.state != PageState::resident) return KERN_FAILURE;
  // The union of the access asked for so far (gnumach-kernel.md §3c).
  it->second.unlock_access |= access;
  return d.send_unlock(*k, *o, *mp, it->second);
}

kern_return_t KernelDriver::return_data(KernelId kernel, ObjectId object, Offset offset,
                                        std::span<const Stamp> stamps, bool dirty,
                                        bool kernel_copy) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped) return KERN_INVALID_ARGUMENT;
  if (stamps.empty() || offset % kBlockSize != 0) return KERN_INVALID_ARGUMENT;
  kern_return_t kr = d.send_data_return(*k, *o, *mp, offset, stamps, dirty, kernel_copy);
  const Offset end = offset + stamps.size() * kBlockSize;
  for (auto it = mp->pages.begin(); it != mp->pages.end();) {
    if (it->first >= offset && it->first < end && it->second.state == PageState::resident) {
      if (!kernel_copy) {
        it = mp->pages.erase(it);
        continue;
      }
      it->second.dirty = false;
    }
    ++it;
  }
  return kr;
}

kern_return_t KernelDriver::write(KernelId kernel, ObjectId object, Offset offset,
                                  std::span<const Stamp> stamps) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || mp->cached || mp->kept)
    return KERN_INVALID_ARGUMENT;
  auto it = mp->pages.find(offset);
  if (it == mp->pages.end() || it->second.state != PageState::resident) return KERN_FAILURE;
  // A write-locked page is never written here: the write waits for the
  // pager's unlock (page_locks.cpp).
  d.write_page(*k, *o, *mp, it->second, std::vector<Stamp>(stamps.begin(), stamps.end()));
  return KERN_SUCCESS;
}

kern_return_t KernelDriver::synchronize(KernelId kernel, ObjectId object, Offset offset,
                                        Size length, std::int32_t sync_flags) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || !k->osf())
    return KERN_INVALID_ARGUMENT;
  // SY10: vm_msync refuses both SYNCHRONOUS and ASYNCHRONOUS.
  if ((sync_flags & VM_SYNC_SYNCHRONOUS) != 0 && (sync_flags & VM_SYNC_ASYNCHRONOUS) != 0)
    return KERN_INVALID_ARGUMENT;
  if (length == 0 || offset % k->page_size != 0 || length % k->page_size != 0 ||
      offset + length > o->size)
    return KERN_INVALID_ARGUMENT;
  if (!mp->ready) return KERN_FAILURE;
  // SY4: outstanding synchronize requests never overlap.
  for (const Sync& s : mp->syncs)
    if (offset < s.offset + s.length && s.offset < offset + length) return KERN_FAILURE;

  // SY1: the range's pages go back before synchronize. Dirty pages are
  // returned for SYNCHRONOUS/ASYNCHRONOUS, precious ones always; with
  // INVALIDATE the kernel keeps no copy (SY9), else it keeps a clean one.
  const bool writes = (sync_flags & (VM_SYNC_SYNCHRONOUS | VM_SYNC_ASYNCHRONOUS)) != 0;
  const bool invalidate = (sync_flags & VM_SYNC_INVALIDATE) != 0;
  const std::size_t blocks = k->page_size / kBlockSize;
  for (auto it = mp->pages.lower_bound(offset);
       it != mp->pages.end() && it->first < offset + length;) {
    Page& p = it->second;
    if (p.state != PageState::resident || p.pending_write) {
      ++it;
      continue;
    }
    const bool returned = p.precious || (writes && p.dirty);
    if (returned) {
      std::vector<Stamp> stamps = p.stamps;
      stamps.resize(blocks, 0);
      (void)d.send_data_return(*k, *o, *mp, it->first, stamps, p.dirty || !p.precious, !invalidate);
    }
    if (invalidate) {
      it = mp->pages.erase(it);
      continue;
    }
    if (returned) p.dirty = false;
    ++it;
  }
  mp->syncs.push_back(Sync{offset, length, sync_flags});
  SendInfo info;
  info.kernel = kernel;
  info.object = object;
  info.offset = offset;
  info.length = length;
  info.sync_flags = sync_flags;
  SpaceScope in_kernel(k->space);
  SendInfoScope si(&info);
  return detail::osf::synchronize(mp->object_send, mp->control, offset, length, sync_flags);
}

kern_return_t KernelDriver::unmap(KernelId kernel, ObjectId object) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || mp->cached || mp->kept)
    return KERN_INVALID_ARGUMENT;
  // The task's reference goes: cached, kept for its copies, or terminated
  // (copy.cpp).
  d.release(*k, *o, *mp);
  return KERN_SUCCESS;
}

kern_return_t KernelDriver::collect(KernelId kernel, ObjectId object) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || !mp->cached)
    return KERN_INVALID_ARGUMENT;
  // Only a page reclaimed by the pageout daemon triggers the collection
  // (vm_page_seg_evict): a cached object a lock_request flushed bare stays
  // cached.
  if (!KernelVm::holds_pages(*mp)) return KERN_FAILURE;
  // The pageout daemon reclaims the cached object's pages (the dirty and
  // precious ones come back in data_returns, clean ones are freed), and
  // when the last one goes vm_object_collect terminates the object
  // (gnumach-kernel.md §3d, trigger 2): the same messages as terminate.
  d.terminate(*k, *o, *mp);
  return KERN_SUCCESS;
}

bool KernelDriver::cached(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr && mp->mapped && mp->cached;
}

void KernelDriver::release_objects() {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  SpaceScope in_driver(d.driver_space);
  for (KernelVm::ObjectRec& o : d.objects) {
    if (!MACH_PORT_VALID(o.held)) continue;
    // The driver's one user reference (adopt extracted a single send right).
    (void)mach_port_deallocate(mach_task_self(), o.held);
    o.held = MACH_PORT_NULL;
  }
}

std::vector<KernelDriver::Sync> KernelDriver::pending_syncs(KernelId kernel,
                                                            ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr ? mp->syncs : std::vector<Sync>{};
}

std::uint32_t KernelDriver::completed_syncs(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr ? mp->syncs_completed : 0;
}

emmi::model::Dialect KernelDriver::dialect(KernelId kernel) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::KernelRec* k = impl_->kernel_rec(kernel);
  return k != nullptr ? k->dialect : emmi::model::Dialect::gnumach;
}

std::optional<KernelDriver::Attributes> KernelDriver::attributes(KernelId kernel,
                                                                 ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  if (mp == nullptr || !mp->mapped || !mp->ready) return std::nullopt;
  return Attributes{mp->may_cache, mp->copy_strategy, mp->cluster_size, mp->temporary_attr,
                    mp->invalidate};
}

bool KernelDriver::mapped(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr && mp->mapped;
}

bool KernelDriver::ready(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr && mp->mapped && mp->ready;
}

std::optional<KernelDriver::Page> KernelDriver::page(KernelId kernel, ObjectId object,
                                                     Offset offset) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  if (mp == nullptr) return std::nullopt;
  auto it = mp->pages.find(offset);
  if (it == mp->pages.end()) return std::nullopt;
  return it->second;
}

std::vector<KernelDriver::Page> KernelDriver::pages(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  std::vector<Page> out;
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  if (mp != nullptr)
    for (const auto& [off, p] : mp->pages) out.push_back(p);
  return out;
}

std::vector<Offset> KernelDriver::pending_requests(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  std::vector<Offset> out;
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  if (mp != nullptr)
    for (const auto& [off, p] : mp->pages)
      if (p.state == PageState::requested) out.push_back(off);
  return out;
}

Size KernelDriver::page_size(KernelId kernel) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::KernelRec* k = impl_->kernel_rec(kernel);
  return k != nullptr ? k->page_size : 0;
}

TaskId KernelDriver::task(KernelId kernel) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::KernelRec* k = impl_->kernel_rec(kernel);
  return k != nullptr ? k->task : 0;
}

mach_port_t KernelDriver::pager_port(ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::ObjectRec* o = impl_->object_rec(object);
  return o != nullptr ? o->pager_port : MACH_PORT_NULL;
}

std::uint32_t KernelDriver::destroyed_by_pager(KernelId kernel, ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  const KernelVm::Mapping* mp = impl_->mapping(kernel, object);
  return mp != nullptr ? mp->destroyed_by_pager : 0;
}

}  // namespace emmi::mach
