/* SPDX-License-Identifier: MIT */
/* The MIG mutations a Hurd library passes with -imacros (libpager's
   mig-mutate.h has this shape): the server stubs turn the request port into
   a pager_t with begin_using_pager, or with begin_using_pager_payload when
   the message carries a protected payload, and hand it to end_using_pager
   once the handler has returned.  The generated server includes
   "hurd_glue.h" for these declarations.  */
#define MEMORY_OBJECT_INTRAN pager_t begin_using_pager (memory_object_t)
#define MEMORY_OBJECT_INTRAN_PAYLOAD pager_t begin_using_pager_payload
#define MEMORY_OBJECT_DESTRUCTOR end_using_pager (pager_t)
#define MEMORY_OBJECT_IMPORTS import "hurd_glue.h";
