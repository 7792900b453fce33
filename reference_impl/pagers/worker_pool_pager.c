/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager in the shape of GNU Hurd's libpager: ONE thread
   receives every request and hands it to a pool of worker threads, which wait
   for work on a pthread condition variable, not in mach_msg.

   The design, step by step:

   * The receiving thread runs mach_msg_server on the port set that holds
     every object port.  Its demux handles nothing itself: it copies the whole
     request (header, rights, out-of-line pointers) into a heap buffer, appends
     the copy to the FIFO queue of the object the message came to, and returns
     MIG_NO_REPLY, so that mach_msg_server neither replies nor destroys the
     request.  The rights and the out-of-line memory the message carried are
     now the copy's: whoever serves the copy releases them.

   * Workers (three, or "workers=N") sleep on one condition variable until
     some object has queued work and no worker serves it.  A worker takes such
     an object ("delegation": at most one worker per object) and serves its
     requests in queue order until the queue is empty, then gives it back.

   * Why that is seqno order (SQ7): one thread dequeues, and it dequeues an
     object port's messages in seqno order (the kernel stamps the seqno at
     dequeue, §2), so each object's queue is in seqno order; one worker at a
     time takes it front to back.  No message is ever dropped from a queue, so
     no ticket has to be advanced for notifications or stray messages (SQ6).

   * Serving a copy is what mach_msg_server would have done with the original:
     the memory_object demux (SEQNOS stubs), then the notify demux; an error
     return other than MIG_NO_REPLY destroys the request's rights and memory
     with mach_msg_destroy, the reply right excepted (V1, V3, V4); a message
     neither demux knows is rejected the same way (G5); a reply is sent only
     where the request named a reply port.

   Rule IDs in the comments (IN9, SQ7, TM4, RT2, ...) are those of the rule
   catalogue (emmi-rules.md); section numbers (§2, §3g, ...) refer to the notes
   on how GNU Mach behaves (gnumach-kernel.md).  Store semantics, page size
   policy and options are those of reference_pager.c.

   Mutants (mutants/mutants.json) build this file with -DEMMI_MUTANT_<ID>;
   every `#ifdef EMMI_MUTANT_...` block seeds ONE bug and is marked
   "MUTANT <id>".  Without such a define there is no bug to find.  */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/seqnos_memory_object_S.h> /* MIG, memory_object.defs -DSEQNOS */
#include <emmi/mig/seqnos_notify_S.h>        /* MIG, notify.defs -DSEQNOS */

/* The demuxes MIG generates; their headers declare only the handlers.  */
extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t seqnos_notify_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);

#define DEFAULT_WORKERS 3
#define MAX_WORKERS 16

/* The unit in which the store remembers what the kernels gave back: the
   smallest page size a GNU Mach kernel uses.  */
#define STORE_BLOCK ((vm_size_t) 4096)

/* The largest kernel page size served unless "max_page_size=<bytes>" says
   otherwise: 16 KiB.  Larger pages are refused at init (RD3).  */
#define DEFAULT_MAX_PAGE_SIZE ((vm_size_t) 16384)

/* Every reply of the memory_object and notify interfaces is a
   mig_reply_header_t (they are all simpleroutines); the rest is margin.  */
#define REPLY_BUFFER_SIZE 512

/* One kernel's view of one memory object (IN3, MK1, MK2, MK4).  */
struct kernel_binding
{
  struct kernel_binding *next;
  mach_port_t control; /* our name for the control port; we hold one send uref */
  mach_port_t name;    /* our name for the name port; one send uref */
  vm_size_t page_size; /* every size exchanged with this kernel is a multiple */
};

/* A request the receiving thread copied out of its receive buffer.  The copy
   owns what the message carried until it is served or destroyed.  */
struct queued_request
{
  struct queued_request *next;
  mach_msg_header_t *msg; /* msgh_size bytes, from malloc */
};

struct pager_object
{
  mach_port_t port; /* receive right; the kernels hold send rights */

  /* `lock` guards the store and the bindings: the handlers' state.  */
  pthread_mutex_t lock;
  vm_address_t store; /* contents, page aligned (SU9) */
  vm_size_t size;
  unsigned char *returned;        /* per STORE_BLOCK: a kernel gave data back */
  struct kernel_binding *kernels; /* in init order */
#ifdef EMMI_MUTANT_LOCK_ORDER_INVERSION
  unsigned queued_data_requests; /* the read-ahead hint, under `lock` */
#endif

  /* Guarded by pager.lock: the requests waiting for a worker, oldest first,
     and whether a worker serves this object now (delegation).  */
  struct queued_request *queue_head;
  struct queued_request **queue_tail;
  bool busy;
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects; /* the array is fixed between start and stop */
  size_t object_count;
  vm_size_t max_page_size;
  size_t worker_count;

  /* `lock` guards the object queues, their busy flags and `stopping`.  It
     and an object's lock are never held together: the receiving thread and
     the workers' queue handling take only this one, the handlers only the
     object's, so no lock order can be got wrong.  */
  pthread_mutex_t lock;
  pthread_cond_t work_available; /* a queue got work, or the pager stops */
  bool stopping;

  pthread_t receiver;
  bool receiver_running;
  pthread_t workers[MAX_WORKERS];
  size_t workers_running;
} pager;

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

/* One kernel page: the store's data if a kernel ever returned any of it
   (DR3, SU6, DR6; the kernel copies it, no deallocation, SU10), else
   data_unavailable so that the kernel zero-fills it (DR5, UN1).  */
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

/* --- The memory_object interface (SEQNOS server, memory_object.defs) ------ */

/* The handlers run on a worker, one at a time per object and in seqno order
   (see the top of the file), so the seqno needs no checking here.  They hold
   the object's lock while they touch its state.  A NULL object (a port that
   is not one of ours) gets an error return, so that the request's rights
   are released by serve_request (V3).  */

kern_return_t
seqnos_memory_object_init (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t control, mach_port_t name, vm_size_t page_size)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  pthread_mutex_lock (&obj->lock);
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
         (DS2).  The error return makes serve_request release the two send
         rights this message carried, as mach_msg_server would, so this
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
      /* RD1, IN2: ready; no caching after the last unmap; COPY_DELAY since
         the data never changes behind the kernel's back (CP4).  */
      memory_object_ready (control, FALSE, MEMORY_OBJECT_COPY_DELAY);
    }
  pthread_mutex_unlock (&obj->lock);
  return result;
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t object_port, mach_port_seqno_t seqno,
                                mach_port_t control, mach_port_t name)
{
  (void) seqno;
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  pthread_mutex_lock (&obj->lock);
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
  pthread_mutex_unlock (&obj->lock);
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
  pthread_mutex_lock (&obj->lock);
#ifdef EMMI_MUTANT_LOCK_ORDER_INVERSION
  obj->queued_data_requests--;
#endif
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    {
      /* Not a kernel we serve, or not whole pages of it: the error return
         has the right released for us (V3).  */
      pthread_mutex_unlock (&obj->lock);
      return KERN_INVALID_ARGUMENT;
    }
  /* DR3, DR8: every page of the range, on the asking kernel's control port,
     in that kernel's page units (IN5, MK4).  */
  for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
    answer_page (obj, control, page, k->page_size);
  /* §3f: the send right this request carried is ours; dropping it at once
     keeps one uref per kernel, which terminate releases.  */
  release_send_right (control);
  pthread_mutex_unlock (&obj->lock);
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
  pthread_mutex_lock (&obj->lock);
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    {
      pthread_mutex_unlock (&obj->lock);
      return KERN_INVALID_ARGUMENT;
    }
  /* UL2: never restricting access, grant by lifting every lock (LK6).  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
  release_send_right (control);
  pthread_mutex_unlock (&obj->lock);
  return KERN_SUCCESS;
}

#ifdef EMMI_MUTANT_LOCK_ORDER_INVERSION
/* MUTANT lock_order_inversion (worker side): the data_return handler, still
   holding the object's lock, takes pager.lock to see whether a fault is
   already queued for the object (so as to answer it from the fresh data).
   The receiving thread takes the two locks the other way round (see
   enqueue_request): when it queues a data_request for the object while a
   worker is in this handler, each holds the lock the other waits for.  */
static bool
data_request_waiting (struct pager_object *obj)
{
  pthread_mutex_lock (&pager.lock);
  bool waiting = obj->queued_data_requests != 0 && obj->queue_head != NULL;
  pthread_mutex_unlock (&pager.lock);
  return waiting;
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
  pthread_mutex_lock (&obj->lock);
  struct kernel_binding *k = binding_for (obj, control);
  if (k != NULL && range_valid (obj, k, offset, data_count))
    {
      /* RT4: keep what the kernel gave back, dirty or not; the next request
         for these pages, from any kernel, is served from it.  */
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
#ifdef EMMI_MUTANT_LOCK_ORDER_INVERSION
  (void) data_request_waiting (obj);
#endif
  pthread_mutex_unlock (&obj->lock);
  return KERN_SUCCESS;
}

/* Completions: this pager names no reply port, so none should come; a
   control send right one carries is ours to release (§3f).  */
kern_return_t
seqnos_memory_object_lock_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  (void) object_port;
  (void) seqno;
  (void) offset;
  (void) length;
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_supply_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  (void) object_port;
  (void) seqno;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  release_send_right (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                       boolean_t may_cache,
                                       memory_object_copy_strategy_t strategy)
{
  (void) object_port;
  (void) seqno;
  (void) may_cache;
  (void) strategy;
  return KERN_SUCCESS;
}

/* Sent only for COPY_CALL objects, which this pager never makes (§1a).
   Refused: the error return has the old control send right and the new
   object's receive right released for us (V3).  */
kern_return_t
seqnos_memory_object_copy (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t old_control, vm_offset_t offset, vm_size_t length,
                           mach_port_t new_object)
{
  (void) object_port;
  (void) seqno;
  (void) old_control;
  (void) offset;
  (void) length;
  (void) new_object;
  return KERN_FAILURE;
}

/* --- The notify interface (SEQNOS server, notify.defs; V5) ----------------- */

/* This pager requests no notification, so any that arrives on an object
   port was not asked for.  Those that carry nothing are accepted and
   ignored; a dead-name notification names a right we never registered, so
   its name is not ours to deallocate; port-destroyed carries a receive right
   we do not want: the error return has it destroyed (V3).  */

kern_return_t
do_seqnos_mach_notify_port_deleted (mach_port_t notify, mach_port_seqno_t seqno,
                                    mach_port_name_t name)
{
  (void) notify;
  (void) seqno;
  (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_msg_accepted (mach_port_t notify, mach_port_seqno_t seqno,
                                    mach_port_name_t name)
{
  (void) notify;
  (void) seqno;
  (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_port_destroyed (mach_port_t notify, mach_port_seqno_t seqno,
                                      mach_port_t rights)
{
  (void) notify;
  (void) seqno;
  (void) rights;
  return KERN_FAILURE;
}

kern_return_t
do_seqnos_mach_notify_no_senders (mach_port_t notify, mach_port_seqno_t seqno,
                                  mach_port_mscount_t mscount)
{
  (void) notify;
  (void) seqno;
  (void) mscount;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_send_once (mach_port_t notify, mach_port_seqno_t seqno)
{
  (void) notify;
  (void) seqno;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_dead_name (mach_port_t notify, mach_port_seqno_t seqno,
                                 mach_port_name_t name)
{
  (void) notify;
  (void) seqno;
  (void) name;
  return KERN_SUCCESS;
}

/* --- Serving one request, as mach_msg_server would --------------------------- */

/* Runs the demuxes on REQUEST (a copy this thread owns), then does with it
   what glibc's mach_msg_server does after its demux returns: on an error
   code other than MIG_NO_REPLY, destroy the request except for the reply
   right (the handler did not take what it carried: V1, V3, V4; a message no
   demux knows, MIG_BAD_ID, goes the same way: G5); send a reply if the
   request named a reply port.  Frees REQUEST.  */
static void
serve_request (mach_msg_header_t *request)
{
  union
  {
    mig_reply_header_t header;
    unsigned char bytes[REPLY_BUFFER_SIZE];
  } reply;
  memset (&reply, 0, sizeof reply);

  if (!seqnos_memory_object_server (request, &reply.header.Head))
    (void) seqnos_notify_server (request, &reply.header.Head);

  kern_return_t code = reply.header.RetCode;
  if (code != MIG_NO_REPLY)
    {
      if (code != KERN_SUCCESS && (request->msgh_bits & MACH_MSGH_BITS_COMPLEX))
        {
          request->msgh_remote_port = MACH_PORT_NULL;
          mach_msg_destroy (request);
        }
      if (MACH_PORT_VALID (reply.header.Head.msgh_remote_port))
        {
          /* A reply right moved into the reply; a failed send leaves it
             (and anything else the reply holds) to be destroyed here.  */
          mach_msg_return_t mr
              = mach_msg (&reply.header.Head, MACH_SEND_MSG, reply.header.Head.msgh_size,
                          0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
          if (mr != MACH_MSG_SUCCESS)
            mach_msg_destroy (&reply.header.Head);
        }
    }
  free (request);
}

/* --- The receiving thread ------------------------------------------------------ */

static void
enqueue_request (struct pager_object *obj, struct queued_request *r)
{
#ifdef EMMI_MUTANT_LOST_WAKEUP
  /* MUTANT lost_wakeup: the receiving thread wakes a worker BEFORE the
     request is in the queue.  A worker that wakes and looks before the
     request is queued finds nothing and sleeps again; nobody signals once the
     request is there, so it waits until some later message comes.  */
  pthread_cond_signal (&pager.work_available);
#endif
  pthread_mutex_lock (&pager.lock);
#ifdef EMMI_MUTANT_LOCK_ORDER_INVERSION
  /* MUTANT lock_order_inversion (receiver side): counts queued
     data_requests in the object, under the object's lock, while holding
     pager.lock: pager.lock, then the object lock.  */
  if (r->msg->msgh_id == 2203) /* memory_object_data_request */
    {
      pthread_mutex_lock (&obj->lock);
      obj->queued_data_requests++;
      pthread_mutex_unlock (&obj->lock);
    }
#endif
  r->next = NULL;
  *obj->queue_tail = r;
  obj->queue_tail = &r->next;
#ifndef EMMI_MUTANT_LOST_WAKEUP
  /* The predicate the workers wait for has changed: wake one.  If the
     object is busy, the worker that wakes finds nothing to take and sleeps
     again; the busy worker takes this request after the ones before it.  */
  pthread_cond_signal (&pager.work_available);
#endif
  pthread_mutex_unlock (&pager.lock);
}

/* The demux handed to mach_msg_server.  Every message on an object port is
   copied and queued for that object; MIG_NO_REPLY tells mach_msg_server that
   the request is taken care of (no reply, no destruction).  */
static boolean_t
receive_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  mig_reply_header_t *out = (mig_reply_header_t *) reply;
  struct pager_object *obj = object_for_port (request->msgh_local_port);
  struct queued_request *r = NULL;
  mach_msg_header_t *copy = NULL;
  if (obj != NULL)
    {
      r = malloc (sizeof *r);
      copy = malloc (request->msgh_size);
    }
  if (r == NULL || copy == NULL)
    {
      /* Not one of our ports (the port set holds nothing else), or no
         memory to queue it: serve it here, as mach_msg_server would.  Under
         memory shortage this gives up the per-object order (it is no worse
         than losing the request, and mach_msg_server still releases what
         the request carried if the handler refuses it).  */
      free (r);
      free (copy);
      if (seqnos_memory_object_server (request, reply))
        return TRUE;
      return seqnos_notify_server (request, reply);
    }
  memcpy (copy, request, request->msgh_size);
  r->msg = copy;
  enqueue_request (obj, r);

  out->Head.msgh_bits = 0;
  out->Head.msgh_size = sizeof *out;
  out->Head.msgh_remote_port = MACH_PORT_NULL;
  out->Head.msgh_local_port = MACH_PORT_NULL;
  out->Head.msgh_seqno = 0;
  out->Head.msgh_id = request->msgh_id + 100;
  out->RetCode = MIG_NO_REPLY;
  return TRUE;
}

static void *
receiver_thread (void *arg)
{
  (void) arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped (§2).
     Returns once worker_pool_stop destroys the port set.  */
  mach_msg_server (receive_demux, 0, pager.port_set);
  return NULL;
}

/* --- The workers ----------------------------------------------------------------- */

/* An object with queued work that no worker serves (delegation), or NULL.
   Called with pager.lock held.  */
static struct pager_object *
object_with_work (void)
{
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
#ifndef EMMI_MUTANT_WORKER_POOL_NO_DELEGATION
      if (obj->queue_head != NULL && !obj->busy)
        return obj;
#else
      /* MUTANT worker_pool_no_delegation: any idle worker takes the oldest
         request of any object, even one another worker is serving, so two
         workers run one object's requests at the same time and the later
         one may take effect first.  */
      if (obj->queue_head != NULL)
        return obj;
#endif
    }
  return NULL;
}

static void *
worker_thread (void *arg)
{
  (void) arg;
  pthread_mutex_lock (&pager.lock);
  for (;;)
    {
      struct pager_object *obj = NULL;
      while (!pager.stopping && (obj = object_with_work ()) == NULL)
        pthread_cond_wait (&pager.work_available, &pager.lock);
      if (pager.stopping)
        break;
      /* Delegation: this worker alone serves OBJ until its queue is empty,
         front to back, so OBJ's requests run one at a time in seqno order
         (SQ7).  */
      obj->busy = true;
      while (!pager.stopping && obj->queue_head != NULL)
        {
          struct queued_request *r = obj->queue_head;
          obj->queue_head = r->next;
          if (obj->queue_head == NULL)
            obj->queue_tail = &obj->queue_head;
          pthread_mutex_unlock (&pager.lock);
          serve_request (r->msg);
          free (r);
          pthread_mutex_lock (&pager.lock);
        }
      obj->busy = false;
    }
  pthread_mutex_unlock (&pager.lock);
  return NULL;
}

/* --- The entry ABI (emmi/pager_abi.h) ---------------------------------------- */

static void
free_objects (void)
{
  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      /* Requests no worker got to: release what they carry (rights and
         out-of-line memory), as mach_msg_server would on an error.  */
      while (obj->queue_head != NULL)
        {
          struct queued_request *r = obj->queue_head;
          obj->queue_head = r->next;
          mach_msg_destroy (r->msg);
          free (r->msg);
          free (r);
        }
      obj->queue_tail = &obj->queue_head;
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
      pthread_mutex_destroy (&obj->lock);
    }
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
}

static void
worker_pool_stop (void)
{
  /* The receive returns MACH_RCV_PORT_DIED, so mach_msg_server returns; once
     the receiving thread is joined nothing is queued any more ...  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.receiver_running)
    pthread_join (pager.receiver, NULL);
  pager.receiver_running = false;
  /* ... then every worker finishes the request in hand and leaves.  */
  pthread_mutex_lock (&pager.lock);
  pager.stopping = true;
  pthread_cond_broadcast (&pager.work_available);
  pthread_mutex_unlock (&pager.lock);
  for (size_t i = 0; i < pager.workers_running; i++)
    pthread_join (pager.workers[i], NULL);
  pager.workers_running = 0;
  free_objects ();
  pthread_cond_destroy (&pager.work_available);
  pthread_mutex_destroy (&pager.lock);
}

/* Options: whitespace- or comma-separated "key=value" words,
   "max_page_size=<bytes>" (as the reference pager) and "workers=<1..16>";
   unknown words are an error.  */
static bool
parse_options (const char *options)
{
  pager.max_page_size = DEFAULT_MAX_PAGE_SIZE;
  pager.worker_count = DEFAULT_WORKERS;
  if (options == NULL)
    return true;
  const char *p = options;
  while (*p != '\0')
    {
      size_t len = strcspn (p, " \t,");
      static const char page_key[] = "max_page_size=";
      static const char workers_key[] = "workers=";
      char *end;
      if (len > sizeof page_key - 1 && strncmp (p, page_key, sizeof page_key - 1) == 0)
        {
          unsigned long long v = strtoull (p + sizeof page_key - 1, &end, 0);
          if (end != p + len || v == 0 || v % STORE_BLOCK != 0)
            return false;
          pager.max_page_size = (vm_size_t) v;
        }
      else if (len > sizeof workers_key - 1
               && strncmp (p, workers_key, sizeof workers_key - 1) == 0)
        {
          unsigned long long v = strtoull (p + sizeof workers_key - 1, &end, 10);
          if (end != p + len || v == 0 || v > MAX_WORKERS)
            return false;
          pager.worker_count = (size_t) v;
        }
      else if (len != 0)
        return false;
      p += len;
      p += strspn (p, " \t,");
    }
  return true;
}

static kern_return_t
worker_pool_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
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
  pthread_mutex_init (&pager.lock, NULL);
  pthread_cond_init (&pager.work_available, NULL);
  pager.stopping = false;
  pager.receiver_running = false;
  pager.workers_running = 0;
  kern_return_t kr = mach_port_allocate (task, MACH_PORT_RIGHT_PORT_SET, &pager.port_set);
  if (kr != KERN_SUCCESS)
    goto fail_sync;
  pager.objects = calloc (config->object_count, sizeof *pager.objects);
  if (pager.objects == NULL)
    goto fail_no_memory;
  pager.object_count = config->object_count;
  for (size_t i = 0; i < pager.object_count; i++)
    {
      pthread_mutex_init (&pager.objects[i].lock, NULL);
      pager.objects[i].queue_tail = &pager.objects[i].queue_head;
    }

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

  for (size_t i = 0; i < pager.worker_count; i++)
    {
      if (pthread_create (&pager.workers[i], NULL, worker_thread, NULL) != 0)
        {
          worker_pool_stop ();
          return KERN_RESOURCE_SHORTAGE;
        }
      pager.workers_running++;
    }
  if (pthread_create (&pager.receiver, NULL, receiver_thread, NULL) != 0)
    {
      worker_pool_stop ();
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
fail_sync:
  pthread_cond_destroy (&pager.work_available);
  pthread_mutex_destroy (&pager.lock);
  return kr;
}

#ifdef EMMI_MUTANT_NAME
#define PAGER_NAME "mutant-" EMMI_MUTANT_NAME
#else
#define PAGER_NAME "worker-pool"
#endif

static const struct emmi_pager worker_pool_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = PAGER_NAME,
  .start = worker_pool_start,
  .stop = worker_pool_stop,
};

/* Its handlers are reached through seqnos_memory_object_server, the SEQNOS
   stubs: the suite judges it by the gnumach-seqnos rules (pager_abi.h).  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &worker_pool_pager;
}
