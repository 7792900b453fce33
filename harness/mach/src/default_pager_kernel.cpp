// SPDX-License-Identifier: MIT
// The kernel's side of the default memory manager (spec gnumach-kernel.md
// sections 1b, 1c and 3a-3c):
//   - get_privileged_ports gives the host-priv port to a pager the suite made
//     privileged (the default-pager role; every other pager gets EPERM);
//   - vm_set_default_memory_manager on that port, as GNU Mach's
//     vm/memory_object.c implements it: a non-null argument replaces the
//     manager and the old send right is moved back to the caller; a null
//     argument queries (a copy of the current send right comes back);
//   - temporary objects the simulated kernels create and hand to the manager
//     with memory_object_create (the object's receive right moved, send
//     rights made for a fresh control and name port, the page size), then page
//     out with memory_object_data_initialize (first pageout of a page) or
//     memory_object_data_return (later ones) and fault back with data_request.
#include <mach.h>
#include <mach/default_pager_types.h>

#include <cerrno>
#include <vector>

#include "core.h"
#include "emmi/mach/stamp.h"
#include "kernel_vm.h"

extern "C" {
#include "memory_object_default_kernel.h"
#include "memory_object_kernel.h"
}

// The default_pager.defs user stubs (MIG), compiled with these names (see
// CMakeLists.txt) and with mach_msg and the reply-port calls routed here.
extern "C" {
kern_return_t emmi_dp_client_object_create(mach_port_t, mach_port_t*, vm_size_t);
kern_return_t emmi_dp_client_info(mach_port_t, default_pager_info_t*);
kern_return_t emmi_dp_client_objects(mach_port_t, default_pager_object_array_t*,
                                     mach_msg_type_number_t*, mach_port_array_t*,
                                     mach_msg_type_number_t*);
kern_return_t emmi_dp_client_object_pages(mach_port_t, mach_port_t, default_pager_page_array_t*,
                                          mach_msg_type_number_t*);
kern_return_t emmi_dp_client_paging_file(mach_port_t, mach_port_t, const char*, boolean_t);
}

namespace {
// One stub call is either the send half (the stub's request goes out, and
// the call "times out" before any reply) or the receive half (its request is
// dropped unsent; the reply queued on `reply` is taken without waiting and
// the stub decodes it).
enum class Half { send, receive };
thread_local Half dp_half = Half::send;
thread_local mach_port_t dp_reply = MACH_PORT_NULL;
}  // namespace

extern "C" {
mach_msg_return_t emmi_dp_client_msg(mach_msg_header_t* msg, mach_msg_option_t option,
                                     mach_msg_size_t send_size, mach_msg_size_t rcv_size,
                                     mach_port_t rcv_name, mach_msg_timeout_t timeout,
                                     mach_port_t notify) {
  (void)rcv_name;
  (void)timeout;
  (void)notify;
  if (dp_half == Half::send) {
    const mach_msg_return_t r = mach_msg(msg, option & ~MACH_RCV_MSG, send_size, 0, MACH_PORT_NULL,
                                         MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
    return r == MACH_MSG_SUCCESS ? MACH_RCV_TIMED_OUT : r;
  }
  return mach_msg(msg, MACH_RCV_MSG | MACH_RCV_TIMEOUT, 0, rcv_size, dp_reply, 0, MACH_PORT_NULL);
}
mach_port_t emmi_dp_client_reply_port(void) { return dp_reply; }
void emmi_dp_client_keep_port(mach_port_t) {}
}

namespace emmi::mach::detail {
bool quiet_events();
}  // namespace emmi::mach::detail

using namespace emmi::mach::detail;

namespace {

// The caller's name for the host-priv port (one more user reference per
// call, as a reply carrying a send right adds one), made on first use.
mach_port_t host_priv_name(Core& core, Space* s) {
  if (core.host_priv == nullptr) {
    Port* hp = core.new_port();
    hp->kobject = KObject::host_priv;
    core.port_ref(hp);  // the kernel's own reference
    core.host_priv = hp;
  }
  Port* hp = core.host_priv;
  ++hp->srights;
  core.port_ref(hp);
  RightRef r{RightRef::right, MACH_MSG_TYPE_PORT_SEND, hp};
  return core.copyout_right(s, r);
}

}  // namespace

extern "C" {

// glibc-Hurd: the host-priv and device-master ports, for root only. A pager
// is unprivileged (EPERM, pointers untouched) unless the suite runs it as
// the default pager; then it gets the host-priv port and no device master.
kern_return_t get_privileged_ports(mach_port_t* host_priv, mach_port_t* device_master) {
  Core* core = installed_core();
  if (core == nullptr) return EPERM;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  Core::Lock lk(*core);
  Space* s = core->current_space();
  if (!core->pager_privileged || s != core->pager_space()) return EPERM;
  if (host_priv != nullptr) {
    *host_priv = host_priv_name(*core, s);
    report_inserted(*core, t, pager, s, *host_priv);
  }
  if (device_master != nullptr) *device_master = MACH_PORT_NULL;
  return KERN_SUCCESS;
}

kern_return_t __get_privileged_ports(mach_port_t* host_priv, mach_port_t* device_master) {
  return get_privileged_ports(host_priv, device_master);
}

// mach.defs 2041: routine vm_set_default_memory_manager(host_priv;
// inout default_manager : mach_port_make_send_t). Served as a direct call
// (the simulation serves host calls as functions), with the checks MIG and
// GNU Mach make: the request port must be a send right (else
// MACH_SEND_INVALID_DEST), a non-null argument must name a receive right
// (MAKE_SEND; else MACH_SEND_INVALID_RIGHT), and a request port other than
// host-priv converts to HOST_NULL (KERN_INVALID_HOST, the made right
// released with the request).
kern_return_t vm_set_default_memory_manager(mach_port_t host_priv, mach_port_t* default_manager) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  Core::Lock lk(*core);
  Space* s = core->current_space();
  if (default_manager == nullptr) return MACH_SEND_INVALID_DATA;
  if (!MACH_PORT_VALID(host_priv)) return MACH_SEND_INVALID_DEST;
  Entry* e = core->lookup(s, host_priv);
  if (e == nullptr || !(e->type & MACH_PORT_TYPE_SEND)) return MACH_SEND_INVALID_DEST;
  RightRef fresh;
  if (MACH_PORT_VALID(*default_manager) &&
      core->copyin_right(s, *default_manager, MACH_MSG_TYPE_MAKE_SEND, fresh) != KERN_SUCCESS)
    return MACH_SEND_INVALID_RIGHT;
  if (e->port == nullptr || e->port->kobject != KObject::host_priv) {
    core->destroy_right(fresh);
    return KERN_INVALID_HOST;
  }
  RightRef back;
  Port* current = core->default_manager;
  if (fresh.kind != RightRef::right) {
    // Query: ipc_port_copy_send of the current manager (null stays null).
    if (current != nullptr) {
      ++current->srights;
      core->port_ref(current);
      back = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, current};
    }
  } else {
    // Replace: the kernel keeps the made send right and gives the old one
    // back (moved, not copied).
    core->default_manager = fresh.port;
    if (current != nullptr) back = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, current};
  }
  *default_manager = core->copyout_right(s, back);
  if (MACH_PORT_VALID(*default_manager)) report_inserted(*core, t, pager, s, *default_manager);
  return KERN_SUCCESS;
}

}  // extern "C"

namespace emmi::mach {

void Kernel::set_pager_privileged(bool privileged) {
  Core::Lock lk(*core_);
  core_->pager_privileged = privileged;
}

bool Kernel::has_default_manager() const {
  Core::Lock lk(*core_);
  return core_->default_manager != nullptr && core_->default_manager->active;
}

ObjectId KernelDriver::create_temporary(KernelId kernel, Size size) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  KernelVm::KernelRec* k = d.kernel_rec(kernel);
  if (k == nullptr || size == 0 || size % k->page_size != 0) return 0;
  SpaceScope in_kernel(k->space);
  // A send right to the default memory manager in this kernel's space (the
  // kernel's ipc_port_copy_send of memory_manager_default; the stub moves it).
  mach_port_t manager = MACH_PORT_NULL;
  {
    Core::Lock lk(d.core);
    Port* dm = d.core.default_manager;
    if (dm == nullptr || !dm->active) return 0;
    ++dm->srights;
    d.core.port_ref(dm);
    RightRef r{RightRef::right, MACH_MSG_TYPE_PORT_SEND, dm};
    manager = d.core.copyout_right(k->space, r);
  }
  KernelVm::ObjectRec o;
  o.id = static_cast<ObjectId>(d.objects.size() + 1);
  o.size = size;
  KernelVm::Mapping mp;
  mach_port_t object = MACH_PORT_NULL;
  if (mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &object) != KERN_SUCCESS ||
      mach_port_insert_right(mach_task_self(), object, object, MACH_MSG_TYPE_MAKE_SEND) !=
          KERN_SUCCESS ||
      mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mp.control) != KERN_SUCCESS ||
      mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_RECEIVE, &mp.name) != KERN_SUCCESS)
    return 0;
  mp.object_send = object;  // the send right stays when the receive right moves
  mp.mapped = true;
  mp.ready = true;  // CR3: the kernel does not wait for the default pager
  mp.temporary = true;
  mp.cookie = d.next_cookie++;
  d.by_cookie[mp.cookie] = {kernel, o.id};
  d.set_kobject(k->space, mp.control, KObject::control, mp.cookie);
  d.set_kobject(k->space, mp.name, KObject::name, mp.cookie);
  const ObjectId id = o.id;
  d.objects.push_back(o);
  KernelVm::Mapping& kept = d.maps[{kernel, id}] = std::move(mp);
  SendInfo info;
  info.kernel = kernel;
  info.object = id;
  info.length = size;
  SendInfoScope si(&info);
  if (memory_object_create(manager, object, size, kept.control, kept.name, k->page_size) !=
      KERN_SUCCESS)
    return 0;
  return id;
}

kern_return_t KernelDriver::page_out(KernelId kernel, ObjectId object, Offset offset,
                                     bool initialize) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || !mp->temporary)
    return KERN_INVALID_ARGUMENT;
  if (offset % k->page_size != 0) return KERN_INVALID_ARGUMENT;
  auto it = mp->pages.find(offset);
  if (it == mp->pages.end() || it->second.state != PageState::resident) return KERN_FAILURE;
  std::vector<Stamp> stamps = it->second.stamps;
  stamps.resize(k->page_size / kBlockSize, 0);
  mp->pages.erase(it);
  // vm_pageout_page's `initial`: the first pageout of the page.
  const bool first = mp->paged_out.insert(offset).second;
  if (!first && !initialize) return d.send_data_return(*k, *o, *mp, offset, stamps, true, false);
  std::vector<std::uint8_t> bytes(stamps.size() * kBlockSize);
  fill_blocks(bytes, stamps);
  SendInfo info;
  info.kernel = kernel;
  info.object = object;
  info.offset = offset;
  info.length = bytes.size();
  info.dirty = true;
  info.stamps = stamps;
  SpaceScope in_kernel(k->space);
  SendInfoScope si(&info);
  return memory_object_data_initialize(mp->object_send, mp->control, offset,
                                       reinterpret_cast<vm_offset_t>(bytes.data()),
                                       static_cast<mach_msg_type_number_t>(bytes.size()));
}

bool KernelDriver::has_default_manager() const { return impl_->kernel.has_default_manager(); }

bool KernelDriver::temporary(ObjectId object) const {
  std::lock_guard<std::recursive_mutex> g(impl_->mu);
  for (const auto& [key, mp] : impl_->maps)
    if (key.second == object) return mp.temporary;
  return false;
}

mach_port_t KernelDriver::temporary_port(ObjectId object) const {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  for (const auto& [key, mp] : d.maps) {
    if (key.second != object || !mp.temporary) continue;
    KernelVm::KernelRec* k = d.kernel_rec(key.first);
    Core::Lock lk(d.core);
    Entry* e = d.core.lookup(k->space, mp.object_send);
    if (e == nullptr || e->port == nullptr) return MACH_PORT_NULL;
    return e->port->receiver == d.core.pager_space() ? e->port->receiver_name : MACH_PORT_NULL;
  }
  return MACH_PORT_NULL;
}

kern_return_t KernelDriver::destroy_temporary(KernelId kernel, ObjectId object) {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  auto [k, o, mp] = d.records(kernel, object);
  if (k == nullptr || o == nullptr || mp == nullptr || !mp->mapped || !mp->temporary)
    return KERN_INVALID_ARGUMENT;
  // vm_object_terminate: `if (!object->internal)` guards the pageout of
  // dirty and precious pages; an internal object's pages are simply freed.
  mp->pages.clear();
  d.terminate(*k, *o, *mp);
  return KERN_SUCCESS;
}

kern_return_t KernelDriver::send_data_request(mach_port_t object, mach_port_t control,
                                              Offset offset, Size length, Prot access) {
  return memory_object_data_request(object, control, static_cast<vm_offset_t>(offset),
                                    static_cast<vm_size_t>(length), static_cast<vm_prot_t>(access));
}

kern_return_t KernelDriver::default_pager_request(DefaultPagerCall call, mach_port_t manager,
                                                  mach_port_t reply, mach_port_t object,
                                                  Size size) {
  dp_half = Half::send;
  dp_reply = reply;
  kern_return_t kr = KERN_INVALID_ARGUMENT;
  switch (call) {
    case DefaultPagerCall::object_create: {
      mach_port_t ignored = MACH_PORT_NULL;
      kr = emmi_dp_client_object_create(manager, &ignored, static_cast<vm_size_t>(size));
      break;
    }
    case DefaultPagerCall::info: {
      default_pager_info_t info{};
      kr = emmi_dp_client_info(manager, &info);
      break;
    }
    case DefaultPagerCall::objects: {
      default_pager_object_t room[1];
      mach_port_t ports[1];
      default_pager_object_array_t objects = room;
      mach_port_array_t names = ports;
      mach_msg_type_number_t n = 1, m = 1;
      kr = emmi_dp_client_objects(manager, &objects, &n, &names, &m);
      break;
    }
    case DefaultPagerCall::object_pages: {
      default_pager_page_t room[1];
      default_pager_page_array_t pages = room;
      mach_msg_type_number_t n = 1;
      kr = emmi_dp_client_object_pages(manager, object, &pages, &n);
      break;
    }
    case DefaultPagerCall::paging_file:
      // No device master port: a paging file cannot be named for real.
      kr = emmi_dp_client_paging_file(manager, MACH_PORT_NULL, "/dev/emmi-paging", TRUE);
      break;
  }
  return kr == MACH_RCV_TIMED_OUT ? KERN_SUCCESS : kr;
}

KernelDriver::DefaultPagerReply KernelDriver::default_pager_reply(DefaultPagerCall call,
                                                                  mach_port_t reply) {
  dp_half = Half::receive;
  dp_reply = reply;
  DefaultPagerReply out;
  auto taken = [&](kern_return_t kr) {
    out.answered = kr != MACH_RCV_TIMED_OUT;
    out.code = kr;
    return out.answered && kr == KERN_SUCCESS;
  };
  // A region the reply carried out of line is the caller's to release.
  auto release = [](const void* data, const void* room, std::size_t bytes) {
    if (data != room && bytes != 0)
      (void)vm_deallocate(mach_task_self(), reinterpret_cast<vm_address_t>(data), bytes);
  };
  switch (call) {
    case DefaultPagerCall::object_create: {
      mach_port_t object = MACH_PORT_NULL;
      if (taken(emmi_dp_client_object_create(MACH_PORT_NULL, &object, 0))) {
        out.object = object;
        Core* core = installed_core();
        if (core != nullptr && MACH_PORT_VALID(object)) {
          Core::Lock lk(*core);
          Entry* e = core->lookup(core->current_space(), object);
          if (e != nullptr && e->port != nullptr && e->port->active &&
              e->port->receiver == core->pager_space())
            out.object_in_pager = e->port->receiver_name;
        }
      }
      break;
    }
    case DefaultPagerCall::info: {
      default_pager_info_t info{};
      if (taken(emmi_dp_client_info(MACH_PORT_NULL, &info))) {
        out.total = info.dpi_total_space;
        out.free = info.dpi_free_space;
        out.page_size = info.dpi_page_size;
      }
      break;
    }
    case DefaultPagerCall::objects: {
      std::vector<default_pager_object_t> room(16);
      std::vector<mach_port_t> ports(16);
      default_pager_object_array_t objects = room.data();
      mach_port_array_t names = ports.data();
      mach_msg_type_number_t n = 16, m = 16;
      if (taken(emmi_dp_client_objects(MACH_PORT_NULL, &objects, &n, &names, &m))) {
        out.count = n;
        for (mach_msg_type_number_t i = 0; i < m; ++i)
          if (MACH_PORT_VALID(names[i])) out.names.push_back(names[i]);
        release(objects, room.data(), n * sizeof(default_pager_object_t));
        release(names, ports.data(), m * sizeof(mach_port_t));
      }
      break;
    }
    case DefaultPagerCall::object_pages: {
      std::vector<default_pager_page_t> room(16);
      default_pager_page_array_t pages = room.data();
      mach_msg_type_number_t n = 16;
      if (taken(emmi_dp_client_object_pages(MACH_PORT_NULL, MACH_PORT_NULL, &pages, &n))) {
        out.count = n;
        release(pages, room.data(), n * sizeof(default_pager_page_t));
      }
      break;
    }
    case DefaultPagerCall::paging_file:
      taken(emmi_dp_client_paging_file(MACH_PORT_NULL, MACH_PORT_NULL, "", FALSE));
      break;
  }
  return out;
}

mach_port_t KernelDriver::default_manager_port() const {
  KernelVm& d = *impl_;
  std::lock_guard<std::recursive_mutex> g(d.mu);
  Core::Lock lk(d.core);
  Port* dm = d.core.default_manager;
  if (dm == nullptr || !dm->active || dm->receiver != d.core.pager_space()) return MACH_PORT_NULL;
  return dm->receiver_name;
}

}  // namespace emmi::mach
