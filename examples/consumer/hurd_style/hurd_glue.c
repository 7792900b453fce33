/* SPDX-License-Identifier: MIT */
/* The reference pager served through a server generated the way a Hurd
   library generates its own: MIG with -DSEQNOS, -prefix _pager_,
   -DSERVERPREFIX=S_ -DHURD_SERVER=1 and -imacros mig-mutate.h, so every
   handler receives a pager_t made by begin_using_pager and released by
   end_using_pager (libpager's shape).  The reference pager's handlers take
   the port itself; the _pager_ handlers below unwrap it.

   The stubs must really go through the intran and the destructor: each
   message the server handles makes exactly one begin and one end, or the
   pager aborts (and its conformance test fails).  */
#include <stdatomic.h>
#include <stdlib.h>

#include <mach.h>
#include <emmi/mig/seqnos_memory_object_S.h> /* the reference handlers */
#include "hurd_glue.h"
#include "hurd_memory_object_S.h"           /* the _pager_ handlers */

struct pager
{
  unsigned magic;
  mach_port_t port;
};

#define PAGER_MAGIC 0x70616765u

static atomic_long begun, ended;

pager_t
begin_using_pager (mach_port_t port)
{
  pager_t p = malloc (sizeof *p);
  if (p == NULL)
    abort ();
  p->magic = PAGER_MAGIC;
  p->port = port;
  atomic_fetch_add (&begun, 1);
  return p;
}

/* The reference pager sets no protected payload, so the kernel never
   delivers one.  */
pager_t
begin_using_pager_payload (unsigned long payload)
{
  (void) payload;
  abort ();
}

void
end_using_pager (pager_t p)
{
  if (p == NULL || p->magic != PAGER_MAGIC)
    abort ();
  p->magic = 0;
  free (p);
  atomic_fetch_add (&ended, 1);
}

/* The reference pager's demux calls seqnos_memory_object_server; this one
   (rather than the stub archive's) routes through the Hurd-style stubs.  */
boolean_t
seqnos_memory_object_server (mach_msg_header_t *request,
                             mach_msg_header_t *reply)
{
  long b0 = atomic_load (&begun), e0 = atomic_load (&ended);
  boolean_t handled = _pager_seqnos_memory_object_server (request, reply);
  long b1 = atomic_load (&begun), e1 = atomic_load (&ended);
  /* A message handled on this thread makes one begin and one end; other
     threads may be handling theirs meanwhile, so only "at least" holds.  */
  if (handled && (b1 - b0 < 1 || e1 - e0 < 1))
    abort ();
  return handled;
}

#define UNWRAP(p) ((p)->port)

kern_return_t
_pager_seqnos_memory_object_init (pager_t p, mach_port_seqno_t seqno,
                                  mach_port_t control, mach_port_t name,
                                  vm_size_t page_size)
{
  return seqnos_memory_object_init (UNWRAP (p), seqno, control, name,
                                    page_size);
}

kern_return_t
_pager_seqnos_memory_object_terminate (pager_t p, mach_port_seqno_t seqno,
                                       mach_port_t control, mach_port_t name)
{
  return seqnos_memory_object_terminate (UNWRAP (p), seqno, control, name);
}

kern_return_t
_pager_seqnos_memory_object_copy (pager_t p, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, mach_port_t new_object)
{
  return seqnos_memory_object_copy (UNWRAP (p), seqno, control, offset,
                                    length, new_object);
}

kern_return_t
_pager_seqnos_memory_object_data_request (pager_t p, mach_port_seqno_t seqno,
                                          mach_port_t control,
                                          vm_offset_t offset, vm_size_t length,
                                          vm_prot_t access)
{
  return seqnos_memory_object_data_request (UNWRAP (p), seqno, control,
                                            offset, length, access);
}

kern_return_t
_pager_seqnos_memory_object_data_unlock (pager_t p, mach_port_seqno_t seqno,
                                         mach_port_t control,
                                         vm_offset_t offset, vm_size_t length,
                                         vm_prot_t access)
{
  return seqnos_memory_object_data_unlock (UNWRAP (p), seqno, control, offset,
                                           length, access);
}

kern_return_t
_pager_seqnos_memory_object_lock_completed (pager_t p,
                                            mach_port_seqno_t seqno,
                                            mach_port_t control,
                                            vm_offset_t offset,
                                            vm_size_t length)
{
  return seqnos_memory_object_lock_completed (UNWRAP (p), seqno, control,
                                              offset, length);
}

kern_return_t
_pager_seqnos_memory_object_supply_completed (pager_t p,
                                              mach_port_seqno_t seqno,
                                              mach_port_t control,
                                              vm_offset_t offset,
                                              vm_size_t length,
                                              kern_return_t result,
                                              vm_offset_t error_offset)
{
  return seqnos_memory_object_supply_completed (UNWRAP (p), seqno, control,
                                                offset, length, result,
                                                error_offset);
}

kern_return_t
_pager_seqnos_memory_object_data_return (pager_t p, mach_port_seqno_t seqno,
                                         mach_port_t control,
                                         vm_offset_t offset, vm_offset_t data,
                                         mach_msg_type_number_t count,
                                         boolean_t dirty,
                                         boolean_t kernel_copy)
{
  return seqnos_memory_object_data_return (UNWRAP (p), seqno, control, offset,
                                           data, count, dirty, kernel_copy);
}

kern_return_t
_pager_seqnos_memory_object_change_completed (pager_t p,
                                              mach_port_seqno_t seqno,
                                              boolean_t may_cache,
                                              memory_object_copy_strategy_t
                                                strategy)
{
  return seqnos_memory_object_change_completed (UNWRAP (p), seqno, may_cache,
                                                strategy);
}
