/* SPDX-License-Identifier: MIT */
/* <mach/mach_traps.h> as glibc for GNU/Hurd provides it: the Mach system
 * calls other than mach_msg (which GNU Mach's <mach/message.h> declares).
 * On the simulated kernel:
 *   mach_reply_port   a new receive right in the calling task
 *   swtch, swtch_pri  yield the processor (sched_yield: a scheduling point
 *                     for the suite's scheduler); return TRUE
 *   thread_switch     GNU Mach's option check (KERN_INVALID_ARGUMENT for an
 *                     unknown option), then a yield; the hint thread is
 *                     ignored and SWITCH_OPTION_WAIT / _DEPRESS do not wait
 *                     out OPTION_TIME (nothing a pager can observe)
 *   evc_wait          no event is ever registered: KERN_INVALID_ARGUMENT
 *   mach_print        the string on standard error */
#ifndef _MACH_MACH_TRAPS_H
#define _MACH_MACH_TRAPS_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <mach/kern_return.h>
#include <mach/message.h>
#include <mach/port.h>
#include <mach/thread_switch.h>

extern mach_port_t mach_reply_port(void);
extern mach_port_t mach_thread_self(void);
/* The parentheses keep <mach_init.h>'s macros, if any, out of the way. */
extern mach_port_t(mach_task_self)(void);
extern mach_port_t(mach_host_self)(void);

extern boolean_t swtch(void);
extern boolean_t swtch_pri(int priority);
extern kern_return_t thread_switch(mach_port_t new_thread, int option,
                                   mach_msg_timeout_t option_time);
extern kern_return_t evc_wait(unsigned int event);
extern void mach_print(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* _MACH_MACH_TRAPS_H */
