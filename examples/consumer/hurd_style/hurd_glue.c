/* SPDX-License-Identifier: MIT */
/* The reference pager served through a server generated the way a Hurd
   library generates its own: MIG with -DSEQNOS, -prefix _pager_,
   -DSERVERPREFIX=S_ -DHURD_SERVER=1 and -imacros mig-mutate.h, so every
   handler receives a pager_t made by begin_using_pager and released by
   end_using_pager (libpager's shape).  The reference pager's handlers take
   the port itself; the _pager_ handlers below unwrap it.

   The stubs must really go through the intran and the destructor: each
   message the server handles makes exactly one begin and one end, or the
   pager aborts (and its conformance test fails).

   While a kernel maps an object, the pager also holds a read-only proxy
   for it, made as libpager's pager_create_ro_port makes the port ext2fs
   hands to read-only clients: memory_object_create_proxy of a send right
   made from the object's receive right, with VM_PROT_READ | VM_PROT_EXECUTE
   over the whole object.  The last terminate releases it, and with it the
   kernel's send right to the object.  */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "hurd_glue.h"
#include "hurd_memory_object_S.h"            /* the _pager_ handlers */
#include <emmi/mig/seqnos_memory_object_S.h> /* the reference handlers */
#include <mach.h>
#include <mach/mach4.h> /* memory_object_create_proxy */

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

/* The demux of the Hurd-style server (its _S.h declares only handlers).  */
boolean_t _pager_seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);

/* The reference pager's demux calls seqnos_memory_object_server; this one
   (rather than the stub archive's) routes through the Hurd-style stubs.  */
boolean_t
seqnos_memory_object_server (mach_msg_header_t *request, mach_msg_header_t *reply)
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

/* --- Read-only proxies ------------------------------------------------------ */

#define MAX_PROXIED 64
#define MAX_MAPPINGS 256

struct ro_proxy
{
  mach_port_t object; /* the object's receive right */
  mach_port_t proxy;  /* our send right to its read-only proxy */
};

/* The kernels mapping each object, by the control port their init gave
   (their terminate brings its receive right back under the same name).  */
struct mapping
{
  mach_port_t object;
  mach_port_t control;
};

static pthread_mutex_t proxies_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ro_proxy proxies[MAX_PROXIED];
static struct mapping mappings[MAX_MAPPINGS];

static struct ro_proxy *
proxy_slot (mach_port_t object)
{
  struct ro_proxy *free_slot = NULL;
  for (int i = 0; i < MAX_PROXIED; i++)
    {
      if (proxies[i].object == object)
        return &proxies[i];
      if (free_slot == NULL && proxies[i].object == MACH_PORT_NULL)
        free_slot = &proxies[i];
    }
  if (free_slot == NULL)
    abort ();
  free_slot->object = object;
  return free_slot;
}

static unsigned
mapping_count (mach_port_t object)
{
  unsigned n = 0;
  for (int i = 0; i < MAX_MAPPINGS; i++)
    n += mappings[i].object == object;
  return n;
}

/* libpager's pager_create_ro_port, on the object's receive right.  */
static mach_port_t
create_ro_port (mach_port_t object)
{
  mach_port_t port = MACH_PORT_NULL;
  vm_offset_t offset = 0, start = 0;
  vm_size_t len = ~(vm_size_t) 0;
  kern_return_t err
      = memory_object_create_proxy (mach_task_self (), VM_PROT_READ | VM_PROT_EXECUTE,
                                    &object, MACH_MSG_TYPE_MAKE_SEND, 1, &offset, 1,
                                    &start, 1, &len, 1, &port);
  mach_port_type_t type = 0;
  if (err != KERN_SUCCESS || !MACH_PORT_VALID (port)
      || mach_port_type (mach_task_self (), port, &type) != KERN_SUCCESS
      || type != MACH_PORT_TYPE_SEND)
    abort ();
  return port;
}

static void
mapped (mach_port_t object, mach_port_t control)
{
  pthread_mutex_lock (&proxies_lock);
  struct ro_proxy *slot = proxy_slot (object);
  if (mapping_count (object) == 0)
    slot->proxy = create_ro_port (object);
  int i = 0;
  while (i < MAX_MAPPINGS && mappings[i].object != MACH_PORT_NULL)
    i++;
  if (i == MAX_MAPPINGS)
    abort ();
  mappings[i].object = object;
  mappings[i].control = control;
  pthread_mutex_unlock (&proxies_lock);
}

static void
unmapped (mach_port_t object, mach_port_t control)
{
  pthread_mutex_lock (&proxies_lock);
  for (int i = 0; i < MAX_MAPPINGS; i++)
    if (mappings[i].object == object && mappings[i].control == control)
      {
        mappings[i].object = mappings[i].control = MACH_PORT_NULL;
        if (mapping_count (object) == 0)
          {
            struct ro_proxy *slot = proxy_slot (object);
            if (mach_port_deallocate (mach_task_self (), slot->proxy) != KERN_SUCCESS)
              abort ();
            slot->proxy = MACH_PORT_NULL;
          }
        break;
      }
  pthread_mutex_unlock (&proxies_lock);
}

kern_return_t
_pager_seqnos_memory_object_init (pager_t p, mach_port_seqno_t seqno, mach_port_t control,
                                  mach_port_t name, vm_size_t page_size)
{
  /* Counted before the handler takes the object's turn, so this kernel's
     terminate (which waits for that turn) always finds it; a refused init
     is uncounted again unless its terminate came first.  */
  mapped (UNWRAP (p), control);
  kern_return_t kr
      = seqnos_memory_object_init (UNWRAP (p), seqno, control, name, page_size);
  if (kr != KERN_SUCCESS)
    unmapped (UNWRAP (p), control);
  return kr;
}

kern_return_t
_pager_seqnos_memory_object_terminate (pager_t p, mach_port_seqno_t seqno,
                                       mach_port_t control, mach_port_t name)
{
  kern_return_t kr = seqnos_memory_object_terminate (UNWRAP (p), seqno, control, name);
  unmapped (UNWRAP (p), control);
  return kr;
}

kern_return_t
_pager_seqnos_memory_object_copy (pager_t p, mach_port_seqno_t seqno, mach_port_t control,
                                  vm_offset_t offset, vm_size_t length,
                                  mach_port_t new_object)
{
  return seqnos_memory_object_copy (UNWRAP (p), seqno, control, offset, length,
                                    new_object);
}

kern_return_t
_pager_seqnos_memory_object_data_request (pager_t p, mach_port_seqno_t seqno,
                                          mach_port_t control, vm_offset_t offset,
                                          vm_size_t length, vm_prot_t access)
{
  return seqnos_memory_object_data_request (UNWRAP (p), seqno, control, offset, length,
                                            access);
}

kern_return_t
_pager_seqnos_memory_object_data_unlock (pager_t p, mach_port_seqno_t seqno,
                                         mach_port_t control, vm_offset_t offset,
                                         vm_size_t length, vm_prot_t access)
{
  return seqnos_memory_object_data_unlock (UNWRAP (p), seqno, control, offset, length,
                                           access);
}

kern_return_t
_pager_seqnos_memory_object_lock_completed (pager_t p, mach_port_seqno_t seqno,
                                            mach_port_t control, vm_offset_t offset,
                                            vm_size_t length)
{
  return seqnos_memory_object_lock_completed (UNWRAP (p), seqno, control, offset, length);
}

kern_return_t
_pager_seqnos_memory_object_supply_completed (pager_t p, mach_port_seqno_t seqno,
                                              mach_port_t control, vm_offset_t offset,
                                              vm_size_t length, kern_return_t result,
                                              vm_offset_t error_offset)
{
  return seqnos_memory_object_supply_completed (UNWRAP (p), seqno, control, offset,
                                                length, result, error_offset);
}

kern_return_t
_pager_seqnos_memory_object_data_return (pager_t p, mach_port_seqno_t seqno,
                                         mach_port_t control, vm_offset_t offset,
                                         vm_offset_t data, mach_msg_type_number_t count,
                                         boolean_t dirty, boolean_t kernel_copy)
{
  return seqnos_memory_object_data_return (UNWRAP (p), seqno, control, offset, data,
                                           count, dirty, kernel_copy);
}

kern_return_t
_pager_seqnos_memory_object_change_completed (pager_t p, mach_port_seqno_t seqno,
                                              boolean_t may_cache,
                                              memory_object_copy_strategy_t strategy)
{
  return seqnos_memory_object_change_completed (UNWRAP (p), seqno, may_cache, strategy);
}
