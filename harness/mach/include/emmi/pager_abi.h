/* SPDX-License-Identifier: MIT */
/* The entry ABI between emmi-cts and a pager under test.
 *
 * A pager is a shared object written against the GNU Mach user API (<mach.h>,
 * MIG-generated memory_object server stubs, the memory_object_* control calls).
 * It exports one C symbol, emmi_pager_entry, which returns a description of
 * the pager: its ABI version, a name, start() and stop(). The suite dlopen()s
 * the object, checks abi_version, and calls start() to get the memory objects
 * it will play kernel against. See harness/mach/README.md for the contract.
 *
 * Versioning: EMMI_PAGER_ABI_VERSION changes whenever a structure below or the
 * calling contract changes incompatibly; the suite refuses a pager built for a
 * different version with a message naming both versions.
 */
#ifndef EMMI_PAGER_ABI_H
#define EMMI_PAGER_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GNU Mach's headers have no C++ linkage block of their own. */
#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/port.h>

#define EMMI_PAGER_ABI_VERSION 2u
/* The oldest version the suite still loads: a version 1 pager's struct
 * emmi_pager ends after stop(), and the suite reads nothing beyond it. */
#define EMMI_PAGER_ABI_VERSION_MIN 1u

/* The name dlsym() looks up. */
#define EMMI_PAGER_ENTRY_SYMBOL "emmi_pager_entry"

#if defined(__GNUC__)
#define EMMI_PAGER_EXPORT __attribute__((visibility("default")))
#else
#define EMMI_PAGER_EXPORT
#endif

/* Which wire protocol the suite's kernels speak. */
enum emmi_dialect {
  /* GNU Mach's memory_object.defs (subsystem 2200). The messages are
   * identical on the wire whether the pager serves them with the plain or
   * the SEQNOS stubs; which it uses decides the rules it is judged by, and
   * it says which in emmi_pager_dialects (below). */
  EMMI_DIALECT_GNUMACH = 1,
  /* The OSF MK dialect of the manual pages (init and terminate without a
   * name port, synchronize, flavoured change_attributes), as emmi-cts's own
   * .defs encode it (harness/mach/defs/osf/, subsystems 3400 and 3450). A
   * pager for it links emmi_pager_api_osf (harness/mach/README.md). */
  EMMI_DIALECT_OSF = 2
};

/* What the suite asks of the pager for one run. */
struct emmi_pager_config {
  uint32_t abi_version;  /* EMMI_PAGER_ABI_VERSION the suite was built with */
  uint32_t dialect;      /* enum emmi_dialect */
  uint32_t object_count; /* fill objects[0 .. object_count) */
  uint32_t reserved;     /* zero */
  uint64_t object_size;  /* bytes per memory object; a multiple of 16 KiB, so a
                            multiple of every page size the suite's kernels use */
  const char *options;   /* free text for the pager (from the command line),
                            or NULL */
};

/* One memory object handed to the suite: a name in the pager's task and how
 * the suite's kernels take their send right from it, exactly as if the pager
 * had put the name in a message with that disposition:
 *   MACH_MSG_TYPE_MAKE_SEND  port names the object's receive right;
 *   MACH_MSG_TYPE_COPY_SEND  port names a send right the pager keeps;
 *   MACH_MSG_TYPE_MOVE_SEND  port names a send right the pager gives away. */
struct emmi_pager_object {
  mach_port_t port;
  mach_msg_type_name_t disposition;
};

struct emmi_pager {
  uint32_t abi_version; /* EMMI_PAGER_ABI_VERSION the pager was built with */
  const char *name;     /* for reports, e.g. "reference" or "mutant-IN9" */

  /* Create config->object_count memory objects (receive rights in the
   * pager's task), start the threads that serve them, and describe each in
   * objects[i]. Called once, on a suite thread whose current task is the
   * pager's. Returns KERN_SUCCESS, or an error code the suite reports. */
  kern_return_t (*start)(const struct emmi_pager_config *config, struct emmi_pager_object *objects);

  /* Stop serving: make every thread start() created leave the simulated
   * kernel (destroying the receive rights or port set they wait on makes
   * their receive return MACH_RCV_PORT_DIED) and join them. Called once,
   * after start() succeeded. */
  void (*stop)(void);

  /* ---- ABI version 2: the pager's own actions ---------------------------
   * Optional: each may be NULL, and the suite reads these members only from
   * a pager whose abi_version is 2 or more. The suite calls them between
   * its kernel commands, once the pager is quiescent, on a suite thread
   * whose current task is the pager's, under the same controlled scheduling
   * as start() and stop(): the call may block (on a mutex, a condition
   * variable, a Mach receive) while the pager's own threads run. A pager
   * that lacks one never gets the command that calls it. They are called
   * whatever dialect the suite's kernels speak; with OSF kernels
   * (config->dialect EMMI_DIALECT_OSF) the pager makes each with the OSF
   * control calls of the same names (memory_object_change_attributes with
   * a flavour that holds may_cache, PERFORMANCE_INFO or ATTRIBUTES_INFO,
   * answered by a change_completed echoing the flavour), and the copy
   * strategy below is GNU Mach's numbering.
   *
   * `object` is the index of the object in the objects[] start() filled.
   * `offset` and `length` are in bytes, multiples of every page size the
   * suite's kernels use, inside the object. "Every kernel" below means
   * every kernel whose init the pager has received for the object and whose
   * terminate it has not.
   *
   * Each returns KERN_SUCCESS once done, or an error code when the pager
   * declines (then it must have sent nothing for the call); the suite judges
   * only what an action that returned KERN_SUCCESS had to do. The wire
   * behaviour each must have follows GNU Hurd's libpager (pager_sync,
   * pager_flush, pager_change_attributes, pager_shutdown) and the manual
   * pages; the rule IDs are those of emmi-rules.md. */

  /* Write back what the kernels modified in the range, and return only when
   * it is in the store (libpager's pager_sync_some(p, off, len, wait=1)).
   * On the wire, for every kernel that may hold a modified page of the
   * range: memory_object_lock_request(control, offset, length,
   * should_return MEMORY_OBJECT_RETURN_DIRTY or _ALL, should_flush FALSE,
   * VM_PROT_NO_CHANGE, reply_to) with a reply_to port the pager receives on
   * (LK2), then wait for that request's memory_object_lock_completed (LK8:
   * it is the only sure sign the kernel is done; counting data_returns is
   * not) and for every data_return queued before it to be in the store. */
  kern_return_t (*sync)(uint32_t object, uint64_t offset, uint64_t length);

  /* Make every kernel drop its cached copy of the range, and return only
   * when it has (libpager's pager_flush_some(p, off, len, wait=1)): for every
   * kernel that may cache a page of the range, memory_object_lock_request
   * with should_flush TRUE (LK3, LK14) and a reply_to, then wait for its
   * lock_completed (LK8). should_return is the pager's choice:
   * MEMORY_OBJECT_RETURN_NONE discards what the kernel modified (as
   * pager_flush does), _DIRTY or _ALL write it back first (pager_return). */
  kern_return_t (*flush)(uint32_t object, uint64_t offset, uint64_t length);

  /* Change the object's attributes with every kernel
   * (libpager's pager_change_attributes(p, may_cache, copy_strategy,
   * wait=1)): memory_object_change_attributes(control, may_cache,
   * copy_strategy, reply_to) to each, and wait for every
   * memory_object_change_completed. Turning caching off (may_cache FALSE)
   * the pager must pass a reply_to it receives on and wait (CA3: the
   * object may be terminated once the change is made). The copy strategy
   * of an object cannot change once the object is initialised (CP1): asked
   * for another than the one it made the object ready with, the pager
   * passes its own (or declines the whole call). */
  kern_return_t (*change_attributes)(uint32_t object, int may_cache, int copy_strategy);

  /* End every kernel's use of the object, as the manual pages have a pager
   * do it (DS3, memory_object_destroy.html): for each kernel, first
   * memory_object_lock_request(control, 0, object size, RETURN_ALL or
   * _DIRTY, should_flush TRUE, lock VM_PROT_WRITE, reply_to) and its
   * lock_completed, so that modified data comes back and nothing stays
   * cached, then memory_object_destroy(control, reason). The kernel answers
   * with memory_object_terminate, which the pager handles as any terminate.
   * The object's port stays the pager's and served: a kernel that maps the
   * object again sends a new init. (libpager's pager_shutdown syncs, flushes
   * and then destroys the receive right itself; GNU Mach then drops the
   * object without a terminate, gnumach-kernel.md 3b. The suite asks for
   * the destroy form, which every kernel dialect answers the same way.) */
  kern_return_t (*shutdown)(uint32_t object);

  /* The observable store: copy the object's contents at [offset,
   * offset + length) as the pager would supply them now (its backing store,
   * including data returned and not yet written out) into buffer. Must not
   * send any message. After quiescence, and right after sync() or flush()
   * returns, every 4 KiB block the kernel returned to the pager holds the
   * latest contents it returned (RT5: what a data_return carries, dirty or
   * not and whether or not the kernel kept a copy, is the pager's to keep).
   * For an object made ready with MEMORY_OBJECT_COPY_DELAY, a block no
   * kernel returned holds what the pager last told a kernel it holds (its
   * data_supply, or zeros for data_unavailable) while a kernel maps the
   * object (CP4: such data is never modified externally). */
  kern_return_t (*read_store)(uint32_t object, uint64_t offset, void *buffer, uint64_t length);
};

typedef const struct emmi_pager *(*emmi_pager_entry_fn)(void);

/* Roles (optional, unchanged ABI version 1). A pager may export a second
 * symbol, `const uint32_t emmi_pager_roles`, a mask of the roles it plays;
 * without it the pager is an ordinary pager (EMMI_PAGER_ROLE_PAGER).
 *
 * EMMI_PAGER_ROLE_DEFAULT: the pager is a default memory manager. Before
 * start() the suite makes the pager's task privileged, so that
 * get_privileged_ports() gives it the host-priv port; start() must call
 * vm_set_default_memory_manager(host_priv, &port) with the port the kernels
 * send memory_object_create to (a receive right it serves), as a default
 * pager does when it boots. Without EMMI_PAGER_ROLE_PAGER the suite calls
 * start() with object_count 0 and only creates temporary objects; with both
 * roles it also maps the objects start() offers. The suite sends
 * memory_object_create, data_initialize and the other default-pager
 * commands only to a pager declaring EMMI_PAGER_ROLE_DEFAULT. */
#define EMMI_PAGER_ROLES_SYMBOL "emmi_pager_roles"
#define EMMI_PAGER_ROLE_PAGER 1u
#define EMMI_PAGER_ROLE_DEFAULT 2u

/* Dialects (optional, since ABI version 1). A pager may export
 * `const uint32_t emmi_pager_dialects`, a mask of the wire dialects and
 * server stubs it serves; the suite judges it by the rules of the dialect
 * chosen from that mask (`emmi-cts run --dialect auto`, the default):
 *
 * EMMI_PAGER_SERVES_GNUMACH: GNU Mach's memory_object.defs through the plain
 * stubs (memory_object_server): the pager's handlers see no sequence
 * numbers, so the SEQNOS rules (SQ*) are not its duty.
 * EMMI_PAGER_SERVES_GNUMACH_SEQNOS: the same messages through the SEQNOS
 * stubs (seqnos_memory_object_server, MIG -DSEQNOS): the handlers get each
 * message's seqno, and the pager is judged by the SEQNOS rules too
 * (processing each object's requests in seqno order, SQ7, among them).
 * EMMI_PAGER_SERVES_OSF: the OSF MK dialect of the manual pages, through
 * the stubs of emmi-cts's OSF .defs (emmi_pager_api_osf); the suite's
 * kernels speak OSF to it (config->dialect is EMMI_DIALECT_OSF) and it is
 * judged by the OSF rules (SY*, CA1, CA2 ...) instead of GNU Mach's.
 *
 * Without the symbol the pager is a plain GNU Mach pager
 * (EMMI_PAGER_SERVES_GNUMACH) and is not judged by the SEQNOS rules, nor
 * ever run against OSF kernels. The wire is the same for both GNU Mach
 * dialects; config->dialect is EMMI_DIALECT_GNUMACH for either. A pager
 * declaring both GNU Mach bits is judged as gnumach-seqnos unless --dialect
 * says otherwise; one declaring a GNU Mach bit and EMMI_PAGER_SERVES_OSF is
 * judged in its GNU Mach dialect by default and as an OSF pager with
 * --dialect osf (it tells the two runs apart by config->dialect); an
 * explicit --dialect the mask does not contain is refused. */
#define EMMI_PAGER_DIALECTS_SYMBOL "emmi_pager_dialects"
#define EMMI_PAGER_SERVES_GNUMACH 1u
#define EMMI_PAGER_SERVES_GNUMACH_SEQNOS 2u
#define EMMI_PAGER_SERVES_OSF 4u

/* Backing storage (optional, since ABI version 2). A pager may export
 *
 *   kern_return_t emmi_pager_read_backing_store(uint32_t object,
 *       uint64_t offset, void *buffer, uint64_t length);
 *
 * which copies what has reached the object's backing storage at
 * [offset, offset + length): read_store's view without what is only queued
 * for it (a write-behind queue, dirty pages held in memory). A pager that
 * writes through (its store is its backing storage) exports one that does
 * what read_store does. Exporting it says two things: both reads, this one
 * and read_store, may be called at one more instant, and they then tell
 * the truth about it. The instant is the moment a pager thread's mach_msg
 * has sent a memory_object_synchronize_completed the kernel accepted (OSF
 * kernels): before that thread goes on, with every other pager thread
 * standing at a scheduling point, the suite calls read_store (SY8: the data
 * the synchronize covered is queued or on backing storage, so the pager
 * would supply it) and, for a synchronize with VM_SYNC_SYNCHRONOUS, this
 * function (SY6: it is on backing storage). Both must take the locks the
 * pager's own paths to its store take, and must send no message; a read
 * that has to wait for another pager thread is not judged (what it sees is
 * no longer that instant). Without the symbol the suite reads the store
 * only as read_store says, and SY6 and SY8 are not checked. */
#define EMMI_PAGER_READ_BACKING_STORE_SYMBOL "emmi_pager_read_backing_store"
typedef kern_return_t (*emmi_pager_read_backing_store_fn)(uint32_t object, uint64_t offset,
                                                          void *buffer, uint64_t length);

/* Implemented by the pager. */
EMMI_PAGER_EXPORT const struct emmi_pager *emmi_pager_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* EMMI_PAGER_ABI_H */
