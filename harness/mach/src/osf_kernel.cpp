// SPDX-License-Identifier: MIT
// See osf_kernel.h.
#include "osf_kernel.h"

extern "C" {
#include "osf_memory_object_kernel.h"
}

namespace emmi::mach::detail::osf {

kern_return_t init(mach_port_t object, mach_port_t control, vm_size_t page_size) {
  return osf_kernel_memory_object_init(object, control, page_size);
}
kern_return_t terminate(mach_port_t object, mach_port_t control) {
  return osf_kernel_memory_object_terminate(object, control);
}
kern_return_t data_request(mach_port_t object, mach_port_t control, vm_offset_t offset,
                           vm_size_t length, vm_prot_t access) {
  return osf_kernel_memory_object_data_request(object, control, offset, length, access);
}
kern_return_t data_unlock(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_size_t length, vm_prot_t access) {
  return osf_kernel_memory_object_data_unlock(object, control, offset, length, access);
}
kern_return_t data_return(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_offset_t data, mach_msg_type_number_t count, boolean_t dirty,
                          boolean_t kernel_copy) {
  return osf_kernel_memory_object_data_return(object, control, offset, data, count, dirty,
                                              kernel_copy);
}
kern_return_t lock_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                             mach_port_t control, vm_offset_t offset, vm_size_t length) {
  return osf_kernel_memory_object_lock_completed(reply, reply_poly, control, offset, length);
}
kern_return_t supply_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                               mach_port_t control, vm_offset_t offset, vm_size_t length,
                               kern_return_t result, vm_offset_t error_offset) {
  return osf_kernel_memory_object_supply_completed(reply, reply_poly, control, offset, length,
                                                   result, error_offset);
}
kern_return_t change_completed(mach_port_t reply, mach_msg_type_name_t reply_poly,
                               mach_port_t control, int flavor) {
  return osf_kernel_memory_object_change_completed(reply, reply_poly, control, flavor);
}
kern_return_t synchronize(mach_port_t object, mach_port_t control, vm_offset_t offset,
                          vm_size_t length, int sync_flags) {
  return osf_kernel_memory_object_synchronize(object, control, offset, length, sync_flags);
}

}  // namespace emmi::mach::detail::osf
