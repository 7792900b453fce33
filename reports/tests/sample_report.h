// SPDX-License-Identifier: MIT
// Fixed result data for the report tests: a run of a seqno-reordering mutant
// that exercises every verdict, with counterexamples whose traces span two
// kernels and three pager threads, as the engine will produce them.
#pragma once

#include "emmi/reports/result.h"

namespace emmi::reports::testing {

// Every verdict appears at least once; SQ7 and IN9 fail with counterexamples,
// TM4 crashes with a partial trace, V6 (SHOULD) fails as an advisory finding.
// The 14 pager rules come first, then 3 self-checks (rules binding the
// kernel): IN3 and SQ5 held, RT1 broken by the suite's kernel (unresolved).
RunReport sample_report();

// A report where every rule passed or was not applicable.
RunReport conformant_report();

// The SQ7 counterexample trace on its own (kernels k0, k1; pager t0..t2).
std::vector<TraceEvent> sample_trace();

}  // namespace emmi::reports::testing
