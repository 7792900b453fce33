// SPDX-License-Identifier: MIT
// The schedule of a case's child: how the pager's threads are run under
// mach::ControlledScheduling for the case (strategy, seed, PCT depth and
// budget, timer horizon), the settling of the pager between commands, and
// what the parent is told about the schedule afterwards.
#pragma once

#include <string>

#include "case_record.h"
#include "emmi/engine/profile.h"
#include "emmi/engine/replay_token.h"
#include "emmi/mach/scheduler.h"
#include "recorder.h"

namespace emmi::engine {

// Pauses of the perturber as short as it asks: the default timer slack
// (50 us) would stretch each to several times its length. Threads the
// pager starts later inherit it.
void shorten_timer_slack();

// The case's schedule: the spec's strategy and seed, the profile's limits.
mach::ScheduleOptions schedule_options(const Profile& profile, const CaseSpec& spec);

// Lets the pager run until it is quiescent; false when it can never go on
// (a wait-for cycle, or a thread blocked for good mid-handler) or, in an
// uncontrolled case, did not settle within the wall bound. The recorder is
// told why (`after` says when: "after command 3 (...)").
bool settle(mach::ControlledScheduling& sched, Recorder& recorder, const Profile& profile,
            const std::string& after);

// How the case was scheduled, for the parent.
record::Schedule schedule_record(const mach::ControlledScheduling& sched);

}  // namespace emmi::engine
