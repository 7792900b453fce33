// SPDX-License-Identifier: MIT
// Notifications the simulated kernel sends (GNU Mach ipc/ipc_notify.c):
// no-senders, send-once, dead-name and port-destroyed, each to the
// send-once right the request named.
#include "core.h"

#include <cstddef>

namespace emmi::mach::detail {

namespace {

// The notification messages are built the way GNU Mach's ipc_notify.c builds
// them: the structures of <mach/notify.h>, sent to a send-once right.
template <typename T>
KMsg* notification(Core& core, Port* so, mach_msg_id_t id, T** body) {
  KMsg* m = core.alloc_kmsg();
  m->data.assign(sizeof(T), 0);
  auto* h = reinterpret_cast<mach_msg_header_t*>(m->data.data());
  h->msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_PORT_SEND_ONCE, 0);
  h->msgh_size = sizeof(T);
  h->msgh_id = id;
  h->msgh_seqno = 0;
  m->dest = RightRef{RightRef::right, MACH_MSG_TYPE_PORT_SEND_ONCE, so};
  *body = reinterpret_cast<T*>(m->data.data());
  return m;
}

void post(Core& core, KMsg* m) {
  if (KMsg* k = core.deliver(m)) core.destroy_kmsg(k);  // never served by a kernel object
}

}  // namespace

void Core::notify_no_senders(Port* so, mach_port_mscount_t mscount) {
  mach_no_senders_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_NO_SENDERS, &n);
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_count = mscount;
  post(*this, m);
}

void Core::notify_send_once(Port* so) {
  mach_send_once_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_SEND_ONCE, &n);
  (void)n;
  post(*this, m);
}

void Core::notify_dead_name(Port* so, mach_port_name_t name) {
  mach_dead_name_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_DEAD_NAME, &n);
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_PORT_NAME, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_port = name;
  post(*this, m);
}

void Core::notify_port_destroyed(Port* so, Port* receive) {
  mach_port_destroyed_notification_t* n;
  KMsg* m = notification(*this, so, MACH_NOTIFY_PORT_DESTROYED, &n);
  n->not_header.msgh_bits |= MACH_MSGH_BITS_COMPLEX;
  n->not_type = mach_msg_type_t{MACH_MSG_TYPE_PORT_RECEIVE, 32, 1, TRUE, FALSE, FALSE, 0};
  n->not_port = MACH_PORT_NULL;
  m->complex = true;
  m->rights.push_back(RightRef{RightRef::right, MACH_MSG_TYPE_PORT_RECEIVE, receive});
  Item it;
  it.type_offset = offsetof(mach_port_destroyed_notification_t, not_type);
  it.data_offset = offsetof(mach_port_destroyed_notification_t, not_port);
  it.name = MACH_MSG_TYPE_PORT_RECEIVE;
  it.number = 1;
  it.is_port = true;
  it.first_right = 0;
  m->items.push_back(it);
  post(*this, m);
}

}  // namespace emmi::mach::detail
