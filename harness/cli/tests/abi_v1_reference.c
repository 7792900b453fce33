/* SPDX-License-Identifier: MIT */
/* The reference pager as abi_v1_pager.c wraps it: its entry is renamed so
   that the wrapper's is the one the suite finds.  */
#define emmi_pager_entry reference_pager_entry
#include "reference_pager.c"
