/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager with ONE SERVER THREAD PER MEMORY OBJECT.

   The design: start() gives every object its own receive right and its own
   thread, and that thread runs mach_msg_server on that one port -- no port
   set, no queue, no hand-over.  Everything that happens to an object happens
   on its thread, in the order the thread dequeues the object port's
   messages, which is the port's seqno order (the kernel stamps the seqno at
   dequeue, gnumach-kernel.md §2).  So no two threads ever handle messages of
   one object, nothing is ordered across threads, and the object's state
   needs no lock; only read_store() (called on a suite thread) shares the
   store, under a small per-object mutex.  The handlers are the plain
   (non-SEQNOS) stubs: they never see a seqno, and the pager declares so in
   emmi_pager_dialects.  stop() destroys the object ports; each thread's
   receive then fails (MACH_RCV_PORT_DIED), mach_msg_server returns and the
   thread ends.

   Its protocol choices, each allowed by GNU Mach and the rule catalogue, and
   different from the other pagers of the zoo:

   * memory_object_ready(control, may_cache TRUE, MEMORY_OBJECT_COPY_NONE):
     GNU Mach may keep the object in its cache after the last unmap and send
     terminate late (CP8, gnumach-kernel.md §3d); a later map of a cached
     object sends no init, and a terminate is always queued before the next
     init (§3a).  The store outlives every binding, so a re-init after the
     terminate of a cached object serves what the kernel returned before.

   * Every data_request is answered with ONE data_supply of the whole range
     straight from the store (deallocate FALSE), zeros where no kernel ever
     returned data: no data_unavailable.  Pages are supplied without any
     lock (SU6: VM_PROT_NONE), so each object serves one kernel at a time and
     refuses a second kernel's init with memory_object_destroy (RD3; MK3 is
     the reference pager's to show).

   * The control send right each request carries (gnumach-kernel.md §3f) is
     kept, not dropped at once: terminate releases every user reference the
     pager holds to the control and name ports (counted with
     mach_port_get_refs), then destroys their receive rights (V6, TM4, TM5).

   * data_unlock is answered with a lock_request naming the object port as
     reply port (LK5); the lock_completed comes back on the object's own
     thread.

   * Its own change_attributes (entry ABI version 2) works as Hurd's
     libpager's pager_change_attributes: it names the object port as reply
     port and waits until change_completed comes, or until a terminate of
     the object comes first, which settles the wait (libpager clears its
     attribute requests at terminate).  GNU Mach terminates a cached object
     whose pager turns caching off, and sends change_completed after that
     terminate (§3d); the completion that still comes finds nothing waiting.
     The copy strategy stays COPY_NONE (CP1).

   Rule IDs in the comments (IN9, RD3, TM4, RT2, ...) are those of the rule
   catalogue (emmi-rules.md); section numbers (§2, §3d, ...) refer to the notes
   on how GNU Mach behaves (gnumach-kernel.md).  */

#include <pthread.h>
#include <stdatomic.h>
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

/* The unit in which the store remembers what the kernels gave back: the
   smallest page size a GNU Mach kernel uses.  */
#define STORE_BLOCK ((vm_size_t) 4096)

/* The largest kernel page size served unless "max_page_size=<bytes>" says
   otherwise: 16 KiB.  Larger pages are refused at init (RD3).  */
#define DEFAULT_MAX_PAGE_SIZE ((vm_size_t) 16384)

/* One memory object and the thread that serves it.  Between start() and
   stop() only that thread touches `kernel`; `store` is written by that
   thread and read by read_store(), both under `store_lock`.  */
struct pager_object
{
  mach_port_t port; /* receive right; the kernels hold send rights */
  pthread_t thread;
  bool thread_running;
  /* The one kernel the object serves (IN3, MK1): its control and name
     ports, MACH_PORT_NULL while no kernel is bound, and its page size.  We
     hold one send reference to the name port and one per message that
     carried the control port.  */
  struct
  {
    mach_port_t control;
    mach_port_t name;
    vm_size_t page_size;
  } kernel;
  pthread_mutex_t store_lock;
  bool store_lock_made;
  /* Shared with the suite thread running change_attributes: the binding's
     control port (written only by the object thread, under the lock), the
     may_cache the next ready says, and how many change_completed the
     running change_attributes still waits for.  */
  pthread_mutex_t attr_lock;
  pthread_cond_t attr_done;
  bool attr_made;
  bool may_cache;
  unsigned attrs_pending;
  vm_address_t store; /* contents, page aligned (SU9); zeros at first */
  vm_size_t size;
};

static struct
{
  struct pager_object *objects; /* the array is fixed between start and stop */
  size_t object_count;
  vm_size_t max_page_size;
  atomic_bool stopping; /* stop() has begun */
} pager;

/* The object the calling thread serves: each server thread sets it once,
   before its first receive.  */
static _Thread_local struct pager_object *served;

/* The object a handler runs for: the calling thread's own, and the message
   came to its port (nothing else can reach this thread's receive).  */
static struct pager_object *
object_of (mach_port_t object_port)
{
  if (served == NULL || served->port != object_port)
    return NULL;
  return served;
}

static bool
is_bound_kernel (const struct pager_object *obj, mach_port_t control)
{
  return obj->kernel.control != MACH_PORT_NULL && obj->kernel.control == control;
}

/* Drop every send reference this task holds under NAME (mach_port_get_refs
   counts them; the port may also hold a receive right under the name, which
   this leaves alone).  */
static void
release_all_send_refs (mach_port_t name)
{
  if (!MACH_PORT_VALID (name))
    return;
  mach_port_urefs_t refs = 0;
  if (mach_port_get_refs (mach_task_self (), name, MACH_PORT_RIGHT_SEND, &refs)
          == KERN_SUCCESS
      && refs > 0)
    mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_SEND,
                        -(mach_port_delta_t) refs);
}

/* A kernel page size this pager can serve: a whole number of store blocks
   (SU9), no larger than the configured maximum, dividing the object (IN5).  */
static bool
page_size_servable (const struct pager_object *obj, vm_size_t page_size)
{
  return page_size != 0 && page_size % STORE_BLOCK == 0
         && page_size <= pager.max_page_size && obj->size % page_size == 0;
}

/* Whether [offset, offset+length) names whole pages of the bound kernel
   inside OBJ (DR2, PS1).  */
static bool
range_valid (const struct pager_object *obj, vm_offset_t offset, vm_size_t length)
{
  vm_size_t ps = obj->kernel.page_size;
  return length != 0 && offset % ps == 0 && length % ps == 0 && offset <= obj->size
         && length <= obj->size - offset;
}

/* --- The memory_object interface (plain server, memory_object.defs) ------ */

/* Every handler runs on the thread of the object whose port the message
   came to, one message after the other in the port's dequeue order.  A
   handler that returns an error has mach_msg_server destroy the request,
   releasing every right and the memory it carried (V1, V3, V4); a handler
   that returns KERN_SUCCESS owns them.  */

kern_return_t
memory_object_init (mach_port_t object_port, mach_port_t control, mach_port_t name,
                    vm_size_t page_size)
{
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  if (!page_size_servable (obj, page_size) || obj->kernel.control != MACH_PORT_NULL)
    {
      /* A page size we cannot serve, or a second kernel while one holds
         pages we supplied writable: refuse the conforming way (RD3), with
         memory_object_destroy; the kernel answers with terminate and the
         receive rights (DS2).  The error return has mach_msg_server release
         the two send rights this message carried, so this handler releases
         neither and keeps no name (IN9, V1).  */
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
      return KERN_INVALID_ARGUMENT;
    }
  /* IN3, MK1: this kernel's control and name ports, and its unit (IN5).  */
  pthread_mutex_lock (&obj->attr_lock);
  obj->kernel.control = control;
  obj->kernel.name = name;
  obj->kernel.page_size = page_size;
  boolean_t may_cache = obj->may_cache;
  pthread_mutex_unlock (&obj->attr_lock);
  /* RD1, IN2: ready.  may_cache TRUE (until change_attributes says
     otherwise): the kernel may keep the object after its last unmap and
     terminate it later (CP8).  COPY_NONE: the kernel copies page by page
     when it needs a copy (CP2); the pager makes no promise about its data
     (CP4 is COPY_DELAY's).  */
  memory_object_ready (control, may_cache, MEMORY_OBJECT_COPY_NONE);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_terminate (mach_port_t object_port, mach_port_t control, mach_port_t name)
{
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  /* TM6: forget the kernel, so that its next init (a map after the cached
     object was collected, §3d) binds afresh.  The store stays: what the
     kernel returned before terminate (§3d: every data_return comes first)
     is served to the next init (RT4).  */
  pthread_mutex_lock (&obj->attr_lock);
  if (is_bound_kernel (obj, control))
    {
      obj->kernel.control = MACH_PORT_NULL;
      obj->kernel.name = MACH_PORT_NULL;
      obj->kernel.page_size = 0;
      /* CA3: the object is gone; a change_attributes waiting for its
         completion has all it needs to know (the change_completed GNU Mach
         sends after this terminate finds nothing waiting).  */
      obj->attrs_pending = 0;
      pthread_cond_broadcast (&obj->attr_done);
    }
  pthread_mutex_unlock (&obj->attr_lock);
  /* V6, §3g: first every send reference held under the two names (init's,
     and one per message that carried the control port; none for a kernel
     whose init was refused) ...  */
  release_all_send_refs (control);
  release_all_send_refs (name);
  /* ... then the receive rights this message moved to us (TM3, TM7):
     destroy both ports (TM4, TM5).  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  if (MACH_PORT_VALID (name))
    mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_request (mach_port_t object_port, mach_port_t control,
                            vm_offset_t offset, vm_size_t length,
                            vm_prot_t desired_access)
{
  (void) desired_access; /* the supply forbids nothing (SU6, DR6) */
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  if (!is_bound_kernel (obj, control) || !range_valid (obj, offset, length))
    return KERN_INVALID_ARGUMENT; /* not ours to answer; V3 */
  /* DR3, DR8, SU4, SU9: the whole range in one supply on the asking
     kernel's control port, from the page-aligned store as it is now: data a
     kernel returned (RT4), zeros elsewhere.  deallocate FALSE: the kernel
     copies the pages, the store keeps them (SU10 does not apply).  No lock
     (VM_PROT_NONE, SU6), not precious, no completion (SU11).  No other
     thread writes the store, so it is read without the lock.  */
  memory_object_data_supply (control, offset, obj->store + offset, length, FALSE,
                             VM_PROT_NONE, FALSE, MACH_PORT_NULL);
  /* The control send right this message carried is kept until terminate.  */
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_unlock (mach_port_t object_port, mach_port_t control,
                           vm_offset_t offset, vm_size_t length, vm_prot_t desired_access)
{
  (void) desired_access;
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  if (!is_bound_kernel (obj, control) || !range_valid (obj, offset, length))
    return KERN_INVALID_ARGUMENT;
  /* UL2, LK4: lift every lock, nothing to return or flush; the completion
     comes to the object port (LK5), to this thread.  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, obj->port);
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
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  if (!is_bound_kernel (obj, control) || !range_valid (obj, offset, data_count))
    /* The error return has mach_msg_server free the out-of-line pages and
       release the right, once (V4, V3).  */
    return KERN_INVALID_ARGUMENT;
  /* RT4, RT5: keep what the kernel gave back, dirty or not.  */
  pthread_mutex_lock (&obj->store_lock);
  memcpy ((void *) (obj->store + offset), (const void *) data, data_count);
  pthread_mutex_unlock (&obj->store_lock);
  /* RT2, PR8: the out-of-line pages are ours to release.  */
  vm_deallocate (mach_task_self (), data, data_count);
  return KERN_SUCCESS;
}

/* A completion carries a send right to the control port (§3f): kept like a
   request's if it names the bound kernel, else released by the error
   return (V3).  Nothing waits for one: data_unlock's lock_request is the
   only request naming a reply port, and its effect needs no confirmation.  */
kern_return_t
memory_object_lock_completed (mach_port_t object_port, mach_port_t control,
                              vm_offset_t offset, vm_size_t length)
{
  (void) offset;
  (void) length;
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL || !is_bound_kernel (obj, control))
    return KERN_ABORTED;
  return KERN_SUCCESS;
}

kern_return_t
memory_object_supply_completed (mach_port_t object_port, mach_port_t control,
                                vm_offset_t offset, vm_size_t length,
                                kern_return_t result, vm_offset_t error_offset)
{
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL || !is_bound_kernel (obj, control))
    return KERN_ABORTED;
  return KERN_SUCCESS;
}

/* CA3: the kernel made the change the running change_attributes asked
   for.  A completion behind a terminate that already settled the wait
   finds nothing pending.  */
kern_return_t
memory_object_change_completed (mach_port_t object_port, boolean_t may_cache,
                                memory_object_copy_strategy_t strategy)
{
  (void) may_cache;
  (void) strategy;
  struct pager_object *obj = object_of (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  pthread_mutex_lock (&obj->attr_lock);
  if (obj->attrs_pending > 0 && --obj->attrs_pending == 0)
    pthread_cond_broadcast (&obj->attr_done);
  pthread_mutex_unlock (&obj->attr_lock);
  return KERN_SUCCESS;
}

/* Sent only for COPY_CALL objects, which this pager never makes (§1a).
   Refused: the error return has the old control send right and the new
   object's receive right released for us (V3).  */
kern_return_t
memory_object_copy (mach_port_t object_port, mach_port_t old_control, vm_offset_t offset,
                    vm_size_t length, mach_port_t new_object)
{
  (void) object_port;
  (void) old_control;
  (void) offset;
  (void) length;
  (void) new_object;
  return KERN_FAILURE;
}

/* --- The notify interface (plain server, notify.defs; V5) ----------------- */

/* No notification is ever requested.  One that arrives anyway is accepted
   and ignored, except port-destroyed, whose receive right the error return
   has destroyed (V3); a dead-name notification names no right of ours, so
   there is nothing to deallocate.  A send-once notification is what comes
   back instead of a lock_completed when the kernel rejected the
   lock_request (§3e).  */

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

/* --- The object threads ----------------------------------------------------- */

/* The memory_object interface, then notifications; a message neither knows
   is rejected (MIG_BAD_ID) and mach_msg_server destroys it (G5).  */
static boolean_t
object_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  if (memory_object_server (request, reply))
    return TRUE;
  return notify_server (request, reply);
}

static void *
object_thread (void *arg)
{
  served = arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped (§2).
     mach_msg_server returns only when a receive fails: an interrupted one
     is tried again; anything else is the port going away in stop().  */
  mach_msg_return_t mr;
  do
    mr = mach_msg_server (object_demux, 0, served->port);
  while (mr == MACH_RCV_INTERRUPTED);
  return NULL;
}

/* --- The entry ABI (emmi/pager_abi.h) ---------------------------------------- */

/* Destroy every object port (the receives of the object threads fail and
   their mach_msg_server returns), then join the threads.  The names are
   kept until every thread is joined: a thread may still be in a handler.  */
static void
stop_threads (void)
{
  /* A change_attributes still waiting gives up.  */
  for (size_t i = 0; i < pager.object_count; i++)
    if (pager.objects[i].attr_made)
      {
        pthread_mutex_lock (&pager.objects[i].attr_lock);
        atomic_store (&pager.stopping, true);
        pthread_cond_broadcast (&pager.objects[i].attr_done);
        pthread_mutex_unlock (&pager.objects[i].attr_lock);
      }
  for (size_t i = 0; i < pager.object_count; i++)
    if (pager.objects[i].port != MACH_PORT_NULL)
      mach_port_mod_refs (mach_task_self (), pager.objects[i].port,
                          MACH_PORT_RIGHT_RECEIVE, -1);
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      if (obj->thread_running)
        pthread_join (obj->thread, NULL);
      obj->thread_running = false;
      obj->port = MACH_PORT_NULL;
    }
}

static void
free_objects (void)
{
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      if (obj->kernel.control != MACH_PORT_NULL)
        {
          release_all_send_refs (obj->kernel.control);
          release_all_send_refs (obj->kernel.name);
        }
      if (obj->store != 0)
        vm_deallocate (mach_task_self (), obj->store, obj->size);
      if (obj->store_lock_made)
        pthread_mutex_destroy (&obj->store_lock);
      if (obj->attr_made)
        {
          pthread_cond_destroy (&obj->attr_done);
          pthread_mutex_destroy (&obj->attr_lock);
        }
    }
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
}

static void
object_thread_stop (void)
{
  stop_threads ();
  free_objects ();
}

/* The observable store: what a data_request would be answered with now.
   The suite calls it while the object threads wait in their receives; the
   lock orders it after the last data_return's copy.  */
static kern_return_t
object_thread_read_store (uint32_t index, uint64_t offset, void *buffer, uint64_t length)
{
  if (index >= pager.object_count)
    return KERN_INVALID_ARGUMENT;
  struct pager_object *obj = &pager.objects[index];
  if (offset > obj->size || length > obj->size - offset)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->store_lock);
  memcpy (buffer, (const void *) (obj->store + offset), length);
  pthread_mutex_unlock (&obj->store_lock);
  return KERN_SUCCESS;
}

/* change_attributes (entry ABI version 2), as libpager's
   pager_change_attributes with wait: tell the bound kernel, naming the
   object port as reply port, and wait for change_completed or a terminate
   (CA3).  With no kernel bound, the next init's ready carries the new
   may_cache.  The copy strategy the suite asks for is not ours to give: the
   object stays COPY_NONE (CP1).  */
static kern_return_t
object_thread_change_attributes (uint32_t index, int may_cache, int copy_strategy)
{
  (void) copy_strategy;
  if (index >= pager.object_count)
    return KERN_INVALID_ARGUMENT;
  struct pager_object *obj = &pager.objects[index];
  pthread_mutex_lock (&obj->attr_lock);
  obj->may_cache = may_cache != 0;
  if (obj->kernel.control != MACH_PORT_NULL)
    {
      obj->attrs_pending++;
      memory_object_change_attributes (obj->kernel.control, obj->may_cache,
                                       MEMORY_OBJECT_COPY_NONE, obj->port);
      while (obj->attrs_pending > 0 && !atomic_load (&pager.stopping))
        pthread_cond_wait (&obj->attr_done, &obj->attr_lock);
    }
  pthread_mutex_unlock (&obj->attr_lock);
  return KERN_SUCCESS;
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
object_thread_start (const struct emmi_pager_config *config,
                     struct emmi_pager_object *out)
{
  if (config->abi_version != EMMI_PAGER_ABI_VERSION
      || config->dialect != EMMI_DIALECT_GNUMACH)
    return KERN_INVALID_ARGUMENT;
  if (config->object_count == 0 || config->object_size == 0
      || config->object_size % STORE_BLOCK != 0)
    return KERN_INVALID_ARGUMENT;
  if (pager.objects != NULL)
    return KERN_FAILURE; /* one instance per process */
  atomic_store (&pager.stopping, false);
  if (!parse_options (config->options))
    return KERN_INVALID_ARGUMENT;

  mach_port_t task = mach_task_self ();
  pager.objects = calloc (config->object_count, sizeof *pager.objects);
  if (pager.objects == NULL)
    return KERN_RESOURCE_SHORTAGE;
  pager.object_count = config->object_count;

  kern_return_t kr = KERN_SUCCESS;
  /* Every object complete (store, port) before any thread starts, so that
     a failure part way leaves no thread behind.  */
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      obj->size = config->object_size;
      if (pthread_mutex_init (&obj->store_lock, NULL) != 0)
        {
          kr = KERN_RESOURCE_SHORTAGE;
          goto fail;
        }
      obj->store_lock_made = true;
      if (pthread_mutex_init (&obj->attr_lock, NULL) != 0)
        {
          kr = KERN_RESOURCE_SHORTAGE;
          goto fail;
        }
      if (pthread_cond_init (&obj->attr_done, NULL) != 0)
        {
          pthread_mutex_destroy (&obj->attr_lock);
          kr = KERN_RESOURCE_SHORTAGE;
          goto fail;
        }
      obj->attr_made = true;
      obj->may_cache = true;
      kr = vm_allocate (task, &obj->store, obj->size, TRUE);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &obj->port);
      if (kr != KERN_SUCCESS)
        goto fail;
      out[i].port = obj->port;
      out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      if (pthread_create (&obj->thread, NULL, object_thread, obj) != 0)
        {
          kr = KERN_RESOURCE_SHORTAGE;
          goto fail;
        }
      obj->thread_running = true;
    }
  return KERN_SUCCESS;

fail:
  object_thread_stop ();
  return kr;
}

static const struct emmi_pager object_thread_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "object-thread",
  .start = object_thread_start,
  .stop = object_thread_stop,
  .read_store = object_thread_read_store,
  .change_attributes = object_thread_change_attributes,
};

/* The plain stubs (memory_object_server): the handlers never see a seqno,
   so the SEQNOS rules are not this pager's duty (pager_abi.h).  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &object_thread_pager;
}
