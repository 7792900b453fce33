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

#define EMMI_PAGER_ABI_VERSION 1u

/* The name dlsym() looks up. */
#define EMMI_PAGER_ENTRY_SYMBOL "emmi_pager_entry"

#if defined(__GNUC__)
#define EMMI_PAGER_EXPORT __attribute__((visibility("default")))
#else
#define EMMI_PAGER_EXPORT
#endif

/* Which wire protocol the suite's kernels speak. */
enum emmi_dialect {
  /* GNU Mach's memory_object.defs (subsystem 2200). Whether the pager serves
   * it with the plain or the SEQNOS stubs is the pager's own business: the
   * messages are identical on the wire. */
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
  kern_return_t (*start)(const struct emmi_pager_config *config,
                         struct emmi_pager_object *objects);

  /* Stop serving: make every thread start() created leave the simulated
   * kernel (destroying the receive rights or port set they wait on makes
   * their receive return MACH_RCV_PORT_DIED) and join them. Called once,
   * after start() succeeded. */
  void (*stop)(void);
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

/* Implemented by the pager. */
EMMI_PAGER_EXPORT const struct emmi_pager *emmi_pager_entry(void);

#ifdef __cplusplus
}
#endif

#endif /* EMMI_PAGER_ABI_H */
