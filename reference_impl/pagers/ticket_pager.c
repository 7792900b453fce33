/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager in the shape of GNU Hurd's libpager of 2014: a
   thread per request, ordered by a per-object seqno ticket on a pthread
   condition variable.

   The design, step by step:

   * One receiving thread runs mach_msg_server on the port set that holds
     every object port.  Its demux copies each request whole (header, rights,
     out-of-line pointers) and hands the copy to a freshly created thread,
     then returns MIG_NO_REPLY, so that mach_msg_server neither replies nor
     destroys the request: what the message carried is the new thread's.

   * The request thread waits on its object's condition variable until the
     object's ticket (the seqno of the next message to take effect) equals
     the seqno the kernel stamped on its message at dequeue (§2, SQ7).  It
     then runs the SEQNOS memory_object demux (or the notify demux), does
     what mach_msg_server would have done with the result, advances the
     ticket and wakes the other waiters.  Threads of one object therefore
     take effect one at a time in seqno order, whatever order the scheduler
     runs them in; threads of different objects run in parallel.

   * EVERY message on an object port takes a seqno, so EVERY request thread
     waits for its turn and passes it on: notifications, messages the stubs
     reject, ids no demux knows (G5).  Otherwise the next message of the
     object would wait for ever for a seqno nobody counts (§2, SQ6).

   * libpager detached its request threads.  Here they are joinable, and the
     receiving thread joins those that finished before it starts the next, so
     that stop() can join every thread still alive (the entry ABI asks stop()
     to join what start() started, directly or not).

   Rule IDs in the comments (IN9, SQ7, TM4, RT2, ...) are those of the rule
   catalogue (emmi-rules.md); section numbers (§2, §3g, ...) refer to the notes
   on how GNU Mach behaves (gnumach-kernel.md).  Store semantics, page size
   policy and options are those of reference_pager.c.

   Mutants (mutants/mutants.json) build this file with -DEMMI_MUTANT_<ID>;
   every `#ifdef EMMI_MUTANT_...` block seeds ONE bug and is marked
   "MUTANT <id>".  Without such a define there is no bug to find.  */

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
#include <emmi/mig/seqnos_memory_object_S.h> /* MIG, memory_object.defs -DSEQNOS */
#include <emmi/mig/seqnos_notify_S.h>        /* MIG, notify.defs -DSEQNOS */

/* The demuxes MIG generates; their headers declare only the handlers.  */
extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t seqnos_notify_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);

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

struct pager_object
{
  mach_port_t port; /* receive right; the kernels hold send rights */

  /* The ticket: `lock` guards next_seqno; `turn_changed` is broadcast
     whenever it advances (and at stop).  */
  pthread_mutex_t lock;
  pthread_cond_t turn_changed;
  mach_port_seqno_t next_seqno;

  /* The handlers' state.  Only the thread whose turn it is touches it; the
     mutex handing the turn on orders one handler's writes before the next
     handler's reads.  */
  vm_address_t store; /* contents, page aligned (SU9) */
  vm_size_t size;
  unsigned char *returned;        /* per STORE_BLOCK: a kernel gave data back */
  struct kernel_binding *kernels; /* in init order */
};

/* One request thread: the copy of its message, and whether it has finished
   (so that the receiving thread may join it).  */
struct request_thread
{
  struct request_thread *next;
  pthread_t thread;
  struct pager_object *obj;
  mach_msg_header_t *msg; /* msgh_size bytes, from malloc; the thread frees it */
  bool finished;          /* under pager.threads_lock */
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects; /* the array is fixed between start and stop */
  size_t object_count;
  vm_size_t max_page_size;
  atomic_bool stopping;

  pthread_t receiver;
  bool receiver_running;
  /* Every request thread not yet joined; the list is touched by the
     receiving thread and stop(), `finished` by the threads themselves.  */
  pthread_mutex_t threads_lock;
  struct request_thread *threads;
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

/* The handlers run on a request thread in its message's turn (see the top
   of the file): one at a time per object, in seqno order, so they need no
   lock of their own and no seqno check.  A NULL object (a port that is not
   one of ours) gets an error return, so that the request's rights are
   released by serve_request (V3).  */

kern_return_t
seqnos_memory_object_init (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t control, mach_port_t name, vm_size_t page_size)
{
  (void) seqno;
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

/* --- The ticket ------------------------------------------------------------------ */

/* Wait until it is SEQNO's turn on OBJ.  False when the pager stops first:
   the turn will never come.  */
static bool
wait_for_turn (struct pager_object *obj, mach_port_seqno_t seqno)
{
  pthread_mutex_lock (&obj->lock);
  while (obj->next_seqno != seqno && !atomic_load (&pager.stopping))
    pthread_cond_wait (&obj->turn_changed, &obj->lock);
  bool mine = obj->next_seqno == seqno;
  pthread_mutex_unlock (&obj->lock);
  return mine;
}

/* Pass the turn on to the next seqno, and wake the threads waiting for it.  */
static void
end_turn (struct pager_object *obj)
{
  pthread_mutex_lock (&obj->lock);
  obj->next_seqno++;
  pthread_cond_broadcast (&obj->turn_changed);
  pthread_mutex_unlock (&obj->lock);
}

#ifdef EMMI_MUTANT_TICKET_SKIPS_NOTIFICATION
/* Whether the message is one the memory_object demux routes to a handler:
   an id of memory_object.defs (2200 ..).  */
static bool
is_memory_object_request (const mach_msg_header_t *msg)
{
  return msg->msgh_id >= 2200 && msg->msgh_id <= 2209;
}
#endif

/* --- The request threads ------------------------------------------------------- */

static void *
request_thread (void *arg)
{
  struct request_thread *self = arg;
  struct pager_object *obj = self->obj;
  mach_msg_header_t *msg = self->msg;
  self->msg = NULL;
#ifdef EMMI_MUTANT_TICKET_SKIPS_NOTIFICATION
  /* MUTANT ticket_skips_notification: only the memory_object requests take
     and pass a turn.  A notification or a stray message is served at once
     and its seqno never counted, so the object's next message waits for
     ever (SQ6).  */
  if (!is_memory_object_request (msg))
    serve_request (msg);
  else
#endif
      if (wait_for_turn (obj, msg->msgh_seqno))
    {
      serve_request (msg);
      end_turn (obj);
    }
  else
    {
      /* Stopping before its turn: release what the message carries, as
         mach_msg_server would for a request it could not serve.  */
      mach_msg_destroy (msg);
      free (msg);
    }
  pthread_mutex_lock (&pager.threads_lock);
  self->finished = true;
  pthread_mutex_unlock (&pager.threads_lock);
  return NULL;
}

/* Join the request threads that have finished.  With ALL, join every one
   (stop() does, once nothing can start more).  */
static void
join_request_threads (bool all)
{
  pthread_mutex_lock (&pager.threads_lock);
  struct request_thread **p = &pager.threads;
  while (*p != NULL)
    {
      struct request_thread *t = *p;
      if (!all && !t->finished)
        {
          p = &t->next;
          continue;
        }
      *p = t->next;
      /* A finished thread only has to return; an unfinished one (at stop)
         was woken and gives up, or completes its turn.  The list lock is
         not held across the join: the thread takes it to say it finished.  */
      pthread_mutex_unlock (&pager.threads_lock);
      pthread_join (t->thread, NULL);
      free (t);
      pthread_mutex_lock (&pager.threads_lock);
      p = &pager.threads;
    }
  pthread_mutex_unlock (&pager.threads_lock);
}

/* --- The receiving thread ------------------------------------------------------ */

/* The demux handed to mach_msg_server: every message on an object port gets
   a thread of its own, with a copy of the message; MIG_NO_REPLY tells
   mach_msg_server that the request is taken care of.  */
static boolean_t
receive_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  mig_reply_header_t *out = (mig_reply_header_t *) reply;
  struct pager_object *obj = object_for_port (request->msgh_local_port);
  if (obj == NULL)
    {
      /* Not one of our ports (the port set holds nothing else): serve it
         here, as mach_msg_server would; the handlers refuse it.  */
      if (seqnos_memory_object_server (request, reply))
        return TRUE;
      return seqnos_notify_server (request, reply);
    }

  join_request_threads (false);
  struct request_thread *t = calloc (1, sizeof *t);
  mach_msg_header_t *copy = malloc (request->msgh_size);
  if (t == NULL || copy == NULL)
    {
      /* No memory for a thread of its own: refuse the request, so that
         mach_msg_server releases what it carried (V3).  Its seqno is used
         up all the same, so it must still take and pass its turn here, or
         the object jams (SQ6).  */
      free (t);
      free (copy);
      if (wait_for_turn (obj, request->msgh_seqno))
        end_turn (obj);
      out->Head.msgh_bits = 0;
      out->Head.msgh_size = sizeof *out;
      out->Head.msgh_remote_port = MACH_PORT_NULL;
      out->Head.msgh_local_port = MACH_PORT_NULL;
      out->Head.msgh_seqno = 0;
      out->Head.msgh_id = request->msgh_id + 100;
      out->RetCode = KERN_RESOURCE_SHORTAGE;
      return TRUE;
    }
  memcpy (copy, request, request->msgh_size);
  t->obj = obj;
  t->msg = copy;
  pthread_mutex_lock (&pager.threads_lock);
  t->next = pager.threads;
  pager.threads = t;
  pthread_mutex_unlock (&pager.threads_lock);
  if (pthread_create (&t->thread, NULL, request_thread, t) != 0)
    {
      /* No thread: run it on this one.  It may wait here for its turn,
         which the threads already started give it in order.  */
      pthread_mutex_lock (&pager.threads_lock);
      pager.threads = t->next;
      pthread_mutex_unlock (&pager.threads_lock);
      request_thread (t);
      free (t);
    }

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
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped, which
     would use up a seqno no thread ever sees (§2).  Returns once
     ticket_pager_stop destroys the port set.  */
  mach_msg_server (receive_demux, 0, pager.port_set);
  return NULL;
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
          release_send_right (k->name);
          free (k);
        }
      if (obj->port != MACH_PORT_NULL)
        mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
      if (obj->store != 0)
        vm_deallocate (mach_task_self (), obj->store, obj->size);
      free (obj->returned);
      pthread_cond_destroy (&obj->turn_changed);
      pthread_mutex_destroy (&obj->lock);
    }
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
}

static void
ticket_pager_stop (void)
{
  /* The receive returns MACH_RCV_PORT_DIED, so mach_msg_server returns; once
     the receiving thread is joined no request thread starts any more ...  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.receiver_running)
    pthread_join (pager.receiver, NULL);
  pager.receiver_running = false;
  /* ... then the threads waiting for a turn give up (and release their
     message), and all are joined.  */
  atomic_store (&pager.stopping, true);
  for (size_t i = 0; i < pager.object_count; i++)
    {
      pthread_mutex_lock (&pager.objects[i].lock);
      pthread_cond_broadcast (&pager.objects[i].turn_changed);
      pthread_mutex_unlock (&pager.objects[i].lock);
    }
  join_request_threads (true);
  free_objects ();
  pthread_mutex_destroy (&pager.threads_lock);
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
ticket_pager_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
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
  atomic_store (&pager.stopping, false);
  pager.receiver_running = false;
  pager.threads = NULL;
  pthread_mutex_init (&pager.threads_lock, NULL);
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
      pthread_cond_init (&pager.objects[i].turn_changed, NULL);
    }

  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      obj->size = config->object_size;
      /* A fresh receive right starts at seqno 0 (SQ5): so does the ticket.  */
      obj->next_seqno = 0;
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

  if (pthread_create (&pager.receiver, NULL, receiver_thread, NULL) != 0)
    {
      ticket_pager_stop ();
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
  pthread_mutex_destroy (&pager.threads_lock);
  return kr;
}

#ifdef EMMI_MUTANT_NAME
#define PAGER_NAME "mutant-" EMMI_MUTANT_NAME
#else
#define PAGER_NAME "ticket"
#endif

static const struct emmi_pager ticket_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = PAGER_NAME,
  .start = ticket_pager_start,
  .stop = ticket_pager_stop,
};

/* Its handlers are reached through seqnos_memory_object_server, the SEQNOS
   stubs: the suite judges it by the gnumach-seqnos rules (pager_abi.h).  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &ticket_pager;
}
