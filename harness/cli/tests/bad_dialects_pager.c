/* SPDX-License-Identifier: MIT */
/* A pager whose emmi_pager_dialects declares a bit no dialect has (0x8).
   emmi-cts must refuse it when it loads it, naming the file, the symbol and
   the bits it knows, and never call start(). */
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

static const struct emmi_pager unknown_dialect_pager = {
  .abi_version = EMMI_PAGER_ABI_VERSION,
  .name = "unknown-dialect",
  .start = never_started,
  .stop = never_stopped,
};

EMMI_PAGER_EXPORT const uint32_t emmi_pager_dialects = 0x8u;

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  return &unknown_dialect_pager;
}
