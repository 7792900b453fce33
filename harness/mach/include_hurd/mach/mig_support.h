/* SPDX-License-Identifier: MIT */
/* <mach/mig_support.h> as glibc for GNU/Hurd provides it: the helpers that
 * MIG-generated stubs call (per-thread reply ports, memory for out-of-line
 * arrays), under their plain and their __ names. Implemented by emmi-cts's
 * simulated kernel (libemmi_mach). <mach.h> does not include this header
 * (glibc's does not either): MIG stubs include it themselves. */
#ifndef _MACH_MIG_SUPPORT_H
#define _MACH_MIG_SUPPORT_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <mach/message.h>
#include <mach/std_types.h>
#include <string.h>
#include <sys/types.h>

extern void __mig_init(void *first);
extern void mig_init(void *first);

/* vm_allocate (anywhere) and vm_deallocate on mach_task_self(). */
extern void __mig_allocate(vm_address_t *addr_p, vm_size_t size);
extern void mig_allocate(vm_address_t *addr_p, vm_size_t size);
extern void __mig_deallocate(vm_address_t addr, vm_size_t size);
extern void mig_deallocate(vm_address_t addr, vm_size_t size);

/* A receive right in the calling thread's task, reused by every RPC the
 * thread makes, created on first use; dealloc destroys it after an RPC
 * failed half-way (the next get makes a fresh one); put is a no-op. */
extern void __mig_dealloc_reply_port(mach_port_t port);
extern void mig_dealloc_reply_port(mach_port_t port);
extern mach_port_t __mig_get_reply_port(void);
extern mach_port_t mig_get_reply_port(void);
extern void __mig_put_reply_port(mach_port_t port);
extern void mig_put_reply_port(mach_port_t port);

extern void __mig_reply_setup(const mach_msg_header_t *request, mach_msg_header_t *reply);
extern void mig_reply_setup(const mach_msg_header_t *request, mach_msg_header_t *reply);

/* Copies at most LEN - 1 characters and terminates DST; returns the number
 * of characters copied, the terminator not counted. */
extern vm_size_t mig_strncpy(char *dst, const char *src, vm_size_t len);
extern vm_size_t __mig_strncpy(char *dst, const char *src, vm_size_t len);

extern void *__mig_memcpy(void *dst, const void *src, vm_size_t len);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MIG_SUPPORT_H */
