/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager whose worker POLLS: a receiving thread queues a
   copy of every message, and one worker thread looks at the queue, and when
   it finds it empty sleeps for 100 ms with nanosleep() and looks
   again.  No condition variable, no semaphore: nothing ever wakes the
   worker, it wakes itself.

   Pagers built on a timer tick or a polling main loop work this way.  A
   checker that decides the pager is idle when every thread is blocked
   judges it too early: the worker is asleep with a request queued, and only
   its next tick serves it.  The suite must let the sleep run out (in its
   virtual time) before it calls the pager quiescent.

   One worker serves the queue in arrival order, which is each object's
   seqno order (the receiving thread dequeues in that order, §2), so each
   object's messages take effect in seqno order (SQ7) with the plain stubs.

   Rule IDs are those of the rule catalogue (emmi-rules.md); section numbers
   those of the notes on how GNU Mach behaves (gnumach-kernel.md).  Store
   semantics follow reference_pager.c.  */

#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/memory_object_S.h> /* MIG, memory_object.defs */
#include <emmi/mig/notify_S.h>        /* MIG, notify.defs */

extern boolean_t memory_object_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);
extern boolean_t notify_server (mach_msg_header_t *request, mach_msg_header_t *reply);

/* How long the worker sleeps when it finds the queue empty: 100 ms, a
   timer tick.  */
static const struct timespec poll_interval = { 0, 100000000 };

#define STORE_BLOCK ((vm_size_t) 4096)
#define MAX_PAGE_SIZE ((vm_size_t) 16384)

struct kernel_binding
{
  struct kernel_binding *next;
  mach_port_t control; /* one send uref, released at terminate */
  mach_port_t name;    /* one send uref, released at terminate */
  vm_size_t page_size;
};

struct pager_object
{
  mach_port_t port;
  vm_address_t store;
  vm_size_t size;
  unsigned char *returned; /* per STORE_BLOCK: a kernel gave data back */
  struct kernel_binding *kernels;
};

/* A message the receiving thread took, waiting for the worker.  */
struct queued
{
  struct queued *next;
  mach_msg_header_t *msg; /* a copy the queue owns */
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects;
  size_t object_count;
  pthread_mutex_t lock; /* guards the queue and `stopping` */
  struct queued *head;
  struct queued **tail;
  bool stopping;
  pthread_t receiver, worker;
  bool receiver_running, worker_running;
} pager = { .lock = PTHREAD_MUTEX_INITIALIZER, .tail = &pager.head };

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

/* One kernel page: the store's data if a kernel ever returned any of it
   (DR3, SU6; the kernel copies it, SU10), else data_unavailable so that the
   kernel zero-fills it (DR5, UN1).  */
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

/* --- The memory_object interface (plain stubs) ------------------------------- */

kern_return_t
memory_object_init (mach_port_t object_port, mach_port_t control, mach_port_t name,
                    vm_size_t page_size)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = NULL;
  /* One kernel per object: two kernels writing the same page would need
     the pager to recall one's copy before the other writes (MK3, as
     reference_pager.c does); this pager supplies every page writable, so a
     second kernel's init is refused, the conforming way (RD3, below).  */
  if (page_size != 0 && page_size % STORE_BLOCK == 0 && page_size <= MAX_PAGE_SIZE
      && obj->size % page_size == 0 && obj->kernels == NULL)
    k = calloc (1, sizeof *k);
  if (k == NULL)
    {
      /* RD3: refused by destroy; the error return has the two send rights
         this message carried released for us (IN9, V1).  */
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
      return KERN_INVALID_ARGUMENT;
    }
  *k = (struct kernel_binding){ obj->kernels, control, name, page_size };
  obj->kernels = k;
  /* RD1: ready at once.  */
  memory_object_ready (control, FALSE, MEMORY_OBJECT_COPY_DELAY);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_terminate (mach_port_t object_port, mach_port_t control, mach_port_t name)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  for (struct kernel_binding **p = &obj->kernels; *p != NULL; p = &(*p)->next)
    if ((*p)->control == control)
      {
        struct kernel_binding *k = *p;
        *p = k->next;
        /* V6, §3g: the send rights init gave us ...  */
        mach_port_deallocate (mach_task_self (), k->control);
        mach_port_deallocate (mach_task_self (), k->name);
        free (k);
        break;
      }
  /* ... then the receive rights this message moved to us (TM3, TM4, TM5).  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
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
    return KERN_INVALID_ARGUMENT; /* the right is released for us (V3) */
  /* DR3, DR8: every page, in the asking kernel's page units (IN5, MK4).  */
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
    answer_page (obj, control, page, k->page_size);
  mach_port_deallocate (mach_task_self (), control); /* §3f */
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
  /* UL2: grant by lifting every lock on the range (LK6).  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
  mach_port_deallocate (mach_task_self (), control); /* §3f */
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
    for (vm_offset_t b = 0; b < data_count; b += STORE_BLOCK)
      {
        memcpy ((void *) (obj->store + offset + b), (const void *) (data + b),
                STORE_BLOCK);
        obj->returned[(offset + b) / STORE_BLOCK] = 1; /* RT4 */
      }
  vm_deallocate (mach_task_self (), data, data_count); /* RT2, PR8 */
  mach_port_deallocate (mach_task_self (), control);   /* §3f */
  return KERN_SUCCESS;
}

kern_return_t
memory_object_lock_completed (mach_port_t object_port, mach_port_t control,
                              vm_offset_t offset, vm_size_t length)
{
  (void) object_port;
  (void) offset;
  (void) length;
  mach_port_deallocate (mach_task_self (), control);
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
  mach_port_deallocate (mach_task_self (), control);
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

/* Only for COPY_CALL objects, which this pager never makes: refused, and
   the error return has the rights released (V3).  */
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

/* --- Notifications: none requested; port-destroyed's right is refused ------ */

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

/* --- Serving one message (on the worker) ----------------------------------- */

/* What mach_msg_server does after its demux, by hand: destroy the request's
   rights and memory when the handler refused it (G5, V3), send a reply when
   one is wanted.  Frees REQUEST.  */
static void
serve (mach_msg_header_t *request)
{
  mig_reply_header_t reply;
  memset (&reply, 0, sizeof reply);
  boolean_t known = memory_object_server (request, &reply.Head)
                    || notify_server (request, &reply.Head);
  if (!known || (reply.RetCode != KERN_SUCCESS && reply.RetCode != MIG_NO_REPLY))
    {
      request->msgh_remote_port = MACH_PORT_NULL; /* the reply's to use */
      mach_msg_destroy (request);
    }
  if (MACH_PORT_VALID (reply.Head.msgh_remote_port) && reply.RetCode != MIG_NO_REPLY)
    mach_msg (&reply.Head, MACH_SEND_MSG, reply.Head.msgh_size, 0, MACH_PORT_NULL,
              MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  free (request);
}

/* --- The receiving thread: copy, queue, MIG_NO_REPLY --------------------------- */

static boolean_t
receive_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  mig_reply_header_t *out = (mig_reply_header_t *) reply;
  struct queued *q = malloc (sizeof *q);
  mach_msg_header_t *copy = malloc (request->msgh_size);
  if (q == NULL || copy == NULL)
    {
      /* No memory to queue it: refuse it, so that mach_msg_server destroys
         what it carried (V3).  */
      free (q);
      free (copy);
      out->Head.msgh_remote_port = MACH_PORT_NULL;
      out->RetCode = KERN_RESOURCE_SHORTAGE;
      return TRUE;
    }
  memcpy (copy, request, request->msgh_size);
  q->msg = copy;
  q->next = NULL;
  pthread_mutex_lock (&pager.lock);
  *pager.tail = q;
  pager.tail = &q->next;
  pthread_mutex_unlock (&pager.lock);
  /* Taken care of: mach_msg_server neither replies nor destroys it.  */
  out->Head.msgh_bits = 0;
  out->Head.msgh_size = sizeof *out;
  out->Head.msgh_remote_port = MACH_PORT_NULL;
  out->Head.msgh_local_port = MACH_PORT_NULL;
  out->Head.msgh_id = request->msgh_id + 100;
  out->RetCode = MIG_NO_REPLY;
  return TRUE;
}

static void *
receiver_thread (void *arg)
{
  (void) arg;
  /* Returns once stop() destroys the port set.  */
  mach_msg_server (receive_demux, 0, pager.port_set);
  return NULL;
}

/* --- The worker: look, serve or sleep ------------------------------------------ */

static void *
worker_thread (void *arg)
{
  (void) arg;
  for (;;)
    {
      pthread_mutex_lock (&pager.lock);
      struct queued *q = pager.head;
      if (q != NULL)
        {
          pager.head = q->next;
          if (pager.head == NULL)
            pager.tail = &pager.head;
        }
      bool stopping = pager.stopping;
      pthread_mutex_unlock (&pager.lock);
      if (q != NULL)
        {
          serve (q->msg);
          free (q);
        }
      else if (stopping)
        break;
      else
        nanosleep (&poll_interval, NULL); /* nobody wakes us: look again later */
    }
  return NULL;
}

/* --- The entry ABI ------------------------------------------------------------- */

static void
free_objects (void)
{
  /* Messages never served (stop() comes at quiescence, so normally none):
     destroyed with what they carry.  */
  while (pager.head != NULL)
    {
      struct queued *q = pager.head;
      pager.head = q->next;
      q->msg->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy (q->msg);
      free (q->msg);
      free (q);
    }
  pager.tail = &pager.head;
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      while (obj->kernels != NULL)
        {
          struct kernel_binding *k = obj->kernels;
          obj->kernels = k->next;
          mach_port_deallocate (mach_task_self (), k->control);
          mach_port_deallocate (mach_task_self (), k->name);
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
polling_stop (void)
{
  /* The receiving thread's mach_msg_server returns once the port set is
     gone; then the worker is told to finish what is queued and end.  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.receiver_running)
    pthread_join (pager.receiver, NULL);
  pager.receiver_running = false;
  pthread_mutex_lock (&pager.lock);
  pager.stopping = true;
  pthread_mutex_unlock (&pager.lock);
  if (pager.worker_running)
    pthread_join (pager.worker, NULL);
  pager.worker_running = false;
  pager.stopping = false;
  free_objects ();
}

static kern_return_t
polling_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
{
  if (config->abi_version != EMMI_PAGER_ABI_VERSION
      || config->dialect != EMMI_DIALECT_GNUMACH)
    return KERN_INVALID_ARGUMENT;
  if (config->object_count == 0 || config->object_size == 0
      || config->object_size % STORE_BLOCK != 0)
    return KERN_INVALID_ARGUMENT;
  if (config->options != NULL && config->options[0] != '\0')
    return KERN_INVALID_ARGUMENT; /* this pager takes no options */
  if (pager.objects != NULL)
    return KERN_FAILURE;

  mach_port_t task = mach_task_self ();
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
  if (pthread_create (&pager.worker, NULL, worker_thread, NULL) != 0)
    {
      polling_stop ();
      return KERN_RESOURCE_SHORTAGE;
    }
  pager.worker_running = true;
  if (pthread_create (&pager.receiver, NULL, receiver_thread, NULL) != 0)
    {
      polling_stop ();
      return KERN_RESOURCE_SHORTAGE;
    }
  pager.receiver_running = true;
  return KERN_SUCCESS;

fail_no_memory:
  kr = KERN_RESOURCE_SHORTAGE;
fail:
  mach_port_mod_refs (task, pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  free_objects ();
  return kr;
}

static const struct emmi_pager polling_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "polling",
  .start = polling_start,
  .stop = polling_stop,
};

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &polling_pager;
}
