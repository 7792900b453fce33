// SPDX-License-Identifier: MIT
// A message in transit (GNU Mach ipc/ipc_kmsg.h): the bytes as sent, the
// rights and out-of-line memory it carries, and what the kernel reports
// about it. Guarded by Core's lock; the operations are Core's
// (ipc_kmsg.cpp).
#pragma once

#include <mach.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "emmi/model/event.h"
#include "ipc_port.h"

namespace emmi::mach::detail {

// Out-of-line memory carried by a message (a kernel copy).
struct OolBuffer {
  std::unique_ptr<std::uint8_t[]> bytes;
  std::size_t size = 0;
  // Where the data lay in the sender's address space (SU9: a supply's data
  // must be page aligned there).
  std::uintptr_t sender_address = 0;
  // Sent with deallocate TRUE, and every page of it was memory the simulated
  // kernel mapped, which it took out of the sender's space (SU10).
  bool withdrawn = false;
};

// A typed item of the body that carries rights or out-of-line memory.
struct Item {
  std::uint32_t type_offset = 0;  // of the type descriptor, from the message start
  std::uint32_t data_offset = 0;  // of the inline data or of the OOL pointer
  mach_msg_type_name_t name = 0;  // after copyin: PORT_SEND etc. for rights
  std::uint32_t number = 0;
  bool is_inline = true;
  bool longform = false;
  bool is_port = false;
  std::uint32_t first_right = 0;
  std::int32_t ool = -1;  // index into KMsg::ools
};

// What an EMMI message the kernel sends is about (for KernelSent events).
struct SendInfo {
  emmi::model::KernelId kernel = 0;
  emmi::model::ObjectId object = 0;
  emmi::model::Offset offset = 0;
  emmi::model::Size length = 0;
  emmi::model::Prot access = 0;
  bool dirty = false;
  bool kernel_copy = false;
  std::vector<emmi::model::Stamp> stamps;
  std::int32_t sync_flags = 0;  // OSF synchronize
  std::int32_t flavor = 0;      // OSF change_completed
  // memory_object_copy: the new object and which blocks of `stamps` were
  // resident in the kernel at the copy.
  emmi::model::ObjectId copy_object = 0;
  std::vector<std::uint8_t> resident;
};

struct KMsg {
  KMsg* next = nullptr;
  std::vector<std::uint8_t> data;  // header + body as sent (msgh_size bytes)
  RightRef dest;
  RightRef reply;
  std::vector<RightRef> rights;  // body rights in message order
  std::vector<Item> items;
  std::vector<OolBuffer> ools;
  bool complex = false;
  bool circular = false;
  bool from_pager = false;
  mach_port_name_t sender_dest_name = MACH_PORT_NULL;
  std::uint64_t serial = 0;  // global enqueue order (port-set fairness)
  std::optional<SendInfo> info;
  // A KernelSent event reported it (the pager held the receive right when it
  // was queued, or took the right while it was still queued).
  bool observed = false;

  mach_msg_header_t* header() { return reinterpret_cast<mach_msg_header_t*>(data.data()); }
  mach_msg_id_t id() const {
    return reinterpret_cast<const mach_msg_header_t*>(data.data())->msgh_id;
  }
};

}  // namespace emmi::mach::detail
