/* SPDX-License-Identifier: MIT */
/* The reference pager, except that it gives memory back the way some Hurd
   pagers do: instead of vm_deallocate, it sends the region out of line with
   the deallocate bit set ("as if by vm_deallocate", mach_msg.html), here to
   a port of its own that it then destroys.  reference_pager.c is compiled
   with -Dvm_deallocate=handback_vm_deallocate, so every release the
   reference pager makes, the returned pages of a data_return included,
   comes here, inside the handler's turn, where the reference pager releases
   them.  A correct pager either way: the suite must find no RT2 leak and no
   V4 double release.  */
#include <stdlib.h>
#include <string.h>

#include <mach.h>

#pragma pack(push, 4)
struct handback_msg
{
  mach_msg_header_t head;
  mach_msg_type_long_t data_type;
  vm_offset_t data;
};
#pragma pack(pop)

kern_return_t
handback_vm_deallocate (mach_port_t task, vm_address_t address, vm_size_t size)
{
  if (size == 0)
    return KERN_SUCCESS;
  mach_port_t sink = MACH_PORT_NULL;
  kern_return_t kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &sink);
  if (kr != KERN_SUCCESS)
    abort ();
  struct handback_msg m;
  memset (&m, 0, sizeof m);
  m.head.msgh_bits = MACH_MSGH_BITS_COMPLEX | MACH_MSGH_BITS (MACH_MSG_TYPE_MAKE_SEND, 0);
  m.head.msgh_size = sizeof m;
  m.head.msgh_remote_port = sink;
  m.head.msgh_id = 4242;
  m.data_type.msgtl_header.msgt_inline = FALSE;
  m.data_type.msgtl_header.msgt_longform = TRUE;
  m.data_type.msgtl_header.msgt_deallocate = TRUE;
  m.data_type.msgtl_name = MACH_MSG_TYPE_BYTE;
  m.data_type.msgtl_size = 8;
  m.data_type.msgtl_number = (natural_t) size;
  m.data = address;
  if (mach_msg (&m.head, MACH_SEND_MSG, sizeof m, 0, MACH_PORT_NULL,
                MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL)
      != MACH_MSG_SUCCESS)
    abort ();
  /* The queued message, and the copy of the memory it holds, go with the
     port.  */
  if (mach_port_mod_refs (task, sink, MACH_PORT_RIGHT_RECEIVE, -1) != KERN_SUCCESS)
    abort ();
  return KERN_SUCCESS;
}
