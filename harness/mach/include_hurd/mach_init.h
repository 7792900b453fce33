/* SPDX-License-Identifier: MIT */
/* <mach_init.h> as glibc for GNU/Hurd provides it: the calling thread's task
 * and host ports and the VM page size. On the simulated kernel the task
 * depends on the calling thread (pager threads are in the pager's task), so
 * mach_task_self() is a function, not glibc's cached variable. */
#ifndef _MACH_INIT_H
#define _MACH_INIT_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <mach/mach_types.h>
#include <mach/vm_param.h>

extern mach_port_t mach_task_self(void);
extern mach_port_t mach_host_self(void);
extern mach_port_t mach_thread_self(void);
#define __mach_task_self() (mach_task_self())

/* The page size of the pager's own address space (vm_allocate granularity).
 * The EMMI page size is what memory_object_init carries, not this. */
extern vm_size_t __vm_page_size;
#define vm_page_size __vm_page_size

/* GNU Mach's <mach/vm_param.h> (included above) already defines these with
 * its 4 KiB PAGE_SIZE, which is vm_page_size here; glibc's forms otherwise. */
#ifndef trunc_page
#define trunc_page(addr) ((addr) & ~(vm_page_size - 1))
#endif
#ifndef round_page
#define round_page(addr) trunc_page((addr) + vm_page_size - 1)
#endif

#ifdef __cplusplus
}
#endif

#endif /* _MACH_INIT_H */
