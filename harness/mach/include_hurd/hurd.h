/* SPDX-License-Identifier: MIT */
/* A small part of glibc-Hurd's <hurd.h>: only what emmi-cts's simulated
 * kernel can answer. A pager whose sources need more of <hurd.h> (file_t,
 * getauth, the proc server, ...) must stub it; see the top-level README,
 * "Testing a pager written for the Hurd".
 *
 * get_privileged_ports: a pager under test runs as an unprivileged task (no
 * host-priv or device-master port to give), so this answers as the Hurd does
 * for a task that is not root: EPERM, leaving the pointers untouched. EPERM
 * is this (Linux) C library's value, so `err == EPERM` in the same sources
 * holds. libports' multithreaded manager takes that as "keep the default
 * thread priority". */
#ifndef _HURD_H
#define _HURD_H 1

#include <mach.h>

#ifdef __cplusplus
extern "C" {
#endif

extern kern_return_t get_privileged_ports(mach_port_t *host_priv_ptr,
                                          mach_port_t *device_master_ptr);
extern kern_return_t __get_privileged_ports(mach_port_t *host_priv_ptr,
                                            mach_port_t *device_master_ptr);

#ifdef __cplusplus
}
#endif

#endif /* _HURD_H */
