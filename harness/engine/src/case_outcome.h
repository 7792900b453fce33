// SPDX-License-Identifier: MIT
// What the parent makes of a case's child: its records (case_record.h) and
// how it ended, as a CaseOutcome. A record that does not decode is an
// unresolved verdict (IN2, the suite's side) naming the record, never an
// exception and never a verdict on the pager.
#pragma once

#include "case_record.h"
#include "emmi/engine/case_runner.h"
#include "emmi/engine/isolation.h"

namespace emmi::engine {

CaseOutcome outcome_of(const ChildOutcome& child);

// The Z3 cross-check of the child's explicit SQ7 search (a HistoryCheck
// record): `z3` is the oracle's answer (oracle.h). A disagreement, an answer
// that does not decode, or a history the helper could not decode is the
// suite's fault (an unresolved SQ7 verdict), never the pager's; no answer
// (Z3 said unknown, no helper) is no verdict.
void cross_check_with_z3(CaseOutcome& o, bool explicit_answer, std::uint64_t index,
                         const Decoded<record::OracleAnswer>& z3);

}  // namespace emmi::engine
