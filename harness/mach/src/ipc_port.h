// SPDX-License-Identifier: MIT
// Ports and port sets of the simulated kernel (GNU Mach ipc/ipc_port.h,
// ipc_pset.h), and a right as a message or the kernel holds it. Guarded by
// Core's lock; the operations on them are Core's (ipc_right.cpp).
#pragma once

#include <mach.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace emmi::mach::detail {

struct Port;
struct PortSet;
struct Space;
struct KMsg;
struct ThreadRec;

// Kernel objects a port can stand for. Messages to them are served in the
// sender's thread (GNU Mach's ipc_kobject_server), never queued.
enum class KObject : std::uint8_t {
  none,
  task,
  host,
  thread,
  control,
  name,
  pset_name,
  pager_proxy,
  host_priv,  // the privileged host port (get_privileged_ports, default pager only)
};

// What a proxy memory object port stands for (memory_object_create_proxy):
// a send right to the real memory object, held by the kernel for the
// proxy's lifetime, and the limits a mapping through the proxy gets.
struct ProxyRec {
  Port* object = nullptr;  // one send right (srights and a reference)
  vm_prot_t max_protection = 0;
  vm_offset_t start = 0;
  vm_size_t len = 0;
};

// One port right carried by a message (or held by the kernel).
struct RightRef {
  enum Kind : std::uint8_t { null_name, dead_name, right };
  Kind kind = null_name;
  mach_msg_type_name_t type = 0;  // MACH_MSG_TYPE_PORT_SEND / _SEND_ONCE / _RECEIVE
  Port* port = nullptr;
};

struct DeadNameRequest {
  Space* space;
  mach_port_name_t name;
  Port* notify;  // a send-once right the request holds
};

struct Port {
  std::uint64_t serial = 0;
  std::uint32_t refs = 0;
  bool active = true;
  Space* receiver = nullptr;  // null while the receive right is in a message
  mach_port_name_t receiver_name = MACH_PORT_NULL;
  Port* transit_dest = nullptr;  // where the message carrying the receive right is queued
  std::uint32_t srights = 0;
  std::uint32_t sorights = 0;
  mach_port_mscount_t mscount = 0;
  mach_port_seqno_t seqno = 0;
  mach_port_msgcount_t qlimit = MACH_PORT_QLIMIT_DEFAULT;
  KMsg* head = nullptr;
  KMsg* tail = nullptr;
  std::uint32_t msgcount = 0;
  PortSet* pset = nullptr;
  Port* nsrequest = nullptr;  // send-once right for the no-senders notification
  mach_port_mscount_t ns_sync = 0;
  Port* pdrequest = nullptr;  // send-once right for port-destroyed
  std::vector<DeadNameRequest> dnrequests;
  std::vector<ThreadRec*> waiters;  // receivers blocked on this port
  KObject kobject = KObject::none;
  Space* ktask = nullptr;     // KObject::task: the task it names
  std::uint64_t kcookie = 0;  // KObject::control/name: the control plane's key
  bool has_payload = false;
  unsigned long payload = 0;
  std::unique_ptr<ProxyRec> proxy;  // KObject::pager_proxy
};

struct PortSet {
  std::uint64_t serial = 0;
  std::uint32_t refs = 0;
  bool active = true;
  Space* space = nullptr;
  mach_port_name_t name = MACH_PORT_NULL;
  std::vector<Port*> members;
  std::vector<ThreadRec*> waiters;
};

}  // namespace emmi::mach::detail
