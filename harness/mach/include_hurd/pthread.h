/* SPDX-License-Identifier: MIT */
/* <pthread.h> with what glibc for GNU/Hurd adds to it and Hurd code relies
 * on, with the values right for this (Linux) C library. The C library's own
 * <pthread.h> comes first, unchanged.
 *
 * PTHREAD_SPINLOCK_INITIALIZER: on the Hurd it is 0, which is an unlocked
 * spin lock there. On glibc for x86 and x86-64 (i386/x86_64 assembly
 * spin locks) 1 is unlocked and 0 is LOCKED: pthread_spin_init stores 1,
 * pthread_spin_lock decrements to 0. A Hurd library that initialises its
 * locks statically with 0 (libports does) would deadlock on the first lock.
 * Other glibc ports use the generic C spin lock, where 0 is unlocked.
 * emmi-cts's tests check this value against pthread_spin_init's.
 *
 * pthread_hurd_cond_wait_np / _timedwait_np: pthread_cond_wait (timedwait)
 * that returns EINTR when the thread is cancelled with hurd_thread_cancel.
 * Nothing cancels threads in the simulation: they return 0 once woken
 * (ETIMEDOUT on a timeout), as on the Hurd when no cancel comes. */
#ifndef EMMI_HURD_PTHREAD_H
#define EMMI_HURD_PTHREAD_H 1

#include_next <pthread.h>

#if defined(__GLIBC__) && (defined(__x86_64__) || defined(__i386__))
#define __EMMI_SPIN_LOCK_UNLOCKED 1
#else
#define __EMMI_SPIN_LOCK_UNLOCKED 0
#endif

#ifndef __PTHREAD_SPIN_LOCK_INITIALIZER
/* A plain integer: pthread_spinlock_t is volatile int here, and a cast to
 * it draws -Wignored-qualifiers in C++. */
#define __PTHREAD_SPIN_LOCK_INITIALIZER __EMMI_SPIN_LOCK_UNLOCKED
#endif
#ifndef PTHREAD_SPINLOCK_INITIALIZER
#define PTHREAD_SPINLOCK_INITIALIZER __PTHREAD_SPIN_LOCK_INITIALIZER
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct timespec;
extern int pthread_hurd_cond_wait_np(pthread_cond_t *cond, pthread_mutex_t *mutex);
extern int pthread_hurd_cond_timedwait_np(pthread_cond_t *cond, pthread_mutex_t *mutex,
                                          const struct timespec *abstime);

#ifdef __cplusplus
}
#endif

#endif /* EMMI_HURD_PTHREAD_H */
