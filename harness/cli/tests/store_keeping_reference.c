/* SPDX-License-Identifier: MIT */
/* The reference pager as store_keeping_pager.c wraps it: its releases go to
   keep_vm_deallocate, and its entry is renamed so that the wrapper's is the
   one the suite finds.  */
#define vm_deallocate keep_vm_deallocate
#define emmi_pager_entry reference_pager_entry
#include "reference_pager.c"
