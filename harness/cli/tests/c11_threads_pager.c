/* SPDX-License-Identifier: MIT */
/* A pager built on C11 <threads.h> instead of pthreads: the suite must see
   thrd_create's threads start and cnd_wait's waits block, though glibc
   builds them past the pthread_* calls it interposes (c11_threads.cpp in
   harness/mach), or it judges the pager at a quiescence that is none.

   * One receiving thread (thrd_create) runs mach_msg_server on a port set
     holding every object port.  Its demux copies each request to the heap,
     appends it to ONE global FIFO guarded by an mtx_t, signals a cnd_t and
     returns MIG_NO_REPLY (the copy now owns the request's rights/memory).
   * Two worker threads pop requests from the FIFO (cnd_wait while empty).
   * Ordering (SQ7) is restored libpager-style with a per-object ticket: a
     worker holding a request with seqno N waits (cnd_wait on the object's
     condition) until the object's next_seqno is N, runs the SEQNOS demux
     with the object's mtx_t held, then advances the ticket and broadcasts.
     Every message dequeued on an object port takes its turn, notifications
     and unknown messages included (SQ6), so the ticket never jams.  The
     FIFO preserves per-port dequeue order, so the lowest outstanding seqno
     of an object is always held by a worker that can run: no deadlock.
   * Store: per object a page-aligned buffer and a per-4 KiB "returned" map;
     data_request answers with data_supply from the store for blocks a
     kernel returned, data_unavailable otherwise.  One kernel per object.
   * Entry ABI version 2 actions (sync/flush/change_attributes/shutdown) send
     their request with the object port as reply_to and cnd_wait, under the
     object's mutex, until the completion has taken its turn.  */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/seqnos_memory_object_S.h>
#include <emmi/mig/seqnos_notify_S.h>

extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t seqnos_notify_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);

#define WORKERS 2
#define BLOCK ((vm_size_t) 4096)
#define MAX_PAGE ((vm_size_t) 16384)

struct msg_node
{
  struct msg_node *next;
  mach_msg_header_t *msg;
};

struct object
{
  mach_port_t port;
  mtx_t lock;    /* guards everything below */
  cnd_t changed; /* ticket advanced, or a completion arrived */
  mach_port_seqno_t next_seqno;
  vm_address_t store;
  vm_size_t size;
  unsigned char *returned;
  bool bound; /* a kernel has initialised the object */
  mach_port_t control, name;
  vm_size_t page_size;
  bool may_cache;
  unsigned locks_pending;   /* action lock_requests awaiting lock_completed */
  unsigned changes_pending; /* action change_attributes awaiting change_completed */
};

static struct
{
  mach_port_t port_set;
  struct object *objects;
  size_t count;

  mtx_t qlock; /* guards the FIFO and stopping */
  cnd_t qcond;
  struct msg_node *head, **tail;
  bool stopping;

  thrd_t receiver;
  bool receiver_up;
  thrd_t workers[WORKERS];
  size_t workers_up;
} P;

static struct object *
find_object (mach_port_t port)
{
  for (size_t i = 0; i < P.count; i++)
    if (P.objects[i].port == port)
      return &P.objects[i];
  return NULL;
}

static void
drop_send (mach_port_t name)
{
  mach_port_deallocate (mach_task_self (), name);
}

static bool
pages_ok (const struct object *o, vm_offset_t offset, vm_size_t length)
{
  return length != 0 && offset % o->page_size == 0 && length % o->page_size == 0
         && offset <= o->size && length <= o->size - offset;
}

/* --- handlers: run by a worker in the object's turn, o->lock held ------- */

kern_return_t
seqnos_memory_object_init (mach_port_t port, mach_port_seqno_t seqno, mach_port_t control,
                           mach_port_t name, vm_size_t page_size)
{
  (void) seqno;
  struct object *o = find_object (port);
  if (o == NULL)
    return KERN_ABORTED;
  if (o->bound || page_size == 0 || page_size % BLOCK != 0 || page_size > MAX_PAGE
      || o->size % page_size != 0)
    {
      /* Refuse: the kernel answers with terminate carrying the receive
         rights; the error return has this message's send rights released. */
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
      return KERN_INVALID_ARGUMENT;
    }
  o->bound = true;
  o->control = control;
  o->name = name;
  o->page_size = page_size;
  memory_object_ready (control, o->may_cache, MEMORY_OBJECT_COPY_DELAY);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t port, mach_port_seqno_t seqno,
                                mach_port_t control, mach_port_t name)
{
  (void) seqno;
  struct object *o = find_object (port);
  if (o == NULL)
    return KERN_ABORTED;
  if (o->bound && o->control == control)
    {
      drop_send (o->control);
      drop_send (o->name);
      o->bound = false;
      o->control = o->name = MACH_PORT_NULL;
    }
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_request (mach_port_t port, mach_port_seqno_t seqno,
                                   mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t access)
{
  (void) seqno;
  (void) access;
  struct object *o = find_object (port);
  if (o == NULL)
    return KERN_ABORTED;
  if (!o->bound || o->control != control || !pages_ok (o, offset, length))
    return KERN_INVALID_ARGUMENT;
  for (vm_offset_t pg = offset; pg < offset + length; pg += o->page_size)
    {
      bool have = false;
      for (vm_offset_t b = pg; b < pg + o->page_size; b += BLOCK)
        have = have || o->returned[b / BLOCK];
      if (have)
        memory_object_data_supply (control, pg, o->store + pg, o->page_size, FALSE,
                                   VM_PROT_NONE, FALSE, MACH_PORT_NULL);
      else
        memory_object_data_unavailable (control, pg, o->page_size);
    }
  drop_send (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_unlock (mach_port_t port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_prot_t access)
{
  (void) seqno;
  (void) access;
  struct object *o = find_object (port);
  if (o == NULL)
    return KERN_ABORTED;
  if (!o->bound || o->control != control || !pages_ok (o, offset, length))
    return KERN_INVALID_ARGUMENT;
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
  drop_send (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_return (mach_port_t port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_offset_t data, mach_msg_type_number_t count,
                                  boolean_t dirty, boolean_t kernel_copy)
{
  (void) seqno;
  (void) dirty;
  (void) kernel_copy;
  struct object *o = find_object (port);
  if (o == NULL)
    return KERN_ABORTED;
  if (o->bound && o->control == control && pages_ok (o, offset, count))
    {
      memcpy ((void *) (o->store + offset), (const void *) data, count);
      for (vm_offset_t b = offset; b < offset + count; b += BLOCK)
        o->returned[b / BLOCK] = 1;
    }
  vm_deallocate (mach_task_self (), data, count);
  drop_send (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_lock_completed (mach_port_t port, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  (void) seqno;
  (void) offset;
  (void) length;
  struct object *o = find_object (port);
  if (o != NULL && o->locks_pending > 0)
    {
      o->locks_pending--;
      cnd_broadcast (&o->changed);
    }
  drop_send (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_supply_completed (mach_port_t port, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  (void) port;
  (void) seqno;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  drop_send (control);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t port, mach_port_seqno_t seqno,
                                       boolean_t may_cache,
                                       memory_object_copy_strategy_t strategy)
{
  (void) seqno;
  (void) may_cache;
  (void) strategy;
  struct object *o = find_object (port);
  if (o != NULL && o->changes_pending > 0)
    {
      o->changes_pending--;
      cnd_broadcast (&o->changed);
    }
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_copy (mach_port_t port, mach_port_seqno_t seqno,
                           mach_port_t old_control, vm_offset_t offset, vm_size_t length,
                           mach_port_t new_object)
{
  (void) port;
  (void) seqno;
  (void) old_control;
  (void) offset;
  (void) length;
  (void) new_object;
  return KERN_FAILURE; /* never COPY_CALL; error return releases the rights */
}

/* Unasked notifications: accept the empty ones, refuse port-destroyed so its
   receive right is destroyed by the error path.  */
kern_return_t
do_seqnos_mach_notify_port_deleted (mach_port_t n, mach_port_seqno_t s,
                                    mach_port_name_t name)
{
  (void) n, (void) s, (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_msg_accepted (mach_port_t n, mach_port_seqno_t s,
                                    mach_port_name_t name)
{
  (void) n, (void) s, (void) name;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_port_destroyed (mach_port_t n, mach_port_seqno_t s,
                                      mach_port_t rights)
{
  (void) n, (void) s, (void) rights;
  return KERN_FAILURE;
}

kern_return_t
do_seqnos_mach_notify_no_senders (mach_port_t n, mach_port_seqno_t s,
                                  mach_port_mscount_t c)
{
  (void) n, (void) s, (void) c;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_send_once (mach_port_t n, mach_port_seqno_t s)
{
  (void) n, (void) s;
  return KERN_SUCCESS;
}

kern_return_t
do_seqnos_mach_notify_dead_name (mach_port_t n, mach_port_seqno_t s,
                                 mach_port_name_t name)
{
  (void) n, (void) s, (void) name;
  return KERN_SUCCESS;
}

/* --- serving a queued copy ------------------------------------------------ */

/* Run the demuxes and do what mach_msg_server does afterwards: on an error
   (other than MIG_NO_REPLY) destroy the request but its reply right; send a
   reply where one is named.  */
static void
dispatch (mach_msg_header_t *req)
{
  union
  {
    mig_reply_header_t h;
    unsigned char bytes[512];
  } rep;
  memset (&rep, 0, sizeof rep);
  if (!seqnos_memory_object_server (req, &rep.h.Head))
    (void) seqnos_notify_server (req, &rep.h.Head);
  kern_return_t code = rep.h.RetCode;
  if (code == MIG_NO_REPLY)
    return;
  if (code != KERN_SUCCESS && (req->msgh_bits & MACH_MSGH_BITS_COMPLEX))
    {
      req->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy (req);
    }
  if (MACH_PORT_VALID (rep.h.Head.msgh_remote_port))
    {
      if (mach_msg (&rep.h.Head, MACH_SEND_MSG, rep.h.Head.msgh_size, 0, MACH_PORT_NULL,
                    MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL)
          != MACH_MSG_SUCCESS)
        mach_msg_destroy (&rep.h.Head);
    }
}

static void
serve (mach_msg_header_t *req)
{
  struct object *o = find_object (req->msgh_local_port);
  if (o == NULL)
    {
      dispatch (req);
      free (req);
      return;
    }
  mtx_lock (&o->lock);
  /* Wait for this message's turn on the object port (SQ7).  */
  while (o->next_seqno != req->msgh_seqno)
    cnd_wait (&o->changed, &o->lock);
  dispatch (req);
  o->next_seqno++;
  cnd_broadcast (&o->changed);
  mtx_unlock (&o->lock);
  free (req);
}

/* --- receiving thread and workers ---------------------------------------- */

static boolean_t
receive_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  mig_reply_header_t *out = (mig_reply_header_t *) reply;
  struct msg_node *n = malloc (sizeof *n);
  mach_msg_header_t *copy = malloc (request->msgh_size);
  if (n == NULL || copy == NULL)
    {
      free (n);
      free (copy);
      /* Out of memory: serve in place (it still takes its turn).  */
      struct object *o = find_object (request->msgh_local_port);
      if (o == NULL)
        return seqnos_memory_object_server (request, reply)
               || seqnos_notify_server (request, reply);
      mtx_lock (&o->lock);
      while (o->next_seqno != request->msgh_seqno)
        cnd_wait (&o->changed, &o->lock);
      boolean_t r = seqnos_memory_object_server (request, reply)
                    || seqnos_notify_server (request, reply);
      o->next_seqno++;
      cnd_broadcast (&o->changed);
      mtx_unlock (&o->lock);
      return r;
    }
  memcpy (copy, request, request->msgh_size);
  n->msg = copy;
  n->next = NULL;
  mtx_lock (&P.qlock);
  *P.tail = n;
  P.tail = &n->next;
  cnd_signal (&P.qcond);
  mtx_unlock (&P.qlock);

  out->Head.msgh_bits = 0;
  out->Head.msgh_size = sizeof *out;
  out->Head.msgh_remote_port = MACH_PORT_NULL;
  out->Head.msgh_local_port = MACH_PORT_NULL;
  out->Head.msgh_seqno = 0;
  out->Head.msgh_id = request->msgh_id + 100;
  out->RetCode = MIG_NO_REPLY;
  return TRUE;
}

static int
receiver_main (void *arg)
{
  (void) arg;
  mach_msg_server (receive_demux, 0, P.port_set);
  return 0;
}

static int
worker_main (void *arg)
{
  (void) arg;
  mtx_lock (&P.qlock);
  for (;;)
    {
      while (!P.stopping && P.head == NULL)
        cnd_wait (&P.qcond, &P.qlock);
      if (P.stopping)
        break;
      struct msg_node *n = P.head;
      P.head = n->next;
      if (P.head == NULL)
        P.tail = &P.head;
      mtx_unlock (&P.qlock);
      serve (n->msg);
      free (n);
      mtx_lock (&P.qlock);
    }
  mtx_unlock (&P.qlock);
  return 0;
}

/* --- the pager's own actions (ABI v2) ------------------------------------ */

static struct object *
action_object (uint32_t i)
{
  return (P.objects != NULL && i < P.count) ? &P.objects[i] : NULL;
}

/* With o->lock held: one lock_request to the kernel, reply_to the object
   port, and wait for its lock_completed to take its turn (LK8).  */
static void
lock_and_wait (struct object *o, vm_offset_t offset, vm_size_t length, int should_return,
               boolean_t should_flush, vm_prot_t lock_value)
{
  o->locks_pending++;
  memory_object_lock_request (o->control, offset, length, should_return, should_flush,
                              lock_value, o->port);
  while (o->locks_pending > 0)
    cnd_wait (&o->changed, &o->lock);
}

static bool
action_range_ok (const struct object *o, uint64_t offset, uint64_t length)
{
  if (length == 0 || offset > o->size || length > o->size - offset)
    return false;
  return !o->bound || (offset % o->page_size == 0 && length % o->page_size == 0);
}

/* sync and flush: one lock_request over the range, waited for.  */
static kern_return_t
lock_action (uint32_t i, uint64_t offset, uint64_t length, int should_return,
             boolean_t should_flush)
{
  struct object *o = action_object (i);
  if (o == NULL)
    return KERN_INVALID_ARGUMENT;
  mtx_lock (&o->lock);
  kern_return_t kr = KERN_INVALID_ARGUMENT;
  if (action_range_ok (o, offset, length))
    {
      if (o->bound)
        lock_and_wait (o, offset, length, should_return, should_flush, VM_PROT_NO_CHANGE);
      kr = KERN_SUCCESS;
    }
  mtx_unlock (&o->lock);
  return kr;
}

static kern_return_t
c11_sync (uint32_t i, uint64_t offset, uint64_t length)
{
  return lock_action (i, offset, length, MEMORY_OBJECT_RETURN_ALL, FALSE);
}

static kern_return_t
c11_flush (uint32_t i, uint64_t offset, uint64_t length)
{
  return lock_action (i, offset, length, MEMORY_OBJECT_RETURN_DIRTY, TRUE);
}

static kern_return_t
c11_change_attributes (uint32_t i, int may_cache, int copy_strategy)
{
  (void) copy_strategy; /* CP1: the strategy stays COPY_DELAY */
  struct object *o = action_object (i);
  if (o == NULL)
    return KERN_INVALID_ARGUMENT;
  mtx_lock (&o->lock);
  o->may_cache = may_cache != 0;
  if (o->bound)
    {
      o->changes_pending++;
      memory_object_change_attributes (o->control, o->may_cache, MEMORY_OBJECT_COPY_DELAY,
                                       o->port);
      while (o->changes_pending > 0)
        cnd_wait (&o->changed, &o->lock);
    }
  mtx_unlock (&o->lock);
  return KERN_SUCCESS;
}

static kern_return_t
c11_shutdown (uint32_t i)
{
  struct object *o = action_object (i);
  if (o == NULL)
    return KERN_INVALID_ARGUMENT;
  mtx_lock (&o->lock);
  if (o->bound)
    {
      /* DS3: everything back and flushed first, then destroy.  */
      lock_and_wait (o, 0, o->size, MEMORY_OBJECT_RETURN_ALL, TRUE, VM_PROT_WRITE);
      if (o->bound)
        memory_object_destroy (o->control, KERN_SUCCESS);
    }
  mtx_unlock (&o->lock);
  return KERN_SUCCESS;
}

static kern_return_t
c11_read_store (uint32_t i, uint64_t offset, void *buf, uint64_t length)
{
  struct object *o = action_object (i);
  if (o == NULL || offset > o->size || length > o->size - offset)
    return KERN_INVALID_ARGUMENT;
  mtx_lock (&o->lock);
  memcpy (buf, (const void *) (o->store + offset), length);
  mtx_unlock (&o->lock);
  return KERN_SUCCESS;
}

/* --- entry ABI ------------------------------------------------------------- */

static void
free_objects (void)
{
  while (P.head != NULL)
    {
      struct msg_node *n = P.head;
      P.head = n->next;
      mach_msg_destroy (n->msg);
      free (n->msg);
      free (n);
    }
  P.tail = &P.head;
  for (size_t i = 0; i < P.count; i++)
    {
      struct object *o = &P.objects[i];
      if (o->bound)
        {
          drop_send (o->control);
          drop_send (o->name);
          o->bound = false;
        }
      if (o->port != MACH_PORT_NULL)
        mach_port_mod_refs (mach_task_self (), o->port, MACH_PORT_RIGHT_RECEIVE, -1);
      if (o->store != 0)
        vm_deallocate (mach_task_self (), o->store, o->size);
      free (o->returned);
      cnd_destroy (&o->changed);
      mtx_destroy (&o->lock);
    }
  free (P.objects);
  P.objects = NULL;
  P.count = 0;
}

static void
c11_stop (void)
{
  if (P.port_set != MACH_PORT_NULL)
    mach_port_mod_refs (mach_task_self (), P.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  P.port_set = MACH_PORT_NULL;
  if (P.receiver_up)
    thrd_join (P.receiver, NULL);
  P.receiver_up = false;
  mtx_lock (&P.qlock);
  P.stopping = true;
  cnd_broadcast (&P.qcond);
  mtx_unlock (&P.qlock);
  for (size_t i = 0; i < P.workers_up; i++)
    thrd_join (P.workers[i], NULL);
  P.workers_up = 0;
  free_objects ();
  cnd_destroy (&P.qcond);
  mtx_destroy (&P.qlock);
}

static kern_return_t
c11_start (const struct emmi_pager_config *cfg, struct emmi_pager_object *out)
{
  if (cfg->abi_version != EMMI_PAGER_ABI_VERSION || cfg->dialect != EMMI_DIALECT_GNUMACH
      || cfg->object_count == 0 || cfg->object_size == 0 || cfg->object_size % BLOCK != 0)
    return KERN_INVALID_ARGUMENT;
  if (cfg->options != NULL && cfg->options[0] != '\0')
    return KERN_INVALID_ARGUMENT; /* no options */
  if (P.objects != NULL)
    return KERN_FAILURE;

  mach_port_t task = mach_task_self ();
  if (mtx_init (&P.qlock, mtx_plain) != thrd_success)
    return KERN_RESOURCE_SHORTAGE;
  if (cnd_init (&P.qcond) != thrd_success)
    {
      mtx_destroy (&P.qlock);
      return KERN_RESOURCE_SHORTAGE;
    }
  P.head = NULL;
  P.tail = &P.head;
  P.stopping = false;
  P.receiver_up = false;
  P.workers_up = 0;
  kern_return_t kr = mach_port_allocate (task, MACH_PORT_RIGHT_PORT_SET, &P.port_set);
  if (kr != KERN_SUCCESS)
    goto fail_sync;
  P.objects = calloc (cfg->object_count, sizeof *P.objects);
  if (P.objects == NULL)
    {
      kr = KERN_RESOURCE_SHORTAGE;
      goto fail;
    }
  P.count = cfg->object_count;
  for (size_t i = 0; i < P.count; i++)
    {
      mtx_init (&P.objects[i].lock, mtx_plain);
      cnd_init (&P.objects[i].changed);
    }
  for (size_t i = 0; i < P.count; i++)
    {
      struct object *o = &P.objects[i];
      o->size = cfg->object_size;
      o->returned = calloc (o->size / BLOCK, 1);
      if (o->returned == NULL)
        {
          kr = KERN_RESOURCE_SHORTAGE;
          goto fail;
        }
      kr = vm_allocate (task, &o->store, o->size, TRUE);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &o->port);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_move_member (task, o->port, P.port_set);
      if (kr != KERN_SUCCESS)
        goto fail;
      out[i].port = o->port;
      out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }
  for (size_t i = 0; i < WORKERS; i++)
    {
      if (thrd_create (&P.workers[i], worker_main, NULL) != thrd_success)
        {
          c11_stop ();
          return KERN_RESOURCE_SHORTAGE;
        }
      P.workers_up++;
    }
  if (thrd_create (&P.receiver, receiver_main, NULL) != thrd_success)
    {
      c11_stop ();
      return KERN_RESOURCE_SHORTAGE;
    }
  P.receiver_up = true;
  return KERN_SUCCESS;

fail:
  mach_port_mod_refs (task, P.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  P.port_set = MACH_PORT_NULL;
  free_objects ();
fail_sync:
  cnd_destroy (&P.qcond);
  mtx_destroy (&P.qlock);
  return kr;
}

static const struct emmi_pager c11_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "c11-threads",
  .start = c11_start,
  .stop = c11_stop,
  .sync = c11_sync,
  .flush = c11_flush,
  .change_attributes = c11_change_attributes,
  .shutdown = c11_shutdown,
  .read_store = c11_read_store,
};

EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &c11_pager;
}
