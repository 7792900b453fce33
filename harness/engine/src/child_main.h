// SPDX-License-Identifier: MIT
// The body of a case's child process: it builds the simulated kernel, starts
// the pager, plays the case's commands with the pager's threads under the
// case's schedule, settles after each, and streams what it observed to the
// parent as records (case_record.h). The parent reads them back with
// outcome_of (case_outcome.h).
#pragma once

#include "emmi/engine/case_runner.h"
#include "emmi/engine/isolation.h"
#include "emmi/engine/pager_library.h"

namespace emmi::engine {

int child_main(RecordWriter& out, const PagerLibrary& lib, const Profile& profile,
               const CaseSpec& spec, const CaseOptions& options);

}  // namespace emmi::engine
