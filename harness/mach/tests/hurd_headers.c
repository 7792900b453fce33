/* SPDX-License-Identifier: MIT */
/* Compiled as Hurd code is: only with the glibc-Hurd shim headers. It builds
   only if they leave room for what Hurd libraries do, and the values it
   reports are checked by hurd_test.cpp.  */
#include <hurd.h>
#include <mach.h>
#include <pthread.h>

#ifdef _MACH_MIG_SUPPORT_H
#error "<mach.h> must not include <mach/mig_support.h>: glibc-Hurd's does not"
#endif

/* Hurd's libpager (demuxer.c) defines a static function of this name, which
   a prototype from <mach.h> would contradict.  */
static void
mig_reply_setup (const mach_msg_header_t *in, mach_msg_header_t *out)
{
  out->msgh_id = in->msgh_id + 100;
}

/* libports initialises its locks statically.  */
static pthread_spinlock_t probe_lock = PTHREAD_SPINLOCK_INITIALIZER;

int
emmi_hurd_probe_reply_id (int id)
{
  mach_msg_header_t in = { 0 }, out = { 0 };
  in.msgh_id = id;
  mig_reply_setup (&in, &out);
  return out.msgh_id;
}

/* 0 when the statically initialised lock was free (it is left free).  */
int
emmi_hurd_probe_static_spin_lock (void)
{
  int err = pthread_spin_trylock (&probe_lock);
  if (err == 0)
    pthread_spin_unlock (&probe_lock);
  return err;
}

long
emmi_hurd_probe_spin_initializer (void)
{
  return (long) PTHREAD_SPINLOCK_INITIALIZER;
}
