/* SPDX-License-Identifier: MIT */
/* What the Hurd-style server stubs need (see mig-mutate.h).  */
#ifndef HURD_GLUE_H
#define HURD_GLUE_H

#include <mach.h>

struct pager;
typedef struct pager *pager_t;

pager_t begin_using_pager (mach_port_t port);
pager_t begin_using_pager_payload (unsigned long payload);
void end_using_pager (pager_t p);

#endif
