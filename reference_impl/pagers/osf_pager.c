/* SPDX-License-Identifier: MIT */
/* The OSF reference pager: a conforming EMMI pager for a kernel that speaks
   the OSF MK interface of the manual pages (spec/xnu-osfmk-man/), built on
   the SEQNOS server and the control stubs MIG generates from emmi-cts's
   own .defs (harness/mach/defs/osf/, linked as emmi_pager_api_osf).

   What the OSF dialect changes, against the GNU Mach pagers of this
   directory (whose design this one follows: single_thread_pager.c):
   - memory_object_init carries no name port (memory_object_init.html), and
     memory_object_terminate only the control port's receive right
     (memory_object_terminate.html): a binding holds one port, and terminate
     releases one send right and one receive right (V6, TM4).
   - There is no memory_object_ready: the object is confirmed with a
     flavoured memory_object_change_attributes (memory_object_create.html,
     RD1), here MEMORY_OBJECT_ATTRIBUTES_INFO with exactly
     MEMORY_OBJECT_ATTR_INFO_COUNT ints (CA1, CA2).
   - memory_object_synchronize (the kernel's vm_msync) is answered with
     memory_object_synchronize_completed naming the same offset and length
     (SY3), always (SY5), once the data_returns that preceded it have been
     stored (SY1, SY2, SY6, SY8).
   - The pager's own actions (entry ABI version 2: sync, flush,
     change_attributes, shutdown, read_store) use the OSF control calls:
     memory_object_lock_request (memory_object_lock_request.html) and its
     lock_completed (MO_lock_completed.html), the flavoured
     memory_object_change_attributes and its change_completed, which echoes
     the flavour (MO_change_completed.html), and memory_object_destroy
     (memory_object_destroy.html).

   The design: one server thread receives every message of every object
   from one port set and handles it to completion before it receives the
   next, so each object's messages take effect in the kernel's order (SQ7)
   and a synchronize is handled only after every data_return queued before
   it has been stored: answering it at once is waiting "for the pages to
   reach the desired state" (SY2), and the store is this pager's backing
   storage (SY6, SY8), unless the write_behind option puts a separate one
   behind it, which a SYNCHRONOUS synchronize writes the range to first.
   The completion is sent once pager.lock is released (osf_demux), so the
   suite, which reads the store at the instant of the completion
   (emmi_pager_read_backing_store), finds the lock free (not so with the
   complete_under_lock option).  The seqno the SEQNOS stubs pass
   is not needed for ordering with one receiving thread; it is kept for the handlers'
   signatures only.

   The actions run on a suite thread, not the server thread.  One mutex
   (pager.lock) is held by the server thread while it handles a message and
   by an action while it reads or changes the objects and sends its
   requests; an action that waits for completions releases it in
   pthread_cond_wait, so the server thread takes the data_returns and the
   completions in the kernel's order, and wakes it (pager.handled) after
   each message.  This is the way GNU Hurd's libpager waits in
   _pager_lock_object, and reference_pager.c's actions.

   Rule IDs in the comments are those of emmi-rules.md.

   Mutants (reference_impl/mutants/mutants.json, "dialect": "osf") are built
   from this file with one EMMI_MUTANT_OSF_* macro each; every #ifdef names
   the rule its bug breaks.  */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>
#include <mach/vm_sync.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/notify_S.h> /* MIG, GNU Mach notify.defs */
#include <emmi/osf/memory_object_types.h>
#include <emmi/osf/osf_memory_object_control.h>  /* MIG, osf_memory_object_control.defs */
#include <emmi/osf/osf_seqnos_memory_object_S.h> /* MIG, osf_memory_object.defs -DSEQNOS */

/* The demuxes MIG generates; their headers declare only the handlers.  */
extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t notify_server (mach_msg_header_t *request, mach_msg_header_t *reply);

/* How many completions one object may await at a time (one per kernel and
   action: the actions run one at a time).  */
#define PENDING_COMPLETIONS 8

/* How long the server thread waits in one receive before it goes round the
   loop again.  */
#define SERVER_TIMEOUT_MS 200

/* The unit in which the store remembers what the kernels gave back: the
   smallest page size the suite's kernels use.  */
#define STORE_BLOCK ((vm_size_t) 4096)

/* The largest kernel page size served unless "max_page_size=<bytes>" says
   otherwise.  */
#define DEFAULT_MAX_PAGE_SIZE ((vm_size_t) 16384)

/* One kernel's view of one memory object: in the OSF dialect, its control
   port alone identifies the kernel (memory_object_init.html: "If the memory
   object has been supplied to more than one kernel, this parameter
   identifies the kernel that is making the call", IN8).  */
struct kernel_binding
{
  struct kernel_binding *next;
  mach_port_t control; /* our name for the control port; one send uref */
#ifdef EMMI_MUTANT_OSF_NAME_PORT_RELEASE
  /* V3 bug: a terminate handler ported from GNU Mach, which also releases
     the name port init used to carry; with no name port the port keeps
     the control's name in that slot.  */
  mach_port_t name;
#endif
  vm_size_t page_size; /* every size exchanged with this kernel is a multiple */
};

/* A lock_request or change_attributes an action made with the object port
   as reply port, whose completion has not been handled: lock_completed is
   matched by control port, offset and size (LK9), change_completed by
   control port and flavour (CA5).  */
struct pending_completion
{
  mach_port_t control;
  bool lock; /* lock_completed; else change_completed */
  vm_offset_t offset;
  vm_size_t size;
  memory_object_flavor_t flavor;
};

/* Between start() and stop(), touched under pager.lock only.  */
struct pager_object
{
  mach_port_t port;   /* receive right; the kernels hold send rights */
  vm_address_t store; /* contents, page aligned (SU9) */
  /* Write-behind (option "write_behind"): the backing storage, which
     `store` runs ahead of, and per STORE_BLOCK whether `store` holds data
     not yet written to it (queued for backing storage, SY8).  Without the
     option both are unused: `store` is the backing storage.  */
  vm_address_t disk;
  unsigned char *queued;
  vm_size_t size;
  unsigned char *returned;        /* per STORE_BLOCK: a kernel gave data back */
  struct kernel_binding *kernels; /* in init order */
  /* The caching attribute each kernel is told at init: off until a
     change_attributes action turns it on.  */
  bool may_cache;
  /* The completions the running action waits for (LK8, CA3).  */
  struct pending_completion pending[PENDING_COMPLETIONS];
  size_t pending_count;
};

static struct
{
  /* Held by the server thread while it handles a message, and by an
     action except while it waits on `handled`, broadcast after every
     message.  */
  pthread_mutex_t lock;
  pthread_cond_t handled;
  mach_port_t port_set;
  struct pager_object *objects;
  size_t object_count;
  vm_size_t max_page_size;
  bool write_behind;
  bool complete_under_lock; /* option "complete_under_lock" (send_completion) */
  pthread_t server;
  bool server_running;
} pager = { .lock = PTHREAD_MUTEX_INITIALIZER, .handled = PTHREAD_COND_INITIALIZER };

static struct pager_object *
object_for_port (mach_port_t port)
{
  for (size_t i = 0; i < pager.object_count; i++)
    if (pager.objects[i].port == port)
      return &pager.objects[i];
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

/* A kernel page size this pager can serve: whole store blocks (SU9), no
   larger than the configured maximum, dividing the object (IN5).  */
static bool
page_size_servable (const struct pager_object *obj, vm_size_t page_size)
{
  return page_size != 0 && page_size % STORE_BLOCK == 0
         && page_size <= pager.max_page_size && obj->size % page_size == 0;
}

/* Whether [offset, offset+length) names whole pages of K inside OBJ.  */
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

/* Write-behind: put what [offset, offset+length) of OBJ has queued on its
   backing storage.  */
static void
write_back (struct pager_object *obj, vm_offset_t offset, vm_size_t length)
{
  if (!pager.write_behind)
    return;
  for (vm_offset_t b = offset; b < offset + length && b < obj->size; b += STORE_BLOCK)
    if (obj->queued[b / STORE_BLOCK])
      {
        memcpy ((void *) (obj->disk + b), (const void *) (obj->store + b), STORE_BLOCK);
        obj->queued[b / STORE_BLOCK] = 0;
      }
}

/* One kernel page: the store's data if a kernel ever returned any of it
   (memory_object_data_supply.html; the kernel copies it, deallocate FALSE),
   else data_unavailable so that the kernel zero-fills it (UN1).  */
static void
answer_page (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
             vm_size_t size)
{
  if (holds_data (obj, offset, size))
    memory_object_data_supply (control, offset, obj->store + offset, size, FALSE,
                               VM_PROT_NONE, FALSE, MACH_PORT_NULL);
  else
    memory_object_data_unavailable (control, offset, size);
}

/* The attributes this pager confirms an object with (memory_object_attr_info
   .html): copy-on-write, since the data never changes behind the kernel's
   back (CP4); the kernel's page as cluster (CP9); caching after the last
   unmapping only once a change_attributes action turned it on; not
   temporary (CP7).  */
static kern_return_t
confirm_object (mach_port_t control, vm_size_t page_size, bool may_cache)
{
  struct memory_object_attr_info attr;
  memset (&attr, 0, sizeof attr);
  attr.copy_strategy = MEMORY_OBJECT_COPY_DELAY;
#ifdef EMMI_MUTANT_OSF_COPY_SYMMETRIC
  /* CP6 bug: asks for MEMORY_OBJECT_COPY_SYMMETRIC, the kernel's own
     strategy.  */
  attr.copy_strategy
      = 4; /* MEMORY_OBJECT_COPY_SYMMETRIC, absent from GNU Mach's headers */
#endif
  attr.cluster_size = page_size;
  attr.may_cache = may_cache;
  attr.temporary = FALSE;
  /* CA2: attributes_count in ints, the flavour's own count.  */
  mach_msg_type_number_t count = MEMORY_OBJECT_ATTR_INFO_COUNT;
#ifdef EMMI_MUTANT_OSF_FLAVOR_COUNT
  /* CA2 bug: the count of another flavour's structure.  */
  count = MEMORY_OBJECT_PERF_INFO_COUNT;
#endif
  int buf[sizeof attr / sizeof (int)];
  memcpy (buf, &attr, sizeof attr);
  /* CA1: the flavour says which structure the buffer holds.  No reply port:
     the handler that confirms the object waits for nothing (CA3 matters
     when caching is turned off, which only the change_attributes action
     does, with a reply port).  */
  return memory_object_change_attributes (control, MEMORY_OBJECT_ATTRIBUTES_INFO, buf,
                                          count, MACH_PORT_NULL);
}

#ifdef EMMI_MUTANT_OSF_SYNC_BEFORE_RETURNS
/* SY2 bug: a write-behind pager.  A data_return is only queued (a copy
   kept aside), to be written to the store when the kernel terminates its
   mapping; synchronize is answered at once, without applying the queued
   returns it covers, and data_request is served from the store alone.  */
struct pending_return
{
  struct pending_return *next;
  struct pager_object *obj;
  vm_offset_t offset;
  vm_size_t size;
  unsigned char data[];
};
static struct pending_return *write_behind;

static void
apply_write_behind (struct pager_object *obj)
{
  for (struct pending_return **p = &write_behind; *p != NULL;)
    {
      struct pending_return *r = *p;
      if (r->obj != obj)
        {
          p = &r->next;
          continue;
        }
      for (vm_offset_t b = 0; b < r->size; b += STORE_BLOCK)
        {
          memcpy ((void *) (obj->store + r->offset + b), r->data + b, STORE_BLOCK);
          obj->returned[(r->offset + b) / STORE_BLOCK] = 1;
        }
      *p = r->next;
      free (r);
    }
}
#endif

/* --- The memory_object interface (OSF, SEQNOS server) -------------------- */

/* A NULL object (a port that is not one of ours) gets an error return, so
   that mach_msg_server releases the request's rights (V3).  */

kern_return_t
seqnos_memory_object_init (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t control, vm_size_t page_size)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = NULL;
  /* One kernel per object: two kernels writing the same page would need
     the pager to recall one's copy before the other writes (MK3, as
     reference_pager.c does); this pager supplies every page writable, so a
     second kernel's init is refused, the conforming way (RD3, below).  */
  if (page_size_servable (obj, page_size) && obj->kernels == NULL)
    k = calloc (1, sizeof *k);
  if (k == NULL)
    {
      /* Refuse the conforming way (RD3): memory_object_destroy makes the
         kernel send terminate with the control receive right (DS2).  The
         error return has mach_msg_server release the control send right
         this message carried, so this handler does not (IN9, V1).  */
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
      return KERN_INVALID_ARGUMENT;
    }
  /* IN3, IN8: this kernel's own control port, and its unit (IN5).  */
  k->control = control;
#ifdef EMMI_MUTANT_OSF_NAME_PORT_RELEASE
  k->name = control;
#endif
  k->page_size = page_size;
  struct kernel_binding **tail = &obj->kernels;
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = k;
  /* RD1, IN2: confirm the object, which lets the kernel's mapping complete.  */
  confirm_object (control, page_size, obj->may_cache);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t object_port, mach_port_seqno_t seqno,
                                mach_port_t control)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
#ifdef EMMI_MUTANT_OSF_SYNC_BEFORE_RETURNS
  apply_write_behind (obj);
#endif
  /* Write-behind: the kernel let go; what it gave back goes to disk.  */
  write_back (obj, 0, obj->size);
  /* A completion this kernel still owes an action will not come: the
     action stops waiting for it (as libpager wakes its waiters at
     terminate).  */
  for (size_t i = 0; i < obj->pending_count;)
    if (obj->pending[i].control == control)
      obj->pending[i] = obj->pending[--obj->pending_count];
    else
      i++;
  /* TM6: forget this kernel, so that its next init starts afresh.  */
  for (struct kernel_binding **p = &obj->kernels; *p != NULL; p = &(*p)->next)
    if ((*p)->control == control)
      {
        struct kernel_binding *k = *p;
        *p = k->next;
        /* V6: the send right init gave us ...  */
        release_send_right (k->control);
#ifdef EMMI_MUTANT_OSF_NAME_PORT_RELEASE
        /* V3 bug: GNU Mach's terminate also carried a name port; releasing
           "it" here releases the control send right a second time.  */
        release_send_right (k->name);
#endif
        free (k);
        break;
      }
  /* ... then the receive right this message moved to us: destroy the
     control port (TM4).  There is no name port in this dialect.  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
#ifdef EMMI_MUTANT_OSF_NAME_PORT_RELEASE
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
#endif
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_request (mach_port_t object_port, mach_port_seqno_t seqno,
                                   mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t desired_access)
{
  (void) seqno;
  (void) desired_access; /* every answer grants every access (DR6) */
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    return KERN_INVALID_ARGUMENT;
  /* DR3, DR8: every page of the range, on the asking kernel's control port,
     in that kernel's page units (IN5).  */
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
    answer_page (obj, control, page, k->page_size);
  /* The send right this request carried is ours; dropping it at once keeps
     one uref per kernel, which terminate releases.  */
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_unlock (mach_port_t object_port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_prot_t desired_access)
{
  (void) seqno;
  (void) desired_access;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    return KERN_INVALID_ARGUMENT;
  /* UL2: never restricting access, grant by lifting every lock (LK6).  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
  release_send_right (control);
  return KERN_SUCCESS;
}

#ifndef EMMI_MUTANT_OSF_SYNC_BEFORE_RETURNS
/* Store a data_return: the part of the handler a synchronize must find
   done (SY1, SY2).  */
static void
store_returned (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
                vm_offset_t data, mach_msg_type_number_t data_count)
{
  if (k == NULL || !range_valid (obj, k, offset, data_count))
    return;
  /* RT4: keep what the kernel gave back, dirty or not; the next request for
     these pages, from any kernel, is served from it.  */
  for (vm_offset_t b = 0; b < data_count; b += STORE_BLOCK)
    {
      memcpy ((void *) (obj->store + offset + b), (const void *) (data + b), STORE_BLOCK);
      obj->returned[(offset + b) / STORE_BLOCK] = 1;
      /* Write-behind: queued for the backing storage, which a SYNCHRONOUS
         synchronize or terminate writes it to (SY6, SY8).  */
      if (pager.write_behind)
        obj->queued[(offset + b) / STORE_BLOCK] = 1;
    }
}
#endif

kern_return_t
seqnos_memory_object_data_return (mach_port_t object_port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_offset_t data, mach_msg_type_number_t data_count,
                                  boolean_t dirty, boolean_t kernel_copy)
{
  (void) seqno;
  (void) dirty;
  (void) kernel_copy;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
#ifdef EMMI_MUTANT_OSF_SYNC_BEFORE_RETURNS
  struct kernel_binding *k = binding_for (obj, control);
  struct pending_return *r = malloc (sizeof *r + data_count);
  if (k != NULL && range_valid (obj, k, offset, data_count) && r != NULL)
    {
      r->obj = obj;
      r->offset = offset;
      r->size = data_count;
      memcpy (r->data, (const void *) data, data_count);
      r->next = write_behind;
      write_behind = r;
    }
  else
    free (r);
#else
  store_returned (obj, binding_for (obj, control), offset, data, data_count);
#endif
  /* RT2: the out-of-line pages are ours to release.  */
  vm_deallocate (mach_task_self (), data, data_count);
  release_send_right (control);
  return KERN_SUCCESS;
}

/* The synchronize_completed the message being handled owes: osf_demux sends
   it once pager.lock is released, so that a look at the store the moment it
   is sent (emmi_pager_read_backing_store, below) finds the lock free, or,
   with the complete_under_lock option, before it releases the lock, as a
   pager that replies from its handler does.  Only the server thread touches
   it.  */
static struct
{
  bool owed;
  mach_port_t control; /* one send uref, released once sent */
  vm_offset_t offset;
  vm_size_t length;
} completion;

static void
send_completion (void)
{
  if (!completion.owed)
    return;
  completion.owed = false;
  memory_object_synchronize_completed (completion.control, completion.offset,
                                       completion.length);
  release_send_right (completion.control);
}

kern_return_t
seqnos_memory_object_synchronize (mach_port_t object_port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_sync_t sync_flags)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    return KERN_INVALID_ARGUMENT;
    /* SY1, SY2: every data_return the kernel sent before this message was
       dequeued, and stored, before it (one server thread, FIFO port), so the
       pages are in the store already: queued for backing storage at least
       (SY8).  SYNCHRONOUS asks for them on backing storage (SY6): write-behind
       writes them back first; ASYNCHRONOUS need not wait (SY7).  SY3: the
       completion names this request's range; SY5: always sent.  */
#ifndef EMMI_MUTANT_OSF_SYNC_NOT_WRITTEN
  if (sync_flags & VM_SYNC_SYNCHRONOUS)
    write_back (obj, offset, length);
#else
  /* SY6 bug: SYNCHRONOUS is answered like ASYNCHRONOUS, before the queued
     pages reach the backing storage.  */
  (void) sync_flags;
#endif
#ifdef EMMI_MUTANT_OSF_SYNC_NEVER_ANSWERED
  /* SY5 bug: the completion is never sent; the client's vm_msync hangs.  */
  release_send_right (control);
#else
  completion.owed = true;
  completion.control = control;
  completion.offset = offset;
#ifdef EMMI_MUTANT_OSF_SYNC_WRONG_RANGE
  /* SY3 bug: the completion names the range widened by one page.  */
  completion.length = length + k->page_size;
#else
  completion.length = length;
#endif
#endif
  return KERN_SUCCESS;
}

/* Forget the completion P of OBJ the running action waits for.  */
static void
completion_arrived (struct pager_object *obj, struct pending_completion *p)
{
  *p = obj->pending[--obj->pending_count];
}

/* Completions come to the object port only for the requests of the
   pager's own actions (LK8, CA3); the handlers forget the request it
   completes, and the action waiting for it goes on once every one it made
   is handled (pager.handled).  A completion that matches nothing (of an
   earlier incarnation) is only released.  The control send right each
   carries is ours to release.  */
kern_return_t
seqnos_memory_object_lock_completed (mach_port_t reply_port, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (reply_port);
  if (obj != NULL)
    /* LK9: matched by control port, offset and size.  Every data_return
       the kernel sent for the request came before this message on this
       port, so it is in the store now.  */
    for (size_t i = 0; i < obj->pending_count; i++)
      {
        struct pending_completion *p = &obj->pending[i];
        if (p->lock && p->control == control && p->offset == offset && p->size == length)
          {
            completion_arrived (obj, p);
            break;
          }
      }
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_supply_completed (mach_port_t reply_port, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  (void) reply_port;
  (void) seqno;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t reply_port, mach_port_seqno_t seqno,
                                       mach_port_t control, memory_object_flavor_t flavor)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (reply_port);
  if (obj != NULL)
    /* CA5: the completion names the flavour that was changed.  */
    for (size_t i = 0; i < obj->pending_count; i++)
      {
        struct pending_completion *p = &obj->pending[i];
        if (!p->lock && p->control == control && p->flavor == flavor)
          {
            completion_arrived (obj, p);
            break;
          }
      }
  release_send_right (control);
  return KERN_SUCCESS;
}

/* --- The notify interface (plain server, notify.defs; V5) ----------------- */

/* This pager requests no notification; those that carry nothing are
   accepted and ignored, a port-destroyed's receive right is refused so
   that mach_msg_server destroys it (V3).  */

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

/* The OSF memory_object interface (ids 3400-3410), then notifications; a
   message neither knows is rejected (MIG_BAD_ID) and destroyed (G5).  */
static boolean_t
osf_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  pthread_mutex_lock (&pager.lock);
  boolean_t handled
      = seqnos_memory_object_server (request, reply) || notify_server (request, reply);
  /* An action may be waiting for what this message completed.  */
  pthread_cond_broadcast (&pager.handled);
  if (pager.complete_under_lock)
    send_completion ();
  pthread_mutex_unlock (&pager.lock);
  send_completion ();
  return handled;
}

static void *
server_thread (void *arg)
{
  (void) arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped.  A
     timeout only means nothing came for a while: receive again.  */
  for (;;)
    {
      mach_msg_return_t mr
          = mach_msg_server_timeout (osf_demux, 0, pager.port_set, MACH_RCV_TIMEOUT,
                                     SERVER_TIMEOUT_MS);
      if (mr != MACH_RCV_TIMED_OUT)
        break;
    }
  return NULL;
}

/* --- The pager's own actions (entry ABI version 2) ------------------------- */

/* The suite calls these between its kernel commands, on a thread of its
   own running in our task, never while the server thread handles a
   message (they take pager.lock).  Each request that needs a completion
   names the object port as reply port, so that the completion comes, in
   the kernel's order, behind every data_return the request caused; the
   action waits until the server thread has handled every completion it
   asked for (LK8: the completion is the only sure sign the kernel is
   done).  */

static struct pager_object *
action_object (uint32_t index)
{
  if (pager.objects == NULL || index >= pager.object_count)
    return NULL;
  return &pager.objects[index];
}

/* How many bindings OBJ has: the requests an action makes, one per kernel.  */
static size_t
kernel_count (const struct pager_object *obj)
{
  size_t n = 0;
  for (const struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    n++;
  return n;
}

/* Wait, with pager.lock held, until every completion OBJ's action asked
   for has been handled (or its kernel terminated).  */
static void
await_completions (struct pager_object *obj)
{
  while (obj->pending_count > 0)
    pthread_cond_wait (&pager.handled, &pager.lock);
}

/* The range the suite names: whole pages of every kernel, inside the object.  */
static bool
action_range_valid (const struct pager_object *obj, uint64_t offset, uint64_t length)
{
  if (length == 0 || offset > obj->size || length > obj->size - offset)
    return false;
  for (const struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    if (offset % k->page_size != 0 || length % k->page_size != 0)
      return false;
  return true;
}

/* memory_object_lock_request (memory_object_lock_request.html) to every
   kernel of OBJ for [offset, offset + length), each naming the object port
   as reply_to, then wait for every lock_completed (LK8).  Called with
   pager.lock held.  */
static kern_return_t
lock_all_kernels (struct pager_object *obj, vm_offset_t offset, vm_size_t length,
                  int should_return, boolean_t should_flush, vm_prot_t lock_value)
{
  if (obj->pending_count + kernel_count (obj) > PENDING_COMPLETIONS)
    return KERN_RESOURCE_SHORTAGE;
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    {
      struct pending_completion *p = &obj->pending[obj->pending_count++];
      p->control = k->control;
      p->lock = true;
      p->offset = offset;
      p->size = length;
      p->flavor = 0;
      memory_object_lock_request (k->control, offset, length, should_return, should_flush,
                                  lock_value, obj->port);
    }
  await_completions (obj);
  return KERN_SUCCESS;
}

/* One lock_request of a range of object INDEX to every kernel, locks
   unchanged, waiting for every lock_completed.  */
static kern_return_t
lock_range_action (uint32_t index, uint64_t offset, uint64_t length, int should_return,
                   boolean_t should_flush)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&pager.lock);
  kern_return_t kr = KERN_INVALID_ARGUMENT;
  if (action_range_valid (obj, offset, length))
    kr = lock_all_kernels (obj, offset, length, should_return, should_flush,
                           VM_PROT_NO_CHANGE);
  pthread_mutex_unlock (&pager.lock);
  return kr;
}

/* sync: what the kernels modified in the range comes back and is in the
   store when this returns.  RETURN_ALL (LK2), no flush.  */
static kern_return_t
osf_pager_sync (uint32_t index, uint64_t offset, uint64_t length)
{
  return lock_range_action (index, offset, length, MEMORY_OBJECT_RETURN_ALL, FALSE);
}

/* flush: the kernels drop the range (LK3), what they modified written back
   first.  This pager supplies no page precious, so RETURN_DIRTY brings back
   everything the store does not hold (LK11).  */
static kern_return_t
osf_pager_flush (uint32_t index, uint64_t offset, uint64_t length)
{
  return lock_range_action (index, offset, length, MEMORY_OBJECT_RETURN_DIRTY, TRUE);
}

/* change_attributes: the new caching attribute to every kernel, in the
   flavour the object was confirmed with (MEMORY_OBJECT_ATTRIBUTES_INFO,
   MO_change_attributes.html), each with the object port as reply port,
   then wait for every change_completed, which echoes that flavour (CA3,
   CA5: turning caching off, the kernel may terminate the object once it
   has made the change).  The copy strategy stays COPY_DELAY, the one the
   object was confirmed with (CP1): the one the suite asks for is not ours
   to give.  Later inits are confirmed with the new caching attribute.  */
static kern_return_t
osf_pager_change_attributes (uint32_t index, int may_cache, int copy_strategy)
{
  (void) copy_strategy;
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&pager.lock);
  if (obj->pending_count + kernel_count (obj) > PENDING_COMPLETIONS)
    {
      pthread_mutex_unlock (&pager.lock);
      return KERN_RESOURCE_SHORTAGE;
    }
  obj->may_cache = may_cache != 0;
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    {
#ifdef EMMI_MUTANT_OSF_UNCACHE_WITHOUT_REPLY
      /* CA3 bug: the change goes in the PERFORMANCE_INFO flavour (cluster
         size and caching alone), with no reply port and no wait, even when
         caching goes off: the action returns before it can know the kernel
         made the change.  */
      struct memory_object_perf_info perf;
      memset (&perf, 0, sizeof perf);
      perf.cluster_size = k->page_size;
      perf.may_cache_object = obj->may_cache;
      int buf[MEMORY_OBJECT_PERF_INFO_COUNT];
      memcpy (buf, &perf, sizeof perf);
      memory_object_change_attributes (k->control, MEMORY_OBJECT_PERFORMANCE_INFO, buf,
                                       MEMORY_OBJECT_PERF_INFO_COUNT, MACH_PORT_NULL);
#else
      /* Change caching alone: what the kernel holds now comes first
         (MO_get_attributes.html; CA6: the buffer's size goes in, the size
         used comes back), with the defaults this pager confirmed the
         object with if the kernel cannot say.  */
      struct memory_object_attr_info attr;
      int buf[MEMORY_OBJECT_ATTR_INFO_COUNT];
      mach_msg_type_number_t count = MEMORY_OBJECT_ATTR_INFO_COUNT;
      if (memory_object_get_attributes (k->control, MEMORY_OBJECT_ATTRIBUTES_INFO, buf,
                                        &count)
              == KERN_SUCCESS
          && count == MEMORY_OBJECT_ATTR_INFO_COUNT)
        memcpy (&attr, buf, sizeof attr);
      else
        {
          memset (&attr, 0, sizeof attr);
          attr.cluster_size = k->page_size;
          attr.temporary = FALSE;
        }
      /* CP1: the strategy this pager made the object ready with, whatever
         the caller asked for.  */
      attr.copy_strategy = MEMORY_OBJECT_COPY_DELAY;
      attr.may_cache = obj->may_cache;
      memcpy (buf, &attr, sizeof attr);
      struct pending_completion *p = &obj->pending[obj->pending_count++];
      p->control = k->control;
      p->lock = false;
      p->offset = 0;
      p->size = 0;
      p->flavor = MEMORY_OBJECT_ATTRIBUTES_INFO;
      memory_object_change_attributes (k->control, MEMORY_OBJECT_ATTRIBUTES_INFO, buf,
                                       MEMORY_OBJECT_ATTR_INFO_COUNT, obj->port);
#endif
    }
  await_completions (obj);
  pthread_mutex_unlock (&pager.lock);
  return KERN_SUCCESS;
}

/* shutdown: the manual's way to end every kernel's use of the object
   (memory_object_destroy.html, DS3): flush it with a write lock, modified
   data coming back first, and only then memory_object_destroy.  Each
   kernel answers with terminate, which the terminate handler takes as any
   other (TM4, V6); the object port stays ours, so a later mapping sends a
   new init.  */
static kern_return_t
osf_pager_shutdown (uint32_t index)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&pager.lock);
  kern_return_t kr = lock_all_kernels (obj, 0, obj->size, MEMORY_OBJECT_RETURN_ALL, TRUE,
                                       VM_PROT_WRITE);
  if (kr == KERN_SUCCESS)
    for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
      memory_object_destroy (k->control, KERN_SUCCESS);
  pthread_mutex_unlock (&pager.lock);
  return kr;
}

/* Copy [offset, offset+length) of object INDEX's store, or with BACKING of
   what has reached its backing storage, under pager.lock.  */
static kern_return_t
read_object (uint32_t index, bool backing, uint64_t offset, void *buffer, uint64_t length)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL || offset > obj->size || length > obj->size - offset)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&pager.lock);
  const vm_address_t from = backing && pager.write_behind ? obj->disk : obj->store;
  memcpy (buffer, (const void *) (from + offset), length);
  pthread_mutex_unlock (&pager.lock);
  return KERN_SUCCESS;
}

/* The observable store: what a data_request would be answered with now
   (zeros where no kernel ever gave data back: data_unavailable).  */
static kern_return_t
osf_pager_read_store (uint32_t index, uint64_t offset, void *buffer, uint64_t length)
{
  return read_object (index, false, offset, buffer, length);
}

/* What has reached the backing storage: the store itself, or with
   write-behind the disk it runs ahead of.  Exported (emmi/pager_abi.h), so
   the suite also reads both stores the moment a synchronize_completed is
   sent (SY6, SY8); osf_demux sends it with pager.lock released.  */
EMMI_PAGER_EXPORT kern_return_t
emmi_pager_read_backing_store (uint32_t index, uint64_t offset, void *buffer,
                               uint64_t length)
{
  return read_object (index, true, offset, buffer, length);
}

/* --- The entry ABI (emmi/pager_abi.h) ---------------------------------------- */

static void
free_objects (void)
{
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      while (obj->kernels != NULL)
        {
          struct kernel_binding *k = obj->kernels;
          obj->kernels = k->next;
          release_send_right (k->control);
          free (k);
        }
      if (obj->port != MACH_PORT_NULL)
        mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
      if (obj->store != 0)
        vm_deallocate (mach_task_self (), obj->store, obj->size);
      if (obj->disk != 0)
        vm_deallocate (mach_task_self (), obj->disk, obj->size);
      free (obj->returned);
      free (obj->queued);
    }
#ifdef EMMI_MUTANT_OSF_SYNC_BEFORE_RETURNS
  while (write_behind != NULL)
    {
      struct pending_return *r = write_behind;
      write_behind = r->next;
      free (r);
    }
#endif
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
}

static void
osf_stop (void)
{
  /* Destroying the port set ends the server thread's receive.  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.server_running)
    pthread_join (pager.server, NULL);
  pager.server_running = false;
  free_objects ();
}

/* Options: "max_page_size=<bytes>", as the GNU Mach reference pager;
   "write_behind": data the kernels return is queued in memory and written
   to a separate backing storage only by a SYNCHRONOUS synchronize or a
   terminate (a design SY7 allows; SY6 and SY8 still hold); and
   "complete_under_lock": synchronize_completed is sent with pager.lock
   held, which the store reads take, so the suite cannot look at the store
   the instant it is sent (SY6 and SY8 are then never judged).  */
static bool
parse_options (const char *options)
{
  pager.max_page_size = DEFAULT_MAX_PAGE_SIZE;
#ifdef EMMI_MUTANT_OSF_SYNC_NOT_WRITTEN
  pager.write_behind = true;
#else
  pager.write_behind = false;
#endif
  pager.complete_under_lock = false;
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
      else if (len == sizeof "write_behind" - 1 && strncmp (p, "write_behind", len) == 0)
        pager.write_behind = true;
      else if (len == sizeof "complete_under_lock" - 1
               && strncmp (p, "complete_under_lock", len) == 0)
        pager.complete_under_lock = true;
      else if (len != 0)
        return false;
      p += len;
      p += strspn (p, " \t,");
    }
  return true;
}

static kern_return_t
osf_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
{
  /* This pager speaks the OSF dialect only.  */
  if (config->abi_version != EMMI_PAGER_ABI_VERSION
      || config->dialect != EMMI_DIALECT_OSF)
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
      if (pager.write_behind)
        {
          obj->queued = calloc (obj->size / STORE_BLOCK, 1);
          if (obj->queued == NULL)
            goto fail_no_memory;
          kr = vm_allocate (task, &obj->disk, obj->size, TRUE);
          if (kr != KERN_SUCCESS)
            goto fail;
        }
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &obj->port);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_move_member (task, obj->port, pager.port_set);
      if (kr != KERN_SUCCESS)
        goto fail;
      out[i].port = obj->port;
      out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }

  if (pthread_create (&pager.server, NULL, server_thread, NULL) != 0)
    {
      osf_stop ();
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

static const struct emmi_pager osf_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
#ifdef EMMI_MUTANT_NAME
  .name = EMMI_MUTANT_NAME,
#else
  .name = "osf-reference",
#endif
  .start = osf_start,
  .stop = osf_stop,
  /* ABI version 2: the pager's own actions.  */
  .sync = osf_pager_sync,
  .flush = osf_pager_flush,
  .change_attributes = osf_pager_change_attributes,
  .shutdown = osf_pager_shutdown,
  .read_store = osf_pager_read_store,
};

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &osf_pager;
}

/* It serves the OSF dialect only (emmi_pager_api_osf's stubs), so
   `emmi-cts run` (--dialect auto) plays OSF kernels against it and every
   mutant built from this file.  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_OSF;
