// SPDX-License-Identifier: MIT
// The mach_port_* calls (prototypes from MIG's mach_port.h) served directly
// by the simulated kernel, with GNU Mach's return codes (ipc/mach_port.c,
// ipc/ipc_right.c), and mach_task_self() & co.
#include <algorithm>
#include <cstring>

#include "core.h"

namespace emmi::mach::detail {

bool quiet_events();

namespace {

constexpr mach_port_urefs_t kUrefsMax = 0xffff;

using emmi::model::PortOp;
using emmi::model::Right;

// Everything a port call needs: the core, the caller, the target space.
struct Call {
  Core* core = nullptr;
  ThreadRec* thread = nullptr;
  Space* caller = nullptr;
  Space* target = nullptr;
  bool pager = false;
};

// Resolves `task` (a name in the caller's space for a task port).
kern_return_t begin(mach_port_t, Call& c, bool hook = true) {
  c.core = installed_core();
  if (c.core == nullptr) return MACH_SEND_INVALID_DEST;
  c.thread = c.core->thread();
  c.caller = c.core->current_space();
  c.pager = c.core->acting_as_pager();
  if (c.pager && hook) c.core->run_hook(HookPoint::port_operation);
  return KERN_SUCCESS;
}

// With the lock held: the space `task` names, or an error.
kern_return_t target_of(Call& c, mach_port_t task) {
  Entry* e = c.core->lookup(c.caller, task);
  if (e == nullptr || !(e->type & MACH_PORT_TYPE_SEND)) return MACH_SEND_INVALID_DEST;
  if (e->port->kobject != KObject::task) return KERN_INVALID_TASK;
  c.target = e->port->ktask;
  return KERN_SUCCESS;
}

// With the lock held: the entry the target space holds under `name` with a
// right of `type` in `out`, or the Mach error for a missing name or right.
kern_return_t entry_with(Call& c, mach_port_t name, mach_port_type_t type, Entry*& out) {
  out = c.core->lookup(c.target, name);
  if (out == nullptr) return KERN_INVALID_NAME;
  if (!(out->type & type)) return KERN_INVALID_RIGHT;
  return KERN_SUCCESS;
}

// With the lock held, `act` on the port of the receive right `task` holds
// under `name`; the Mach errors for a bad task, name or right otherwise.
template <class Act>
kern_return_t on_receive_right(mach_port_t task, mach_port_t name, Act act) {
  Call c;
  if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Entry* e = nullptr;
  if (kern_return_t kr = entry_with(c, name, MACH_PORT_TYPE_RECEIVE, e); kr != KERN_SUCCESS)
    return kr;
  return act(*e->port);
}

void report(Call& c, PortOp op, mach_port_name_t name, Right right, std::int32_t delta,
            kern_return_t result) {
  if (!c.pager || !c.core->observing() || quiet_events() || c.target != c.core->pager_space())
    return;
  emmi::model::PortOperated ev;
  ev.thread = c.thread->id;
  ev.op = op;
  ev.name = name;
  ev.right = right;
  ev.delta = delta;
  ev.result = result;
  c.core->emit(std::move(ev));
}

Right right_of(mach_port_right_t r) {
  switch (r) {
    case MACH_PORT_RIGHT_RECEIVE: return Right::receive;
    case MACH_PORT_RIGHT_SEND_ONCE: return Right::send_once;
    case MACH_PORT_RIGHT_PORT_SET: return Right::port_set;
    case MACH_PORT_RIGHT_DEAD_NAME: return Right::dead_name;
    default: return Right::send;
  }
}

// Removes the receive right held by entry `e` of `s`; the port dies (or
// goes to its port-destroyed requester). Send rights under the same name
// become a dead name (GNU Mach ipc_right_destroy / ipc_right_delta).
void drop_receive(Core& core, Space* s, Entry* e) {
  Port* p = e->port;
  // The entry's reference goes to destroy_receive.
  core.entry_gives_up(s, e, MACH_PORT_TYPE_RECEIVE);
  core.destroy_receive(p);
  // A remaining send right names a dead port now; lookup converts it.
}

void drop_send(Core& core, Space* s, Entry* e) {
  Port* p = e->port;
  e->urefs = 0;
  core.entry_gives_up(s, e, MACH_PORT_TYPE_SEND);
  core.release_send(p);
}

void drop_send_once(Core& core, Entry* e) {
  Port* p = e->port;
  e->type = MACH_PORT_TYPE_NONE;
  e->urefs = 0;
  e->port = nullptr;
  core.release_send_once(p);
}

void drop_pset(Core& core, Entry* e) {
  PortSet* set = e->pset;
  e->type = MACH_PORT_TYPE_NONE;
  e->pset = nullptr;
  core.destroy_pset(set);
}

// Puts right `r` into `s` under exactly `name` (mach_port_insert_right).
kern_return_t copyout_named(Core& core, Space* s, mach_port_name_t name, RightRef& r) {
  if (!MACH_PORT_VALID(name) || name < s->base) return KERN_INVALID_VALUE;
  std::size_t idx = name - s->base;
  Entry* e = core.lookup(s, name);
  if (e != nullptr) {
    // Only send/receive rights for the same port can share a name.
    if (r.kind != RightRef::right || r.type == MACH_MSG_TYPE_PORT_SEND_ONCE ||
        !(e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_RECEIVE)) || e->port != r.port)
      return KERN_NAME_EXISTS;
    if (r.type == MACH_MSG_TYPE_PORT_SEND && (e->type & MACH_PORT_TYPE_SEND) &&
        e->urefs >= kUrefsMax - 1)
      return KERN_UREFS_OVERFLOW;
    mach_port_name_t got = core.copyout_right(s, r);
    return got == name ? KERN_SUCCESS : KERN_FAILURE;
  }
  if (idx < s->entries.size()) return KERN_NAME_EXISTS;  // names are never reused
  if (idx - s->entries.size() > 0x10000) return KERN_INVALID_VALUE;
  while (s->entries.size() <= idx) s->entries.emplace_back();
  Entry& ne = s->entries[idx];
  if (r.kind != RightRef::right) {
    ne.type = MACH_PORT_TYPE_DEAD_NAME;
    ne.urefs = 1;
    r = RightRef{};
    return KERN_SUCCESS;
  }
  Port* p = r.port;
  switch (r.type) {
    case MACH_MSG_TYPE_PORT_SEND:
      if (s->by_port.count(p)) return KERN_RIGHT_EXISTS;
      ne.type = MACH_PORT_TYPE_SEND;
      ne.urefs = 1;
      s->by_port[p] = name;
      break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE:
      ne.type = MACH_PORT_TYPE_SEND_ONCE;
      ne.urefs = 1;
      break;
    case MACH_MSG_TYPE_PORT_RECEIVE:
      if (s->by_port.count(p)) return KERN_RIGHT_EXISTS;
      ne.type = MACH_PORT_TYPE_RECEIVE;
      s->by_port[p] = name;
      p->receiver = s;
      p->receiver_name = name;
      p->transit_dest = nullptr;
      break;
    default: return KERN_INVALID_VALUE;
  }
  ne.port = p;
  r = RightRef{};
  return KERN_SUCCESS;
}

}  // namespace

}  // namespace emmi::mach::detail

using namespace emmi::mach::detail;

extern "C" {

mach_port_t mach_task_self(void) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_PORT_NULL;
  (void)core->thread();
  return core->current_space()->self_name;
}

// GNU Mach's mach_host_self trap returns a send right: every call is one
// more user reference on the task's name for the host port (Hurd code
// deallocates each one). The pager's references are reported as inserted
// send rights, so the model counts them when the pager releases them.
mach_port_t mach_host_self(void) {
  Core* core = installed_core();
  if (core == nullptr) return MACH_PORT_NULL;
  ThreadRec* t = core->thread();
  const bool pager = core->acting_as_pager();
  Space* s = core->current_space();
  Core::Lock lk(*core);
  Entry* held = s->host_name == MACH_PORT_NULL ? nullptr : core->lookup(s, s->host_name);
  if (held != nullptr && (held->type & MACH_PORT_TYPE_SEND) && held->port != nullptr &&
      held->port->kobject == KObject::host) {
    ++held->urefs;
  } else {
    Port* hp = core->new_port();
    hp->kobject = KObject::host;
    hp->srights = 1;
    core->port_ref(hp);
    s->host_name = core->alloc_name(s);
    Entry& e = s->entries[s->host_name - s->base];
    e.type = MACH_PORT_TYPE_SEND;
    e.urefs = 1;
    e.port = hp;
    s->by_port[hp] = s->host_name;
  }
  if (pager && core->observing() && !quiet_events() && s == core->pager_space()) {
    emmi::model::PortOperated ev;
    ev.thread = t->id;
    ev.op = PortOp::insert_right;
    ev.name = s->host_name;
    ev.right = Right::send;
    ev.delta = 1;
    ev.result = KERN_SUCCESS;
    core->emit(std::move(ev));
  }
  return s->host_name;
}

mach_port_t mach_thread_self(void) {
  // Threads are not kernel objects the pager can act on here; a fresh dead
  // name keeps code that deallocates the result well-behaved.
  mach_port_t name = MACH_PORT_NULL;
  (void)mach_port_allocate(mach_task_self(), MACH_PORT_RIGHT_DEAD_NAME, &name);
  return name;
}

vm_size_t __vm_page_size = 4096;

kern_return_t mach_port_allocate(mach_port_t task, mach_port_right_t right, mach_port_t* name) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  kern_return_t kr = KERN_SUCCESS;
  mach_port_name_t n = MACH_PORT_NULL;
  switch (right) {
    case MACH_PORT_RIGHT_RECEIVE: {
      Port* p = core.new_port();
      n = core.alloc_name(c.target);
      Entry& e = c.target->entries[n - c.target->base];
      e.type = MACH_PORT_TYPE_RECEIVE;
      e.port = p;
      core.port_ref(p);
      p->receiver = c.target;
      p->receiver_name = n;
      c.target->by_port[p] = n;
      break;
    }
    case MACH_PORT_RIGHT_PORT_SET: {
      PortSet* set = core.new_pset();
      set->refs = 1;
      n = core.alloc_name(c.target);
      set->space = c.target;
      set->name = n;
      Entry& e = c.target->entries[n - c.target->base];
      e.type = MACH_PORT_TYPE_PORT_SET;
      e.pset = set;
      break;
    }
    case MACH_PORT_RIGHT_DEAD_NAME: {
      n = core.alloc_name(c.target);
      Entry& e = c.target->entries[n - c.target->base];
      e.type = MACH_PORT_TYPE_DEAD_NAME;
      e.urefs = 1;
      break;
    }
    default: kr = KERN_INVALID_VALUE;
  }
  if (kr == KERN_SUCCESS) *name = n;
  report(c, emmi::model::PortOp::allocate, n, right_of(right), 1, kr);
  return kr;
}

kern_return_t mach_port_allocate_name(mach_port_t task, mach_port_right_t right, mach_port_t name) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  Space* s = c.target;
  if (!MACH_PORT_VALID(name) || name < s->base) return KERN_INVALID_VALUE;
  const std::size_t idx = name - s->base;
  if (idx < s->entries.size()) return KERN_NAME_EXISTS;
  if (idx - s->entries.size() > 0x10000) return KERN_INVALID_VALUE;
  if (right != MACH_PORT_RIGHT_RECEIVE && right != MACH_PORT_RIGHT_PORT_SET &&
      right != MACH_PORT_RIGHT_DEAD_NAME)
    return KERN_INVALID_VALUE;
  while (s->entries.size() <= idx) s->entries.emplace_back();
  Entry& e = s->entries[idx];
  if (right == MACH_PORT_RIGHT_RECEIVE) {
    Port* p = core.new_port();
    e.type = MACH_PORT_TYPE_RECEIVE;
    e.port = p;
    core.port_ref(p);
    p->receiver = s;
    p->receiver_name = name;
    s->by_port[p] = name;
  } else if (right == MACH_PORT_RIGHT_PORT_SET) {
    PortSet* set = core.new_pset();
    set->refs = 1;
    set->space = s;
    set->name = name;
    e.type = MACH_PORT_TYPE_PORT_SET;
    e.pset = set;
  } else {
    e.type = MACH_PORT_TYPE_DEAD_NAME;
    e.urefs = 1;
  }
  report(c, emmi::model::PortOp::allocate, name, right_of(right), 1, KERN_SUCCESS);
  return KERN_SUCCESS;
}

kern_return_t mach_port_deallocate(mach_port_t task, mach_port_t name) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  kern_return_t kr = KERN_SUCCESS;
  Right which = Right::send;
  // GNU Mach: an invalid name (NULL, DEAD) is a no-op success; a name the
  // task does not hold is KERN_INVALID_NAME (the OSF manual page says
  // success here; GNU Mach, and so the suite, report the error).
  if (MACH_PORT_VALID(name)) {
    Entry* e = core.lookup(c.target, name);
    if (e == nullptr) {
      kr = KERN_INVALID_NAME;
    } else if (e->type & MACH_PORT_TYPE_SEND) {
      if (--e->urefs == 0) drop_send(core, c.target, e);
    } else if (e->type & MACH_PORT_TYPE_SEND_ONCE) {
      which = Right::send_once;
      drop_send_once(core, e);
    } else if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
      which = Right::dead_name;
      if (--e->urefs == 0) e->type = MACH_PORT_TYPE_NONE;
    } else {
      which = (e->type & MACH_PORT_TYPE_RECEIVE) ? Right::receive : Right::port_set;
      kr = KERN_INVALID_RIGHT;
    }
  }
  report(c, emmi::model::PortOp::deallocate, name, which, -1, kr);
  return kr;
}

kern_return_t mach_port_destroy(mach_port_t task, mach_port_t name) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  kern_return_t kr = KERN_SUCCESS;
  if (MACH_PORT_VALID(name)) {
    Entry* e = core.lookup(c.target, name);
    if (e == nullptr) {
      kr = KERN_INVALID_NAME;
    } else if (e->type & MACH_PORT_TYPE_PORT_SET) {
      drop_pset(core, e);
    } else if (e->type & MACH_PORT_TYPE_SEND_ONCE) {
      drop_send_once(core, e);
    } else if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
      e->type = MACH_PORT_TYPE_NONE;
      e->urefs = 0;
    } else {
      // "mach_port_destroy ... removes every right under the name": the
      // receive right (the port dies) and the send right with all urefs.
      Port* p = e->port;
      const bool had_send = (e->type & MACH_PORT_TYPE_SEND) != 0;
      const bool had_receive = (e->type & MACH_PORT_TYPE_RECEIVE) != 0;
      c.target->by_port.erase(p);
      e->type = MACH_PORT_TYPE_NONE;
      e->urefs = 0;
      e->port = nullptr;
      if (had_send && had_receive) {
        core.port_ref(p);
        core.destroy_receive(p);
        core.release_send(p);
      } else if (had_receive) {
        core.destroy_receive(p);
      } else if (had_send) {
        core.release_send(p);
      }
    }
  }
  report(c, emmi::model::PortOp::destroy, name, Right::send, 0, kr);
  return kr;
}

kern_return_t mach_port_mod_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                 mach_port_delta_t delta) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  kern_return_t kr = KERN_SUCCESS;
  Entry* e = core.lookup(c.target, name);
  if (right >= MACH_PORT_RIGHT_NUMBER) {
    kr = KERN_INVALID_VALUE;
  } else if (e == nullptr) {
    kr = MACH_PORT_VALID(name) ? KERN_INVALID_NAME : KERN_INVALID_VALUE;
  } else {
    switch (right) {
      case MACH_PORT_RIGHT_PORT_SET:
        if (!(e->type & MACH_PORT_TYPE_PORT_SET))
          kr = KERN_INVALID_RIGHT;
        else if (delta < -1 || delta > 0)
          kr = KERN_INVALID_VALUE;
        else if (delta == -1)
          drop_pset(core, e);
        break;
      case MACH_PORT_RIGHT_RECEIVE:
        if (!(e->type & MACH_PORT_TYPE_RECEIVE))
          kr = KERN_INVALID_RIGHT;
        else if (delta < -1 || delta > 0)
          kr = KERN_INVALID_VALUE;
        else if (delta == -1)
          drop_receive(core, c.target, e);
        break;
      case MACH_PORT_RIGHT_SEND_ONCE:
        if (!(e->type & MACH_PORT_TYPE_SEND_ONCE))
          kr = KERN_INVALID_RIGHT;
        else if (delta < -1 || delta > 0)
          kr = KERN_INVALID_VALUE;
        else if (delta == -1)
          drop_send_once(core, e);
        break;
      case MACH_PORT_RIGHT_DEAD_NAME:
        if (!(e->type & MACH_PORT_TYPE_DEAD_NAME)) {
          kr = KERN_INVALID_RIGHT;
        } else if (static_cast<std::int64_t>(e->urefs) + delta < 0) {
          kr = KERN_INVALID_VALUE;
        } else if (static_cast<std::int64_t>(e->urefs) + delta > kUrefsMax) {
          kr = KERN_UREFS_OVERFLOW;
        } else {
          e->urefs = static_cast<mach_port_urefs_t>(e->urefs + delta);
          if (e->urefs == 0) e->type = MACH_PORT_TYPE_NONE;
        }
        break;
      case MACH_PORT_RIGHT_SEND:
        if (!(e->type & MACH_PORT_TYPE_SEND)) {
          kr = KERN_INVALID_RIGHT;
        } else if (static_cast<std::int64_t>(e->urefs) + delta < 0) {
          kr = KERN_INVALID_VALUE;
        } else if (static_cast<std::int64_t>(e->urefs) + delta > kUrefsMax) {
          // "KERN_UREFS_OVERFLOW: The user-reference count would overflow."
          kr = KERN_UREFS_OVERFLOW;
        } else {
          e->urefs = static_cast<mach_port_urefs_t>(e->urefs + delta);
          if (e->urefs == 0) drop_send(core, c.target, e);
        }
        break;
      default: kr = KERN_INVALID_VALUE;
    }
  }
  report(c, emmi::model::PortOp::mod_refs, name, right_of(right), delta, kr);
  return kr;
}

kern_return_t mach_port_get_refs(mach_port_t task, mach_port_t name, mach_port_right_t right,
                                 mach_port_urefs_t* refs) {
  Call c;
  if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  if (right >= MACH_PORT_RIGHT_NUMBER) return KERN_INVALID_VALUE;
  Entry* e = c.core->lookup(c.target, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  const mach_port_type_t bit = MACH_PORT_TYPE(right);
  if (!(e->type & bit)) {
    *refs = 0;
  } else if (right == MACH_PORT_RIGHT_SEND || right == MACH_PORT_RIGHT_DEAD_NAME) {
    *refs = e->urefs;
  } else {
    *refs = 1;
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_type(mach_port_t task, mach_port_t name, mach_port_type_t* ptype) {
  Call c;
  if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Entry* e = c.core->lookup(c.target, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  *ptype = e->type;
  return KERN_SUCCESS;
}

kern_return_t mach_port_names(mach_port_t task, mach_port_array_t* names,
                              mach_msg_type_number_t* namesCnt, mach_port_type_array_t* types,
                              mach_msg_type_number_t* typesCnt) {
  std::vector<mach_port_name_t> ns;
  std::vector<mach_port_type_t> ts;
  {
    Call c;
    if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
    Core::Lock lk(*c.core);
    if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
    for (std::size_t i = 0; i < c.target->entries.size(); ++i) {
      const mach_port_name_t n = c.target->base + static_cast<mach_port_name_t>(i);
      Entry* e = c.core->lookup(c.target, n);
      if (e == nullptr) continue;
      ns.push_back(n);
      ts.push_back(e->type);
    }
  }
  vm_address_t a = 0;
  vm_address_t b = 0;
  const vm_size_t bytes = std::max<vm_size_t>(ns.size() * 4, 4);
  if (vm_allocate(mach_task_self(), &a, bytes, TRUE) != KERN_SUCCESS ||
      vm_allocate(mach_task_self(), &b, bytes, TRUE) != KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  std::memcpy(reinterpret_cast<void*>(a), ns.data(), ns.size() * 4);
  std::memcpy(reinterpret_cast<void*>(b), ts.data(), ts.size() * 4);
  *names = reinterpret_cast<mach_port_array_t>(a);
  *types = reinterpret_cast<mach_port_type_array_t>(b);
  *namesCnt = static_cast<mach_msg_type_number_t>(ns.size());
  *typesCnt = static_cast<mach_msg_type_number_t>(ts.size());
  return KERN_SUCCESS;
}

kern_return_t mach_port_rename(mach_port_t, mach_port_t, mach_port_t) {
  // Renaming would reuse names the suite treats as identities.
  return KERN_FAILURE;
}

kern_return_t mach_port_get_receive_status(mach_port_t task, mach_port_t name,
                                           mach_port_status_t* status) {
  return on_receive_right(task, name, [&](Port& p) -> kern_return_t {
    std::memset(status, 0, sizeof *status);
    status->mps_pset = p.pset != nullptr ? p.pset->name : MACH_PORT_NULL;
    status->mps_seqno = p.seqno;
    status->mps_mscount = p.mscount;
    status->mps_qlimit = p.qlimit;
    status->mps_msgcount = p.msgcount;
    status->mps_sorights = p.sorights;
    status->mps_srights = p.srights > 0;
    status->mps_pdrequest = p.pdrequest != nullptr;
    status->mps_nsrequest = p.nsrequest != nullptr;
    return KERN_SUCCESS;
  });
}

kern_return_t mach_port_set_qlimit(mach_port_t task, mach_port_t name,
                                   mach_port_msgcount_t qlimit) {
  return on_receive_right(task, name, [&](Port& p) -> kern_return_t {
    if (qlimit > MACH_PORT_QLIMIT_MAX) return KERN_INVALID_VALUE;
    p.qlimit = qlimit;
    return KERN_SUCCESS;
  });
}

kern_return_t mach_port_set_mscount(mach_port_t task, mach_port_t name,
                                    mach_port_mscount_t mscount) {
  return on_receive_right(task, name, [&](Port& p) -> kern_return_t {
    p.mscount = mscount;
    return KERN_SUCCESS;
  });
}

// Reported to the observer, unlike the other receive-right settings: the
// model's seqno check must follow the counter the pager set.
kern_return_t mach_port_set_seqno(mach_port_t task, mach_port_t name, mach_port_seqno_t seqno) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Entry* e = nullptr;
  const kern_return_t kr = entry_with(c, name, MACH_PORT_TYPE_RECEIVE, e);
  if (kr == KERN_SUCCESS) e->port->seqno = seqno;
  report(c, emmi::model::PortOp::set_seqno, name, Right::receive, static_cast<std::int32_t>(seqno),
         kr);
  return kr;
}

kern_return_t mach_port_get_set_status(mach_port_t task, mach_port_t name,
                                       mach_port_array_t* members,
                                       mach_msg_type_number_t* membersCnt) {
  std::vector<mach_port_name_t> ns;
  {
    Call c;
    if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
    Core::Lock lk(*c.core);
    if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
    Entry* e = nullptr;
    if (kern_return_t kr = entry_with(c, name, MACH_PORT_TYPE_PORT_SET, e); kr != KERN_SUCCESS)
      return kr;
    for (Port* p : e->pset->members) ns.push_back(p->receiver_name);
  }
  vm_address_t a = 0;
  if (vm_allocate(mach_task_self(), &a, std::max<vm_size_t>(ns.size() * 4, 4), TRUE) !=
      KERN_SUCCESS)
    return KERN_RESOURCE_SHORTAGE;
  std::memcpy(reinterpret_cast<void*>(a), ns.data(), ns.size() * 4);
  *members = reinterpret_cast<mach_port_array_t>(a);
  *membersCnt = static_cast<mach_msg_type_number_t>(ns.size());
  return KERN_SUCCESS;
}

kern_return_t mach_port_move_member(mach_port_t task, mach_port_t member, mach_port_t after) {
  Call c;
  if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  Entry* e = nullptr;
  if (kern_return_t kr = entry_with(c, member, MACH_PORT_TYPE_RECEIVE, e); kr != KERN_SUCCESS)
    return kr;
  PortSet* to = nullptr;
  if (after != MACH_PORT_NULL) {
    Entry* se = nullptr;
    if (kern_return_t kr = entry_with(c, after, MACH_PORT_TYPE_PORT_SET, se); kr != KERN_SUCCESS)
      return kr;
    to = se->pset;
  }
  Port* p = e->port;
  if (p->pset != nullptr) {
    auto& m = p->pset->members;
    m.erase(std::remove(m.begin(), m.end(), p), m.end());
    p->pset = nullptr;
  }
  if (to != nullptr) {
    p->pset = to;
    to->members.push_back(p);
    // mach_msg.html: MACH_RCV_PORT_CHANGED "receive_name specified a
    // receive right which was moved into a port set during the call".
    for (ThreadRec* w : p->waiters)
      if (!w->signalled) core.wake(w);
    if (p->head != nullptr)
      for (ThreadRec* w : to->waiters)
        if (!w->signalled) {
          core.wake(w);
          break;
        }
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_request_notification(mach_port_t task, mach_port_t name,
                                             mach_msg_id_t variant, mach_port_mscount_t sync,
                                             mach_port_t notify, mach_msg_type_name_t notifyPoly,
                                             mach_port_t* previous) {
  Call c;
  if (kern_return_t kr = begin(task, c, false); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  Entry* e = core.lookup(c.target, name);
  if (e == nullptr) return KERN_INVALID_NAME;

  // Check everything before the notify right is taken from the caller.
  switch (variant) {
    case MACH_NOTIFY_NO_SENDERS:
    case MACH_NOTIFY_PORT_DESTROYED:
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      if (variant == MACH_NOTIFY_PORT_DESTROYED && sync != 0) return KERN_INVALID_VALUE;
      break;
    case MACH_NOTIFY_DEAD_NAME:
      if (!(e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE | MACH_PORT_TYPE_DEAD_NAME)))
        return KERN_INVALID_RIGHT;
      if ((e->type & MACH_PORT_TYPE_DEAD_NAME) && sync == 0) return KERN_INVALID_ARGUMENT;
      break;
    default: return KERN_INVALID_VALUE;
  }
  RightRef so;
  if (notify != MACH_PORT_NULL) {
    if (notifyPoly != MACH_MSG_TYPE_MAKE_SEND_ONCE && notifyPoly != MACH_MSG_TYPE_MOVE_SEND_ONCE)
      return KERN_INVALID_VALUE;
    if (kern_return_t kr = core.copyin_right(c.caller, notify, notifyPoly, so); kr != KERN_SUCCESS)
      return kr == KERN_INVALID_NAME ? KERN_INVALID_NAME : KERN_INVALID_CAPABILITY;
    if (so.kind != RightRef::right) so = RightRef{};
  }
  e = core.lookup(c.target, name);  // the copyin cannot have freed a receive right
  Port* old = nullptr;
  switch (variant) {
    case MACH_NOTIFY_NO_SENDERS: {
      Port* p = e->port;
      old = p->nsrequest;
      p->nsrequest = so.port;
      p->ns_sync = sync;
      // GNU Mach ipc_port_nsrequest: with no send rights and sync not ahead
      // of the make-send count, the notification goes out at once.
      if (p->nsrequest != nullptr && p->srights == 0 && sync <= p->mscount) {
        Port* n = p->nsrequest;
        p->nsrequest = nullptr;
        core.notify_no_senders(n, p->mscount);
      }
      break;
    }
    case MACH_NOTIFY_PORT_DESTROYED:
      old = e->port->pdrequest;
      e->port->pdrequest = so.port;
      break;
    case MACH_NOTIFY_DEAD_NAME: {
      if (e->type & MACH_PORT_TYPE_DEAD_NAME) {
        if (so.port != nullptr) core.notify_dead_name(so.port, name);
        break;
      }
      auto& reqs = e->port->dnrequests;
      for (auto it = reqs.begin(); it != reqs.end(); ++it) {
        if (it->space == c.target && it->name == name) {
          old = it->notify;
          reqs.erase(it);
          break;
        }
      }
      if (so.port != nullptr) reqs.push_back(DeadNameRequest{c.target, name, so.port});
      break;
    }
  }
  *previous = MACH_PORT_NULL;
  if (old != nullptr) {
    RightRef r{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, old};
    *previous = core.copyout_right(c.caller, r);
  }
  // What this did to the caller's own rights, for the model's ledger: the
  // send-once right moved in as the request, and the previous request's
  // send-once right handed back (the pager must release it; libports does).
  if (c.caller == c.target) {
    if (so.port != nullptr && notifyPoly == MACH_MSG_TYPE_MOVE_SEND_ONCE)
      report(c, emmi::model::PortOp::mod_refs, notify, Right::send_once, -1, KERN_SUCCESS);
    if (*previous != MACH_PORT_NULL)
      report(c, emmi::model::PortOp::insert_right, *previous, Right::send_once, 1, KERN_SUCCESS);
  }
  return KERN_SUCCESS;
}

kern_return_t mach_port_insert_right(mach_port_t task, mach_port_t name, mach_port_t poly,
                                     mach_msg_type_name_t polyPoly) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  kern_return_t kr = KERN_SUCCESS;
  Right which = polyPoly == MACH_MSG_TYPE_MOVE_RECEIVE ? Right::receive
                : (polyPoly == MACH_MSG_TYPE_MAKE_SEND_ONCE ||
                   polyPoly == MACH_MSG_TYPE_MOVE_SEND_ONCE)
                    ? Right::send_once
                    : Right::send;
  if (!MACH_MSG_TYPE_PORT_ANY(polyPoly)) {
    kr = KERN_INVALID_VALUE;
  } else if (!MACH_PORT_VALID(name)) {
    kr = KERN_INVALID_VALUE;
  } else {
    RightRef r;
    kr = core.copyin_right(c.caller, poly, polyPoly, r);
    if (kr == KERN_INVALID_NAME || kr == KERN_INVALID_RIGHT) kr = KERN_INVALID_CAPABILITY;
    if (kr == KERN_SUCCESS) {
      kr = copyout_named(core, c.target, name, r);
      if (kr != KERN_SUCCESS) core.destroy_right(r);
    }
  }
  report(c, emmi::model::PortOp::insert_right, name, which, 1, kr);
  return kr;
}

kern_return_t mach_port_extract_right(mach_port_t task, mach_port_t name,
                                      mach_msg_type_name_t msgt_name, mach_port_t* poly,
                                      mach_msg_type_name_t* polyPoly) {
  Call c;
  if (kern_return_t kr = begin(task, c); kr != KERN_SUCCESS) return kr;
  Core::Lock lk(*c.core);
  if (kern_return_t kr = target_of(c, task); kr != KERN_SUCCESS) return kr;
  Core& core = *c.core;
  if (!MACH_MSG_TYPE_PORT_ANY(msgt_name)) return KERN_INVALID_VALUE;
  RightRef r;
  kern_return_t kr = core.copyin_right(c.target, name, msgt_name, r);
  if (kr != KERN_SUCCESS) return kr;
  const mach_msg_type_name_t type = r.kind == RightRef::right ? r.type : MACH_MSG_TYPE_PORT_SEND;
  *poly = core.copyout_right(c.caller, r);
  *polyPoly = type;
  return KERN_SUCCESS;
}

kern_return_t mach_port_set_protected_payload(mach_port_t task, mach_port_t name,
                                              natural_t payload) {
  return on_receive_right(task, name, [&](Port& p) -> kern_return_t {
    // Messages received from the port carry it from now on (mach_msg.cpp).
    p.has_payload = true;
    p.payload = payload;
    return KERN_SUCCESS;
  });
}

kern_return_t mach_port_clear_protected_payload(mach_port_t task, mach_port_t name) {
  return on_receive_right(task, name, [&](Port& p) -> kern_return_t {
    p.has_payload = false;
    p.payload = 0;
    return KERN_SUCCESS;
  });
}

}  // extern "C"
