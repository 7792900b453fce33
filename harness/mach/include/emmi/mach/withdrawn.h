// SPDX-License-Identifier: MIT
// Pages a message the pager sent took out of its address space.
//
// mach_msg.html: with the deallocate option "the region is implicitly
// de-allocated from the sender, as if by vm_deallocate"; GNU Mach's
// ipc_kmsg_copyin_body copies such a region in with vm_map_copyin and
// src_destroy TRUE, which removes the whole pages of the region from the
// sender's map. memory_object_data_supply.html says it for a supply: "the
// pages to be copied (starting at data) will be deallocated from the memory
// manager's address space" (SU10: the pager must not touch them afterwards).
//
// The simulated kernel does the same for memory it mapped itself (see
// mach_msg.cpp): those pages become inaccessible (PROT_NONE, mapped over in
// place, so no later mapping lands there) for the rest of the process, and a
// record here says which message took them. A fault handler asks with
// withdrawn_pages_at which message a faulting address was sent away by.
#pragma once

#include <cstddef>
#include <cstdint>

#include "emmi/model/event.h"

namespace emmi::mach {

struct WithdrawnPages {
  std::uintptr_t start = 0;  // the pages taken away: [start, end)
  std::uintptr_t end = 0;
  std::uint64_t data = 0;  // the out-of-line region as the message named it
  std::uint64_t data_size = 0;
  std::int32_t msg_id = 0;
  bool has_offset = false;          // a control call with an object offset (a supply)
  emmi::model::ControlCall call{};  // which control call, when has_offset
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  char rule[8] = {};  // the rule a touch breaks ("SU10" for a supply), or empty
};

// The record of withdrawn pages holding `address`, if one does: copies it to
// `out` and returns true. Async-signal-safe (it reads a fixed table the
// simulated kernel fills before it takes pages away, and never writes).
bool withdrawn_pages_at(std::uintptr_t address, WithdrawnPages* out) noexcept;

// How many records the table keeps; past that, pages are still taken away
// but a touch of them is not attributed (an anonymous crash).
inline constexpr std::size_t kWithdrawnRecords = 4096;

}  // namespace emmi::mach
