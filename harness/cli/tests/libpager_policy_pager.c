/* SPDX-License-Identifier: MIT */
/* The reference pager with Hurd libpager's memory_object_init policy, for
   the platform tests: an init whose page size is not 4 KiB (libpager
   compares it with vm_page_size) and a second init of an object while
   another kernel's is in force (libpager keeps one control port per pager,
   "pager dup init") are ignored: no memory_object_ready, no
   memory_object_destroy.  GNU Mach sends neither (one kernel per object
   port, PAGE_SIZE pages), so on --platform gnumach the pager conforms; on
   --platform manual the kernels GNU Mach never makes wait for ready
   forever, which is exactly RD1.  The policy itself is the
   EMMI_LIBPAGER_INIT_POLICY block of reference_pager.c's init handler,
   which runs in the object's seqno turn (so a re-init after terminate is
   never mistaken for a duplicate).  */
#define EMMI_LIBPAGER_INIT_POLICY 1
#include "reference_pager.c"
