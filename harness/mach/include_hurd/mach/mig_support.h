/* <mach/mig_support.h> as glibc for GNU/Hurd provides it: the helpers that
 * MIG-generated stubs call (per-thread reply ports, memory for out-of-line
 * arrays). Implemented by emmi-cts's simulated kernel (libemmi_mach). */
#ifndef _MACH_MIG_SUPPORT_H
#define _MACH_MIG_SUPPORT_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <mach/mach_types.h>
#include <mach/message.h>

/* A receive right in the calling thread's task, reused by every RPC the
 * thread makes, created on first use. */
extern mach_port_t mig_get_reply_port(void);
extern mach_port_t __mig_get_reply_port(void);
/* Destroy the thread's reply port (after an RPC failed half-way); the next
 * mig_get_reply_port() makes a fresh one. */
extern void mig_dealloc_reply_port(mach_port_t port);
extern void __mig_dealloc_reply_port(mach_port_t port);
/* Give the reply port back after an RPC; a no-op (the port is kept). */
extern void mig_put_reply_port(mach_port_t port);
extern void __mig_put_reply_port(mach_port_t port);

extern void mig_init(void *first);
extern void mig_allocate(vm_address_t *addr, vm_size_t size);
extern void mig_deallocate(vm_address_t addr, vm_size_t size);
extern void __mig_deallocate(vm_address_t addr, vm_size_t size);
extern void mig_reply_setup(const mach_msg_header_t *request,
                            mach_msg_header_t *reply);
extern char *mig_strncpy(char *dst, const char *src, long len);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MIG_SUPPORT_H */
