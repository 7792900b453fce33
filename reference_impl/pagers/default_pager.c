/* SPDX-License-Identifier: MIT */
/* A conforming DEFAULT pager: the memory manager that backs the temporary
   (anonymous) objects the kernel creates.  It plays only the default-pager
   role of the entry ABI (emmi_pager_roles): start() offers no objects of its
   own, it registers a port with vm_set_default_memory_manager, and every
   object it serves arrives through memory_object_create.

   The design, in the manner of a classic Mach default pager:

   * Two server threads run mach_msg_server on one port set, which holds the
     manager port and every temporary object's port.  Each message goes to the
     SEQNOS demuxes: first memory_object_default_server (create and
     data_initialize only, G6), then memory_object_server (data_request,
     data_return, terminate, ...).

   * Every port in the set has a ticket: the seqno of the next message that
     may take effect on it.  A handler first waits until its message's seqno
     is the ticket, does its work, then advances the ticket by one and wakes
     the others.  Two threads may dequeue two messages of one object in
     either order; the ticket makes them take effect in the kernel's order
     (SQ7).  The ticket counts EVERY message dequeued from the port
     (gnumach-kernel.md section 2), including those no demux knows and those
     whose stub rejects them: otherwise the next message would wait for ever
     (SQ6).  The manager port's ticket counts create messages (SQ3).

   * The paging store is memory: per 4 KiB block, a "written" flag and the
     contents.  A block is written by data_initialize (only if it was never
     written: DI2; otherwise data_initialize is exactly data_return, DI3) or
     data_return.  A data_request is answered with data_supply of the stored
     page when any of its blocks was written, and with data_unavailable when
     none was (the kernel zero-fills: CR2, UN2).  Offsets past the size given
     in create are accepted: that size is only a hint (CR5).

   Mutants built from this file (mutants/mutants.json):
     EMMI_MUTANT_DP_UN2        supplies garbage for a never-written page;
     EMMI_MUTANT_DP_DI2        lets data_initialize overwrite a written block;
     EMMI_MUTANT_DP_SQ3        its ticket does not count a data_initialize;
     EMMI_MUTANT_DP_G6         serves the common memory_object interface on the
                               default memory manager port too;
     EMMI_MUTANT_DP_CR_RIGHTS  at terminate drops only the receive rights, not
                               the send rights create (and every request) gave. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hurd.h>
#include <mach.h>
#include <mach/memory_object.h>
#include <mach/mig_errors.h>

#include "emmi/pager_abi.h"
#include <emmi/mig/default_pager_S.h>        /* MIG, default_pager.defs */
#include <emmi/mig/seqnos_memory_object_S.h> /* MIG, memory_object.defs -DSEQNOS */
#include <emmi/mig/seqnos_memory_object_default_S.h> /* MIG, memory_object_default.defs -DSEQNOS */

extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t seqnos_memory_object_default_server (mach_msg_header_t *request,
                                                      mach_msg_header_t *reply);
extern boolean_t default_pager_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);

#define BLOCK ((vm_size_t) 4096)
#define SERVER_THREADS 2

/* One port the pager serves and its ticket.  */
struct ticket
{
  mach_port_t port;
  mach_port_seqno_t next; /* seqno of the next message allowed to take effect */
};

/* One temporary object (memory_object_create).  */
struct temp_object
{
  struct ticket ticket;
  bool live;           /* until terminate */
  bool user;           /* made by default_pager_object_create, not by the kernel */
  mach_port_t control; /* send right (create made it) */
  mach_port_t name;    /* send right (for a user object: our receive right) */
  vm_size_t page_size;
  size_t blocks;          /* store capacity, in blocks */
  unsigned char *written; /* per block */
  unsigned char *store;   /* blocks * BLOCK bytes */
};

static struct
{
  pthread_mutex_t lock; /* guards everything below */
  pthread_cond_t turn;  /* a ticket advanced */
  mach_port_t port_set;
  struct ticket manager; /* where memory_object_create arrives */
  struct temp_object **objects;
  size_t object_count, object_capacity;
  pthread_t threads[SERVER_THREADS];
  int started;
} dp = { .lock = PTHREAD_MUTEX_INITIALIZER, .turn = PTHREAD_COND_INITIALIZER };

/* Whether the message the calling thread is handling took its turn (set by
   take_turn); the demux counts the seqno itself when no handler did.  */
static __thread bool turn_taken;

/* The ticket of `port`, or NULL (lock held).  */
static struct ticket *
ticket_of (mach_port_t port)
{
  if (port == dp.manager.port)
    return &dp.manager;
  for (size_t i = 0; i < dp.object_count; ++i)
    if (dp.objects[i]->ticket.port == port)
      return &dp.objects[i]->ticket;
  return NULL;
}

static struct temp_object *
object_of (mach_port_t port)
{
  for (size_t i = 0; i < dp.object_count; ++i)
    if (dp.objects[i]->ticket.port == port && dp.objects[i]->live)
      return dp.objects[i];
  return NULL;
}

/* Wait for message `seqno` of `port` to be next, then hold the lock while
   the handler works.  Returns the ticket (NULL for a port we do not serve;
   the lock is held either way).  */
static struct ticket *
take_turn (mach_port_t port, mach_port_seqno_t seqno)
{
  pthread_mutex_lock (&dp.lock);
  turn_taken = true;
  struct ticket *t = ticket_of (port);
  while (t != NULL && t->next != seqno)
    {
      pthread_cond_wait (&dp.turn, &dp.lock);
      t = ticket_of (port);
    }
  return t;
}

/* The handler is done: the next message of the port may take effect.  */
static void
end_turn (struct ticket *t)
{
  if (t != NULL)
    {
      t->next++;
      pthread_cond_broadcast (&dp.turn);
    }
  pthread_mutex_unlock (&dp.lock);
}

/* Grow the store of `o` to hold block `b` (lock held).  */
static bool
reserve (struct temp_object *o, size_t b)
{
  if (b < o->blocks)
    return true;
  size_t n = o->blocks ? o->blocks : 4;
  while (n <= b)
    n *= 2;
  unsigned char *w = realloc (o->written, n);
  if (w == NULL)
    return false;
  o->written = w;
  unsigned char *s = realloc (o->store, n * BLOCK);
  if (s == NULL)
    return false;
  o->store = s;
  memset (o->written + o->blocks, 0, n - o->blocks);
  memset (o->store + o->blocks * BLOCK, 0, (n - o->blocks) * BLOCK);
  o->blocks = n;
  return true;
}

/* Keep `size` bytes at `offset` (data_return, data_initialize).  With
   `initial`, blocks already written are left alone (DI2).  */
static void
keep (struct temp_object *o, vm_offset_t offset, const unsigned char *data,
      vm_size_t size, bool initial)
{
  for (vm_size_t at = 0; at + BLOCK <= size; at += BLOCK)
    {
      size_t b = (offset + at) / BLOCK;
      if (!reserve (o, b))
        return;
#ifndef EMMI_MUTANT_DP_DI2
      if (initial && o->written[b])
        continue;
#else
      (void) initial;
#endif
      memcpy (o->store + b * BLOCK, data + at, BLOCK);
      o->written[b] = 1;
    }
}

/* --- memory_object_default.defs ------------------------------------------- */

kern_return_t
seqnos_memory_object_create (mach_port_t manager, mach_port_seqno_t seqno,
                             mach_port_t new_object, vm_size_t size, mach_port_t control,
                             mach_port_t name, vm_size_t page_size)
{
  (void) size; /* a hint only (CR5) */
  struct ticket *t = take_turn (manager, seqno);
  kern_return_t kr = KERN_FAILURE;
  struct temp_object *o = calloc (1, sizeof *o);
  if (t == &dp.manager && o != NULL)
    {
      if (dp.object_count == dp.object_capacity)
        {
          size_t n = dp.object_capacity ? 2 * dp.object_capacity : 8;
          /* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
          struct temp_object **a = realloc (dp.objects, n * sizeof *a);
          if (a != NULL)
            {
              dp.objects = a;
              dp.object_capacity = n;
            }
        }
      if (dp.object_count < dp.object_capacity)
        {
          /* The receive right is ours now; its seqno counts from 0 (SQ5).  */
          o->ticket.port = new_object;
          o->ticket.next = 0;
          o->live = true;
          o->control = control;
          o->name = name;
          o->page_size = page_size;
          dp.objects[dp.object_count++] = o;
          o = NULL;
          kr = mach_port_move_member (mach_task_self (), new_object, dp.port_set);
        }
    }
  free (o);
  end_turn (t);
  /* On an error mach_msg_server destroys the rights create carried.  */
  return kr;
}

kern_return_t
seqnos_memory_object_data_initialize (mach_port_t object, mach_port_seqno_t seqno,
                                      mach_port_t control, vm_offset_t offset,
                                      vm_offset_t data, mach_msg_type_number_t size)
{
  (void) control;
  struct ticket *t = take_turn (object, seqno);
  struct temp_object *o = object_of (object);
  if (o != NULL)
    keep (o, offset, (const unsigned char *) data, size, true);
#ifdef EMMI_MUTANT_DP_SQ3
  /* The bug: the turn ends without counting this seqno, so the next
     message of the object waits for ever.  */
  (void) t;
  pthread_mutex_unlock (&dp.lock);
#else
  end_turn (t);
#endif
  /* The out-of-line pages are ours to release (PR8).  */
  vm_deallocate (mach_task_self (), data, size);
  return KERN_SUCCESS;
}

/* --- memory_object.defs ---------------------------------------------------- */

kern_return_t
seqnos_memory_object_data_request (mach_port_t object, mach_port_seqno_t seqno,
                                   mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t access)
{
  (void) access;
  struct ticket *t = take_turn (object, seqno);
  struct temp_object *o = object_of (object);
  if (o != NULL)
    {
      bool any = false;
      for (vm_size_t at = 0; at < length; at += BLOCK)
        {
          size_t b = (offset + at) / BLOCK;
          any |= b < o->blocks && o->written[b];
        }
#ifdef EMMI_MUTANT_DP_UN2
      any = true; /* garbage for a page never written */
#endif
      if (!any)
        /* Never written: the kernel zero-fills (CR2, UN2).  */
        memory_object_data_unavailable (control, offset, length);
      else
        {
          vm_address_t page = 0;
          if (vm_allocate (mach_task_self (), &page, length, TRUE) == KERN_SUCCESS)
            {
              for (vm_size_t at = 0; at < length; at += BLOCK)
                {
                  size_t b = (offset + at) / BLOCK;
                  if (b < o->blocks && o->written[b])
                    memcpy ((unsigned char *) page + at, o->store + b * BLOCK, BLOCK);
#ifdef EMMI_MUTANT_DP_UN2
                  else
                    memset ((unsigned char *) page + at, 0xa5, BLOCK);
#endif
                }
              memory_object_data_supply (control, offset, page, length, TRUE,
                                         VM_PROT_NONE, FALSE, MACH_PORT_NULL);
            }
          else
            memory_object_data_error (control, offset, length, KERN_RESOURCE_SHORTAGE);
        }
    }
  end_turn (t);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_return (mach_port_t object, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_offset_t data, mach_msg_type_number_t size,
                                  boolean_t dirty, boolean_t kernel_copy)
{
  (void) control;
  (void) dirty;
  (void) kernel_copy;
  struct ticket *t = take_turn (object, seqno);
  struct temp_object *o = object_of (object);
  if (o != NULL)
    keep (o, offset, (const unsigned char *) data, size, false);
  end_turn (t);
  vm_deallocate (mach_task_self (), data, size); /* RT2 */
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t object, mach_port_seqno_t seqno,
                                mach_port_t control, mach_port_t name)
{
  struct ticket *t = take_turn (object, seqno);
  struct temp_object *o = object_of (object);
  if (o != NULL && !o->user)
    {
      /* The object is gone with its contents: nothing persists.  */
      o->live = false;
      free (o->store);
      free (o->written);
      o->store = o->written = NULL;
      o->blocks = 0;
    }
  end_turn (t);
#ifdef EMMI_MUTANT_DP_CR_RIGHTS
  /* The bug: only the receive rights terminate brought are released; the
     send references create and every request made under the same names
     stay behind (as dead names once the ports die).  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
#else
  /* Terminate brought the receive rights of control and name; with the send
     rights create and the requests made under the same names, destroy drops
     everything (TM4, TM5, V6).  */
  mach_port_destroy (mach_task_self (), control);
  mach_port_destroy (mach_task_self (), name);
#endif
  return KERN_SUCCESS;
}

/* The kernels never send these to a default pager's temporary objects in the
   suite's slice; each still takes its turn, so the ticket stays gap-free.  */
kern_return_t
seqnos_memory_object_init (mach_port_t object, mach_port_seqno_t seqno,
                           mach_port_t control, mach_port_t name, vm_size_t page_size)
{
  (void) name;
  (void) page_size;
  struct ticket *t = take_turn (object, seqno);
  struct temp_object *o = object_of (object);
  const bool ours = o != NULL && o->user;
  end_turn (t);
  if (!ours)
    return KERN_FAILURE; /* not ours to map: mach_msg_server drops the rights */
  /* An object default_pager_object_create made: served like a temporary
     one (its pages start zero, CR10); the kernel may use it at once.  */
  memory_object_ready (control, FALSE, MEMORY_OBJECT_COPY_DELAY);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_copy (mach_port_t object, mach_port_seqno_t seqno,
                           mach_port_t control, vm_offset_t offset, vm_size_t length,
                           mach_port_t new_object)
{
  (void) control;
  (void) offset;
  (void) length;
  (void) new_object;
  end_turn (take_turn (object, seqno));
  return KERN_FAILURE;
}

kern_return_t
seqnos_memory_object_data_unlock (mach_port_t object, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_prot_t access)
{
  (void) access;
  end_turn (take_turn (object, seqno));
  /* A default pager never locks pages: nothing to unlock.  */
  memory_object_lock_request (control, offset, length, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, MACH_PORT_NULL);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_lock_completed (mach_port_t object, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  (void) control;
  (void) offset;
  (void) length;
  end_turn (take_turn (object, seqno));
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_supply_completed (mach_port_t object, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  (void) control;
  (void) offset;
  (void) length;
  (void) result;
  (void) error_offset;
  end_turn (take_turn (object, seqno));
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t object, mach_port_seqno_t seqno,
                                       boolean_t may_cache,
                                       memory_object_copy_strategy_t strategy)
{
  (void) may_cache;
  (void) strategy;
  end_turn (take_turn (object, seqno));
  return KERN_SUCCESS;
}

/* --- default_pager.defs: the privileged clients' interface ------------------------
   Routines (each gets a reply), served on the default memory manager port
   only.  The demux calls default_pager_server inside the manager port's
   turn, so these handlers run with dp.lock held.  */

/* The blocks of `o` that hold data.  */
static size_t
written_blocks (const struct temp_object *o)
{
  size_t n = 0;
  for (size_t b = 0; b < o->blocks; ++b)
    n += o->written[b] != 0;
  return n;
}

static struct temp_object *
object_named (mach_port_t name)
{
  for (size_t i = 0; i < dp.object_count; ++i)
    if (dp.objects[i]->live && dp.objects[i]->user && dp.objects[i]->name == name)
      return dp.objects[i];
  return NULL;
}

/* A new object, zero-filled, whose contents go when the object does
   (CR10): a fresh port in our port set, and a name port for the
   other default_pager calls.  */
kern_return_t
default_pager_object_create (mach_port_t manager, memory_object_t *memory_object,
                             vm_size_t object_size)
{
  (void) object_size; /* a hint, as create's size */
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  struct temp_object *o = calloc (1, sizeof *o);
  if (o == NULL)
    return KERN_RESOURCE_SHORTAGE;
  if (dp.object_count == dp.object_capacity)
    {
      size_t n = dp.object_capacity ? 2 * dp.object_capacity : 8;
      /* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers */
      struct temp_object **a = realloc (dp.objects, n * sizeof *a);
      if (a == NULL)
        {
          free (o);
          return KERN_RESOURCE_SHORTAGE;
        }
      dp.objects = a;
      dp.object_capacity = n;
    }
  kern_return_t kr
      = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_RECEIVE, &o->ticket.port);
  if (kr == KERN_SUCCESS)
    kr = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_RECEIVE, &o->name);
  if (kr == KERN_SUCCESS)
    kr = mach_port_move_member (mach_task_self (), o->ticket.port, dp.port_set);
  if (kr != KERN_SUCCESS)
    {
      if (MACH_PORT_VALID (o->ticket.port))
        mach_port_destroy (mach_task_self (), o->ticket.port);
      if (MACH_PORT_VALID (o->name))
        mach_port_destroy (mach_task_self (), o->name);
      free (o);
      return kr;
    }
  o->live = true;
  o->user = true;
  o->page_size = BLOCK;
  dp.objects[dp.object_count++] = o;
  *memory_object = o->ticket.port; /* the reply makes a send right (MAKE_SEND) */
  return KERN_SUCCESS;
}

kern_return_t
default_pager_info (mach_port_t manager, default_pager_info_t *info)
{
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  /* The store is memory that grows on demand: its size is what it holds
     now, none of it unused.  */
  vm_size_t used = 0;
  for (size_t i = 0; i < dp.object_count; ++i)
    if (dp.objects[i]->live)
      used += written_blocks (dp.objects[i]) * BLOCK;
  /* *info lies in the reply, which MIG packs to 4 bytes: it may be less
     aligned than its type, so it is written whole with memcpy.  */
  default_pager_info_t i = { 0 };
  i.dpi_total_space = used;
  i.dpi_free_space = 0;
  i.dpi_page_size = BLOCK;
  memcpy (info, &i, sizeof i);
  return KERN_SUCCESS;
}

/* Fill *array (room for *count entries, inline) or, when it does not fit,
   fresh memory the reply deallocates (Dealloc).  The inline room lies in
   the reply, which MIG packs to 4 bytes: entries with 8-byte members may
   be misaligned there, so they are written whole with memcpy.  */
static void *
room_for (void *inline_room, mach_msg_type_number_t *count, size_t n, size_t size)
{
  if (n <= *count)
    return inline_room;
  vm_address_t a = 0;
  if (vm_allocate (mach_task_self (), &a, n * size, TRUE) != KERN_SUCCESS)
    return NULL;
  return (void *) a;
}

kern_return_t
default_pager_objects (mach_port_t manager, default_pager_object_array_t *objects,
                       mach_msg_type_number_t *objectsCnt, mach_port_array_t *ports,
                       mach_msg_type_number_t *portsCnt)
{
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  size_t n = 0;
  for (size_t i = 0; i < dp.object_count; ++i)
    n += dp.objects[i]->live;
  default_pager_object_t *o = room_for (*objects, objectsCnt, n, sizeof *o);
  mach_port_t *p = room_for (*ports, portsCnt, n, sizeof *p);
  if (o == NULL || p == NULL)
    return KERN_RESOURCE_SHORTAGE;
  size_t k = 0;
  for (size_t i = 0; i < dp.object_count; ++i)
    {
      struct temp_object *t = dp.objects[i];
      if (!t->live)
        continue;
      default_pager_object_t entry = { 0 };
      entry.dpo_object = (vm_offset_t) t->ticket.port;
      entry.dpo_size = written_blocks (t) * BLOCK;
      memcpy (&o[k], &entry, sizeof entry);
      /* A name we can give: only an object we made ourselves has a name
         port of ours; a temporary object's name is the kernel's (CR4).  */
      p[k] = MACH_PORT_NULL;
      if (t->user
          && mach_port_insert_right (mach_task_self (), t->name, t->name,
                                     MACH_MSG_TYPE_MAKE_SEND)
                 == KERN_SUCCESS)
        p[k] = t->name; /* moved to the caller by the reply */
      ++k;
    }
  *objects = o;
  *objectsCnt = (mach_msg_type_number_t) n;
  *ports = p;
  *portsCnt = (mach_msg_type_number_t) n;
  return KERN_SUCCESS;
}

kern_return_t
default_pager_object_pages (mach_port_t manager, mach_port_t memory_object,
                            default_pager_page_array_t *pages,
                            mach_msg_type_number_t *pagesCnt)
{
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  struct temp_object *o = object_named (memory_object);
  if (o == NULL)
    return KERN_INVALID_ARGUMENT;
  size_t n = written_blocks (o);
  default_pager_page_t *pg = room_for (*pages, pagesCnt, n, sizeof *pg);
  if (pg == NULL)
    return KERN_RESOURCE_SHORTAGE;
  size_t k = 0;
  for (size_t b = 0; b < o->blocks; ++b)
    if (o->written[b])
      {
        default_pager_page_t entry = { 0 };
        entry.dpp_offset = b * BLOCK;
        memcpy (&pg[k++], &entry, sizeof entry);
      }
  *pages = pg;
  *pagesCnt = (mach_msg_type_number_t) n;
  /* The request's send right to the name is ours to release on success.  */
  mach_port_deallocate (mach_task_self (), memory_object);
  return KERN_SUCCESS;
}

/* The store is memory: no paging file can be added or removed.  */
kern_return_t
default_pager_paging_file (mach_port_t manager, mach_port_t master_device_port,
                           const_default_pager_filename_t filename, boolean_t add)
{
  (void) filename;
  (void) add;
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  if (MACH_PORT_VALID (master_device_port))
    mach_port_deallocate (mach_task_self (), master_device_port);
  return KERN_FAILURE;
}

kern_return_t
default_pager_register_fileserver (mach_port_t manager, mach_port_t fileserver_port)
{
  if (manager != dp.manager.port)
    return KERN_INVALID_ARGUMENT;
  if (MACH_PORT_VALID (fileserver_port))
    mach_port_deallocate (mach_task_self (), fileserver_port);
  return KERN_FAILURE;
}

/* --- The server loop ----------------------------------------------------------- */

/* Default-pager messages first, then the common interface, but only on an
   object's port: the default memory manager port takes nothing but
   memory_object_default.defs (G6), whatever else arrives there is refused
   with MIG_BAD_ID.  Whatever no handler took its turn for (an unknown
   message, or one a stub rejected) still uses up its seqno here.  */
static boolean_t
demux (mach_msg_header_t *in, mach_msg_header_t *out)
{
  turn_taken = false;
  /* Set before the server threads start, never changed while they run.  */
  const bool manager = in->msgh_local_port == dp.manager.port;
#ifdef EMMI_MUTANT_DP_G6
  const bool common = true; /* the bug: every port takes the common interface */
#else
  const bool common = !manager;
#endif
  boolean_t known = seqnos_memory_object_default_server (in, out)
                    || (common && seqnos_memory_object_server (in, out));
  if (!known && manager)
    {
      /* default_pager.defs, in the manager port's turn.  */
      struct ticket *t = take_turn (in->msgh_local_port, in->msgh_seqno);
      known = default_pager_server (in, out);
      end_turn (t);
    }
  /* Unknown: the stub that refused it set MIG_BAD_ID in the reply.  */
  if (!turn_taken)
    end_turn (take_turn (in->msgh_local_port, in->msgh_seqno));
  return known;
}

static void *
serve (void *arg)
{
  (void) arg;
  /* max_size 0: MACH_RCV_LARGE, so no message is dequeued and lost.  */
  mach_msg_server (demux, 0, dp.port_set);
  return NULL;
}

static void
default_pager_stop (void)
{
  mach_port_destroy (mach_task_self (), dp.port_set);
  for (int i = 0; i < dp.started; ++i)
    pthread_join (dp.threads[i], NULL);
  dp.started = 0;
  for (size_t i = 0; i < dp.object_count; ++i)
    {
      free (dp.objects[i]->store);
      free (dp.objects[i]->written);
      free (dp.objects[i]);
    }
  free (dp.objects);
  dp.objects = NULL;
  dp.object_count = dp.object_capacity = 0;
}

static kern_return_t
default_pager_start (const struct emmi_pager_config *config,
                     struct emmi_pager_object *objects)
{
  (void) objects;
  if (config->object_count != 0)
    return KERN_INVALID_ARGUMENT; /* no objects of our own to offer */
  mach_port_t host_priv = MACH_PORT_NULL;
  kern_return_t kr = get_privileged_ports (&host_priv, NULL);
  if (kr != KERN_SUCCESS)
    return kr;
  kr = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_PORT_SET, &dp.port_set);
  if (kr == KERN_SUCCESS)
    kr = mach_port_allocate (mach_task_self (), MACH_PORT_RIGHT_RECEIVE,
                             &dp.manager.port);
  if (kr == KERN_SUCCESS)
    kr = mach_port_move_member (mach_task_self (), dp.manager.port, dp.port_set);
  dp.manager.next = 0;
  if (kr == KERN_SUCCESS)
    {
      /* We are the default memory manager now; the previous one (none when
         the system boots) comes back as a send right we do not need.  */
      mach_port_t previous = dp.manager.port;
      kr = vm_set_default_memory_manager (host_priv, &previous);
      if (kr == KERN_SUCCESS && MACH_PORT_VALID (previous))
        mach_port_deallocate (mach_task_self (), previous);
    }
  mach_port_deallocate (mach_task_self (), host_priv);
  for (int i = 0; kr == KERN_SUCCESS && i < SERVER_THREADS; ++i)
    {
      if (pthread_create (&dp.threads[i], NULL, serve, NULL) != 0)
        kr = KERN_RESOURCE_SHORTAGE;
      else
        dp.started++;
    }
  if (kr != KERN_SUCCESS)
    default_pager_stop ();
  return kr;
}

static const struct emmi_pager default_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
#if defined(EMMI_MUTANT_NAME)
  .name = "mutant-" EMMI_MUTANT_NAME,
#else
  .name = "default_pager",
#endif
  .start = default_pager_start,
  .stop = default_pager_stop,
};

EMMI_PAGER_EXPORT const uint32_t emmi_pager_roles = EMMI_PAGER_ROLE_DEFAULT;

/* Both demuxes are the SEQNOS ones (seqnos_memory_object_default_server,
   seqnos_memory_object_server): judged by the gnumach-seqnos rules.  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &default_pager;
}
