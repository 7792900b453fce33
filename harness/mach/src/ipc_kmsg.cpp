// SPDX-License-Identifier: MIT
// Messages in the simulated kernel (GNU Mach ipc/ipc_kmsg.c, ipc_mqueue.c):
// the kernel's message records, queueing a message on its destination port
// and waking a receiver, and reporting what the kernel queued for the pager
// (KernelSent events).
#include "core.h"

namespace emmi::mach::detail {

KMsg* Core::alloc_kmsg() {
  KMsg* m = free_kmsgs_;
  if (m != nullptr) {
    free_kmsgs_ = m->next;
    m->next = nullptr;
    return m;
  }
  return new KMsg();
}

void Core::free_kmsg(KMsg* m) {
  m->data.clear();
  m->dest = RightRef{};
  m->reply = RightRef{};
  m->rights.clear();
  m->items.clear();
  m->ools.clear();
  m->complex = false;
  m->circular = false;
  m->from_pager = false;
  m->observed = false;
  m->sender_dest_name = MACH_PORT_NULL;
  m->info.reset();
  if (m->data.capacity() > 4096) {
    delete m;
    return;
  }
  m->next = free_kmsgs_;
  free_kmsgs_ = m;
}

void Core::destroy_kmsg(KMsg* m) {
  ++stats_.messages_destroyed;
  destroy_right(m->dest);
  destroy_right(m->reply);
  for (RightRef& r : m->rights) destroy_right(r);
  free_kmsg(m);
}

namespace {

// True when queueing a message that carries `moved`'s receive right on
// `dest` would make the receive right unreachable (GNU Mach
// ipc_port_check_circularity): dest is moved itself, or dest's receive
// right travels (directly or through a chain of messages) towards moved.
bool circular(Port* moved, Port* dest) {
  for (Port* p = dest; p != nullptr; p = p->transit_dest) {
    if (p == moved) return true;
    if (p->receiver != nullptr || !p->active) return false;
  }
  return false;
}

}  // namespace

KMsg* Core::deliver(KMsg* m) {
  Port* p = m->dest.port;
  if (!p->active) {
    // GNU Mach ipc_mqueue_send: a message sent to a port that died after the
    // copyin is destroyed and the send still succeeds.
    destroy_kmsg(m);
    return nullptr;
  }
  // Kernel objects (task, host, thread, live control and name ports) are
  // served in the sender's thread, never queued (ipc_kobject_server). The
  // control plane clears a control port's kind before terminate moves it.
  if (p->kobject != KObject::none) return m;
  for (RightRef& r : m->rights) {
    if (r.kind == RightRef::right && r.type == MACH_MSG_TYPE_PORT_RECEIVE && circular(r.port, p)) {
      m->circular = true;
    }
  }
  if (m->circular) {
    destroy_kmsg(m);
    return nullptr;
  }
  for (RightRef& r : m->rights)
    if (r.kind == RightRef::right && r.type == MACH_MSG_TYPE_PORT_RECEIVE) r.port->transit_dest = p;

  m->serial = msg_serial_++;
  m->next = nullptr;
  if (p->tail != nullptr) {
    p->tail->next = m;
  } else {
    p->head = m;
  }
  p->tail = m;
  ++p->msgcount;
  ++stats_.messages_sent;

  if (observer_ != nullptr && p->receiver != nullptr && p->receiver->is_pager) observe_sent(p, m);

  for (ThreadRec* w : p->waiters) {
    if (!w->signalled) {
      wake(w);
      return nullptr;
    }
  }
  if (p->pset != nullptr) {
    for (ThreadRec* w : p->pset->waiters) {
      if (!w->signalled) {
        wake(w);
        break;
      }
    }
  }
  return nullptr;
}

void Core::observe_sent(Port* p, KMsg* m) {
  m->observed = true;
  emmi::model::KernelSent ev;
  ev.kind = m->from_pager ? emmi::model::MessageKind::other : kind_of(m->id());
  ev.destination = p->receiver_name;
  if (m->info) {
    ev.kernel = m->info->kernel;
    ev.object = m->info->object;
    ev.offset = m->info->offset;
    ev.length = m->info->length;
    ev.access = m->info->access;
    ev.dirty = m->info->dirty;
    ev.kernel_copy = m->info->kernel_copy;
    ev.stamps = m->info->stamps;
    ev.sync_flags = m->info->sync_flags;
    ev.flavor = m->info->flavor;
    ev.copy_object = m->info->copy_object;
    ev.resident = m->info->resident;
  }
  emit(std::move(ev));
}

emmi::model::MessageKind Core::kind_of(mach_msg_id_t id) {
  using emmi::model::MessageKind;
  switch (id) {
    case 2200: return MessageKind::init;
    case 2201: return MessageKind::terminate;
    case 2203: return MessageKind::data_request;
    case 2204: return MessageKind::data_unlock;
    case 2206: return MessageKind::lock_completed;
    case 2207: return MessageKind::supply_completed;
    case 2208: return MessageKind::data_return;
    case 2209: return MessageKind::change_completed;
    case 2202: return MessageKind::copy;
    case 2250: return MessageKind::create;
    case 2251: return MessageKind::data_initialize;
    case MACH_NOTIFY_NO_SENDERS: return MessageKind::no_senders;
    case MACH_NOTIFY_SEND_ONCE: return MessageKind::send_once;
    case MACH_NOTIFY_DEAD_NAME: return MessageKind::dead_name;
    case MACH_NOTIFY_PORT_DESTROYED: return MessageKind::port_destroyed;
    // The OSF dialect (defs/osf/osf_memory_object.defs, subsystem 3400): the
    // routines GNU Mach also has keep its offsets.
    case 3400: return MessageKind::init;
    case 3401: return MessageKind::terminate;
    case 3403: return MessageKind::data_request;
    case 3404: return MessageKind::data_unlock;
    case 3406: return MessageKind::lock_completed;
    case 3407: return MessageKind::supply_completed;
    case 3408: return MessageKind::data_return;
    case 3409: return MessageKind::change_completed;
    case 3410: return MessageKind::synchronize;
    case kForeignMessageId: return MessageKind::foreign;
    default: return MessageKind::other;
  }
}

}  // namespace emmi::mach::detail
