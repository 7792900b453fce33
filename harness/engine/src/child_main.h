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
#include "emmi/mach/withdrawn.h"

namespace emmi::engine {

int child_main(RecordWriter& out, const PagerLibrary& lib, const Profile& profile,
               const CaseSpec& spec, const CaseOptions& options);

// The fault note for a touch at `address` of the withdrawn pages `w`
// (emmi/mach/withdrawn.h): the record's rule, and where in the pages and
// which message took them, named as the model names a control call.
// Async-signal-safe: the child's fault handler calls it.
void describe_withdrawn_pages(const mach::WithdrawnPages& w, std::uint64_t address,
                              FaultNote& note) noexcept;

}  // namespace emmi::engine
