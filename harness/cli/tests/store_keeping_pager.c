/* SPDX-License-Identifier: MIT */
/* The reference pager, except that it keeps every region it would release
   until it stops serving: the returned pages of each data_return stay with
   it, as they do with pagers that adopt returned pages as their store, and
   stop() releases them all.  reference_pager.c is compiled with
   -Dvm_deallocate=keep_vm_deallocate and -Demmi_pager_entry=
   reference_pager_entry, and this file wraps the reference pager's entry.

   A correct pager: the suite judges leaks (RT2, PR8, V6) only after stop(),
   so it must find none.  Two options (the reference pager's own options
   pass through) make stop() never finish, to show how that is reported:
     stop=hang          stop() blocks for good before it releases anything:
                        every region still held is a release that never
                        came (RT2 timeout);
     stop=hang-released stop() releases everything, then blocks for good:
                        the pager holds nothing, no rule covers stop(), so
                        the case is unresolved.  */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <mach.h>

#include "emmi/pager_abi.h"

const struct emmi_pager *reference_pager_entry (void);

struct kept
{
  vm_address_t address;
  vm_size_t size;
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *kept;
static size_t kept_count, kept_capacity;
static mach_port_t kept_task;

enum stop_mode
{
  STOP_NORMALLY,
  STOP_HANGS,
  STOP_HANGS_RELEASED
};
static enum stop_mode stop_mode;
static char *passed_options;

kern_return_t
keep_vm_deallocate (mach_port_t task, vm_address_t address, vm_size_t size)
{
  if (size == 0)
    return KERN_SUCCESS;
  pthread_mutex_lock (&kept_lock);
  if (kept_count == kept_capacity)
    {
      size_t capacity = kept_capacity == 0 ? 64 : 2 * kept_capacity;
      struct kept *grown = realloc (kept, capacity * sizeof *kept);
      if (grown == NULL)
        abort ();
      kept = grown;
      kept_capacity = capacity;
    }
  kept[kept_count].address = address;
  kept[kept_count].size = size;
  kept_count++;
  kept_task = task;
  pthread_mutex_unlock (&kept_lock);
  return KERN_SUCCESS;
}

static void
release_kept (void)
{
  pthread_mutex_lock (&kept_lock);
  for (size_t i = 0; i < kept_count; i++)
    vm_deallocate (kept_task, kept[i].address, kept[i].size);
  kept_count = 0;
  pthread_mutex_unlock (&kept_lock);
}

/* Takes this file's own "stop=" word out of the options; the rest go to the
   reference pager.  False for a "stop=" value it does not know.  */
static bool
take_stop_option (const char *options)
{
  free (passed_options);
  passed_options = NULL;
  stop_mode = STOP_NORMALLY;
  if (options == NULL)
    return true;
  passed_options = calloc (strlen (options) + 1, 1);
  if (passed_options == NULL)
    return false;
  const char *p = options;
  while (*p != '\0')
    {
      size_t len = strcspn (p, " \t,");
      if (len == strlen ("stop=hang") && strncmp (p, "stop=hang", len) == 0)
        stop_mode = STOP_HANGS;
      else if (len == strlen ("stop=hang-released")
               && strncmp (p, "stop=hang-released", len) == 0)
        stop_mode = STOP_HANGS_RELEASED;
      else if (len >= 5 && strncmp (p, "stop=", 5) == 0)
        return false;
      else if (len != 0)
        {
          strncat (passed_options, p, len);
          strcat (passed_options, " ");
        }
      p += len;
      p += strspn (p, " \t,");
    }
  return true;
}

static kern_return_t
keeping_start (const struct emmi_pager_config *config, struct emmi_pager_object *objects)
{
  if (!take_stop_option (config->options))
    return KERN_INVALID_ARGUMENT;
  struct emmi_pager_config passed = *config;
  passed.options = passed_options;
  return reference_pager_entry ()->start (&passed, objects);
}

/* Blocks the calling thread for good: nothing ever signals.  */
static void
never_return (void)
{
  static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
  pthread_mutex_lock (&m);
  for (;;)
    pthread_cond_wait (&c, &m);
}

static void
keeping_stop (void)
{
  if (stop_mode == STOP_HANGS)
    never_return ();
  reference_pager_entry ()->stop ();
  release_kept ();
  if (stop_mode == STOP_HANGS_RELEASED)
    never_return ();
}

static const struct emmi_pager keeping_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "store-keeping",
  .start = keeping_start,
  .stop = keeping_stop,
};

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &keeping_pager;
}
