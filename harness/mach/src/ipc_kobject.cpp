// SPDX-License-Identifier: MIT
// Messages to kernel objects (GNU Mach kern/ipc_kobject.c): served in the
// sending thread, never queued. Control and name ports go to the kernel's
// object server (the control plane); any other routine is unknown and gets
// the MIG_BAD_ID reply.
#include "core.h"
#include "thread_scheduler.h"

namespace emmi::mach::detail {

void Core::serve_kobject(KMsg* m) {
  Lock lk(*this);
  Port* p = m->dest.port;
  const KObject kind = p->kobject;
  const std::uint64_t cookie = p->kcookie;
  KObjectServer* server = kserver_;
  if ((kind == KObject::control || kind == KObject::name) && server != nullptr) {
    lk.unlock();
    // The control plane is the kernel's code: its locks are no scheduling
    // points of the pager thread that called.
    sched::Internal internal;
    server->serve(m, kind, cookie);
    return;
  }
  // Task, host and thread ports: the simulation serves those calls as
  // direct functions, not messages. Like ipc_kobject_server for an unknown
  // routine: reply MIG_BAD_ID when there is a reply right, destroy the rest.
  RightRef reply = m->reply;
  m->reply = RightRef{};
  const mach_msg_id_t id = m->id();
  destroy_kmsg(m);
  if (reply.kind == RightRef::right) reply_bad_id(reply, id);
}

void Core::reply_bad_id(RightRef& reply, mach_msg_id_t request_id) {
  KMsg* r = alloc_kmsg();
  r->data.assign(sizeof(mig_reply_header_t), 0);
  auto* out = reinterpret_cast<mig_reply_header_t*>(r->data.data());
  out->Head.msgh_bits = MACH_MSGH_BITS(reply.type, 0);
  out->Head.msgh_size = sizeof(mig_reply_header_t);
  out->Head.msgh_id = request_id + 100;
  out->RetCodeType = mach_msg_type_t{MACH_MSG_TYPE_INTEGER_32, 32, 1, TRUE, FALSE, FALSE, 0};
  out->RetCode = MIG_BAD_ID;
  r->dest = reply;
  reply = RightRef{};
  // A reply is never served by a kernel object: one addressed to a kernel
  // object's port is destroyed.
  if (KMsg* k = deliver(r)) destroy_kmsg(k);
}

void Core::set_kobject_server(KObjectServer* server) { kserver_ = server; }

KObjectServer* Core::kobject_server() { return kserver_; }

}  // namespace emmi::mach::detail
