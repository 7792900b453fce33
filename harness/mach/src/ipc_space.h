// SPDX-License-Identifier: MIT
// A task's port name space (GNU Mach ipc/ipc_space.h, ipc_entry.h): its
// names, each with its rights and user references. Guarded by Core's lock.
#pragma once

#include <mach.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "emmi/mach/kernel.h"
#include "ipc_port.h"

namespace emmi::mach::detail {

// One name in a task's space.
struct Entry {
  mach_port_type_t type = MACH_PORT_TYPE_NONE;  // right bits; NONE: name unused now
  mach_port_urefs_t urefs = 0;                  // send / dead-name user references
  Port* port = nullptr;
  PortSet* pset = nullptr;
};

struct Space {
  TaskId id = 0;
  std::string label;
  bool is_pager = false;
  mach_port_name_t base = 0;  // names are base, base+1, ...: never reused
  std::vector<Entry> entries;
  std::unordered_map<Port*, mach_port_name_t> by_port;  // send/receive name per port
  Port* task_port = nullptr;
  mach_port_name_t self_name = MACH_PORT_NULL;  // send right to task_port
  mach_port_name_t host_name = MACH_PORT_NULL;
};

}  // namespace emmi::mach::detail
