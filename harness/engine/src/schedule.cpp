// SPDX-License-Identifier: MIT
// A case's schedule; see schedule.h.
#include "schedule.h"

#include <sys/prctl.h>

#include <fmt/format.h>

namespace emmi::engine {

void shorten_timer_slack() { ::prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0); }

mach::ScheduleOptions schedule_options(const Profile& profile, const CaseSpec& spec) {
  mach::ScheduleOptions schedule;
  schedule.strategy = spec.strategy;
  schedule.seed = spec.schedule_seed;
  schedule.pct_depth = spec.pct_depth != 0 ? spec.pct_depth : profile.pct_depth;
  schedule.pct_steps = profile.pct_steps_per_command * (spec.commands.size() + 1);
  schedule.timer_horizon = profile.timer_horizon;
  schedule.run_free_after = profile.run_free_after;
  // Free by a third of the case's wall-clock limit at the latest, so that a
  // spinning pager on a loaded machine ends as unresolved, not as a case
  // killed for taking too long.
  schedule.run_free_wall = profile.case_wall / 3;
  return schedule;
}

bool settle(mach::ControlledScheduling& sched, Recorder& recorder, const Profile& profile,
            const std::string& after) {
  const mach::Settled settled = sched.settle(profile.quiescence_bound);
  if (settled == mach::Settled::unobservable) {
    recorder.unresolved(
        fmt::format("the pager cannot be judged idle {}: {}", after, sched.foreign_threads()));
    return false;
  }
  if (settled == mach::Settled::busy) {
    recorder.unresolved(fmt::format(
        "the case ran uncontrolled ({}) and the pager did not settle within {} ms {}; the "
        "suite cannot tell a hang from a busy wait or a thread blocked outside the calls it "
        "intercepts",
        sched.uncontrolled_reason(), profile.quiescence_bound.count(), after));
    return false;
  }
  std::string why;
  for (const std::string& cycle : sched.deadlock_cycles()) why += (why.empty() ? "" : "; ") + cycle;
  if (why.empty()) why = recorder.blocked_in_handler(sched.threads());
  if (why.empty()) return true;
  recorder.stuck(fmt::format("the pager can make no more progress {}: {}", after, why));
  return false;
}

record::Schedule schedule_record(const mach::ControlledScheduling& sched) {
  return {sched.uncontrolled(),
          sched.scheduling_points(),
          sched.preemptions(),
          sched.decision_digest(),
          one_line(sched.uncontrolled_reason()),
          sched.choice_points(),
          one_line(sched.foreign_threads())};
}

}  // namespace emmi::engine
