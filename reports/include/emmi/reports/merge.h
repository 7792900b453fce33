// SPDX-License-Identifier: MIT
// Joins the reports of the shards of one run (GTEST_SHARD_INDEX style) into
// the report of the whole run, for `emmi-cts merge`.
#pragma once

#include <vector>

#include "emmi/reports/result.h"

namespace emmi::reports {

// Per rule, the merged verdict is the most severe shard verdict (so any fail
// makes it fail, and not-applicable survives only if no shard exercised the
// rule); exercised counts add up; message, waiver and counterexample come from
// the first shard (by index) whose verdict decided. cases_run and duration_s
// add up (duration is the work summed over shards, not wall time); started_at
// is the earliest. The result has no shard and lists the shards in
// merged_from.
//
// Throws MergeError when: there are no reports; a report has no shard info
// (unless it is the only report, which is returned as is); shards disagree on
// the total; a shard index is duplicated or missing; or the shards disagree
// on suite version, pager sha256, dialect, profile, seed, parameters,
// conformance mode, or a rule's group/title/level.
RunReport merge(const std::vector<RunReport>& shards);

}  // namespace emmi::reports
