// SPDX-License-Identifier: MIT
// Proxy memory objects (GNU Mach's memory_object_create_proxy, mach4.defs)
// and vm_map, as far as a pager can observe them.
//
// A proxy is a kernel port standing for a memory object with a maximum
// protection: mapping the proxy maps the real object with at most that
// access. Hurd's libpager hands proxies out as read-only pager ports
// (pager_create_ro_port) and ext2fs as read-only file maps. The kernel holds
// a send right to the real object for as long as the proxy has senders;
// when the last send right to the proxy goes, the proxy is freed and that
// right released (Core::release_proxy), which the pager can see as a
// no-senders notification on its object port.
//
// The pager's own vm_map of a memory object would make the simulated kernel
// a kernel for the pager's task (an init from a kernel the model never
// attached, page faults on the pager's own memory): that is not simulated.
// vm_map checks its arguments as GNU Mach does, maps anonymous memory for a
// null object, resolves proxies, and answers KERN_INVALID_ARGUMENT for a
// memory object (harness/mach/README.md, "Hurd calls").
#include <mach.h>
extern "C" {
#include <mach/mach4.h>  // MIG writes no C++ linkage block
}
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <vector>

#include "core.h"

namespace emmi::mach::detail {
bool quiet_events();
int real_munmap(void* addr, std::size_t len);

void report_inserted(Core& core, ThreadRec* t, bool pager, Space* s, mach_port_t name) {
  if (!pager || !core.observing() || quiet_events() || s != core.pager_space()) return;
  if (!MACH_PORT_VALID(name)) return;
  emmi::model::PortOperated ev;
  ev.thread = t->id;
  ev.op = emmi::model::PortOp::insert_right;
  ev.name = name;
  ev.right = emmi::model::Right::send;
  ev.delta = 1;
  ev.result = KERN_SUCCESS;
  core.emit(std::move(ev));
}

}  // namespace emmi::mach::detail

using namespace emmi::mach::detail;

namespace {

// MIG's bound for the arrays of mach4.defs (array[*:1024]).
constexpr mach_msg_type_number_t kMaxArray = 1024;

// With the lock held: the space a task port name of the caller's stands
// for; `found` says whether the name is a send right at all.
Space* task_of(Core& core, Space* caller, mach_port_t task, bool& found) {
  found = false;
  if (!MACH_PORT_VALID(task)) return nullptr;
  Entry* e = core.lookup(caller, task);
  if (e == nullptr || !(e->type & MACH_PORT_TYPE_SEND) || e->port == nullptr) return nullptr;
  found = true;
  return e->port->kobject == KObject::task ? e->port->ktask : nullptr;
}

// The right a message item of disposition `disp` copies in, with MACH_PORT_NULL
// and MACH_PORT_DEAD allowed as in any message body.
kern_return_t copyin_item(Core& core, Space* s, mach_port_t name, mach_msg_type_name_t disp,
                          RightRef& out) {
  out = RightRef{};
  if (name == MACH_PORT_NULL) return KERN_SUCCESS;
  if (name == MACH_PORT_DEAD) {
    out.kind = RightRef::dead_name;
    return KERN_SUCCESS;
  }
  return core.copyin_right(s, name, disp, out);
}

// Whether the pager's task would have a right under `name` for `disp`
// (checked before anything is copied in, so a refused send moves nothing).
bool item_ok(Core& core, Space* s, mach_port_t name, mach_msg_type_name_t disp) {
  if (!MACH_PORT_VALID(name)) return true;
  Entry* e = core.lookup(s, name);
  if (e == nullptr) return false;
  const bool dead = (e->type & MACH_PORT_TYPE_DEAD_NAME) != 0;
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_SEND:
    case MACH_MSG_TYPE_COPY_SEND: return (e->type & MACH_PORT_TYPE_SEND) || dead;
    case MACH_MSG_TYPE_MAKE_SEND:
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
    case MACH_MSG_TYPE_MOVE_RECEIVE: return (e->type & MACH_PORT_TYPE_RECEIVE) != 0;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE: return (e->type & MACH_PORT_TYPE_SEND_ONCE) || dead;
    default: return false;
  }
}

// What a right of disposition `disp` copied in from the pager's task cost
// its ledger, told to the model as the user reference (or right) it lost:
// a MOVE_* disposition takes one away, MAKE_* and COPY_SEND take nothing.
void report_moved(Core& core, ThreadRec* t, bool pager, Space* s, mach_port_t name,
                  mach_msg_type_name_t disp, bool was_dead) {
  if (!pager || !core.observing() || quiet_events() || s != core.pager_space()) return;
  if (!MACH_PORT_VALID(name)) return;
  emmi::model::PortOperated ev;
  ev.thread = t->id;
  ev.op = emmi::model::PortOp::mod_refs;
  ev.name = name;
  ev.delta = -1;
  ev.result = KERN_SUCCESS;
  switch (disp) {
    case MACH_MSG_TYPE_MOVE_SEND:
      ev.right = was_dead ? emmi::model::Right::dead_name : emmi::model::Right::send;
      break;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      ev.right = was_dead ? emmi::model::Right::dead_name : emmi::model::Right::send_once;
      break;
    case MACH_MSG_TYPE_MOVE_RECEIVE: ev.right = emmi::model::Right::receive; break;
    default: return;
  }
  core.emit(std::move(ev));
}

int host_prot(vm_prot_t p) {
  int out = PROT_NONE;
  if (p & VM_PROT_READ) out |= PROT_READ;
  if (p & VM_PROT_WRITE) out |= PROT_WRITE;
  if (p & VM_PROT_EXECUTE) out |= PROT_EXEC;
  return out;
}

// Anonymous zero-filled memory for vm_map of a null object, entered in the
// VM ledger like vm_allocate's (lock held).
kern_return_t map_anonymous(Core& core, Space* s, vm_address_t* address, vm_size_t size,
                            vm_address_t mask, bool anywhere, vm_prot_t cur) {
  void* p = MAP_FAILED;
  if (anywhere) {
    // Over-allocate to honour the alignment mask, then trim.
    const std::size_t slack = mask != 0 ? round_up(mask + 1, kVmPage) : 0;
    p = ::mmap(nullptr, size + slack, host_prot(cur), MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return KERN_NO_SPACE;
    auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t aligned = mask != 0 ? (start + mask) & ~static_cast<std::uintptr_t>(mask)
                                             : start;
    if (aligned > start) real_munmap(p, aligned - start);
    if (aligned + size < start + size + slack)
      real_munmap(reinterpret_cast<void*>(aligned + size), start + size + slack - aligned - size);
    p = reinterpret_cast<void*>(aligned);
  } else {
    p = ::mmap(reinterpret_cast<void*>(*address), size, host_prot(cur),
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED) return KERN_NO_SPACE;
    if (reinterpret_cast<vm_address_t>(p) != *address) {
      real_munmap(p, size);
      return KERN_NO_SPACE;
    }
  }
  VmRegion r;
  r.start = reinterpret_cast<std::uintptr_t>(p);
  r.size = size;
  r.space = s;
  core.vm_record(r);
  *address = r.start;
  return KERN_SUCCESS;
}

void note_unsimulated_map() {
  static std::atomic<bool> said{false};
  if (!said.exchange(true))
    std::fputs(
        "emmi-cts: vm_map of a memory object by the pager is not simulated; answered "
        "KERN_INVALID_ARGUMENT (harness/mach/README.md, \"Hurd calls\")\n",
        stderr);
}

}  // namespace

extern "C" {

kern_return_t memory_object_create_proxy(
    mach_port_t task, vm_prot_t max_protection, const memory_object_array_t object,
    mach_msg_type_name_t objectPoly, mach_msg_type_number_t objectCnt,
    const vm_offset_array_t offset, mach_msg_type_number_t offsetCnt, const vm_offset_array_t start,
    mach_msg_type_number_t startCnt, const vm_size_array_t len, mach_msg_type_number_t lenCnt,
    mach_port_t* proxy) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  if (pager) core->run_hook(emmi::mach::HookPoint::port_operation);
  // The user stub: array bounds, then the message (destination first).
  if (objectCnt > kMaxArray || offsetCnt > kMaxArray || startCnt > kMaxArray || lenCnt > kMaxArray)
    return MIG_ARRAY_TOO_LARGE;
  Core::Lock lk(*core);
  Space* caller = core->current_space();
  bool is_send = false;
  Space* space = task_of(*core, caller, task, is_send);
  if (!is_send) return MACH_SEND_INVALID_DEST;
  // Every element is a port item of disposition objectPoly. A name without
  // the right fails the send and moves nothing. (GNU Mach would destroy the
  // elements already copied in before a bad one; with the one element GNU
  // Mach accepts, nothing precedes it.)
  const bool port_item = MACH_MSG_TYPE_PORT_ANY(objectPoly);
  if (port_item) {
    for (mach_msg_type_number_t i = 0; i < objectCnt; ++i)
      if (!item_ok(*core, caller, object[i], objectPoly)) return MACH_SEND_INVALID_RIGHT;
  }
  std::vector<RightRef> rights(port_item ? objectCnt : 0);
  for (mach_msg_type_number_t i = 0; i < rights.size(); ++i) {
    Entry* e = MACH_PORT_VALID(object[i]) ? core->lookup(caller, object[i]) : nullptr;
    const bool was_dead = e != nullptr && (e->type & MACH_PORT_TYPE_DEAD_NAME);
    (void)copyin_item(*core, caller, object[i], objectPoly, rights[i]);
    report_moved(*core, t, pager, caller, object[i], objectPoly, was_dead);
  }
  // The kernel's side (vm/memory_object_proxy.c). A failure destroys the
  // request, and with it every right it carried.
  auto fail = [&](kern_return_t kr) {
    for (RightRef& r : rights) core->destroy_right(r);
    return kr;
  };
  // The server's type check: the array must hold send rights.
  if (!port_item || objectPoly == MACH_MSG_TYPE_MOVE_RECEIVE ||
      objectPoly == MACH_MSG_TYPE_MOVE_SEND_ONCE || objectPoly == MACH_MSG_TYPE_MAKE_SEND_ONCE)
    return fail(MIG_BAD_ARGUMENTS);
  if (space == nullptr) return fail(KERN_INVALID_TASK);
  if (offsetCnt != objectCnt || startCnt != objectCnt || lenCnt != objectCnt)
    return fail(KERN_INVALID_ARGUMENT);
  if (objectCnt != 1) return fail(KERN_INVALID_ARGUMENT);  // GNU Mach: one object only
  if (rights[0].kind != RightRef::right) return fail(KERN_INVALID_NAME);
  if (offset[0] != 0) return fail(KERN_INVALID_ARGUMENT);  // GNU Mach: offset 0 only
  if (start[0] + len[0] < start[0]) return fail(KERN_INVALID_ARGUMENT);

  Port* p = core->new_port();
  p->kobject = KObject::pager_proxy;
  core->port_ref(p);  // the kernel's own reference, dropped by release_proxy
  p->proxy = std::make_unique<ProxyRec>();
  p->proxy->object = rights[0].port;  // the request's right is the proxy's now
  p->proxy->max_protection = max_protection;
  p->proxy->start = start[0];
  p->proxy->len = len[0];
  rights[0] = RightRef{};
  // The reply carries a send right made from the proxy port.
  ++p->mscount;
  ++p->srights;
  core->port_ref(p);
  RightRef out{RightRef::right, MACH_MSG_TYPE_PORT_SEND, p};
  *proxy = core->copyout_right(caller, out);
  report_inserted(*core, t, pager, caller, *proxy);
  return KERN_SUCCESS;
}

kern_return_t vm_map(mach_port_t target_task, vm_address_t* address, vm_size_t size,
                     vm_address_t mask, boolean_t anywhere, mach_port_t memory_object,
                     vm_offset_t offset, boolean_t copy, vm_prot_t cur_protection,
                     vm_prot_t max_protection, vm_inherit_t inheritance) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_SEND_INVALID_DEST;
  (void)core->thread();
  Core::Lock lk(*core);
  Space* caller = core->current_space();
  bool is_send = false;
  Space* map = task_of(*core, caller, target_task, is_send);
  if (!is_send) return MACH_SEND_INVALID_DEST;
  // The request carries a copy of the caller's send right to the object.
  if (!item_ok(*core, caller, memory_object, MACH_MSG_TYPE_COPY_SEND))
    return MACH_SEND_INVALID_RIGHT;
  RightRef obj;
  (void)copyin_item(*core, caller, memory_object, MACH_MSG_TYPE_COPY_SEND, obj);
  auto done = [&](kern_return_t kr) {
    core->destroy_right(obj);
    return kr;
  };

  // vm/vm_user.c, vm_map.
  if (map == nullptr || (cur_protection & ~VM_PROT_ALL) || (max_protection & ~VM_PROT_ALL))
    return done(KERN_INVALID_ARGUMENT);
  switch (inheritance) {
    case VM_INHERIT_NONE:
    case VM_INHERIT_COPY:
    case VM_INHERIT_SHARE: break;
    default: return done(KERN_INVALID_ARGUMENT);
  }
  if (size == 0) return done(KERN_INVALID_ARGUMENT);
  vm_address_t at = *address & ~static_cast<vm_address_t>(kVmPage - 1);
  const vm_size_t bytes = round_up(size, kVmPage);

  if (obj.kind != RightRef::right || !obj.port->active) {
    // No valid object (MACH_PORT_NULL, or a dead name): zero-filled memory.
    const kern_return_t kr = map_anonymous(*core, map, &at, bytes, mask, anywhere != FALSE,
                                           cur_protection);
    if (kr == KERN_SUCCESS) *address = at;
    return done(kr);
  }

  if (obj.port->kobject == KObject::pager_proxy) {
    // memory_object_proxy_lookup: follow proxies of proxies to the real
    // object, narrowing the range and keeping the outermost protection.
    const vm_prot_t prot = obj.port->proxy->max_protection;
    vm_offset_t pstart = 0;
    vm_size_t plen = ~vm_size_t{0};
    for (Port* q = obj.port; q != nullptr && q->kobject == KObject::pager_proxy && q->proxy;
         q = q->proxy->object) {
      plen = q->proxy->len <= pstart ? 0 : std::min(plen, q->proxy->len - pstart);
      pstart += q->proxy->start;
    }
    if (!copy) {
      max_protection &= prot;
      cur_protection &= prot;
    } else if (!(prot & VM_PROT_READ)) {
      return done(KERN_PROTECTION_FAILURE);
    }
    if (pstart + offset + bytes > pstart + plen) return done(KERN_INVALID_ARGUMENT);
  }
  // A memory object: GNU Mach would enter it (memory_object_init to its
  // pager from the caller's own task) and map it. The simulation has no
  // kernel for the pager's task, so it answers as GNU Mach does for a port
  // it cannot enter as a memory object.
  note_unsimulated_map();
  return done(KERN_INVALID_ARGUMENT);
}

}  // extern "C"
