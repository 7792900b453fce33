// SPDX-License-Identifier: MIT
// The messages a kernel attached with the OSF dialect sends, through the
// MIG user stubs generated from defs/osf/osf_memory_object.defs (C prefix
// osf_kernel_). They live in a translation unit of their own: the OSF and
// the GNU Mach user headers share MIG's include guard (_memory_object_user_,
// from the common subsystem name), so one file cannot include both.
#pragma once

#include <mach.h>

namespace emmi::mach::detail::osf {

kern_return_t init(mach_port_t object, mach_port_t control, vm_size_t page_size);
kern_return_t terminate(mach_port_t object, mach_port_t control);
kern_return_t data_request(mach_port_t object, mach_port_t control, vm_offset_t offset,
                           vm_size_t length, vm_prot_t access);
kern_return_t data_unlock(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_size_t length, vm_prot_t access);
kern_return_t data_return(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_offset_t data, mach_msg_type_number_t count, boolean_t dirty,
                          boolean_t kernel_copy);
kern_return_t lock_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                             mach_port_t control, vm_offset_t offset, vm_size_t length);
kern_return_t supply_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                               mach_port_t control, vm_offset_t offset, vm_size_t length,
                               kern_return_t result, vm_offset_t error_offset);
kern_return_t change_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                               mach_port_t control, int flavor);
kern_return_t synchronize(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_size_t length, int sync_flags);

}  // namespace emmi::mach::detail::osf
