// SPDX-License-Identifier: MIT
// Port rights of the simulated kernel (GNU Mach ipc/ipc_right.c,
// ipc_port.c, ipc_entry.c): ports and port sets, names in a task's space and
// their user references, moving rights into and out of messages, and what
// happens when a right or a port goes. Rules cite GNU Mach
// (spec/gnumach-kernel.md) and the mach_msg manual page
// (spec/xnu-osfmk-man/mach_msg.html).
#include "core.h"

#include <algorithm>

namespace emmi::mach::detail {

namespace {

// GNU Mach keeps user references in 16 bits (ipc/ipc_entry.h).
constexpr mach_port_urefs_t kUrefsMax = 0xffff;

// The receive right of `p` leaves the space that held it (moved into a
// message, or destroyed): out of its port set, no receiver.
void leave_space(Port* p) {
  if (p->pset != nullptr) {
    auto& m = p->pset->members;
    m.erase(std::remove(m.begin(), m.end(), p), m.end());
    p->pset = nullptr;
  }
  p->receiver = nullptr;
  p->receiver_name = MACH_PORT_NULL;
}

}  // namespace

Port* Core::new_port() {
  Port* p = new Port();
  p->serial = next_serial_++;
  ++ports_alive_;
  all_ports_.insert(p);
  return p;
}

PortSet* Core::new_pset() {
  auto* s = new PortSet();
  s->serial = next_serial_++;
  all_psets_.insert(s);
  return s;
}

void Core::port_unref(Port* p) {
  if (--p->refs == 0) {
    --ports_alive_;
    all_ports_.erase(p);
    delete p;
  }
}

void Core::pset_unref(PortSet* s) {
  if (--s->refs == 0) {
    all_psets_.erase(s);
    delete s;
  }
}

mach_port_name_t Core::alloc_name(Space* s) {
  mach_port_name_t name = s->base + static_cast<mach_port_name_t>(s->entries.size());
  s->entries.emplace_back();
  return name;
}

Entry* Core::lookup(Space* s, mach_port_name_t name) {
  if (!MACH_PORT_VALID(name) || name < s->base) return nullptr;
  std::size_t idx = name - s->base;
  if (idx >= s->entries.size()) return nullptr;
  Entry* e = &s->entries[idx];
  if (e->type == MACH_PORT_TYPE_NONE) return nullptr;
  // A send or send-once right whose port died is a dead name from then on
  // (GNU Mach converts lazily in ipc_right_check; so do we).
  if ((e->type & (MACH_PORT_TYPE_SEND | MACH_PORT_TYPE_SEND_ONCE)) && !e->port->active) {
    Port* p = e->port;
    if (e->type & MACH_PORT_TYPE_SEND) {
      s->by_port.erase(p);
      if (p->srights > 0) --p->srights;
    } else {
      e->urefs = 1;
      if (p->sorights > 0) --p->sorights;
    }
    e->type = MACH_PORT_TYPE_DEAD_NAME;
    e->port = nullptr;
    port_unref(p);
  }
  return e;
}

void Core::free_entry_if_empty(Space* s, mach_port_name_t name, Entry* e) {
  (void)s;
  (void)name;
  if (e->type == MACH_PORT_TYPE_NONE) {
    e->urefs = 0;
    e->port = nullptr;
    e->pset = nullptr;
  }
}

void Core::entry_gives_up(Space* s, Entry* e, mach_port_type_t right) {
  const mach_port_type_t other = right == MACH_PORT_TYPE_RECEIVE ? MACH_PORT_TYPE_SEND
                                                                 : MACH_PORT_TYPE_RECEIVE;
  e->type &= ~right;
  if (e->type & other) {
    port_ref(e->port);
  } else {
    s->by_port.erase(e->port);
    e->type = MACH_PORT_TYPE_NONE;
    e->port = nullptr;
  }
}

kern_return_t Core::copyin_right(Space* s, mach_port_name_t name, mach_msg_type_name_t disposition,
                                 RightRef& out) {
  out = RightRef{};
  Entry* e = lookup(s, name);
  if (e == nullptr) return KERN_INVALID_NAME;
  const bool dead = (e->type & MACH_PORT_TYPE_DEAD_NAME) != 0;
  // A dead name where a send or send-once right was named: the message
  // carries MACH_PORT_DEAD; a move takes one of its user references.
  auto dead_name = [&](bool move) -> kern_return_t {
    if (move && --e->urefs == 0) e->type = MACH_PORT_TYPE_NONE;
    out.kind = RightRef::dead_name;
    return KERN_SUCCESS;
  };
  switch (disposition) {
    case MACH_MSG_TYPE_MOVE_RECEIVE: {
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      Port* p = e->port;
      leave_space(p);
      // mach_msg.html, MACH_MSG_TYPE_MOVE_RECEIVE: "The make-send count and
      // sequence number of the receive right are reset to zero and
      // no-more-senders notification requests are cancelled (with a
      // send-once notification being sent to the no-more-senders
      // notification right)".
      p->mscount = 0;
      p->seqno = 0;
      if (p->nsrequest != nullptr) {
        Port* so = p->nsrequest;
        p->nsrequest = nullptr;
        release_send_once(so);
      }
      for (ThreadRec* w : p->waiters)
        if (!w->signalled) wake(w);
      entry_gives_up(s, e, MACH_PORT_TYPE_RECEIVE);  // the entry keeps any send right
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_RECEIVE, p};
      return KERN_SUCCESS;
    }
    case MACH_MSG_TYPE_COPY_SEND:
      if (e->type & MACH_PORT_TYPE_SEND) {
        ++e->port->srights;
        port_ref(e->port);
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, e->port};
        return KERN_SUCCESS;
      }
      if (dead) return dead_name(false);
      return KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MOVE_SEND:
      if (e->type & MACH_PORT_TYPE_SEND) {
        Port* p = e->port;
        if (e->urefs > 1) {
          --e->urefs;
          ++p->srights;
          port_ref(p);
        } else {
          e->urefs = 0;
          entry_gives_up(s, e, MACH_PORT_TYPE_SEND);
        }
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, p};
        return KERN_SUCCESS;
      }
      if (dead) return dead_name(true);
      return KERN_INVALID_RIGHT;
    case MACH_MSG_TYPE_MAKE_SEND:
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      ++e->port->mscount;
      ++e->port->srights;
      port_ref(e->port);
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND, e->port};
      return KERN_SUCCESS;
    case MACH_MSG_TYPE_MAKE_SEND_ONCE:
      if (!(e->type & MACH_PORT_TYPE_RECEIVE)) return KERN_INVALID_RIGHT;
      ++e->port->sorights;
      port_ref(e->port);
      out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, e->port};
      return KERN_SUCCESS;
    case MACH_MSG_TYPE_MOVE_SEND_ONCE:
      if (e->type & MACH_PORT_TYPE_SEND_ONCE) {
        out = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, e->port};
        e->type = MACH_PORT_TYPE_NONE;
        e->urefs = 0;
        e->port = nullptr;
        return KERN_SUCCESS;
      }
      if (dead) return dead_name(true);
      return KERN_INVALID_RIGHT;
    default: return KERN_INVALID_VALUE;
  }
}

mach_port_name_t Core::copyout_right(Space* s, RightRef& r) {
  if (r.kind == RightRef::null_name) return MACH_PORT_NULL;
  if (r.kind == RightRef::dead_name) {
    r = RightRef{};
    return MACH_PORT_DEAD;
  }
  Port* p = r.port;
  const mach_msg_type_name_t type = r.type;
  r = RightRef{};
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND: {
      if (!p->active) {
        // mach_msg.html: "If a message carries a send or send-once right,
        // and the port dies while the message is in transit, then the
        // receiving task will get MACH_PORT_DEAD instead of a right."
        if (p->srights > 0) --p->srights;
        port_unref(p);
        return MACH_PORT_DEAD;
      }
      auto it = s->by_port.find(p);
      if (it != s->by_port.end()) {
        Entry& e = s->entries[it->second - s->base];
        if (e.type & MACH_PORT_TYPE_SEND) {
          // GNU Mach copies message rights out with overflow allowed: the
          // count stops at MACH_PORT_UREFS_MAX - 1 and the extra right is
          // dropped (spec/gnumach-kernel.md section 3f).
          if (e.urefs < kUrefsMax - 1) {
            ++e.urefs;
            --p->srights;  // merged into the right the entry already counts
          } else {
            --p->srights;
          }
        } else {
          e.type |= MACH_PORT_TYPE_SEND;
          e.urefs = 1;
        }
        port_unref(p);  // the entry already holds a reference
        return it->second;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_SEND;
      e.urefs = 1;
      e.port = p;
      s->by_port[p] = name;
      return name;
    }
    case MACH_MSG_TYPE_PORT_SEND_ONCE: {
      if (!p->active) {
        if (p->sorights > 0) --p->sorights;
        port_unref(p);
        return MACH_PORT_DEAD;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_SEND_ONCE;
      e.urefs = 1;
      e.port = p;
      return name;
    }
    case MACH_MSG_TYPE_PORT_RECEIVE: {
      p->receiver = s;
      p->transit_dest = nullptr;
      auto it = s->by_port.find(p);
      if (it != s->by_port.end()) {
        Entry& e = s->entries[it->second - s->base];
        e.type |= MACH_PORT_TYPE_RECEIVE;
        p->receiver_name = it->second;
        port_unref(p);
        return it->second;
      }
      mach_port_name_t name = alloc_name(s);
      Entry& e = s->entries[name - s->base];
      e.type = MACH_PORT_TYPE_RECEIVE;
      e.port = p;
      s->by_port[p] = name;
      p->receiver_name = name;
      // Messages queued while the right was in transit (a new object's init
      // behind memory_object_copy or memory_object_create) reach the pager
      // now: they are reported as sent to the name it gets, right after the
      // event that gave the pager the right (the dequeue of the message
      // carrying it), so the model knows the receive right first.
      if (observer_ != nullptr && s->is_pager && p->head != nullptr) {
        port_ref(p);
        arrived_.push_back(p);
      }
      return name;
    }
    default: port_unref(p); return MACH_PORT_NULL;
  }
}

void Core::destroy_right(RightRef& r) {
  if (r.kind != RightRef::right) {
    r = RightRef{};
    return;
  }
  Port* p = r.port;
  const mach_msg_type_name_t type = r.type;
  r = RightRef{};
  switch (type) {
    case MACH_MSG_TYPE_PORT_SEND: release_send(p); break;
    case MACH_MSG_TYPE_PORT_SEND_ONCE: release_send_once(p); break;
    case MACH_MSG_TYPE_PORT_RECEIVE: destroy_receive(p); break;
    default: port_unref(p);
  }
}

void Core::release_send(Port* p) {
  if (p->srights > 0) --p->srights;
  if (p->srights == 0 && p->kobject == KObject::pager_proxy) {
    release_proxy(p);
    port_unref(p);
    return;
  }
  // The no-senders notification is generated the moment the last send right
  // goes (GNU Mach ipc_port_release_send).
  if (p->srights == 0 && p->active && p->nsrequest != nullptr) {
    Port* so = p->nsrequest;
    p->nsrequest = nullptr;
    notify_no_senders(so, p->mscount);
  }
  port_unref(p);
}

void Core::release_proxy(Port* p) {
  std::unique_ptr<ProxyRec> rec = std::move(p->proxy);
  p->kobject = KObject::none;
  p->active = false;
  if (rec != nullptr && rec->object != nullptr) release_send(rec->object);
  port_unref(p);  // the kernel's own reference (ipc_port_alloc_kernel)
}

void Core::release_send_once(Port* p) {
  // mach_msg.html: "Each send-once right generated guarantees the receipt of
  // a single message, either a message sent to that send-once right or, if
  // the send-once right is in any way destroyed, a send-once notification."
  if (p->active) {
    notify_send_once(p);  // the notification consumes the right
    return;
  }
  if (p->sorights > 0) --p->sorights;
  port_unref(p);
}

void Core::destroy_receive(Port* p) {
  leave_space(p);
  p->transit_dest = nullptr;
  for (ThreadRec* w : p->waiters)
    if (!w->signalled) wake(w);

  if (p->pdrequest != nullptr) {
    // A port-destroyed request turns destruction into a transfer of the
    // receive right to the requester (GNU Mach ipc_port_destroy).
    Port* so = p->pdrequest;
    p->pdrequest = nullptr;
    p->mscount = 0;
    p->seqno = 0;
    notify_port_destroyed(so, p);  // takes over the caller's reference
    return;
  }

  p->active = false;
  if (p->nsrequest != nullptr) {
    Port* so = p->nsrequest;
    p->nsrequest = nullptr;
    release_send_once(so);
  }
  std::vector<DeadNameRequest> dn;
  dn.swap(p->dnrequests);
  for (const DeadNameRequest& r : dn) notify_dead_name(r.notify, r.name);
  // mach_msg.html: "Any messages queued at the port are destroyed, which
  // de-allocates the port rights and out-of-line memory in the messages."
  while (p->head != nullptr) {
    KMsg* m = p->head;
    p->head = m->next;
    if (p->head == nullptr) p->tail = nullptr;
    --p->msgcount;
    destroy_kmsg(m);
  }
  port_unref(p);
}

void Core::destroy_pset(PortSet* s) {
  s->active = false;
  for (Port* m : s->members) m->pset = nullptr;
  s->members.clear();
  for (ThreadRec* w : s->waiters)
    if (!w->signalled) wake(w);
  pset_unref(s);
}

}  // namespace emmi::mach::detail
