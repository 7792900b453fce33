// SPDX-License-Identifier: MIT
// Decoding of the EMMI control calls a pager sends to a control port
// (GNU Mach: mach.defs, subsystem 2000; OSF: defs/osf/
// osf_memory_object_control.defs, subsystem 3450), in the layout the MIG
// user stubs produce on x86_64. The checks are those of GNU Mach's MIG-generated kernel server:
// exact message size, the COMPLEX bit, and every type descriptor.
#pragma once

#include <mach.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "emmi/model/event.h"

namespace emmi::mach::detail {

struct ControlMessage {
  emmi::model::ControlCall call{};
  bool well_formed = false;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::int32_t lock_value = 0;
  std::int32_t should_return = 0;
  bool should_flush = false;
  std::int32_t error_value = 0;
  std::int32_t reason = 0;
  bool precious = false;
  bool may_cache = false;
  std::int32_t copy_strategy = 0;
  bool has_reply_to = false;
  std::uint32_t reply_to_type_offset = 0;
  mach_msg_type_name_t reply_to_disposition = 0;    // as sent
  mach_port_name_t reply_to_name = MACH_PORT_NULL;  // in the sender's task
  bool has_data = false;
  std::uint32_t data_type_offset = 0;
  std::uint64_t data_count = 0;  // bytes
  // OSF: the message id is one of the OSF control interface's.
  bool osf = false;
  // OSF change_attributes / get_attributes: the flavour; change_attributes:
  // the attribute ints as sent (attributes_count of them); get_attributes:
  // attributes_count is the caller's buffer size.
  std::int32_t flavor = 0;
  std::uint32_t attributes_count = 0;
  std::int32_t attributes[32] = {};
};

// The control call a message id stands for, if any.
std::optional<emmi::model::ControlCall> control_call_of(mach_msg_id_t id);

// Fills `out` from a message as the sender wrote it (header + body,
// `size` bytes). Returns false when the id is not a control call; otherwise
// true, with out.well_formed telling whether the kernel's type checks pass.
bool decode_control(const std::uint8_t* msg, std::size_t size, ControlMessage& out);

}  // namespace emmi::mach::detail
