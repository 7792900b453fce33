/* SPDX-License-Identifier: MIT */
/* A pager entry from a future ABI: emmi_pager_entry exists but reports
   abi_version 99. emmi-cts must refuse it naming both versions, and never
   call start(). */
#include <stddef.h>

#include "emmi/pager_abi.h"

static kern_return_t
never_started (const struct emmi_pager_config *config, struct emmi_pager_object *objects)
{
  (void) config;
  (void) objects;
  return KERN_FAILURE;
}

static void
never_stopped (void)
{
}

static const struct emmi_pager future_pager = {
  .abi_version = 99,
  .name = "abi-99",
  .start = never_started,
  .stop = never_stopped,
};

const struct emmi_pager *
emmi_pager_entry (void)
{
  return &future_pager;
}
