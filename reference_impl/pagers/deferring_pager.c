/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager that answers LATE and OUT OF ORDER: one thread,
   its own receive loop (no mach_msg_server), and a queue of deferred
   answers.

   The design, as event-driven pagers built on a select-style loop work: the
   server thread receives a message, handles what can be handled at once
   (init, data_return, terminate, completions), and only queues what owes the
   kernel an answer (data_request, data_unlock).  The queue is worked off
   when it holds BATCH answers or when nothing has arrived for
   BATCH_TIMEOUT_MS, newest first.  So a kernel sees its requests answered
   after later messages were handled, in the reverse order it asked, and
   sometimes only after a receive timed out: all of which the protocol
   allows (the kernel waits for each page on its own; no rule orders the
   answers to different requests), and which a checker that expects an
   answer "soon after" a request, or answers in request order, or treats a
   pager blocked in a timed receive as idle, gets wrong.

   Still one thread: each object's messages take effect in the order they
   were dequeued, which is their seqno order (SQ7).  A deferred answer is
   only a message this pager sends later; the store it is read from at that
   time holds everything returned before (RT4, DR3).

   Rule IDs (IN9, SQ7, TM4, RT2, ...) are those of the rule catalogue
   (emmi-rules.md); section numbers (§2, §3f, ...) those of the notes on how
   GNU Mach behaves (gnumach-kernel.md).  Store semantics follow
   reference_pager.c.  */

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

extern boolean_t memory_object_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);
extern boolean_t notify_server (mach_msg_header_t *request, mach_msg_header_t *reply);

/* The queue is worked off when it holds this many answers ...  */
#define BATCH 3
/* ... or when a receive has waited this long for the next message.  */
#define BATCH_TIMEOUT_MS 2

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

/* An answer the kernel is owed: one page of a data_request (supply or
   unavailable), or the grant of a data_unlock.  */
enum answer_kind
{
  ANSWER_PAGE,
  ANSWER_UNLOCK
};
struct answer
{
  struct answer *next;
  enum answer_kind kind;
  struct pager_object *obj;
  struct kernel_binding *kernel;
  vm_offset_t offset;
  vm_size_t size;
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects;
  size_t object_count;
  struct answer *owed; /* newest first */
  size_t owed_count;
  pthread_t server;
  bool server_running;
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

/* --- The queue of answers owed ---------------------------------------------- */

static bool
owe (enum answer_kind kind, struct pager_object *obj, struct kernel_binding *k,
     vm_offset_t offset, vm_size_t size)
{
  struct answer *a = malloc (sizeof *a);
  if (a == NULL)
    return false;
  *a = (struct answer){ pager.owed, kind, obj, k, offset, size };
  pager.owed = a;
  pager.owed_count++;
  return true;
}

/* Sends every owed answer, newest first.  The store is read now, so a page
   returned after it was requested is supplied with what was returned.  */
static void
pay_all (void)
{
  while (pager.owed != NULL)
    {
      struct answer *a = pager.owed;
      pager.owed = a->next;
      pager.owed_count--;
      mach_port_t control = a->kernel->control;
      if (a->kind == ANSWER_UNLOCK)
        /* UL2: grant by lifting every lock on the range (LK6).  */
        memory_object_lock_request (control, a->offset, a->size,
                                    MEMORY_OBJECT_RETURN_NONE, FALSE, VM_PROT_NONE,
                                    MACH_PORT_NULL);
      else if (holds_data (a->obj, a->offset, a->size))
        /* DR3, SU6: what a kernel gave back; the kernel copies it (SU10).  */
        memory_object_data_supply (control, a->offset, a->obj->store + a->offset, a->size,
                                   FALSE, VM_PROT_NONE, FALSE, MACH_PORT_NULL);
      else
        /* DR5, UN1: never written, the kernel zero-fills it.  */
        memory_object_data_unavailable (control, a->offset, a->size);
      free (a);
    }
}

/* Forgets the answers owed to kernel K: it terminated the object, so no
   answer is wanted and its control port is about to go (TM6).  */
static void
forget_owed_to (const struct kernel_binding *k)
{
  struct answer **p = &pager.owed;
  while (*p != NULL)
    if ((*p)->kernel == k)
      {
        struct answer *gone = *p;
        *p = gone->next;
        pager.owed_count--;
        free (gone);
      }
    else
      p = &(*p)->next;
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
  /* RD1: ready at once; init is never deferred.  */
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
        forget_owed_to (k);
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

/* Queues one answer per page (DR8), then drops the control send right the
   request carried (§3f): the binding's own uref keeps the name alive until
   terminate, which forgets what is still owed.  */
static kern_return_t
defer (enum answer_kind kind, mach_port_t object_port, mach_port_t control,
       vm_offset_t offset, vm_size_t length)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    return KERN_INVALID_ARGUMENT; /* the right is released for us (V3) */
  if (kind == ANSWER_UNLOCK)
    {
      if (!owe (kind, obj, k, offset, length))
        return KERN_RESOURCE_SHORTAGE;
    }
  else
    for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
      if (!owe (kind, obj, k, page, k->page_size))
        return KERN_RESOURCE_SHORTAGE;
  mach_port_deallocate (mach_task_self (), control);
  return KERN_SUCCESS;
}

kern_return_t
memory_object_data_request (mach_port_t object_port, mach_port_t control,
                            vm_offset_t offset, vm_size_t length,
                            vm_prot_t desired_access)
{
  (void) desired_access; /* every answer grants every access (DR6) */
  return defer (ANSWER_PAGE, object_port, control, offset, length);
}

kern_return_t
memory_object_data_unlock (mach_port_t object_port, mach_port_t control,
                           vm_offset_t offset, vm_size_t length, vm_prot_t desired_access)
{
  (void) desired_access;
  return defer (ANSWER_UNLOCK, object_port, control, offset, length);
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

/* --- The receive loop, written out ---------------------------------------- */

/* What mach_msg_server does for one message, by hand: demux, destroy the
   request's rights and memory when the handler refused it (G5, V3), send a
   reply when one is wanted.  */
static void
dispatch (mach_msg_header_t *request, mig_reply_header_t *reply)
{
  boolean_t known = memory_object_server (request, &reply->Head)
                    || notify_server (request, &reply->Head);
#ifdef EMMI_MUTANT_DEFERRING_KEEPS_REFUSED
  /* MUTANT deferring_keeps_refused: only a handler's error return destroys
     the request; one no demux knows keeps the rights it carried (V2).  */
  if (known && reply->RetCode != KERN_SUCCESS && reply->RetCode != MIG_NO_REPLY)
#else
  if (!known || (reply->RetCode != KERN_SUCCESS && reply->RetCode != MIG_NO_REPLY))
#endif
    {
      /* The reply port is the reply's to use (or to drop) below.  */
      request->msgh_remote_port = MACH_PORT_NULL;
      mach_msg_destroy (request);
    }
  if (reply->Head.msgh_remote_port == MACH_PORT_NULL || reply->RetCode == MIG_NO_REPLY)
    return;
  mach_msg (&reply->Head, MACH_SEND_MSG, reply->Head.msgh_size, 0, MACH_PORT_NULL,
            MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
}

static void *
server_thread (void *arg)
{
  (void) arg;
  mach_msg_size_t capacity = 8192;
  mach_msg_header_t *request = malloc (capacity);
  mig_reply_header_t *reply = malloc (8192);
  while (request != NULL && reply != NULL)
    {
      /* Wait without limit while nothing is owed; with answers owed, wait
         only BATCH_TIMEOUT_MS for the next message before paying them.  */
      mach_msg_option_t options = MACH_RCV_MSG | MACH_RCV_LARGE;
      if (pager.owed != NULL)
        options |= MACH_RCV_TIMEOUT;
      mach_msg_return_t mr = mach_msg (request, options, 0, capacity, pager.port_set,
                                       BATCH_TIMEOUT_MS, MACH_PORT_NULL);
      if (mr == MACH_RCV_TIMED_OUT)
        {
#ifndef EMMI_MUTANT_DEFERRING_FORGETS_TIMEOUT
          pay_all ();
#endif
          continue;
        }
      if (mr == MACH_RCV_TOO_LARGE)
        {
          /* MACH_RCV_LARGE left the message queued and said its size (§2).  */
          mach_msg_size_t needed = request->msgh_size;
          mach_msg_header_t *bigger = realloc (request, needed);
          if (bigger == NULL)
            break;
          request = bigger;
          capacity = needed;
          continue;
        }
      if (mr != MACH_MSG_SUCCESS)
        break; /* the port set went away: stop() */
      memset (reply, 0, sizeof *reply);
      dispatch (request, reply);
      if (pager.owed_count >= BATCH)
        pay_all ();
    }
  free (request);
  free (reply);
  return NULL;
}

/* --- The entry ABI ------------------------------------------------------------- */

static void
free_objects (void)
{
  while (pager.owed != NULL)
    {
      struct answer *a = pager.owed;
      pager.owed = a->next;
      free (a);
    }
  pager.owed_count = 0;
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
deferring_stop (void)
{
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  if (pager.server_running)
    pthread_join (pager.server, NULL);
  pager.server_running = false;
  free_objects ();
}

static kern_return_t
deferring_start (const struct emmi_pager_config *config, struct emmi_pager_object *out)
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
  if (pthread_create (&pager.server, NULL, server_thread, NULL) != 0)
    {
      deferring_stop ();
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

static const struct emmi_pager deferring_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "deferring",
  .start = deferring_start,
  .stop = deferring_stop,
};

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &deferring_pager;
}
