/* SPDX-License-Identifier: MIT */
/* A conforming EMMI pager with ONE thread: the plain (non-SEQNOS)
   memory_object stubs on mach_msg_server_timeout, called in a loop as Hurd
   servers do when they give their server thread an idle timeout.

   The design: the single server thread receives every message of every
   object from one port set and handles it to completion before it receives
   the next.  With one receiving thread, the order it dequeues an object
   port's messages in is that port's seqno order (the kernel stamps seqnos at
   dequeue, §2), so each object's messages take effect exactly in the order
   the kernel queued them (SQ7) without looking at a seqno; nothing is ever
   waited for, so a notification or a rejected message cannot jam anything
   (SQ6).  The receive times out after SERVER_TIMEOUT_MS of idleness and the
   loop simply receives again; it ends when stop() destroys the port set.

   Rule IDs in the comments (IN9, SQ7, TM4, RT2, ...) are those of the rule
   catalogue (emmi-rules.md); section numbers (§2, §3g, ...) refer to the notes
   on how GNU Mach behaves (gnumach-kernel.md).  Store semantics, page size
   policy and options are those of reference_pager.c.  */

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
   creating it and stop() joining it order everything else.  */
struct pager_object
{
  mach_port_t port;   /* receive right; the kernels hold send rights */
  vm_address_t store; /* contents, page aligned (SU9) */
  vm_size_t size;
  unsigned char *returned;        /* per STORE_BLOCK: a kernel gave data back */
  struct kernel_binding *kernels; /* in init order */
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects; /* the array is fixed between start and stop */
  size_t object_count;
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
      /* RD1, IN2: ready; no caching after the last unmap; COPY_DELAY since
         the data never changes behind the kernel's back (CP4).  */
      memory_object_ready (control, FALSE, MEMORY_OBJECT_COPY_DELAY);
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
  /* UL2: never restricting access, grant by lifting every lock (LK6).  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
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
memory_object_lock_completed (mach_port_t object_port, mach_port_t control,
                              vm_offset_t offset, vm_size_t length)
{
  (void) object_port;
  (void) offset;
  (void) length;
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
  (void) arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued-and-dropped (§2).
     A timeout only means nothing came for a while: receive again.  Any other
     return is the port set going away in single_thread_stop.  */
  for (;;)
    {
      mach_msg_return_t mr
          = mach_msg_server_timeout (pager_demux, 0, pager.port_set, MACH_RCV_TIMEOUT,
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
single_thread_stop (void)
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
single_thread_start (const struct emmi_pager_config *config,
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

  if (pthread_create (&pager.server, NULL, server_thread, NULL) != 0)
    {
      single_thread_stop ();
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

static const struct emmi_pager single_thread_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "single-thread",
  .start = single_thread_start,
  .stop = single_thread_stop,
};

/* The plain stubs (memory_object_server): its handlers never see a seqno,
   so the SEQNOS rules are not its duty (pager_abi.h). Without this symbol
   the suite would assume the same.  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &single_thread_pager;
}
