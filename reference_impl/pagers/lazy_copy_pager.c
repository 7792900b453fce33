/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager that makes the kernel's copies LAZILY, copy on
   write: every object is made ready with MEMORY_OBJECT_COPY_CALL, so GNU Mach
   leaves its copies to this pager (memory_object_copy, §1a, 2202), and a copy
   costs nothing until the original's page is about to change.

   Threading is that of lazy_copy_pager.c: ONE thread serves every port
   of one port set with the plain (non-SEQNOS) stubs on
   mach_msg_server_timeout, so each port's messages are handled to completion
   in the order the kernel queued them (SQ7), and nothing is ever waited for
   (SQ6).

   The copies.  A copy must read as the original's range did when the
   kernel made it (CP3).  memory_object.defs, on memory_object_copy: the
   kernel write-locks the range's pages it holds, and "the memory manager may
   use the memory_object_data_unavailable call to indicate that the
   appropriate page of the original memory object may be used", the kernel
   then reading the original's page as it is AT THAT MOMENT.  So this pager
   keeps one invariant:

     a page of an original inside a copied range that the copy has not yet
     been given ("pushed") never changes.

   Then answering the copy's request for an un-pushed page with
   data_unavailable is right: the original's page still reads as it did at
   the copy.  The invariant holds because
     - the kernel write-locked the range's resident pages when it copied;
     - every page of an un-pushed range the pager supplies to the original
       is supplied write-locked (it never supplies such a page with
       data_unavailable, which would leave it writable);
     - a data_unlock of such a page is granted only after the page's
       contents are pushed into every copy that has not got them: the
       pager recalls the page (lock_request RETURN_ALL, no flush, lock kept,
       the object port as reply port); a modified page comes back before the
       lock_completed (LK2, LK8), and the kernel cannot have changed it since
       the copy (write-locked), so the store holds the copy-time contents
       when the lock_completed is handled; a clean page is not returned (it
       is not precious), and then the store already holds what the kernel
       has.  Each copy that has not got the page saves it; then the unlock
       is granted;
     - a data_return of the original for an un-pushed page carries the
       copy-time contents (the page could not be written since), so it is
       stored as usual.
   A copy's own data_return is its own data (the page counts as pushed from
   then on); its data_unlock is granted; its terminate releases its rights
   and destroys its port.  The kernel keeps an original alive while a copy
   of it exists (vm_object_copy_call's reference), so no original goes
   while it has copies.

   Rule IDs in the comments (IN9, SQ7, TM4, RT2, CP3, ...) are those of the
   rule catalogue (emmi-rules.md); section numbers (§2, §3g, ...) refer to the
   notes on how GNU Mach behaves (gnumach-kernel.md).  Store semantics, page
   size policy and options are those of reference_pager.c.  */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/memory_object_S.h> /* MIG, memory_object.defs */
#include <emmi/mig/notify_S.h>        /* MIG, notify.defs */

/* The demuxes MIG generates; their headers declare only the handlers.  */
extern boolean_t memory_object_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);
extern boolean_t notify_server (mach_msg_header_t *request, mach_msg_header_t *reply);

/* How long the server thread waits in one receive before it goes round the
   loop again.  */
#define SERVER_TIMEOUT_MS 200

/* The unit in which the store remembers what the kernels gave back: the
   smallest page size a GNU Mach kernel uses.  */
#define STORE_BLOCK ((vm_size_t) 4096)

/* The largest kernel page size served unless "max_page_size=<bytes>" says
   otherwise: 16 KiB.  Larger pages are refused at init (RD3).  */
#define DEFAULT_MAX_PAGE_SIZE ((vm_size_t) 16384)

/* One kernel's view of one memory object (IN3, MK1, MK2, MK4).  */
struct kernel_binding
{
  struct kernel_binding *next;
  mach_port_t control; /* our name for the control port; we hold one send uref */
  mach_port_t name;    /* our name for the name port; one send uref */
  vm_size_t page_size; /* every size exchanged with this kernel is a multiple */
};

/* Touched only by the server thread between start() and stop(); start()
   creating it and stop() joining it order everything else.

   A configured object, or a copy the kernel made of one (ORIGINAL set).  A
   copy's store is its own data: the pages pushed into it from the original
   and those the kernel returned from the copy, each marked in `returned`; a
   page not marked is read from the original (data_unavailable).  */
struct pager_object
{
  mach_port_t port;   /* receive right; the kernels hold send rights */
  vm_address_t store; /* contents, page aligned (SU9) */
  vm_size_t size;
  unsigned char *returned;        /* per STORE_BLOCK: a kernel gave data back,
                                     or (a copy) the page was pushed */
  struct kernel_binding *kernels; /* in init order */
  /* A copy only: the object it copies, where the copy starts in it, and the
     next copy of the list.  */
  struct pager_object *original;
  vm_offset_t copy_offset;
  struct pager_object *next_copy;
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects; /* the array is fixed between start and stop */
  size_t object_count;
  struct pager_object *copies; /* the copies alive, newest first */
  vm_size_t max_page_size;
  pthread_t server;
  bool server_running;
} pager;

static struct pager_object *
object_for_port (mach_port_t port)
{
  for (size_t i = 0; i < pager.object_count; i++)
    if (pager.objects[i].port == port)
      return &pager.objects[i];
  for (struct pager_object *c = pager.copies; c != NULL; c = c->next_copy)
    if (c->port == port)
      return c;
  return NULL;
}

static struct kernel_binding *
binding_for (struct pager_object *obj, mach_port_t control)
{
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    if (k->control == control)
      return k;
  return NULL;
}

static void
release_send_right (mach_port_t name)
{
  mach_port_deallocate (mach_task_self (), name);
}

/* A kernel page size this pager can serve: a whole number of store blocks
   (SU9), no larger than the configured maximum, dividing the object (IN5).  */
static bool
page_size_servable (const struct pager_object *obj, vm_size_t page_size)
{
  return page_size != 0 && page_size % STORE_BLOCK == 0
         && page_size <= pager.max_page_size && obj->size % page_size == 0;
}

/* Whether [offset, offset+length) names whole pages of K inside OBJ (DR2,
   PS1).  */
static bool
range_valid (const struct pager_object *obj, const struct kernel_binding *k,
             vm_offset_t offset, vm_size_t length)
{
  return length != 0 && offset % k->page_size == 0 && length % k->page_size == 0
         && offset <= obj->size && length <= obj->size - offset;
}

static bool
holds_data (const struct pager_object *obj, vm_offset_t offset, vm_size_t length)
{
  for (vm_offset_t b = offset; b < offset + length; b += STORE_BLOCK)
    if (obj->returned[b / STORE_BLOCK])
      return true;
  return false;
}

/* Whether the page [offset, offset+size) of the original OBJ lies in the
   range of a copy that has not been given it yet: then the page must not
   change (the invariant, above).  */
static bool
page_unpushed (const struct pager_object *obj, vm_offset_t offset, vm_size_t size)
{
  for (const struct pager_object *c = pager.copies; c != NULL; c = c->next_copy)
    {
      if (c->original != obj)
        continue;
      for (vm_offset_t b = offset; b < offset + size; b += STORE_BLOCK)
        if (b >= c->copy_offset && b < c->copy_offset + c->size
            && !c->returned[(b - c->copy_offset) / STORE_BLOCK])
          return true;
    }
  return false;
}

/* The page [offset, offset+size) of the original OBJ is about to change:
   every copy of it that has not been given the page takes it from the store,
   which holds what the page read when each such copy was made (the page
   could not change since: the invariant, above).  */
static void
push_page (struct pager_object *obj, vm_offset_t offset, vm_size_t size)
{
  for (struct pager_object *c = pager.copies; c != NULL; c = c->next_copy)
    {
      if (c->original != obj)
        continue;
      for (vm_offset_t b = offset; b < offset + size; b += STORE_BLOCK)
        {
          if (b < c->copy_offset || b >= c->copy_offset + c->size)
            continue;
          const vm_offset_t at = b - c->copy_offset;
          if (c->returned[at / STORE_BLOCK])
            continue;
          /* A block no kernel ever returned is zeros in the store, as the
             original's data_unavailable had them.  */
          memcpy ((void *) (c->store + at), (const void *) (obj->store + b), STORE_BLOCK);
          c->returned[at / STORE_BLOCK] = 1;
        }
    }
}

/* One kernel page: the store's data if a kernel ever returned any of it
   (DR3, SU6, DR6; the kernel copies it, no deallocation, SU10), else
   data_unavailable so that the kernel zero-fills it (DR5, UN1).
   A copy's page not pushed yet is data_unavailable too: the kernel reads
   the original's page, which reads as it did at the copy (memory_object.defs
   on memory_object_copy; CP3).  An original's page a copy has not been
   given is supplied write-locked, zeros included (a data_unavailable would
   leave it writable), so that the kernel asks (data_unlock) before it
   changes it.  */
static void
answer_page (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
             vm_size_t size)
{
  if (obj->original == NULL && page_unpushed (obj, offset, size))
    memory_object_data_supply (control, offset, obj->store + offset, size, FALSE,
                               VM_PROT_WRITE, FALSE, MACH_PORT_NULL);
  else if (holds_data (obj, offset, size))
    memory_object_data_supply (control, offset, obj->store + offset, size, FALSE,
                               VM_PROT_NONE, FALSE, MACH_PORT_NULL);
  else
    memory_object_data_unavailable (control, offset, size);
}

/* --- The memory_object interface (plain server, memory_object.defs) ------ */

/* The handlers run on the one server thread, in the order the messages
   were dequeued, which for one receiving thread is each object's seqno order
   (SQ7): no lock, no seqno.  A NULL object (a port that is not one of ours)
   gets an error return, so that mach_msg_server releases the request's
   rights (V3).  */

kern_return_t
memory_object_init (mach_port_t object_port, mach_port_t control, mach_port_t name,
                    vm_size_t page_size)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  kern_return_t result = KERN_SUCCESS;
  struct kernel_binding *k = NULL;
  /* One kernel per object: two kernels writing the same page would need
     the pager to recall one's copy before the other writes (MK3, as
     reference_pager.c does); this pager supplies every page writable, so a
     second kernel's init is refused, the conforming way (RD3, below).  */
  if (page_size_servable (obj, page_size) && obj->kernels == NULL)
    k = calloc (1, sizeof *k);
  if (k == NULL)
    {
      /* Refuse the conforming way (RD3): memory_object_destroy, which makes
         the kernel send terminate with the control and name receive rights
         (DS2).  The error return makes mach_msg_server release the two send
         rights this message carried, so this
         handler releases neither (IN9, V1).  */
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
      result = KERN_INVALID_ARGUMENT;
    }
  else
    {
      /* IN3, MK1: this kernel's own control and name ports, and its unit.  */
      k->control = control;
      k->name = name;
      k->page_size = page_size;
      struct kernel_binding **tail = &obj->kernels;
      while (*tail != NULL)
        tail = &(*tail)->next;
      *tail = k;
      /* RD1, IN2: ready; no caching after the last unmap.  An object of
         ours: COPY_CALL, the kernel's copies of it are ours to make
         (§1a).  A copy: COPY_DELAY, the kernel copies a copy itself; its
         data never changes behind the kernel's back (CP4).  */
      memory_object_ready (control, FALSE,
                           obj->original == NULL ? MEMORY_OBJECT_COPY_CALL
                                                 : MEMORY_OBJECT_COPY_DELAY);
    }
  return result;
}

kern_return_t
memory_object_terminate (mach_port_t object_port, mach_port_t control, mach_port_t name)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  /* TM6: forget this kernel, so that its next init starts afresh.  */
  for (struct kernel_binding **p = &obj->kernels; *p != NULL; p = &(*p)->next)
    if ((*p)->control == control)
      {
        struct kernel_binding *k = *p;
        *p = k->next;
        /* V6, §3g: the send rights init gave us, first ...  */
        release_send_right (k->control);
        release_send_right (k->name);
        free (k);
        break;
      }
  /* ... then the receive rights this message moved to us (TM3): destroy both
     ports (TM4, TM5).  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
  /* A copy is mapped by the kernel that made it and no other: terminated,
     it is gone.  The receive right memory_object_copy moved to us is
     destroyed (the kernel holds only a send right to it) and the record
     freed: the original's pages are no longer owed to it.  */
  if (obj->original != NULL && obj->kernels == NULL)
    {
      for (struct pager_object **p = &pager.copies; *p != NULL; p = &(*p)->next_copy)
        if (*p == obj)
          {
            *p = obj->next_copy;
            break;
          }
      mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
      vm_deallocate (mach_task_self (), obj->store, obj->size);
      free (obj->returned);
      free (obj);
    }
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_request (mach_port_t object_port, mach_port_t control,
                            vm_offset_t offset, vm_size_t length,
                            vm_prot_t desired_access)
{
  (void) desired_access; /* every answer grants every access (DR6) */
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    /* Not a kernel we serve, or not whole pages of it: the error return
       has the right released for us (V3).  */
    return KERN_INVALID_ARGUMENT;
  /* DR3, DR8: every page of the range, on the asking kernel's control port,
     in that kernel's page units (IN5, MK4).  */
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
    answer_page (obj, control, page, k->page_size);
  /* §3f: the send right this request carried is ours; dropping it at once
     keeps one uref per kernel, which terminate releases.  */
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_unlock (mach_port_t object_port, mach_port_t control,
                           vm_offset_t offset, vm_size_t length, vm_prot_t desired_access)
{
  (void) desired_access;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    return KERN_INVALID_ARGUMENT;
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
    {
      const bool owed = obj->original == NULL && page_unpushed (obj, page, k->page_size);
#ifdef EMMI_MUTANT_LAZY_COPY_GRANTS_FIRST
      /* MUTANT lazy_copy_grants_first: the unlock is granted before the
         push, so the kernel may change the page before the copies have it.  */
      memory_object_lock_request (control, page, k->page_size, MEMORY_OBJECT_RETURN_NONE,
                                  FALSE, VM_PROT_NONE, MACH_PORT_NULL);
#endif
      if (owed)
        /* A copy still reads this page from the original: push it before
           the kernel may change it (the invariant, CP3).  Bring back the
           kernel's contents (LK2: a modified page comes back before the
           lock_completed, LK8), keeping the page write-locked
           (VM_PROT_NO_CHANGE) until the push is done; the grant follows in
           memory_object_lock_completed.  RETURN_ALL rather than
           RETURN_DIRTY: GNU Mach returns a page that is dirty or precious
           for it, so a precious page would come back too; this pager never
           supplies one, so the two return the same.  */
        memory_object_lock_request (control, page, k->page_size, MEMORY_OBJECT_RETURN_ALL,
                                    FALSE, VM_PROT_NO_CHANGE, obj->port);
#ifndef EMMI_MUTANT_LAZY_COPY_GRANTS_FIRST
      else
        /* UL2: never restricting access, grant by lifting every lock
           (LK6).  */
        memory_object_lock_request (control, page, k->page_size,
                                    MEMORY_OBJECT_RETURN_NONE, FALSE, VM_PROT_NONE,
                                    MACH_PORT_NULL);
#endif
    }
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_return (mach_port_t object_port, mach_port_t control,
                           vm_offset_t offset, vm_offset_t data,
                           mach_msg_type_number_t data_count, boolean_t dirty,
                           boolean_t kernel_copy)
{
  (void) dirty;
  (void) kernel_copy;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k != NULL && range_valid (obj, k, offset, data_count))
    {
      /* RT4: keep what the kernel gave back, dirty or not; the next request
         for these pages, from any kernel, is served from it.  An original's
         page a copy has not got carries the contents it had at the copy
         (it was write-locked since), so the store still reads as the copy
         must.  A copy's returned page is its own from now on.  */
      for (vm_offset_t b = 0; b < data_count; b += STORE_BLOCK)
        {
          memcpy ((void *) (obj->store + offset + b), (const void *) (data + b),
                  STORE_BLOCK);
          obj->returned[(offset + b) / STORE_BLOCK] = 1;
        }
    }
  /* RT2, PR8: the out-of-line pages are ours to release.  */
  vm_deallocate (mach_task_self (), data, data_count);
  release_send_right (control); /* §3f */
  return KERN_SUCCESS;
}

/* The completion of a push (memory_object_data_unlock above; the only
   lock_request naming a reply port): whatever the kernel held modified of
   the page came back before it (LK2, LK8) and is in the store, so the store
   holds the page as every copy made since the page was last written reads
   it.  Each copy that has not got the page takes it now; then the unlock
   the kernel asked for is granted (UL2, LK6).  A copy made since the push
   was sent takes it too: the page was still write-locked when it was
   made.  The control send right the message carries is ours to release
   (§3f).  */
kern_return_t
memory_object_lock_completed (mach_port_t object_port, mach_port_t control,
                              vm_offset_t offset, vm_size_t length)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k != NULL && obj->original == NULL && range_valid (obj, k, offset, length))
    {
      push_page (obj, offset, length);
#ifndef EMMI_MUTANT_LAZY_COPY_GRANTS_FIRST
      memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE,
                                  FALSE, VM_PROT_NONE, MACH_PORT_NULL);
#endif
    }
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_supply_completed (mach_port_t object_port, mach_port_t control,
                                vm_offset_t offset, vm_size_t length,
                                kern_return_t result, vm_offset_t error_offset)
{
  (void) object_port;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_change_completed (mach_port_t object_port, boolean_t may_cache,
                                memory_object_copy_strategy_t strategy)
{
  (void) object_port;
  (void) may_cache;
  (void) strategy;
  return KERN_SUCCESS;
}

/* The kernel copied [offset, offset+length) of an object of ours
   (COPY_CALL, §1a; memory_object.defs).  The copy is only recorded: its
   pages are read from the original until the original is about to change
   them (data_unlock, above), so nothing is recalled now.  The new object's
   receive right joins the port set, where the init the kernel queued on it
   waits; the old control send right this message carried (one more uref on
   the name we hold for that kernel's control) is released, as every
   request's (§3f).  A copy that cannot be made (not ours to copy: a copy is
   ready with COPY_DELAY; not whole pages; no memory) is refused with an
   error return: mach_msg_server then releases both rights (V3).  */
kern_return_t
memory_object_copy (mach_port_t object_port, mach_port_t old_control, vm_offset_t offset,
                    vm_size_t length, mach_port_t new_object)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, old_control);
  if (obj->original != NULL || k == NULL || !range_valid (obj, k, offset, length))
    return KERN_FAILURE;
  struct pager_object *c = calloc (1, sizeof *c);
  if (c == NULL)
    return KERN_RESOURCE_SHORTAGE;
  c->size = length;
  c->original = obj;
  c->copy_offset = offset;
  c->returned = calloc (length / STORE_BLOCK, 1);
  if (c->returned == NULL
      || vm_allocate (mach_task_self (), &c->store, length, TRUE) != KERN_SUCCESS)
    {
      free (c->returned);
      free (c);
      return KERN_RESOURCE_SHORTAGE;
    }
  if (mach_port_move_member (mach_task_self (), new_object, pager.port_set)
      != KERN_SUCCESS)
    {
      vm_deallocate (mach_task_self (), c->store, length);
      free (c->returned);
      free (c);
      return KERN_FAILURE;
    }
  c->port = new_object;
  c->next_copy = pager.copies;
  pager.copies = c;
  release_send_right (old_control);
  return KERN_SUCCESS;
}

/* --- The notify interface (plain server, notify.defs; V5) ----------------- */

/* This pager requests no notification, so any that arrives on an object
   port was not asked for.  Those that carry nothing are accepted and
   ignored; a dead-name notification names a right we never registered, so
   its name is not ours to deallocate; port-destroyed carries a receive right
   we do not want: the error return has it destroyed (V3).  */

kern_return_t
do_mach_notify_port_deleted (mach_port_t notify, mach_port_name_t name)
{
  (void) notify;
  (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_mach_notify_msg_accepted (mach_port_t notify, mach_port_name_t name)
{
  (void) notify;
  (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_mach_notify_port_destroyed (mach_port_t notify, mach_port_t rights)
{
  (void) notify;
  (void) rights;
  return KERN_FAILURE;
}

kern_return_t
do_mach_notify_no_senders (mach_port_t notify, mach_port_mscount_t mscount)
{
  (void) notify;
  (void) mscount;
  return KERN_SUCCESS;
}

kern_return_t
do_mach_notify_send_once (mach_port_t notify)
{
  (void) notify;
  return KERN_SUCCESS;
}

kern_return_t
do_mach_notify_dead_name (mach_port_t notify, mach_port_name_t name)
{
  (void) notify;
  (void) name;
  return KERN_SUCCESS;
}

/* --- The server loop ------------------------------------------------------- */

/* The demux handed to mach_msg_server_timeout: the memory_object interface,
   then notifications.  A message neither knows is rejected (MIG_BAD_ID), and
   mach_msg_server destroys it with what it carried (G5).  */
static boolean_t
pager_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  if (memory_object_server (request, reply))
    return TRUE;
  return notify_server (request, reply);
}

static void *
server_thread (void *arg)
{
  /* The port set, handed over at pthread_create: lazy_copy_stop clears
     pager.port_set, maybe before this thread first reads it.  */
  mach_port_t port_set = (mach_port_t) (uintptr_t) arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped (§2).
     A timeout only means nothing came for a while: receive again.  Any other
     return is the port set going away in lazy_copy_stop.  */
  for (;;)
    {
      mach_msg_return_t mr
          = mach_msg_server_timeout (pager_demux, 0, port_set, MACH_RCV_TIMEOUT,
                                     SERVER_TIMEOUT_MS);
      if (mr != MACH_RCV_TIMED_OUT)
        break;
    }
  return NULL;
}

/* --- The entry ABI (emmi/pager_abi.h) ---------------------------------------- */

static void
free_objects (void)
{
  while (pager.copies != NULL)
    {
      struct pager_object *c = pager.copies;
      pager.copies = c->next_copy;
      while (c->kernels != NULL)
        {
          struct kernel_binding *k = c->kernels;
          c->kernels = k->next;
          release_send_right (k->control);
          release_send_right (k->name);
          free (k);
        }
      mach_port_mod_refs (mach_task_self (), c->port, MACH_PORT_RIGHT_RECEIVE, -1);
      vm_deallocate (mach_task_self (), c->store, c->size);
      free (c->returned);
      free (c);
    }
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      while (obj->kernels != NULL)
        {
          struct kernel_binding *k = obj->kernels;
          obj->kernels = k->next;
          release_send_right (k->control);
          release_send_right (k->name);
          free (k);
        }
      if (obj->port != MACH_PORT_NULL)
        mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
      if (obj->store != 0)
        vm_deallocate (mach_task_self (), obj->store, obj->size);
      free (obj->returned);
    }
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
}

static void
lazy_copy_stop (void)
{
  /* The receive returns MACH_RCV_PORT_DIED (or the name is gone), so
     mach_msg_server_timeout returns something other than a timeout and the
     loop ends.  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.server_running)
    pthread_join (pager.server, NULL);
  pager.server_running = false;
  free_objects ();
}

/* The options this pager understands: whitespace- or comma-separated
   "key=value" words; "max_page_size=<bytes>" as the reference pager;
   unknown words are an error.  */
static bool
parse_options (const char *options)
{
  pager.max_page_size = DEFAULT_MAX_PAGE_SIZE;
  if (options == NULL)
    return true;
  const char *p = options;
  while (*p != '\0')
    {
      size_t len = strcspn (p, " \t,");
      static const char key[] = "max_page_size=";
      if (len > sizeof key - 1 && strncmp (p, key, sizeof key - 1) == 0)
        {
          char *end;
          unsigned long long v = strtoull (p + sizeof key - 1, &end, 0);
          if (end != p + len || v == 0 || v % STORE_BLOCK != 0)
            return false;
          pager.max_page_size = (vm_size_t) v;
        }
      else if (len != 0)
        return false;
      p += len;
      p += strspn (p, " \t,");
    }
  return true;
}

static kern_return_t
lazy_copy_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
{
  if (config->abi_version != EMMI_PAGER_ABI_VERSION
      || config->dialect != EMMI_DIALECT_GNUMACH)
    return KERN_INVALID_ARGUMENT;
  if (config->object_count == 0 || config->object_size == 0
      || config->object_size % STORE_BLOCK != 0)
    return KERN_INVALID_ARGUMENT;
  if (pager.objects != NULL)
    return KERN_FAILURE; /* one instance per process */
  if (!parse_options (config->options))
    return KERN_INVALID_ARGUMENT;

  mach_port_t task = mach_task_self ();
  pager.server_running = false;
  kern_return_t kr = mach_port_allocate (task, MACH_PORT_RIGHT_PORT_SET, &pager.port_set);
  if (kr != KERN_SUCCESS)
    return kr;
  pager.objects = calloc (config->object_count, sizeof *pager.objects);
  if (pager.objects == NULL)
    goto fail_no_memory;
  pager.object_count = config->object_count;

  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      obj->size = config->object_size;
      obj->returned = calloc (obj->size / STORE_BLOCK, 1);
      if (obj->returned == NULL)
        goto fail_no_memory;
      kr = vm_allocate (task, &obj->store, obj->size, TRUE);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &obj->port);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_move_member (task, obj->port, pager.port_set);
      if (kr != KERN_SUCCESS)
        goto fail;
      out[i].port = obj->port;
      out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }

  if (pthread_create (&pager.server, NULL, server_thread,
                      (void *) (uintptr_t) pager.port_set)
      != 0)
    {
      lazy_copy_stop ();
      return KERN_RESOURCE_SHORTAGE;
    }
  pager.server_running = true;
  return KERN_SUCCESS;

fail_no_memory:
  kr = KERN_RESOURCE_SHORTAGE;
fail:
  mach_port_mod_refs (task, pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  free_objects ();
  return kr;
}

static const struct emmi_pager lazy_copy_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "lazy-copy",
  .start = lazy_copy_start,
  .stop = lazy_copy_stop,
};

/* The plain stubs (memory_object_server): its handlers never see a seqno,
   so the SEQNOS rules are not its duty (pager_abi.h). Without this symbol
   the suite would assume the same.  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &lazy_copy_pager;
}
