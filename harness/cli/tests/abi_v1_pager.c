/* SPDX-License-Identifier: MIT */
/* A pager built for version 1 of the entry ABI: its struct emmi_pager ends
   after stop(), as the version 1 header declared it, so a suite that read
   version 2's action members from it would read past the end of the object
   (the wrapper places a guard of garbage pointers there to make that fatal).
   It serves with the reference pager, and checks that the suite speaks to it
   in version 1 (config->abi_version == 1).  The suite must load it, never
   call an action, and find it conformant.  */
#include <stdint.h>
#include <string.h>

#include "emmi/pager_abi.h"

const struct emmi_pager *reference_pager_entry (void);

/* Version 1's layout, followed by what a reader of version 2 members would
   find there.  */
static struct
{
  uint32_t abi_version;
  const char *name;
  kern_return_t (*start) (const struct emmi_pager_config *, struct emmi_pager_object *);
  void (*stop) (void);
  uintptr_t guard[5];
} v1;

static kern_return_t
v1_start (const struct emmi_pager_config *config, struct emmi_pager_object *objects)
{
  if (config->abi_version != 1)
    return KERN_INVALID_ARGUMENT;
  /* The reference pager inside speaks the current version.  */
  struct emmi_pager_config inner = *config;
  inner.abi_version = EMMI_PAGER_ABI_VERSION;
  return reference_pager_entry ()->start (&inner, objects);
}

EMMI_PAGER_EXPORT const struct emmi_pager *
emmi_pager_entry (void)
{
  const struct emmi_pager *inner = reference_pager_entry ();
  v1.abi_version = 1;
  v1.name = "abi-v1";
  v1.start = v1_start;
  v1.stop = inner->stop;
  for (size_t i = 0; i < sizeof v1.guard / sizeof v1.guard[0]; i++)
    v1.guard[i] = (uintptr_t) 0xdeadbeef0badf00dull;
  return (const struct emmi_pager *) (const void *) &v1;
}
