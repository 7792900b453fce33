// SPDX-License-Identifier: MIT
// What the parent makes of a case's child: its records (case_record.h) and
// how it ended, as a CaseOutcome. A record that does not decode is an
// unresolved verdict (IN2, the suite's side) naming the record, never an
// exception and never a verdict on the pager.
#pragma once

#include "emmi/engine/case_runner.h"
#include "emmi/engine/isolation.h"

namespace emmi::engine {

CaseOutcome outcome_of(const ChildOutcome& child);

}  // namespace emmi::engine
