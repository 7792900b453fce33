/* SPDX-License-Identifier: MIT */
/* The no_seqno_ordering mutant of the reference pager (its SEQNOS handlers
   ignore the seqno order: SQ7, and RT4 through it), built as a pager from
   before emmi_pager_dialects existed: reference_pager.c's declaration is
   renamed, so the suite finds none.  Under --dialect auto the suite must
   take it for a plain GNU Mach pager and charge it no SEQNOS rule (RT4, a
   duty in every dialect, stays); an explicit --dialect gnumach-seqnos is
   still allowed for it and charges SQ7.  */
#define EMMI_MUTANT_NO_SEQNO_ORDERING 1
#define EMMI_MUTANT_NAME "no_seqno_ordering-undeclared"
#define emmi_pager_dialects reference_pager_dialects_not_declared
#include "reference_pager.c"
