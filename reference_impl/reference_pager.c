/* SPDX-License-Identifier: MIT */
/* The emmi-cts reference pager: a memory-backed, multi-threaded EMMI pager
   written only against the GNU Mach user API (the real <mach/...> headers and
   MIG stubs generated from memory_object.defs with -DSEQNOS) and the pager
   entry ABI.  It is the pager `emmi-cts run` checks when no --pager is given,
   and the example a pager author can copy.

   Rule IDs in the comments (IN9, SQ7, TM4, RT2, ...) are those of the rule
   catalogue (emmi-rules.md); section numbers (§2, §3g, ...) refer to the notes
   on how GNU Mach behaves (gnumach-kernel.md).

   The mutant zoo (mutants/mutants.json) builds this same file with
   -DEMMI_MUTANT_<ID>: every `#ifdef EMMI_MUTANT_...` block below seeds ONE bug
   and is marked "MUTANT <id>".  Without such a define there is no bug to find.  */

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

/* The demuxes MIG generates with the SEQNOS servers; their headers declare
   only the handlers.  */
extern boolean_t seqnos_memory_object_server (mach_msg_header_t *request,
                                              mach_msg_header_t *reply);
extern boolean_t seqnos_notify_server (mach_msg_header_t *request,
                                       mach_msg_header_t *reply);

#define REFERENCE_PAGER_THREADS 4

/* How many lock_requests with a completion one object may have in flight.
   The answer to a data_unlock takes a slot only while fewer than
   UNLOCK_COMPLETIONS are taken (past that it asks for no completion, LK6),
   so the recalls that keep kernels coherent (at most one per other kernel
   at a time, see recall_others) and the actions always find one.  */
#define PENDING_LOCKS 32
#define UNLOCK_COMPLETIONS 8

/* How many data_supplies with a reply port one object may have in flight;
   past that the pager asks for no supply_completed (SU11).  */
#define PENDING_SUPPLIES 8

/* How many copies (memory_object_copy, on objects whose policy is
   copy_call) may live at once, over all objects.  Each is an object of its
   own, served from a spare slot; a copy asked for while every slot is taken
   is refused.  */
#define COPY_SLOTS 16

/* The largest read_ahead the options may ask for, in pages.  */
#define MAX_READ_AHEAD 15

/* The unit in which the store remembers what the kernels gave back: the
   smallest page size a GNU Mach kernel uses.  Every kernel page size this
   pager serves is a multiple of it.  */
#define STORE_BLOCK ((vm_size_t) 4096)

/* The largest kernel page size served unless the options say otherwise
   ("max_page_size=<bytes>"): 16 KiB, the largest page of the kernels GNU
   Mach runs on.  Larger pages are refused at init (RD3).  */
#define DEFAULT_MAX_PAGE_SIZE ((vm_size_t) 16384)

/* What this pager let one kernel do with a block of an object (MK3; see
   "Coherence across kernels" below), ordered by how much it allows.  */
enum
{
  ACCESS_NONE = 0,
  ACCESS_READ = 1,
  ACCESS_WRITE = 2
};

/* One kernel's view of one memory object: what that kernel's
   memory_object_init gave us.  A kernel is identified by its control port
   (DR8, MK2), and has its own page size (IN5, MK4).  */
struct kernel_binding
{
  struct kernel_binding *next;
  mach_port_t control;   /* our name for the control port; we hold one send uref */
  mach_port_t name;      /* our name for the name port; one send uref */
  vm_size_t page_size;   /* every size exchanged with this kernel is a multiple */
  unsigned char *access; /* per STORE_BLOCK: what we let it do (ACCESS_*, MK3) */
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
  unsigned char *held; /* per STORE_BLOCK: supplied to this kernel, not returned */
#endif
};

/* How one object is served.  Hurd's libpager takes such choices per pager,
   that is per file (pager_create's notify_on_evict, may_cache, copy
   strategy), and so does this pager, per object: see object_policy_for.  */
struct object_policy
{
  /* Pages holding data are supplied precious, and the store hands them
     over: it forgets a page while the kernel holds it, because the kernel
     must give a precious page back when it evicts it, even clean (SU7), and
     before terminate (§3d).  A pager that frees the backing slot of a page
     it lent works this way.  Such an object is served to one kernel at a
     time: a second kernel's data could not be served while the first holds
     the only copy, so that init is refused with memory_object_destroy
     (RD3).  */
  bool notify_on_evict;
  /* The first request for each page fails with data_error, as a flaky disk
     would (DR4); the client's retry of the fault is served (ER2).  With
     refuse_unlock, the read-only pages are spared (transient_error_possible).  */
  bool transient_errors;
  /* The odd-numbered pages of each kernel (in that kernel's page size) are
     read-only for good, as the pages of a file opened read-only would be.
     They are always supplied write-locked (SU6), a request asking to write
     one fails with data_error (DR4), and the data_unlock of a write to one
     is refused the manual's way: flush the page first (UL4), then answer
     the kernel's re-request, which asks for the write access, with
     data_error (UL5).  */
  bool refuse_unlock;
  /* A read fault is answered with the whole cluster of read_ahead + 1
     pages holding the requested page, as a pager reading its backing store
     in clusters would (see supply_cluster).  GNU Mach takes pages it did
     not ask for (X6); the manual forbids them (SU1, SU2), so this policy is
     for GNU Mach only.  It does not combine with notify_on_evict (a page
     given away precious must be requested).  */
  vm_size_t read_ahead;
  /* Whether the lock_request answering a data_unlock names a reply port
     (LK8: the completion is then matched and counted, LK9) or
     MACH_PORT_NULL, no completion wanted, as Hurd's libpager answers
     unlocks (LK6).  Nothing waits for that completion either way.  */
  bool unlock_completions;
  /* The odd-numbered 4 KiB blocks of the object exist from the start (all
     zeros at first), as in a sparse file whose even-numbered blocks are
     holes.  A page holding an existing block is answered with its data even
     before any kernel gave it back, so a read fault gets it write-locked
     under the read-mostly policy (and precious under notify_on_evict) and
     the first write to it asks to unlock; a hole no kernel gave back is
     answered with data_unavailable (UN1).  */
  bool allocated;
  /* The object is made ready with MEMORY_OBJECT_COPY_CALL instead of
     COPY_DELAY: when a task copies part of it, the kernel asks this pager
     for the copy (memory_object_copy, §1a) and the pager makes it, as a
     file server that snapshots files would (see "Copies" below).  */
  bool copy_call;
};

/* The plain read-mostly policy: nothing but unlock completions.  Where the
   options start from, and what the objects get before object_policy_for
   turns some words on.  */
static const struct object_policy plain_policy = { .unlock_completions = true };

struct pager_object
{
  mach_port_t port;            /* receive right; the kernels hold send rights */
  struct object_policy policy; /* fixed at start */
  /* No-senders (V5): how many send rights this pager has had made from
     `port` (its make-send count as far as it knows: the one MAKE_SEND of the
     offer), and whether the no-senders notification showed that none is
     left, so that the receive right was destroyed.  Under `lock`.  */
  mach_port_mscount_t made_sends;
  bool port_released;

  /* The seqno ticket (SQ7): a handler runs only when next_seqno equals the
     seqno of the message it handles, and holds `lock` while it runs, so this
     object's messages take effect exactly in the order the kernel queued
     them.  EVERY message dequeued from `port` advances the ticket, including
     notifications and messages the stubs reject (§2, SQ6), otherwise the
     object jams.  */
  pthread_mutex_t lock;
  pthread_cond_t turn_changed;
  mach_port_seqno_t next_seqno;

  vm_address_t store; /* contents, page aligned (SU9) */
  vm_size_t size;
  unsigned char *returned; /* per STORE_BLOCK: a kernel gave data back */
  unsigned char *tried;    /* per STORE_BLOCK: requested before (transient_errors) */
  struct kernel_binding *kernels; /* in init order */

  /* The lock_requests this object made with a reply port and whose
     lock_completed has not arrived (LK8: the completion is the only sure
     sign the kernel acted).  They are matched by control port, offset and
     size (LK9).  */
  struct pending_lock
  {
    mach_port_t control;
    vm_offset_t offset;
    vm_size_t size;
    bool for_action; /* made by sync/flush/shutdown, which waits for it */
    bool for_recall; /* a recall (recall_others): requests wait for it */
  } pending_locks[PENDING_LOCKS];
  size_t pending_lock_count;

  /* The data_supplies this object made with a reply port whose
     supply_completed has not arrived.  The completion is the only word of
     which pages the kernel took (SU11): GNU Mach stops a supply at the
     first page it already holds and says where in error_offset (§3e, SC4).
     Matched by control port, offset and length, which the completion
     echoes (SC6).  */
  struct pending_supply
  {
    mach_port_t control;
    vm_offset_t offset;
    vm_size_t length;
    vm_offset_t asked;    /* the requested page this supply answers ... */
    vm_size_t asked_size; /* ... and its size (one page of that kernel) */
    vm_prot_t lock;       /* the lock_value it was supplied with */
    bool precious;
  } pending_supplies[PENDING_SUPPLIES];
  size_t pending_supply_count;
#ifdef EMMI_MUTANT_SUPPLY_REPLY_UNSERVED
  mach_port_t unserved_reply;
#endif

  /* Coherence across kernels (SU3, MK3; see recall_others): how many
     recalls have not had their lock_completed taken, and the requests held
     until they have, oldest first.  */
  size_t recalls;
  struct waiting_request *waiting;

  /* The pager's own actions (entry ABI version 2): how many completions
     (lock_completed, change_completed) the action running on this object
     still waits for.  The handlers that take them count down and broadcast
     turn_changed, on which the action waits.  */
  size_t action_locks;
  size_t action_changes;
  /* The attributes this pager gives the kernels in ready: caching off, and
     COPY_DELAY (COPY_CALL under the copy_call policy); change_attributes
     may turn caching on or off, but the copy strategy never changes once
     the object is initialised (CP1).  */
  bool may_cache;
  memory_object_copy_strategy_t copy_strategy;
#ifdef EMMI_MUTANT_TERMINATE_KEEPS_STATE
  bool terminated;
#endif
#ifdef EMMI_MUTANT_INIT_ERROR_KEEPS_CONTROL
  mach_port_t refusal_pending;
#endif

  /* Copies (see "Copies" below).  On an object whose policy is copy_call:
     the copies made of it whose snapshot waits for the recalls the copy
     sent (taken when `recalls` is back at 0).  */
  struct pager_object *snapshots[COPY_SLOTS];
  size_t snapshot_count;
  /* On a copy slot (one of the COPY_SLOTS after the configured objects):
     whether it serves a copy now (`in_use` and `port`, under
     pager.copies_lock), whether its contents still wait for the snapshot
     (then `recalls` holds one count for it, so that its requests wait),
     whether its terminate came first (the snapshot then frees the slot),
     and where in the original the copy starts.  */
  bool is_copy;
  bool in_use;
  bool snapshot_pending;
  bool orphaned;
  vm_offset_t copy_offset;
};

static struct
{
  mach_port_t port_set;
  struct pager_object *objects; /* the configured objects, then the copy slots */
  size_t object_count;          /* the configured objects */
  size_t slot_count;            /* object_count + COPY_SLOTS */
  /* Guards the copy slots' `in_use` and `port`, which object_for_port reads
     from any thread; taken last, never held while waiting.  */
  pthread_mutex_t copies_lock;
  vm_size_t max_page_size;
  /* Read-mostly policy ("write_locks=1", the default): a page the kernel
     asked for only to read, and that holds data, is supplied write-locked
     (SU6), so the first write to it comes back as data_unlock (UL2).  A
     pager that tracks writers for coherence (SU3, MK3) works this way.  */
  bool write_locks;
  /* The policy words of the options ("notify_on_evict=1",
     "transient_errors=1", "refuse_unlock=1", "read_ahead=<pages>",
     "copy_call=1", see
     struct object_policy).  When the options name any of them, every
     object is served by exactly those (`uniform`); otherwise each object
     gets a policy of its own (object_policy_for).  */
  struct object_policy options_policy;
  bool uniform;
  pthread_t threads[REFERENCE_PAGER_THREADS];
  size_t thread_count;
  atomic_bool stopping;
} pager;

/* Set by take_turn: whether the handler of the message this thread is
   processing took its object's turn.  pager_demux takes it for them when not.  */
static _Thread_local bool turn_taken;

static struct pager_object *
object_for_port (mach_port_t port)
{
  if (!MACH_PORT_VALID (port))
    return NULL;
  for (size_t i = 0; i < pager.object_count; i++)
    if (pager.objects[i].port == port)
      return &pager.objects[i];
  struct pager_object *found = NULL;
  pthread_mutex_lock (&pager.copies_lock);
  for (size_t i = pager.object_count; i < pager.slot_count && found == NULL; i++)
    if (pager.objects[i].in_use && pager.objects[i].port == port)
      found = &pager.objects[i];
  pthread_mutex_unlock (&pager.copies_lock);
  return found;
}

/* Wait until it is message SEQNO's turn on OBJ (SQ7), and hold OBJ's lock.
   Returns false only when the pager is stopping; the lock is held either way.  */
static bool
take_turn (struct pager_object *obj, mach_port_seqno_t seqno)
{
  pthread_mutex_lock (&obj->lock);
  turn_taken = true;
#ifdef EMMI_MUTANT_NO_SEQNO_ORDERING
  /* MUTANT no_seqno_ordering: handlers run in whatever order the server
     threads get to them; the lock keeps them atomic, not ordered.  */
  (void) seqno;
  return !atomic_load (&pager.stopping);
#else
  while (obj->next_seqno != seqno && !atomic_load (&pager.stopping))
    pthread_cond_wait (&obj->turn_changed, &obj->lock);
  return obj->next_seqno == seqno;
#endif
}

static void
end_turn (struct pager_object *obj)
{
  obj->next_seqno++;
  pthread_cond_broadcast (&obj->turn_changed);
  pthread_mutex_unlock (&obj->lock);
}

/* The start of every handler: find the object the message came to, and wait
   for the message's turn.  NULL when the port is not one of our objects or
   the pager is stopping; the handler then returns an error, so that
   mach_msg_server releases what the message carried (V3).  */
static struct pager_object *
begin_message (mach_port_t object_port, mach_port_seqno_t seqno)
{
  struct pager_object *obj = object_for_port (object_port);
  if (obj == NULL)
    return NULL;
  if (!take_turn (obj, seqno))
    {
      end_turn (obj);
      return NULL;
    }
  return obj;
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
   (so supplies are page aligned in our space, SU9), no larger than the
   configured maximum, that divides the object, so every page of the object
   is a whole page for that kernel (IN5).  */
static bool
page_size_servable (const struct pager_object *obj, vm_size_t page_size)
{
  return page_size != 0 && page_size % STORE_BLOCK == 0
         && page_size <= pager.max_page_size && obj->size % page_size == 0;
}

/* Whether [offset, offset+length) names whole pages of K inside OBJ.  GNU
   Mach only sends such requests (DR2, PS1); anything else is a kernel bug.  */
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

/* Under refuse_unlock: whether the kernel page at OFFSET of OBJ, of SIZE
   bytes, is one that is never writable (odd-numbered in that kernel's
   pages).  */
static bool
write_refused (const struct pager_object *obj, vm_offset_t offset, vm_size_t size)
{
  return obj->policy.refuse_unlock && (offset / size) % 2 == 1;
}

/* Under transient_errors: whether the first request for the kernel page at
   OFFSET of OBJ, of SIZE bytes, fails.  Every page's does, except, on an
   object that also has read-only pages (refuse_unlock), those pages': they
   fail writes for good instead, and a kernel reaches their refusal in two
   steps (a read, then a write) rather than three.  */
static bool
transient_error_possible (const struct pager_object *obj, vm_offset_t offset,
                          vm_size_t size)
{
  return obj->policy.transient_errors && !write_refused (obj, offset, size);
}

/* memory_object_data_supply of [offset, offset+length) of the store.

   As Hurd's libpager does, the data goes out in pages of its own: fresh
   pages from vm_allocate, filled from the store, sent with deallocate TRUE.
   The kernel takes those pages out of our address space with the message
   ("the pages to be copied ... will be deallocated from the memory
   manager's address space", SU10), so from the call on they are not ours:
   we never read, write, free or vm_deallocate them again (a touch would
   fault on GNU Mach).  The store itself is never sent with deallocate TRUE:
   it must stay ours.  The data is page aligned in our space (SU9):
   vm_allocate returns whole pages.

   Should vm_allocate fail, the kernel copies straight from the store
   (deallocate FALSE: the store stays mapped, SU10 does not apply).  */
static void
supply_data (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
             vm_size_t length, vm_prot_t lock, boolean_t precious, mach_port_t reply_to)
{
#ifdef EMMI_MUTANT_UNALIGNED_SUPPLY
  /* MUTANT unaligned_supply: the data goes out from a bounce buffer, 8
     bytes past the start of a page (as a malloc'd buffer would be): not
     page aligned (SU9).  */
  vm_address_t bounce = 0;
  if (vm_allocate (mach_task_self (), &bounce, length + STORE_BLOCK, TRUE)
      == KERN_SUCCESS)
    {
      memcpy ((void *) (bounce + 8), (const void *) (obj->store + offset), length);
      memory_object_data_supply (control, offset, bounce + 8, length, FALSE, lock,
                                 precious, reply_to);
      vm_deallocate (mach_task_self (), bounce, length + STORE_BLOCK);
      return;
    }
#endif
  vm_address_t pages = 0;
  if (vm_allocate (mach_task_self (), &pages, length, TRUE) != KERN_SUCCESS)
    {
      memory_object_data_supply (control, offset, obj->store + offset, length, FALSE,
                                 lock, precious, reply_to);
      return;
    }
  memcpy ((void *) pages, (const void *) (obj->store + offset), length);
  kern_return_t kr = memory_object_data_supply (control, offset, pages, length, TRUE,
                                                lock, precious, reply_to);
#ifdef EMMI_MUTANT_TOUCHES_SUPPLY_AFTER_DEALLOC
  /* MUTANT touches_supply_after_dealloc: after the supply the pager reads
     the first byte of the pages it sent with deallocate TRUE, as if they
     were still its own (SU10).  */
  (void) *(volatile const unsigned char *) pages;
#endif
  /* MACH_SEND_INVALID_DEST (a control port gone dead): the kernel refused
     the header before it looked at the body, so the pages were not taken
     and are still ours to release.  After any other outcome they are gone
     (even a message refused later, for a bad reply port, took them).  */
  if (kr == MACH_SEND_INVALID_DEST)
    vm_deallocate (mach_task_self (), pages, length);
}

/* The reply_to of a data_supply of [offset, offset+length) answering the
   request for [asked, asked+asked_size): OBJ's port when a slot is free to
   remember the supply until its supply_completed (SU11), else
   MACH_PORT_NULL, no completion wanted.  */
static mach_port_t
supply_reply_port (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
                   vm_size_t length, vm_offset_t asked, vm_size_t asked_size,
                   vm_prot_t lock, bool precious)
{
  if (obj->pending_supply_count >= PENDING_SUPPLIES)
    return MACH_PORT_NULL;
  struct pending_supply *p = &obj->pending_supplies[obj->pending_supply_count++];
  p->control = control;
  p->offset = offset;
  p->length = length;
  p->asked = asked;
  p->asked_size = asked_size;
  p->lock = lock;
  p->precious = precious;
#ifdef EMMI_MUTANT_SUPPLY_REPLY_UNSERVED
  /* MUTANT supply_reply_unserved: the completion goes to a receive right
     of ours that no server thread receives on, so it is never seen.  */
  return obj->unserved_reply;
#endif
  /* The stub makes a send-once right from our receive right, so the
     completion arrives on the object port and takes its turn there, after
     every message the kernel sent before the supply.  */
  return obj->port;
}

/* Under read_ahead: answer the read fault of the page at OFFSET (SIZE bytes,
   one page of that kernel) with the whole cluster of read_ahead + 1 pages
   that holds it, supplied from the store (zeros where no kernel ever gave
   data back, as data_unavailable would have them).  GNU Mach inserts the
   pages it did not request (X6) but stops at the first page it already
   holds, with KERN_MEMORY_PRESENT: that page and every later one are not
   supplied, and the requested page is among them when it lies after it.
   Only supply_completed tells (SC4), so the supply names a reply port and
   remembers which page it answers; seqnos_memory_object_supply_completed
   supplies that page again if the kernel did not take it.

   One lock_value covers the cluster: write-locked under the read-mostly
   policy (SU6, as answer_page does for a read), and whenever a page of it
   is never writable (refuse_unlock), so that no page of the cluster can be
   written without a data_unlock.  */
static void
supply_cluster (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
                vm_size_t size)
{
  const vm_size_t cluster = size * (obj->policy.read_ahead + 1);
  vm_offset_t start = offset - offset % cluster;
  vm_size_t length = cluster;
  if (length > obj->size - start)
    length = obj->size - start; /* whole pages: the object is (IN5) */
  vm_prot_t lock = pager.write_locks ? VM_PROT_WRITE : VM_PROT_NONE;
  for (vm_offset_t page = start; page < start + length; page += size)
    if (write_refused (obj, page, size))
      lock = VM_PROT_WRITE;
  mach_port_t reply_to
      = supply_reply_port (obj, control, start, length, offset, size, lock, false);
  if (reply_to == MACH_PORT_NULL)
    {
      /* Nowhere to remember it: the requested page alone, which the
         kernel always takes (it is requested, so not present).  */
      start = offset;
      length = size;
    }
  supply_data (obj, control, start, length, lock, FALSE, reply_to);
  /* What the kernel may now do with the pages it did not ask for (MK3,
     should a second kernel map the object later); the caller records the
     requested page.  What is remembered is an upper bound, so a page
     already held with more keeps it.  */
  struct kernel_binding *k = binding_for (obj, control);
  const unsigned char access = lock == VM_PROT_NONE ? ACCESS_WRITE : ACCESS_READ;
  if (k != NULL)
    for (vm_offset_t b = start; b < start + length; b += STORE_BLOCK)
      if (k->access[b / STORE_BLOCK] < access)
        k->access[b / STORE_BLOCK] = access;
}

static void
answer_page (struct pager_object *obj, mach_port_t control, vm_offset_t offset,
             vm_size_t size, vm_prot_t desired_access)
{
  if (transient_error_possible (obj, offset, size))
    {
      bool first = !obj->tried[offset / STORE_BLOCK];
      for (vm_offset_t b = offset; b < offset + size; b += STORE_BLOCK)
        obj->tried[b / STORE_BLOCK] = 1;
#ifdef EMMI_MUTANT_ERROR_IS_PERMANENT
      /* MUTANT error_is_permanent: a page that failed once is taken for
         lost, and the client's retry gets no answer at all.  */
      if (!first)
        return;
#endif
      if (first)
        {
          /* DR4, ER5: the whole page fails, with a real error value (ER4:
             the kernel reports its own KERN_MEMORY_ERROR to the client).  */
#ifndef EMMI_MUTANT_DATA_ERROR_WITH_SUCCESS
          memory_object_data_error (control, offset, size, KERN_MEMORY_ERROR);
#else
          /* MUTANT data_error_with_success: the error value says nothing
             went wrong.  */
          memory_object_data_error (control, offset, size, KERN_SUCCESS);
#endif
          return;
        }
    }
  const bool read_only = write_refused (obj, offset, size);
  if (read_only && (desired_access & VM_PROT_WRITE) != 0)
    {
      /* UL5, DR4: a write this pager never permits fails, whether it is
         the first fault of the page or the re-request that follows the
         flush refusing an unlock (see seqnos_memory_object_data_unlock).  */
      memory_object_data_error (control, offset, size, KERN_PROTECTION_FAILURE);
      return;
    }
  if (obj->policy.read_ahead > 0 && (desired_access & VM_PROT_WRITE) == 0
      && obj->kernels != NULL && obj->kernels->next == NULL)
    {
      /* Only while one kernel maps the object: with several, the pages
         of the cluster would first have to be recalled from the others
         (MK3), so the requested page alone is answered, as below.  */
      supply_cluster (obj, control, offset, size);
      return;
    }
  const bool holds = holds_data (obj, offset, size);
  if (holds || read_only)
    {
      /* SU6: lock_value lists what is NOT permitted.  A read gets the page
         write-locked under the read-mostly policy; a write gets every
         access (DR6).  A read-only page is always write-locked, even when
         it holds nothing yet: data_unavailable would let the kernel write
         its zeros without asking.  */
      vm_prot_t lock = VM_PROT_NONE;
      if (read_only || (pager.write_locks && (desired_access & VM_PROT_WRITE) == 0))
        lock = VM_PROT_WRITE;
      /* Only a page holding data is handed over precious.  */
      const boolean_t precious = obj->policy.notify_on_evict && holds;
#ifdef EMMI_MUTANT_SUPPLY_SIZE_NOT_PAGE_MULTIPLE
      /* MUTANT supply_size_not_page_multiple: the size is computed one
         512-byte sector short, so it is no whole number of pages.  */
      size -= 512;
#endif
#ifdef EMMI_MUTANT_SUPPLIES_UNREQUESTED
      /* MUTANT supplies_unrequested: read-ahead of the following page, which
         the kernel never asked for.  */
      if (offset + 2 * size <= obj->size)
        size *= 2;
#endif
      /* A precious page is handed over only once the kernel has taken it.
         The supply names a reply port (SU11): the kernel's supply_completed
         says which pages it took, and seqnos_memory_object_supply_completed
         forgets exactly those.  Without a free slot, no completion is
         asked for, and the page is forgotten at once: the kernel always
         takes a page it requested.  */
      mach_port_t reply_to = MACH_PORT_NULL;
      if (precious)
        reply_to
            = supply_reply_port (obj, control, offset, size, offset, size, lock, true);
      /* DR3: the data itself.  */
      supply_data (obj, control, offset, size, lock, precious, reply_to);
      if (precious && reply_to == MACH_PORT_NULL)
        /* SU7: the page is the kernel's to give back now; the store holds
           it again once a data_return brings it.  */
        for (vm_offset_t b = offset; b < offset + size; b += STORE_BLOCK)
          obj->returned[b / STORE_BLOCK] = 0;
    }
  else
    {
#ifndef EMMI_MUTANT_LEAVES_REQUEST_UNANSWERED
      /* DR5, UN1: no kernel ever gave this page back: let it zero-fill.  */
      memory_object_data_unavailable (control, offset, size);
#else
      /* MUTANT leaves_request_unanswered: a page never written gets no
         answer at all.  */
#endif
    }
}

/* --- Coherence across kernels (SU3, MK3) -------------------------------------- */

/* GNU Mach keeps the mappings of one object coherent only among the tasks
   of one host (PS3): each kernel that maps the object caches its own copy
   of a page, and no kernel knows of the others.  Keeping them coherent is
   the pager's job (MK3), and this pager keeps, per STORE_BLOCK, one writer
   or any number of readers:

   - It remembers per kernel what it let that kernel do with each block:
     ACCESS_READ for a write-locked copy, ACCESS_WRITE for a copy without a
     lock (data_unavailable's zero-filled page has none either).
   - Before a kernel may write a block, every other kernel holding it is
     recalled; before one may read it, every other kernel that may write
     it.  A recall is lock_request (RETURN_DIRTY, flush) of that kernel's
     pages with the object port as reply_to: the kernel writes its modified
     pages back (data_return), drops its copies, then sends lock_completed.
     Both come to the object port in that order, so when the completion
     takes its turn the data_return has been stored (SU3: no writable data
     again before the modifications are back; LK8: only the completion
     says the kernel is done).
   - The request that needed the recall is held, and so is every request
     of the object that arrives while a recall is out, so that requests are
     still answered in the order they came.  They are answered in the turn
     of the last completion.  A handler never waits in its own turn for a
     later message: that turn would never pass (SQ7).

   What it remembers is an upper bound (a kernel drops clean pages without
   a word, RT3): recalling a page the kernel no longer caches costs one
   lock_request and its completion, nothing more.  */

/* A data_request or data_unlock held until the recalls complete.  */
struct waiting_request
{
  struct waiting_request *next;
  mach_port_t control; /* the kernel's control port (its binding's name) */
  vm_offset_t offset;
  vm_size_t length;
  vm_prot_t desired_access;
  bool unlock;
};

static void release_waiting_requests (struct pager_object *obj);
static void retire_copy (struct pager_object *copy);
static void release_copy_slot (struct pager_object *copy);

static void
set_access (struct kernel_binding *k, vm_offset_t offset, vm_size_t size,
            unsigned char access)
{
  for (vm_offset_t b = offset; b < offset + size; b += STORE_BLOCK)
    k->access[b / STORE_BLOCK] = access;
}

/* What answering a request for [offset, offset+size) will let the kernel
   do: answer_page's decisions, in its order, without acting on them.  */
static unsigned char
access_granted (const struct pager_object *obj, vm_offset_t offset, vm_size_t size,
                vm_prot_t desired_access)
{
  if (transient_error_possible (obj, offset, size) && !obj->tried[offset / STORE_BLOCK])
    return ACCESS_NONE; /* data_error */
  const bool read_only = write_refused (obj, offset, size);
  if (read_only && (desired_access & VM_PROT_WRITE) != 0)
    return ACCESS_NONE; /* data_error */
  if (holds_data (obj, offset, size) || read_only)
    return read_only || (pager.write_locks && (desired_access & VM_PROT_WRITE) == 0)
               ? ACCESS_READ
               : ACCESS_WRITE; /* data_supply */
  return ACCESS_WRITE;         /* data_unavailable */
}

/* What answering the request W lets its kernel do.  An unlock is answered
   by lifting every lock (unlock_range): write.  */
static unsigned char
access_wanted (const struct pager_object *obj, const struct waiting_request *w)
{
  return w->unlock ? ACCESS_WRITE
                   : access_granted (obj, w->offset, w->length, w->desired_access);
}

/* Recall [offset, offset+length) from every kernel but K whose copy
   conflicts with ACCESS, what K is about to get.  Returns whether a recall
   went out; the caller then holds K's request.  */
static bool
recall_others (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
               vm_size_t length, unsigned char access)
{
  if (access == ACCESS_NONE)
    return false;
#ifdef EMMI_MUTANT_GRANTS_WRITE_WITHOUT_RECALL
  /* MUTANT grants_write_without_recall: a kernel about to write is served
     at once; the copies the other kernels hold, writable ones too, stay.  */
  if (access == ACCESS_WRITE)
    return false;
#endif
  bool sent = false;
  for (struct kernel_binding *o = obj->kernels; o != NULL; o = o->next)
    {
      if (o == k)
        continue;
      /* Whole pages of that kernel (LK1, MK4) around the range.  */
      vm_offset_t first = offset - offset % o->page_size;
      vm_offset_t end = offset + length;
      end += (o->page_size - end % o->page_size) % o->page_size;
      bool conflict = false;
      for (vm_offset_t b = first; b < end; b += STORE_BLOCK)
        if (o->access[b / STORE_BLOCK] == ACCESS_WRITE
            || (access == ACCESS_WRITE && o->access[b / STORE_BLOCK] != ACCESS_NONE))
          conflict = true;
      /* A slot is always free: unlocks leave PENDING_LOCKS -
         UNLOCK_COMPLETIONS of them, and a request recalls each other
         kernel at most once.  */
      if (!conflict || obj->pending_lock_count >= PENDING_LOCKS)
        continue;
      struct pending_lock *p = &obj->pending_locks[obj->pending_lock_count++];
      p->control = o->control;
      p->offset = first;
      p->size = end - first;
      p->for_action = false;
      p->for_recall = true;
      obj->recalls++;
      /* RETURN_DIRTY: what it modified comes back first (LK2); the flush
         drops its copies and with them the right to write (LK3), so its
         next use faults the page in again, served from the store.  No page
         of ours is precious here (notify_on_evict serves one kernel), so
         RETURN_DIRTY loses no only copy (LK11).  */
      memory_object_lock_request (o->control, first, end - first,
                                  MEMORY_OBJECT_RETURN_DIRTY, TRUE, VM_PROT_NO_CHANGE,
                                  obj->port);
      set_access (o, first, end - first, ACCESS_NONE);
      sent = true;
    }
  return sent;
}

/* Whether K's request must wait: recalls are out (answers keep the order
   of the requests), or this one needs one now.  Then it is queued, and
   release_waiting_requests answers it.  */
static bool
hold_request (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
              vm_size_t length, vm_prot_t desired_access, bool unlock)
{
  struct waiting_request w = { NULL, k->control, offset, length, desired_access, unlock };
  if (obj->recalls == 0 && obj->waiting == NULL
      && !recall_others (obj, k, offset, length, access_wanted (obj, &w)))
    return false;
  struct waiting_request *copy = malloc (sizeof *copy);
  if (copy == NULL)
    return false; /* answered at once: better late coherence than none */
  *copy = w;
  struct waiting_request **tail = &obj->waiting;
  while (*tail != NULL)
    tail = &(*tail)->next;
  *tail = copy;
  return true;
}

/* --- The memory_object interface (SEQNOS server, memory_object.defs) ------ */

kern_return_t
seqnos_memory_object_init (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t control, mach_port_t name, vm_size_t page_size)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
#ifdef EMMI_MUTANT_INIT_ERROR_KEEPS_CONTROL
  if (obj->refusal_pending != MACH_PORT_NULL)
    {
      /* MUTANT init_error_keeps_control: the refusal of an earlier init is
         sent only now, on a control right mach_msg_server already took away
         when that init returned its error.  */
      memory_object_destroy (obj->refusal_pending, KERN_INVALID_ARGUMENT);
      obj->refusal_pending = MACH_PORT_NULL;
    }
#endif
#ifdef EMMI_MUTANT_TERMINATE_KEEPS_STATE
  if (obj->terminated)
    {
      /* MUTANT terminate_keeps_state: the object still looks terminated, so
         this init is taken for a stale one and dropped: no ready, ever.  */
      end_turn (obj);
      return KERN_SUCCESS;
    }
#endif

#ifdef EMMI_LIBPAGER_INIT_POLICY
  /* Not a mutant: Hurd libpager's init policy, for the platform tests
     (harness/cli/tests/libpager_policy_pager.c).  An init whose page size is
     not the native 4 KiB, or one that arrives while another kernel's init
     is in force, is ignored: no ready, no destroy; the error return makes
     mach_msg_server release the two send rights it carried.  GNU Mach never
     sends either (one kernel, PAGE_SIZE), so this is conformant there.  */
  if (page_size != STORE_BLOCK || obj->kernels != NULL)
    {
      end_turn (obj);
      return KERN_INVALID_ARGUMENT;
    }
#endif
  kern_return_t result = KERN_SUCCESS;
  struct kernel_binding *k = NULL;
  if (page_size_servable (obj, page_size)
      && !(obj->policy.notify_on_evict && obj->kernels != NULL))
    k = calloc (1, sizeof *k);
  if (k != NULL && (k->access = calloc (obj->size / STORE_BLOCK, 1)) == NULL)
    {
      free (k);
      k = NULL;
    }
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
  if (k != NULL && (k->held = calloc (obj->size / STORE_BLOCK, 1)) == NULL)
    {
      free (k->access);
      free (k);
      k = NULL;
    }
#endif
  if (k == NULL)
    {
      /* A page size we cannot serve, or (notify_on_evict) a second kernel.
         Refuse the conforming way (RD3): memory_object_destroy, which makes
         the kernel send terminate with the control and name receive rights
         (DS2).  The error return makes mach_msg_server release the two send
         rights this message carried, so this handler releases neither (IN9,
         V1): they are no longer ours once we return.  */
#ifndef EMMI_MUTANT_INIT_ERROR_KEEPS_CONTROL
      memory_object_destroy (control, KERN_INVALID_ARGUMENT);
#else
      obj->refusal_pending = control;
#endif
#ifdef EMMI_MUTANT_INIT_ERROR_DOUBLE_RELEASE
      /* MUTANT init_error_double_release: releases the control right that
         mach_msg_server is about to release as well.  */
      release_send_right (control);
#endif
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
#if defined EMMI_MUTANT_COPY_NEVER_READY
      /* MUTANT copy_never_ready: a copy's init is taken (its receive right
         kept, its rights recorded) but never answered; the faults of the
         copy wait forever.  */
      if (!obj->is_copy)
        memory_object_ready (control, obj->may_cache, obj->copy_strategy);
#elif !defined EMMI_MUTANT_NEVER_READY
      /* RD1, IN2: ready for requests.  No caching after the last unmap, so
         terminate follows it.  COPY_DELAY because this pager never changes
         the data behind the kernel's back (CP4); COPY_CALL (policy
         copy_call) because it makes the copies itself.  A copy is
         COPY_DELAY.  */
      memory_object_ready (control, obj->may_cache, obj->copy_strategy);
#else
      /* MUTANT never_ready: the object is never made ready; every fault on
         it waits forever.  */
#endif
    }
  end_turn (obj);
  return result;
}

kern_return_t
seqnos_memory_object_terminate (mach_port_t object_port, mach_port_seqno_t seqno,
                                mach_port_t control, mach_port_t name)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  /* TM6: forget this kernel's state, so that its next init starts afresh.  */
  for (struct kernel_binding **p = &obj->kernels; *p != NULL; p = &(*p)->next)
    if ((*p)->control == control)
      {
        struct kernel_binding *k = *p;
        *p = k->next;
        /* Its supplies' completions all came before terminate; a supply
           the kernel refused (sent after the terminate was queued) gets
           none.  */
        for (size_t i = 0; i < obj->pending_supply_count;)
          if (obj->pending_supplies[i].control == k->control)
            obj->pending_supplies[i] = obj->pending_supplies[--obj->pending_supply_count];
          else
            i++;
        /* V6, §3g: the send rights init gave us, first ...  */
        release_send_right (k->control);
        release_send_right (k->name);
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
        free (k->held);
#endif
        free (k->access);
        free (k);
        break;
      }
  /* LK8: no completion will come for this kernel's requests any more; an
     action or a held request waiting for one stops waiting.  */
  for (size_t i = 0; i < obj->pending_lock_count;)
    if (obj->pending_locks[i].control == control)
      {
        if (obj->pending_locks[i].for_action && obj->action_locks > 0)
          obj->action_locks--;
        if (obj->pending_locks[i].for_recall && obj->recalls > 0)
          obj->recalls--;
        obj->pending_locks[i] = obj->pending_locks[--obj->pending_lock_count];
      }
    else
      i++;
  /* Its held requests are no longer waited for (the kernel forgot them);
     the others may be answered now.  */
  for (struct waiting_request **w = &obj->waiting; *w != NULL;)
    if ((*w)->control == control)
      {
        struct waiting_request *gone = *w;
        *w = gone->next;
        free (gone);
      }
    else
      w = &(*w)->next;
  release_waiting_requests (obj);
#ifdef EMMI_MUTANT_TERMINATE_KEEPS_STATE
  /* MUTANT terminate_keeps_state: marks the object terminated and never
     clears the mark.  */
  if (obj->kernels == NULL)
    obj->terminated = true;
#endif
#ifndef EMMI_MUTANT_TERMINATE_LEAKS_RECEIVE_RIGHTS
  /* ... then the receive rights this message moved to us (TM3): destroy both
     ports (TM4, TM5).  Nothing of ours is queued on the control port to drain
     first: this pager never names it as a reply port.  The kernel's send
     right to the object, moved here too, was consumed at copy-out (§3d).  */
  mach_port_mod_refs (mach_task_self (), control, MACH_PORT_RIGHT_RECEIVE, -1);
  mach_port_mod_refs (mach_task_self (), name, MACH_PORT_RIGHT_RECEIVE, -1);
#else
  /* MUTANT terminate_leaks_receive_rights: the control and name ports are
     never destroyed.  */
  (void) name;
#endif
#ifdef EMMI_MUTANT_TERMINATE_AWAITS_CHANGE
  /* MUTANT terminate_awaits_change: takes change_completed to come before
     terminate, and keeps the terminate (and with it the object's turn)
     until the attribute change the running action waits for completes.
     GNU Mach sends that completion after the terminate that turning
     caching off on a cached object causes (§3d), so neither ever comes.  */
  while (obj->action_changes > 0 && !atomic_load (&pager.stopping))
    pthread_cond_wait (&obj->turn_changed, &obj->lock);
#endif
  /* A copy is mapped by the kernel that asked for it, and by no other (only
     that kernel holds a send right to it): once it is terminated nothing
     can reach it any more, and its port, store and slot go.  */
  bool free_slot = false;
  if (obj->is_copy && obj->kernels == NULL)
    {
      retire_copy (obj);
      if (obj->snapshot_pending)
        obj->orphaned = true; /* the snapshot frees the slot */
      else
        free_slot = true;
    }
  end_turn (obj);
  if (free_slot)
    release_copy_slot (obj);
  return KERN_SUCCESS;
}

#ifdef EMMI_MUTANT_CRASH_ON_WRITE_REQUEST
/* MUTANT crash_on_write_request: the write-fault path indexes a dirty-page
   table that was never allocated.  The seeded bug must end the pager with
   SIGSEGV, as it would in a production build: without no_sanitize, UBSan's
   null check (-fno-sanitize-recover) would stop the process with exit 1
   before the store, and the suite would see a pager that exited, not one
   that crashed.  */
__attribute__ ((no_sanitize ("null"), noinline)) static void
mark_dirty_in_missing_table (vm_offset_t offset)
{
  volatile unsigned char *volatile dirty_table = NULL;
  dirty_table[offset / STORE_BLOCK] = 1;
}
#endif

/* Answer K's data_request for [offset, offset+length), and remember what
   each page lets K do (MK3).  */
static void
answer_request (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
                vm_size_t length, vm_prot_t desired_access)
{
  /* DR3, DR8: answer every page of the range, on the control port of the
     kernel that asked, in that kernel's page units (IN5, MK4).  */
  vm_size_t unit = k->page_size;
  mach_port_t reply_control = k->control;
#ifdef EMMI_MUTANT_FIRST_KERNEL_PAGE_SIZE
  /* MUTANT first_kernel_page_size: the unit of the kernel that initialised
     the object first, whatever kernel asked.  */
  unit = obj->kernels->page_size;
#endif
#ifdef EMMI_MUTANT_WRONG_KERNEL_CONTROL
  /* MUTANT wrong_kernel_control: answers on the control port of the kernel
     that initialised the object first, whatever kernel asked.  */
  reply_control = obj->kernels->control;
#endif
  for (vm_offset_t page = offset; page < offset + length; page += unit)
    {
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
      /* MUTANT assumes_kernel_keeps_clean: a page this kernel was given and
         never gave back is taken to be still in its cache, so a request for
         it is ignored; but the kernel drops clean pages silently (RT3).  */
      if (k->held[page / STORE_BLOCK])
        continue;
      for (vm_offset_t b = page; b < page + unit; b += STORE_BLOCK)
        k->held[b / STORE_BLOCK] = 1;
#endif
      unsigned char access = access_granted (obj, page, unit, desired_access);
      answer_page (obj, reply_control, page, unit, desired_access);
      set_access (k, page, unit, access);
    }
}

kern_return_t
seqnos_memory_object_data_request (mach_port_t object_port, mach_port_seqno_t seqno,
                                   mach_port_t control, vm_offset_t offset,
                                   vm_size_t length, vm_prot_t desired_access)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
#ifdef EMMI_MUTANT_DEADLOCK_IN_REQUEST
  /* MUTANT deadlock_in_request: re-takes the object lock its turn already
     holds (a non-recursive mutex): the handler never returns, and neither
     does a stop() that needs the lock.  */
  pthread_mutex_lock (&obj->lock);
#endif
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    {
      /* Not a kernel we serve, or not whole pages of it: nothing sensible to
         answer.  The error return lets mach_msg_server drop the right (V3).  */
      end_turn (obj);
      return KERN_INVALID_ARGUMENT;
    }
#ifdef EMMI_MUTANT_CRASH_ON_WRITE_REQUEST
  if (desired_access & VM_PROT_WRITE)
    mark_dirty_in_missing_table (offset);
#endif

  /* The kernel asks for pages it does not hold: it dropped what it had.  */
  set_access (k, offset, length, ACCESS_NONE);
  /* MK3: other kernels' copies are recalled first; the answer waits.  */
  if (!hold_request (obj, k, offset, length, desired_access, false))
    answer_request (obj, k, offset, length, desired_access);

  /* §3f: the send right this request carried is ours; dropping it at once
     keeps one uref per kernel, which terminate releases.  */
  release_send_right (control);
  end_turn (obj);
  return KERN_SUCCESS;
}

/* The reply_to of a lock_request answering a data_unlock for [offset,
   offset+length) of K's cache: OBJ's port when its policy asks for unlock
   completions and a slot is free to remember the request (LK8), else
   MACH_PORT_NULL, no completion wanted (LK6).  */
static mach_port_t
unlock_reply_port (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
                   vm_size_t length)
{
  if (!obj->policy.unlock_completions || obj->pending_lock_count >= UNLOCK_COMPLETIONS)
    return MACH_PORT_NULL;
  struct pending_lock *p = &obj->pending_locks[obj->pending_lock_count++];
  p->control = k->control;
  p->offset = offset;
  p->size = length;
  p->for_action = false;
  p->for_recall = false;
  /* The stub makes a send-once right from our receive right, so the
     completion arrives on the object port and takes its turn there.  */
  return obj->port;
}

/* Ask the kernel to lift every lock on [offset, offset+length) of K's cache.  */
static void
unlock_range (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
              vm_size_t length)
{
  mach_port_t reply_to = unlock_reply_port (obj, k, offset, length);
  vm_size_t size = length;
#ifdef EMMI_MUTANT_LOCK_SIZE_NOT_PAGE_MULTIPLE
  /* MUTANT lock_size_not_page_multiple: the size is one 512-byte sector
     short of the page (GNU Mach rounds it up, LK1 forbids it).  */
  size -= 512;
#endif
  /* UL2, LK4: no page stays locked (VM_PROT_NONE), nothing to write back
     (RETURN_NONE, LK2) and nothing to flush (LK3).  */
  memory_object_lock_request (k->control, offset, size, MEMORY_OBJECT_RETURN_NONE, FALSE,
                              VM_PROT_NONE, reply_to);
}

/* Refuse the unlock of K's page at OFFSET (refuse_unlock): UL4, flush the
   page first.  The kernel drops it and revokes every use of it (LK3); the
   write waiting for the unlock faults the page in again, and that
   data_request, asking for the write access, gets data_error from
   answer_page (UL5).  The page was never writable, so it is clean; under
   notify_on_evict it may be precious, the only copy: RETURN_ALL brings it
   back first (LK12), as the flush action does.  */
static void
refuse_page_unlock (struct pager_object *obj, struct kernel_binding *k,
                    vm_offset_t offset)
{
  mach_port_t reply_to = unlock_reply_port (obj, k, offset, k->page_size);
  int should_return = obj->policy.notify_on_evict ? MEMORY_OBJECT_RETURN_ALL
                                                  : MEMORY_OBJECT_RETURN_NONE;
#ifdef EMMI_MUTANT_REFUSE_UNLOCK_ERRORS_BEFORE_FLUSH
  /* MUTANT refuse_unlock_errors_before_flush: the data_error comes first,
     while the kernel still holds the page, and the flush only after it
     (UL4 wants the flush first).  */
  memory_object_data_error (k->control, offset, k->page_size, KERN_PROTECTION_FAILURE);
#endif
  memory_object_lock_request (k->control, offset, k->page_size, should_return, TRUE,
                              VM_PROT_NO_CHANGE, reply_to);
}

/* Answer K's data_unlock for [offset, offset+length), and remember what
   it lets K do (MK3).  */
static void
answer_unlock (struct pager_object *obj, struct kernel_binding *k, vm_offset_t offset,
               vm_size_t length, vm_prot_t desired_access)
{
#if defined EMMI_MUTANT_IGNORES_UNLOCK
  /* MUTANT ignores_unlock: the write waits for an answer that never comes.  */
  (void) unlock_range;
  (void) refuse_page_unlock;
  (void) obj;
  (void) k;
  (void) offset;
  (void) length;
  (void) desired_access;
#elif defined EMMI_MUTANT_REFUSES_UNLOCK_WITHOUT_FLUSH
  /* MUTANT refuses_unlock_without_flush: refuses with data_error while the
     kernel still holds the page (UL4 wants a flush first).  */
  (void) unlock_range;
  (void) refuse_page_unlock;
  (void) obj;
  (void) desired_access;
  memory_object_data_error (k->control, offset, length, KERN_PROTECTION_FAILURE);
#else
  if (!obj->policy.refuse_unlock)
    {
      /* UL2: the locks are only this pager's read-mostly policy, so any
         access asked for is granted by lifting them: K may write now.  */
      unlock_range (obj, k, offset, length);
      set_access (k, offset, length, ACCESS_WRITE);
    }
  else
    /* refuse_unlock: page by page, a write to a read-only page is refused
       (UL4, UL5); anything else is granted (UL2).  */
    for (vm_offset_t page = offset; page < offset + length; page += k->page_size)
      if ((desired_access & VM_PROT_WRITE) != 0
          && write_refused (obj, page, k->page_size))
        {
          refuse_page_unlock (obj, k, page);
          set_access (k, page, k->page_size, ACCESS_NONE); /* flushed */
        }
      else
        {
          unlock_range (obj, k, page, k->page_size);
          set_access (k, page, k->page_size, ACCESS_WRITE);
        }
#endif
}

kern_return_t
seqnos_memory_object_data_unlock (mach_port_t object_port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_size_t length, vm_prot_t desired_access)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k == NULL || !range_valid (obj, k, offset, length))
    {
      end_turn (obj);
      return KERN_INVALID_ARGUMENT;
    }
  /* MK3: other kernels' copies are recalled first; the answer waits.  */
  if (!hold_request (obj, k, offset, length, desired_access, true))
    answer_unlock (obj, k, offset, length, desired_access);
  release_send_right (control);
  end_turn (obj);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_data_return (mach_port_t object_port, mach_port_seqno_t seqno,
                                  mach_port_t control, vm_offset_t offset,
                                  vm_offset_t data, mach_msg_type_number_t data_count,
                                  boolean_t dirty, boolean_t kernel_copy)
{
  (void) dirty;
#ifndef EMMI_MUTANT_STORE_SKIPS_KERNEL_COPY
  (void) kernel_copy;
#endif
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, control);
  if (k != NULL && range_valid (obj, k, offset, data_count))
    {
      /* Without a copy kept, the kernel no longer holds the pages (MK3).  */
      if (!kernel_copy)
        set_access (k, offset, data_count, ACCESS_NONE);
      /* RT4: keep what the kernel gave back; the next request for these
         pages, from any kernel, is served from it.  Whether or not the
         kernel kept a copy or calls it dirty, this is now the data.  */
      for (vm_offset_t b = 0; b < data_count; b += STORE_BLOCK)
        {
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
          k->held[(offset + b) / STORE_BLOCK] = 0;
#endif
#ifdef EMMI_MUTANT_IGNORES_CLEAN_PRECIOUS_RETURN
          /* MUTANT ignores_clean_precious_return: a page that comes back
             clean is taken to be unchanged and not stored; but under
             notify_on_evict the store gave its copy away (SU7).  */
          if (!dirty)
            continue;
#endif
#ifdef EMMI_MUTANT_STORE_SKIPS_KERNEL_COPY
          /* MUTANT store_skips_kernel_copy: reads kernel_copy as "the kernel
             still has the data, no need to keep it", so what a sync writes
             back never reaches the store (RT5).  */
          if (kernel_copy)
            continue;
#endif
#ifdef EMMI_MUTANT_STALE_AFTER_RETURN
          /* MUTANT stale_after_return: treats data_return like
             data_initialize (DI2) and ignores data for blocks it already
             holds, so the second write-back of a page is lost.  */
          if (obj->returned[(offset + b) / STORE_BLOCK])
            continue;
#endif
          memcpy ((void *) (obj->store + offset + b), (const void *) (data + b),
                  STORE_BLOCK);
#ifdef EMMI_MUTANT_UNAVAILABLE_AFTER_DIRTY_RETURN
          /* MUTANT unavailable_after_dirty_return: the data reaches the
             store, but only a clean return marks the block as holding data
             (a dirty page is taken for one still changing, that the kernel
             will send again); the next request for it is answered with
             data_unavailable, and the kernel zero-fills it (UN3, UN1).  */
          if (dirty)
            continue;
#endif
          /* UN1, UN3: from now on this block holds data, and a request for
             it is never answered with data_unavailable, which would make
             the kernel zero-fill the page.  */
          obj->returned[(offset + b) / STORE_BLOCK] = 1;
        }
    }
#ifndef EMMI_MUTANT_NEVER_DEALLOCATES_RETURNS
  /* RT2, PR8: the out-of-line pages are ours to release.  */
  vm_deallocate (mach_task_self (), data, data_count);
#else
    /* MUTANT never_deallocates_returns: the returned pages stay mapped.  */
#endif
  release_send_right (control); /* §3f */
  end_turn (obj);
#ifdef EMMI_MUTANT_RETURN_DOUBLE_FREE
  /* MUTANT return_double_free: reports failure after releasing the data, so
     mach_msg_server releases it (and the control right) a second time.  */
  return KERN_FAILURE;
#endif
  return KERN_SUCCESS;
}

/* Answer the held requests in the order they came, once no recall is out.
   One may need a recall of its own (a kernel answered before it got a copy
   since): it stays first, and the completion of that recall comes back
   here.  Called in the turn of a message of OBJ (a lock_completed, a
   terminate), so answers keep their place among the object's messages.  */
static void take_snapshots (struct pager_object *obj);

static void
release_waiting_requests (struct pager_object *obj)
{
  /* The copies made of OBJ take their contents before any held request is
     answered: the answers (an unlock granted, a page supplied writable)
     would let a kernel change the range the copies must keep.  */
  if (obj->recalls == 0 && obj->snapshot_count > 0)
    take_snapshots (obj);
  while (obj->recalls == 0 && obj->waiting != NULL)
    {
      struct waiting_request *w = obj->waiting;
      struct kernel_binding *k = binding_for (obj, w->control);
      if (k != NULL)
        {
          if (recall_others (obj, k, w->offset, w->length, access_wanted (obj, w)))
            return;
          if (w->unlock)
            answer_unlock (obj, k, w->offset, w->length, w->desired_access);
          else
            answer_request (obj, k, w->offset, w->length, w->desired_access);
        }
      obj->waiting = w->next;
      free (w);
    }
}

/* LK8, LK9: the completion of an unlock_range, matched by control port,
   offset and size; the request is forgotten.  The kernel may also complete
   a request of an earlier incarnation: nothing matches, nothing to do.  */
kern_return_t
seqnos_memory_object_lock_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                     mach_port_t control, vm_offset_t offset,
                                     vm_size_t length)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  for (size_t i = 0; i < obj->pending_lock_count; i++)
    {
      struct pending_lock *p = &obj->pending_locks[i];
      if (p->control == control && p->offset == offset && p->size == length)
        {
          /* The action that made it (sync, flush, shutdown) may go on: every
             data_return the kernel sent for it came before this message on
             this port, so its turn has passed and it is in the store.  */
          if (p->for_action && obj->action_locks > 0)
            obj->action_locks--;
          if (p->for_recall && obj->recalls > 0)
            obj->recalls--;
          *p = obj->pending_locks[--obj->pending_lock_count];
          break;
        }
    }
  /* MK3: the last recall's completion lets the held requests through.  */
  release_waiting_requests (obj);
  release_send_right (control); /* §3f */
  end_turn (obj);
  return KERN_SUCCESS;
}

/* SU11: the completion of a data_supply that named our object port as
   reply port, in its turn after every message the kernel sent before the
   supply.  [offset, error_offset) is what the kernel took when RESULT is
   KERN_MEMORY_PRESENT (§3e): it stopped at a page it already held, and did
   not take that page or any later one; with KERN_SUCCESS it took the whole
   range.  The kernel may also complete a supply of an earlier incarnation:
   nothing matches, nothing to do.  */
kern_return_t
seqnos_memory_object_supply_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                       mach_port_t control, vm_offset_t offset,
                                       vm_size_t length, kern_return_t result,
                                       vm_offset_t error_offset)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  for (size_t i = 0; i < obj->pending_supply_count; i++)
    {
      struct pending_supply p = obj->pending_supplies[i];
      if (p.control != control || p.offset != offset || p.length != length)
        continue;
      obj->pending_supplies[i] = obj->pending_supplies[--obj->pending_supply_count];
      vm_offset_t taken_end = offset + length;
      if (result == KERN_MEMORY_PRESENT && error_offset >= offset
          && error_offset < offset + length)
        taken_end = error_offset;
#ifdef EMMI_MUTANT_IGNORES_MEMORY_PRESENT
      /* MUTANT ignores_memory_present: the completion is taken to say the
         whole range was taken, whatever RESULT and error_offset say.  */
      taken_end = offset + length;
#endif
      if (p.precious)
        /* SU7: the pages the kernel took are its to give back now; the
           store holds them again once a data_return brings them.  */
        for (vm_offset_t b = offset; b < taken_end; b += STORE_BLOCK)
          obj->returned[b / STORE_BLOCK] = 0;
      /* SC4: the kernel stopped before the page it asked for, which still
         waits for an answer: supply it alone (the kernel takes it, it is
         requested), unless that kernel has terminated since.  */
      if (taken_end <= p.asked && binding_for (obj, p.control) != NULL)
        supply_data (obj, p.control, p.asked, p.asked_size, p.lock, p.precious,
                     MACH_PORT_NULL);
      break;
    }
  release_send_right (control); /* §3f */
  end_turn (obj);
  return KERN_SUCCESS;
}

kern_return_t
seqnos_memory_object_change_completed (mach_port_t object_port, mach_port_seqno_t seqno,
                                       boolean_t may_cache,
                                       memory_object_copy_strategy_t strategy)
{
  (void) may_cache;
  (void) strategy;
  /* CA3: the completion of a change_attributes the running action made
     (the only place this pager names a reply port for it).  */
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  if (obj->action_changes > 0)
    obj->action_changes--;
  end_turn (obj);
  return KERN_SUCCESS;
}

/* --- Copies (policy copy_call; §1a, memory_object_copy) ------------------- */

/* An object made ready with MEMORY_OBJECT_COPY_CALL leaves its copies to
   this pager.  When a task copies [offset, offset+length) of it, GNU Mach
   sends memory_object_copy on the object's port with a new port's receive
   right, write-locks the range's resident pages, and sends init on the new
   port: the copy is a memory object of its own, `length` bytes, served by
   this pager.  Should the pager answer one of its pages with
   data_unavailable, the kernel reads the ORIGINAL's page as it is then, so
   this pager never does: every page of the copy is supplied.

   What the copy must hold is the range as it was when the kernel copied it,
   including what the kernels held modified then.  So the copy handler
   recalls the range from every kernel of the original, as the coherence
   recalls do: lock_request(RETURN_DIRTY, no flush, locks unchanged) with
   the object port as reply port.  The modified pages come back
   (data_return) before each lock_completed, and the original's later
   messages are held until the last completion has taken its turn
   (`recalls`): a data_unlock of a page the copy write-locked, a
   data_request, are answered only then.  In that turn, before any held
   request is answered, the range of the store is copied into the copy's
   store (take_snapshots): nothing could change it in between.  The copy's
   own requests wait for that too.

   A copy takes one of COPY_SLOTS spare pager_objects and is served like
   any object (plain read-mostly policy, COPY_DELAY, no caching): its
   data_returns are its own, its data_unlocks are granted, and its
   terminate releases its rights like any object's (TM4, TM5, V6), then
   destroys its port and frees the slot.  */

/* Takes a free copy slot for a copy of LENGTH bytes at OFFSET of the
   original, served on NEW_OBJECT (a receive right this pager holds), whose
   contents wait for the snapshot when SNAPSHOT says so.  NULL when no slot
   is free or memory is short; nothing was changed then.  Called with the
   original's lock held.  */
static struct pager_object *
take_copy_slot (vm_offset_t offset, vm_size_t length, mach_port_t new_object,
                bool snapshot)
{
  struct pager_object *copy = NULL;
  pthread_mutex_lock (&pager.copies_lock);
  for (size_t i = pager.object_count; i < pager.slot_count && copy == NULL; i++)
    if (!pager.objects[i].in_use)
      {
        copy = &pager.objects[i];
        copy->in_use = true;
      }
  pthread_mutex_unlock (&pager.copies_lock);
  if (copy == NULL)
    return NULL;

  /* No message of the new port can have a turn before the port is in our
     port set (below); the lock keeps the slot's reset whole all the same.  */
  pthread_mutex_lock (&copy->lock);
  copy->size = length;
  copy->policy = plain_policy;
  copy->made_sends = 0;
  copy->port_released = false;
  /* The kernel made the port for the copy: init is its first message
     (SQ5).  */
  copy->next_seqno = 0;
  copy->store = 0;
  copy->returned = calloc (length / STORE_BLOCK, 1);
  copy->tried = calloc (length / STORE_BLOCK, 1);
  copy->kernels = NULL;
  copy->pending_lock_count = 0;
  copy->pending_supply_count = 0;
  /* Waiting for the snapshot, the copy holds its requests (one count of
     `recalls` stands for it) and its terminate leaves the slot to the
     snapshot.  Set before the port is published: from then on its
     messages may be handled.  */
  copy->recalls = snapshot ? 1 : 0;
  copy->waiting = NULL;
  copy->action_locks = 0;
  copy->action_changes = 0;
  copy->may_cache = false;
  copy->copy_strategy = MEMORY_OBJECT_COPY_DELAY;
  copy->snapshot_count = 0;
  copy->snapshot_pending = snapshot;
  copy->orphaned = false;
  copy->copy_offset = offset;
  bool ok
      = copy->returned != NULL && copy->tried != NULL
        && vm_allocate (mach_task_self (), &copy->store, length, TRUE) == KERN_SUCCESS;
  if (ok)
    {
      pthread_mutex_lock (&pager.copies_lock);
      copy->port = new_object;
      pthread_mutex_unlock (&pager.copies_lock);
      /* The init the kernel queued on the port before we held it is
         received from here on.  */
      ok = mach_port_move_member (mach_task_self (), new_object, pager.port_set)
           == KERN_SUCCESS;
      if (!ok)
        {
          pthread_mutex_lock (&pager.copies_lock);
          copy->port = MACH_PORT_NULL;
          pthread_mutex_unlock (&pager.copies_lock);
        }
    }
  if (!ok)
    {
      if (copy->store != 0)
        vm_deallocate (mach_task_self (), copy->store, length);
      copy->store = 0;
      free (copy->returned);
      free (copy->tried);
      copy->returned = copy->tried = NULL;
      pthread_mutex_unlock (&copy->lock);
      release_copy_slot (copy);
      return NULL;
    }
  pthread_mutex_unlock (&copy->lock);
  return copy;
}

/* The copy COPY is terminated (its bindings are gone): its port goes, so
   no message can reach it, then its store.  Called with COPY's lock held;
   the slot stays taken until release_copy_slot.  */
static void
retire_copy (struct pager_object *copy)
{
  pthread_mutex_lock (&pager.copies_lock);
  mach_port_t port = copy->port;
  copy->port = MACH_PORT_NULL; /* before the name can be reused */
  pthread_mutex_unlock (&pager.copies_lock);
  while (copy->waiting != NULL)
    {
      struct waiting_request *w = copy->waiting;
      copy->waiting = w->next;
      free (w);
    }
  /* The receive right the copy message moved to us: no longer needed.  */
  if (port != MACH_PORT_NULL)
    mach_port_mod_refs (mach_task_self (), port, MACH_PORT_RIGHT_RECEIVE, -1);
  if (copy->store != 0)
    vm_deallocate (mach_task_self (), copy->store, copy->size);
  copy->store = 0;
  free (copy->returned);
  free (copy->tried);
  copy->returned = copy->tried = NULL;
}

/* The slot may serve another copy.  Called without COPY's lock, after the
   last turn taken on it.  */
static void
release_copy_slot (struct pager_object *copy)
{
  pthread_mutex_lock (&pager.copies_lock);
  copy->in_use = false;
  pthread_mutex_unlock (&pager.copies_lock);
}

/* The recalls the copies of OBJ waited for have all completed, and no
   request of OBJ answered since the copy message: each copy takes the
   range of the store now.  Blocks no kernel ever gave back are zeros, as
   the original's data_unavailable would have them; every block of the copy
   is data it supplies.  Then the copy's held requests are answered.  Called
   in a turn of OBJ, with its lock held; takes each copy's lock (an
   original's lock is always taken before its copies').  */
static void
take_snapshots (struct pager_object *obj)
{
  for (size_t i = 0; i < obj->snapshot_count; i++)
    {
      struct pager_object *copy = obj->snapshots[i];
      pthread_mutex_lock (&copy->lock);
      const bool orphaned = copy->orphaned;
      if (!orphaned)
        {
          for (vm_offset_t b = 0; b < copy->size; b += STORE_BLOCK)
            {
              const vm_offset_t at = copy->copy_offset + b;
              if (obj->returned[at / STORE_BLOCK])
                memcpy ((void *) (copy->store + b), (const void *) (obj->store + at),
                        STORE_BLOCK);
              else
                memset ((void *) (copy->store + b), 0, STORE_BLOCK);
              copy->returned[b / STORE_BLOCK] = 1;
            }
          copy->snapshot_pending = false;
          if (copy->recalls > 0)
            copy->recalls--;
          release_waiting_requests (copy);
        }
      pthread_mutex_unlock (&copy->lock);
      if (orphaned)
        release_copy_slot (copy); /* terminated before: retired then */
    }
  obj->snapshot_count = 0;
}

/* memory_object_copy: make the copy (see above).  The old control send
   right this message carried (a uref on the name we hold for that kernel's
   control) is ours to release, as every request's (§3f); the new object's
   receive right is ours to keep until the copy is terminated.  A copy that
   cannot be made (not a copy_call object, no free slot, a range that is not
   whole pages) is refused with an error return: mach_msg_server then
   releases both rights (V3), so this handler releases neither.  */
kern_return_t
seqnos_memory_object_copy (mach_port_t object_port, mach_port_seqno_t seqno,
                           mach_port_t old_control, vm_offset_t offset, vm_size_t length,
                           mach_port_t new_object)
{
  struct pager_object *obj = begin_message (object_port, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  struct kernel_binding *k = binding_for (obj, old_control);
  size_t kernels = 0;
  for (struct kernel_binding *o = obj->kernels; o != NULL; o = o->next)
    kernels++;
  struct pager_object *copy = NULL;
  /* A recall slot for every kernel (the coherence recalls never run while
     one is out, so they lose none to the copy).  */
  if (obj->copy_strategy == MEMORY_OBJECT_COPY_CALL && k != NULL
      && range_valid (obj, k, offset, length)
      && obj->pending_lock_count + kernels <= PENDING_LOCKS
      && obj->snapshot_count < COPY_SLOTS)
    {
#ifndef EMMI_MUTANT_COPY_WITHOUT_SNAPSHOT
      copy = take_copy_slot (offset, length, new_object, true);
#else
      copy = take_copy_slot (offset, length, new_object, false);
#endif
    }
  if (copy == NULL)
    {
      end_turn (obj);
      return KERN_FAILURE;
    }
#ifndef EMMI_MUTANT_COPY_WITHOUT_SNAPSHOT
  obj->snapshots[obj->snapshot_count++] = copy;
  /* LK2, LK8: every kernel's modified pages of the range come back before
     its lock_completed.  No flush and no lock change: the kernel that made
     the copy write-locked what it holds of the range, and a page brought in
     or written from now on waits behind the held requests.  Under
     notify_on_evict the store gave its precious pages away: RETURN_ALL
     brings them back too (LK12), so the snapshot sees them.  */
  const int should_return = obj->policy.notify_on_evict ? MEMORY_OBJECT_RETURN_ALL
                                                        : MEMORY_OBJECT_RETURN_DIRTY;
  for (struct kernel_binding *o = obj->kernels; o != NULL; o = o->next)
    {
      /* Whole pages of that kernel (LK1, MK4) around the range.  */
      vm_offset_t first = offset - offset % o->page_size;
      vm_offset_t end = offset + length;
      end += (o->page_size - end % o->page_size) % o->page_size;
      struct pending_lock *p = &obj->pending_locks[obj->pending_lock_count++];
      p->control = o->control;
      p->offset = first;
      p->size = end - first;
      p->for_action = false;
      p->for_recall = true;
      obj->recalls++;
      memory_object_lock_request (o->control, first, end - first, should_return, FALSE,
                                  VM_PROT_NO_CHANGE, obj->port);
    }
#else
    /* MUTANT copy_without_snapshot: the copy is taken but never filled: its
       pages are answered with data_unavailable, so the kernel reads the
       original's pages as they are when the copy is faulted, and the
       original's unlocks are granted at once (nothing is held).  */
#endif
#ifndef EMMI_MUTANT_COPY_KEEPS_OLD_CONTROL
  release_send_right (old_control); /* §3f, V6 */
#else
    /* MUTANT copy_keeps_old_control: the send uref the copy message added to
       the control name is never released; it outlives the terminate.  */
#endif
  end_turn (obj);
  return KERN_SUCCESS;
}

/* --- Notifications (notify.defs, SEQNOS server) ---------------------------- */

/* The notification this pager asks for (V5): no-senders on each object port,
   requested in start () the way GNU Hurd's libports does when it makes a
   port's first send right.  GNU Mach sends it the moment the last send right
   to the port goes (§3d): every kernel's right is moved by its terminate and
   released when terminate is copied out to us, so the notification always
   has a higher seqno than the last terminate, and it comes once the client
   that mapped the object has let go of its own right too.  MSCOUNT is the
   port's make-send count at that moment; it takes its turn like any message
   on the port (§2, SQ6).  */
kern_return_t
do_seqnos_mach_notify_no_senders (mach_port_t notify, mach_port_seqno_t seqno,
                                  mach_port_mscount_t mscount)
{
  struct pager_object *obj = begin_message (notify, seqno);
  if (obj == NULL)
    return KERN_ABORTED;
  if (mscount < obj->made_sends)
    {
      /* A send right was made after the last one whose death this reports,
         so someone may hold one again (or the message is no kernel's).  Ask
         anew with the count we know of, as libports does.  A request still
         armed comes back as PREVIOUS: its send-once right is ours to
         release (the kernel then sends a send-once notification here).  */
      mach_port_t previous = MACH_PORT_NULL;
      if (mach_port_request_notification (mach_task_self (), obj->port,
                                          MACH_NOTIFY_NO_SENDERS, obj->made_sends,
                                          obj->port, MACH_MSG_TYPE_MAKE_SEND_ONCE,
                                          &previous)
              == KERN_SUCCESS
          && previous != MACH_PORT_NULL)
        release_send_right (previous);
    }
  else if (obj->kernels == NULL && !obj->port_released)
    {
      /* Nobody holds a send right and nobody can get one: this pager makes
         send rights only for the offer.  The port is no longer needed, so
         its receive right goes, as libpager's does when its last reference
         goes.  Every terminate has been handled (the kernels' bindings and
         their control and name rights are gone, TM4..TM6, V6), so there is
         nothing else to free here; the store stays, the entry ABI reads it
         and runs the actions by object index until stop () (which then
         skips the port).  */
      mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
      obj->port_released = true;
    }
  /* A kernel still bound with no send right left would be one whose
     terminate we never got: keep the port.  */
  end_turn (obj);
  return KERN_SUCCESS;
}

/* The notifications this pager never asks for.  A send-once notification
   comes unasked: the kernel destroyed a send-once reply_to of ours (a
   control call it refused, §3e), or we released one (above).  Nothing to do
   for any of them; the handlers take no turn, pager_demux takes it for them
   (SQ6).  port_destroyed carries a receive right: the error return makes
   mach_msg_server destroy it.  */
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

/* --- The server loop ------------------------------------------------------- */

/* The demux handed to mach_msg_server: the memory_object server, then the
   notify server for the notifications (V5: a pager that asks for
   no-senders must have the handler notify_server calls).  Messages no
   handler took a turn for (a notification with nothing to do, an unknown
   id, a request whose types do not check) still used up a seqno on the
   object port (§2, SQ6): take and end their turn here, or every later
   message of the object waits forever.  For a message no stub knows the
   stubs have set MIG_BAD_ID / MIG_BAD_ARGUMENTS, so mach_msg_server
   destroys it and the rights it carried.  */
static boolean_t
pager_demux (mach_msg_header_t *request, mach_msg_header_t *reply)
{
  turn_taken = false;
#ifndef EMMI_MUTANT_NO_NOTIFY_HANDLER
  boolean_t handled = seqnos_memory_object_server (request, reply)
                      || seqnos_notify_server (request, reply);
#else
  /* MUTANT no_notify_handler: asks for no-senders in start () but chains
     only the memory_object server, so the notification is refused with
     MIG_BAD_ID (V5).  The ticket still advances (below): nothing jams.  */
  boolean_t handled = seqnos_memory_object_server (request, reply);
#endif
#ifndef EMMI_MUTANT_TICKET_SKIPS_UNHANDLED
  if (!turn_taken)
    {
      struct pager_object *obj = object_for_port (request->msgh_local_port);
      if (obj != NULL)
        {
          take_turn (obj, request->msgh_seqno);
          end_turn (obj);
        }
    }
#else
  /* MUTANT ticket_skips_unhandled: only the EMMI handlers advance the
     ticket; after a notification or a rejected message the object jams.  */
#endif
#ifdef EMMI_MUTANT_DEMUX_CLAIMS_FOREIGN
  /* MUTANT demux_claims_foreign: the demux says TRUE for every message, its
     stubs' MIG_BAD_ID notwithstanding (G5, SQ4).  */
  (void) handled;
  return TRUE;
#else
  /* FALSE for a message no stub knows (G5): the MIG demux's own answer.  */
  return handled;
#endif
}

static void *
server_thread (void *arg)
{
  /* The port set, handed over at pthread_create: pager.port_set itself is
     cleared by reference_pager_stop, which may run before this thread
     gets here.  */
  mach_port_t port_set = (mach_port_t) (uintptr_t) arg;
  /* max_size 0: glibc's loop then receives with MACH_RCV_LARGE, so a large
     message is never dequeued-and-dropped, which would use up a seqno
     without any handler seeing it (§2).  It returns once the port set is
     destroyed by reference_pager_stop.  */
  mach_msg_server (pager_demux, 0, port_set);
  return NULL;
}

/* --- The pager's own actions (entry ABI version 2) ------------------------- */

/* The suite calls these between its kernel commands, on a thread of its own
   running in our task; they follow GNU Hurd's libpager (pager_sync_some,
   pager_return_some, pager_change_attributes, pager_shutdown) and wait the
   way its _pager_lock_object does: the request names the object port as
   reply_to, and the action sleeps until the completion has taken its turn
   on that port.  The action holds the object's lock (not a turn: it handles
   no message) while it sends, so the kernel list it walks cannot change
   under it, and releases it while it waits, so the server threads can take
   the data_returns and the completion in seqno order.  */

static struct pager_object *
action_object (uint32_t index)
{
  if (pager.objects == NULL || index >= pager.object_count)
    return NULL;
  return &pager.objects[index];
}

/* memory_object_lock_request to every kernel of OBJ for [offset, offset +
   length), each with a completion the action waits for (LK8; matched by
   control, offset and size, LK9).  Called and returns with OBJ's lock held.
   KERN_RESOURCE_SHORTAGE, having sent nothing, when there are not enough
   free slots to remember the requests.  */
static kern_return_t
lock_all_kernels (struct pager_object *obj, vm_offset_t offset, vm_size_t length,
                  int should_return, boolean_t should_flush, vm_prot_t lock_value)
{
  size_t kernels = 0;
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    kernels++;
  if (obj->pending_lock_count + kernels > PENDING_LOCKS)
    return KERN_RESOURCE_SHORTAGE;
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    {
      mach_port_t reply_to = obj->port;
#ifdef EMMI_MUTANT_SYNC_DOES_NOT_WAIT
      /* MUTANT sync_does_not_wait: asks for no completion and returns as
         soon as the requests are sent, taking "sent" for "done" (LK8).  */
      reply_to = MACH_PORT_NULL;
#else
      struct pending_lock *p = &obj->pending_locks[obj->pending_lock_count++];
      p->control = k->control;
      p->offset = offset;
      p->size = length;
      p->for_action = true;
      p->for_recall = false;
      obj->action_locks++;
#endif
      memory_object_lock_request (k->control, offset, length, should_return, should_flush,
                                  lock_value, reply_to);
      if (should_flush)
        set_access (k, offset, length, ACCESS_NONE);
    }
  /* The kernel acted on each request before the call returned, but only its
     lock_completed, queued behind the data_returns, says so to us (LK8):
     wait until every one has taken its turn.  */
  while (obj->action_locks > 0 && !atomic_load (&pager.stopping))
    pthread_cond_wait (&obj->turn_changed, &obj->lock);
  return KERN_SUCCESS;
}

/* The range the suite names: whole pages of every kernel, inside the object.  */
static bool
action_range_valid (const struct pager_object *obj, uint64_t offset, uint64_t length)
{
  if (length == 0 || offset > obj->size || length > obj->size - offset)
    return false;
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    if (offset % k->page_size != 0 || length % k->page_size != 0)
      return false;
  return true;
}

/* sync: every modified page of the range comes back and is in the store
   when this returns.  RETURN_ALL, like libpager's pager_sync, also brings
   back precious pages (LK12); no flush, and the locks stay (NO_CHANGE).  */
static kern_return_t
reference_pager_sync (uint32_t index, uint64_t offset, uint64_t length)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->lock);
  kern_return_t kr = KERN_INVALID_ARGUMENT;
  if (action_range_valid (obj, offset, length))
    {
      int should_return = MEMORY_OBJECT_RETURN_ALL;
#ifdef EMMI_MUTANT_SYNC_RETURNS_NOTHING
      /* MUTANT sync_returns_nothing: the "sync" asks the kernel to write
         nothing back (LK2 needs a non-zero should_return).  */
      should_return = MEMORY_OBJECT_RETURN_NONE;
#endif
      kr = lock_all_kernels (obj, offset, length, should_return, FALSE,
                             VM_PROT_NO_CHANGE);
#ifdef EMMI_MUTANT_DELAY_STORE_CHANGES_ON_SYNC
      /* MUTANT delay_store_changes_on_sync: keeps a "times synced" counter
         in the first block of the range, as a status page would, though
         the object was made ready with MEMORY_OBJECT_COPY_DELAY, which
         promises that its data never changes behind the kernels' back
         (CP4): a kernel that saw the block keeps the old contents.  */
      if (kr == KERN_SUCCESS)
        {
          static uint64_t syncs;
          uint64_t *header = (uint64_t *) (obj->store + offset);
          syncs++;
          for (size_t w = 0; w < STORE_BLOCK / sizeof *header; w++)
            header[w] = syncs;
          obj->returned[offset / STORE_BLOCK] = 1;
        }
#endif
    }
  pthread_mutex_unlock (&obj->lock);
  return kr;
}

/* flush: the kernels drop the range.  Modified pages are written back first
   (like libpager's pager_return); a pager that wants the kernels' changes
   discarded passes RETURN_NONE, as pager_flush does.  Without
   notify_on_evict RETURN_DIRTY is enough: no page is supplied precious, so
   no clean page is the only copy.  With notify_on_evict the store gave
   pages away precious, and a flush with RETURN_DIRTY would have the kernel
   discard them clean (LK11, as GNU Mach's memory_object_lock_page does):
   the data would be lost (RT4).  So that pager asks for RETURN_ALL (LK12).  */
static kern_return_t
reference_pager_flush (uint32_t index, uint64_t offset, uint64_t length)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->lock);
  kern_return_t kr = KERN_INVALID_ARGUMENT;
  if (action_range_valid (obj, offset, length))
    {
      boolean_t should_flush = TRUE;
#ifdef EMMI_MUTANT_FLUSH_WITHOUT_FLUSH
      /* MUTANT flush_without_flush: forgets should_flush, so the kernels
         keep their copies (LK3).  */
      should_flush = FALSE;
#endif
      int should_return = obj->policy.notify_on_evict ? MEMORY_OBJECT_RETURN_ALL
                                                      : MEMORY_OBJECT_RETURN_DIRTY;
      kr = lock_all_kernels (obj, offset, length, should_return, should_flush,
                             VM_PROT_NO_CHANGE);
    }
  pthread_mutex_unlock (&obj->lock);
  return kr;
}

/* change_attributes: tell every kernel, and wait for each change_completed
   (CA3: with caching off, the kernel may terminate the object once it has
   made the change).  The copy strategy stays the one the object was made
   ready with (CP1); the suite may ask for another, which is not ours to
   give.  */
static kern_return_t
reference_pager_change_attributes (uint32_t index, int may_cache, int copy_strategy)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->lock);
  obj->may_cache = may_cache != 0; /* later inits get it in ready too */
  memory_object_copy_strategy_t strategy = obj->copy_strategy;
#ifdef EMMI_MUTANT_CHANGES_COPY_STRATEGY
  /* MUTANT changes_copy_strategy: passes whatever strategy it is asked for,
     changing it on an initialised object (CP1).  */
  strategy = copy_strategy;
#else
  (void) copy_strategy;
#endif
  for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
    {
      mach_port_t reply_to = obj->port;
#ifdef EMMI_MUTANT_UNCACHE_WITHOUT_REPLY
      /* MUTANT uncache_without_reply: no completion asked for, none
         awaited, even when caching goes off (CA3).  */
      reply_to = MACH_PORT_NULL;
#else
      obj->action_changes++;
#endif
      memory_object_change_attributes (k->control, obj->may_cache, strategy, reply_to);
    }
  while (obj->action_changes > 0 && !atomic_load (&pager.stopping))
    pthread_cond_wait (&obj->turn_changed, &obj->lock);
  pthread_mutex_unlock (&obj->lock);
  return KERN_SUCCESS;
}

/* shutdown: the manual's way to end every kernel's use of the object (DS3):
   flush it with a write lock, modified data coming back first, and only
   then memory_object_destroy.  Each kernel answers with terminate, which
   the terminate handler takes as any other (TM4..TM6, V6); the object port
   stays ours, so a later mapping sends a new init.  */
static kern_return_t
reference_pager_shutdown (uint32_t index)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->lock);
  kern_return_t kr = KERN_SUCCESS;
#ifndef EMMI_MUTANT_DESTROY_WITHOUT_FLUSH
  kr = lock_all_kernels (obj, 0, obj->size, MEMORY_OBJECT_RETURN_ALL, TRUE,
                         VM_PROT_WRITE);
#else
  /* MUTANT destroy_without_flush: destroys while the kernels still cache
     the object's pages (DS3 wants them flushed first).  */
#endif
  if (kr == KERN_SUCCESS)
    for (struct kernel_binding *k = obj->kernels; k != NULL; k = k->next)
      memory_object_destroy (k->control, KERN_SUCCESS);
  pthread_mutex_unlock (&obj->lock);
  return kr;
}

/* The observable store: what a data_request would be answered with now.
   Blocks no kernel ever gave back are zero (they are answered with
   data_unavailable, which zero-fills).  Nothing but a data_return changes
   it: the pager never modifies an object's data behind the kernels' back
   (CP4 for COPY_DELAY objects; a copy_call object's copies take their own
   store).  */
static kern_return_t
reference_pager_read_store (uint32_t index, uint64_t offset, void *buffer,
                            uint64_t length)
{
  struct pager_object *obj = action_object (index);
  if (obj == NULL || offset > obj->size || length > obj->size - offset)
    return KERN_INVALID_ARGUMENT;
  pthread_mutex_lock (&obj->lock);
  memcpy (buffer, (const void *) (obj->store + offset), length);
  pthread_mutex_unlock (&obj->lock);
  return KERN_SUCCESS;
}

/* --- The entry ABI (emmi/pager_abi.h) ---------------------------------------- */

static void
free_objects (void)
{
  for (size_t i = 0; i < pager.slot_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      while (obj->kernels != NULL)
        {
          struct kernel_binding *k = obj->kernels;
          obj->kernels = k->next;
          release_send_right (k->control);
          release_send_right (k->name);
#ifdef EMMI_MUTANT_ASSUMES_KERNEL_KEEPS_CLEAN
          free (k->held);
#endif
          free (k->access);
          free (k);
        }
      while (obj->waiting != NULL)
        {
          struct waiting_request *w = obj->waiting;
          obj->waiting = w->next;
          free (w);
        }
      /* Unless no-senders already destroyed it.  */
      if (obj->port != MACH_PORT_NULL && !obj->port_released)
        mach_port_mod_refs (mach_task_self (), obj->port, MACH_PORT_RIGHT_RECEIVE, -1);
#ifdef EMMI_MUTANT_SUPPLY_REPLY_UNSERVED
      if (obj->unserved_reply != MACH_PORT_NULL)
        mach_port_mod_refs (mach_task_self (), obj->unserved_reply,
                            MACH_PORT_RIGHT_RECEIVE, -1);
#endif
      if (obj->store != 0)
        vm_deallocate (mach_task_self (), obj->store, obj->size);
      free (obj->returned);
      free (obj->tried);
      pthread_cond_destroy (&obj->turn_changed);
      pthread_mutex_destroy (&obj->lock);
    }
  free (pager.objects);
  pager.objects = NULL;
  pager.object_count = 0;
  pager.slot_count = 0;
  pthread_mutex_destroy (&pager.copies_lock);
}

static void
reference_pager_stop (void)
{
  atomic_store (&pager.stopping, true);
  /* The server threads' receive returns MACH_RCV_PORT_DIED, so
     mach_msg_server returns ...  */
  mach_port_mod_refs (mach_task_self (), pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  /* ... and a thread waiting for a turn that will never come gives up.  */
  for (size_t i = 0; i < pager.slot_count; i++)
    {
      pthread_mutex_lock (&pager.objects[i].lock);
      pthread_cond_broadcast (&pager.objects[i].turn_changed);
      pthread_mutex_unlock (&pager.objects[i].lock);
    }
  for (size_t i = 0; i < pager.thread_count; i++)
    pthread_join (pager.threads[i], NULL);
  pager.thread_count = 0;
  free_objects ();
}

/* The options this pager understands, from the command line: whitespace- or
   comma-separated "key=value" words; unknown words are an error.  */
static bool
parse_options (const char *options)
{
  struct object_policy *policy = &pager.options_policy;
  pager.max_page_size = DEFAULT_MAX_PAGE_SIZE;
  pager.write_locks = true;
  *policy = plain_policy;
  pager.uniform = false;
  if (options == NULL)
    return true;
  const char *p = options;
  while (*p != '\0')
    {
      size_t len = strcspn (p, " \t,");
      static const char key[] = "max_page_size=";
      static const char ahead[] = "read_ahead=";
      bool *flag = NULL;
      if (len > sizeof key - 1 && strncmp (p, key, sizeof key - 1) == 0)
        {
          char *end;
          unsigned long long v = strtoull (p + sizeof key - 1, &end, 0);
          if (end != p + len || v == 0 || v % STORE_BLOCK != 0)
            return false;
          pager.max_page_size = (vm_size_t) v;
        }
      else if (len > sizeof ahead - 1 && strncmp (p, ahead, sizeof ahead - 1) == 0)
        {
          char *end;
          unsigned long v = strtoul (p + sizeof ahead - 1, &end, 10);
          if (end != p + len || v > MAX_READ_AHEAD)
            return false;
          policy->read_ahead = (vm_size_t) v;
          pager.uniform = true;
        }
      else if (len == sizeof "write_locks=0" - 1
               && (strncmp (p, "write_locks=0", len) == 0
                   || strncmp (p, "write_locks=1", len) == 0))
        pager.write_locks = p[len - 1] == '1';
      else if (len == sizeof "notify_on_evict=0" - 1
               && (strncmp (p, "notify_on_evict=0", len) == 0
                   || strncmp (p, "notify_on_evict=1", len) == 0))
        flag = &policy->notify_on_evict;
      else if (len == sizeof "transient_errors=0" - 1
               && (strncmp (p, "transient_errors=0", len) == 0
                   || strncmp (p, "transient_errors=1", len) == 0))
        flag = &policy->transient_errors;
      else if (len == sizeof "refuse_unlock=0" - 1
               && (strncmp (p, "refuse_unlock=0", len) == 0
                   || strncmp (p, "refuse_unlock=1", len) == 0))
        flag = &policy->refuse_unlock;
      else if (len == sizeof "copy_call=0" - 1
               && (strncmp (p, "copy_call=0", len) == 0
                   || strncmp (p, "copy_call=1", len) == 0))
        flag = &policy->copy_call;
      else if (len != 0)
        return false;
      if (flag != NULL)
        {
          *flag = p[len - 1] == '1';
          pager.uniform = true;
        }
      p += len;
      p += strspn (p, " \t,");
    }
  /* See read_ahead in struct object_policy.  */
  return !(policy->read_ahead > 0 && policy->notify_on_evict);
}

/* The policy of object INDEX when the options name none: the objects take
   turns, so that one run of the suite meets every policy this pager has.
   Even objects are files on a flaky disk, opened with some pages read-only
   (transient_errors, refuse_unlock), whose unlocks are answered with a
   reply port; odd objects are sparse files (allocated) that lend their
   pages precious (notify_on_evict) and answer unlocks as Hurd's libpager
   does, asking for no completion.  Read
   ahead is never the default: it relies on GNU Mach taking pages it did
   not request (X6), which the manual forbids (SU1).  Nor is copy_call:
   COPY_DELAY, the kernel's own copy on write, is what a pager that does
   not make copies asks for.  */
static struct object_policy
object_policy_for (size_t index)
{
  if (pager.uniform)
    return pager.options_policy;
  struct object_policy policy = plain_policy;
  if (index % 2 == 0)
    {
      policy.transient_errors = true;
      policy.refuse_unlock = true;
    }
  else
    {
      policy.notify_on_evict = true;
      policy.unlock_completions = false;
      policy.allocated = true;
    }
  return policy;
}

static kern_return_t
reference_pager_start (const struct emmi_pager_config *config,
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
  atomic_store (&pager.stopping, false);
  kern_return_t kr = mach_port_allocate (task, MACH_PORT_RIGHT_PORT_SET, &pager.port_set);
  if (kr != KERN_SUCCESS)
    return kr;
  pthread_mutex_init (&pager.copies_lock, NULL);
  /* The configured objects, then the spare slots copies are served from.  */
  pager.objects = calloc (config->object_count + COPY_SLOTS, sizeof *pager.objects);
  if (pager.objects == NULL)
    goto fail_no_memory;
  pager.object_count = config->object_count;
  pager.slot_count = config->object_count + COPY_SLOTS;
  for (size_t i = 0; i < pager.slot_count; i++)
    {
      pthread_mutex_init (&pager.objects[i].lock, NULL);
      pthread_cond_init (&pager.objects[i].turn_changed, NULL);
      pager.objects[i].is_copy = i >= pager.object_count;
    }

  for (size_t i = 0; i < pager.object_count; i++)
    {
      struct pager_object *obj = &pager.objects[i];
      obj->size = config->object_size;
      obj->policy = object_policy_for (i);
      /* A fresh receive right starts at seqno 0 (SQ5): so does the ticket.  */
      obj->next_seqno = 0;
      obj->may_cache = false;
      obj->copy_strategy
          = obj->policy.copy_call ? MEMORY_OBJECT_COPY_CALL : MEMORY_OBJECT_COPY_DELAY;
#ifdef EMMI_MUTANT_READY_COPY_SYMMETRIC
      /* MUTANT ready_copy_symmetric: asks for MEMORY_OBJECT_COPY_SYMMETRIC
         (4 in the OSF headers; GNU Mach's do not define it), the kernel's
         own strategy (CP6).  GNU Mach refuses it, so the object is never
         ready.  */
      obj->copy_strategy = 4;
#endif
      obj->returned = calloc (obj->size / STORE_BLOCK, 1);
      obj->tried = calloc (obj->size / STORE_BLOCK, 1);
      if (obj->returned == NULL || obj->tried == NULL)
        goto fail_no_memory;
      if (obj->policy.allocated)
        for (size_t b = 1; b < obj->size / STORE_BLOCK; b += 2)
          obj->returned[b] = 1;
      kr = vm_allocate (task, &obj->store, obj->size, TRUE);
      if (kr != KERN_SUCCESS)
        goto fail;
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &obj->port);
      if (kr != KERN_SUCCESS)
        goto fail;
#ifdef EMMI_MUTANT_SUPPLY_REPLY_UNSERVED
      kr = mach_port_allocate (task, MACH_PORT_RIGHT_RECEIVE, &obj->unserved_reply);
      if (kr != KERN_SUCCESS)
        goto fail;
#endif
      kr = mach_port_move_member (task, obj->port, pager.port_set);
      if (kr != KERN_SUCCESS)
        goto fail;
      /* V5: no-senders on the object port, to learn when no kernel and no
         client can reach the object any more.  As libports does, sync is
         the make-send count once the send right about to be made exists
         (the offer's MAKE_SEND below: 1), so the request waits for that
         right and fires when the last send right goes.  The notification
         comes to the port itself, through a send-once right made from it:
         it takes a seqno there like every message (§2, SQ6).  */
      obj->made_sends = 1;
      mach_port_t previous = MACH_PORT_NULL;
      kr = mach_port_request_notification (task, obj->port, MACH_NOTIFY_NO_SENDERS,
                                           obj->made_sends, obj->port,
                                           MACH_MSG_TYPE_MAKE_SEND_ONCE, &previous);
      if (kr != KERN_SUCCESS)
        goto fail;
      /* The kernels get their send rights made from our receive right.  */
      out[i].port = obj->port;
      out[i].disposition = MACH_MSG_TYPE_MAKE_SEND;
    }

  for (size_t i = 0; i < REFERENCE_PAGER_THREADS; i++)
    {
      if (pthread_create (&pager.threads[i], NULL, server_thread,
                          (void *) (uintptr_t) pager.port_set)
          != 0)
        {
          reference_pager_stop ();
          return KERN_RESOURCE_SHORTAGE;
        }
      pager.thread_count++;
    }
  return KERN_SUCCESS;

fail_no_memory:
  kr = KERN_RESOURCE_SHORTAGE;
fail:
  mach_port_mod_refs (task, pager.port_set, MACH_PORT_RIGHT_PORT_SET, -1);
  pager.port_set = MACH_PORT_NULL;
  free_objects ();
  return kr;
}

#ifdef EMMI_MUTANT_NAME
#define PAGER_NAME "mutant-" EMMI_MUTANT_NAME
#elif defined EMMI_LIBPAGER_INIT_POLICY
#define PAGER_NAME "libpager-init-policy"
#else
#define PAGER_NAME "reference"
#endif

static const struct emmi_pager reference_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = PAGER_NAME,
  .start = reference_pager_start,
  .stop = reference_pager_stop,
  /* ABI version 2: the pager's own actions.  */
  .sync = reference_pager_sync,
  .flush = reference_pager_flush,
  .change_attributes = reference_pager_change_attributes,
  .shutdown = reference_pager_shutdown,
  .read_store = reference_pager_read_store,
};

/* Its handlers are reached through seqnos_memory_object_server, the SEQNOS
   stubs: the suite judges it by the gnumach-seqnos rules (pager_abi.h).  */
EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = EMMI_PAGER_SERVES_GNUMACH_SEQNOS;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &reference_pager;
}
