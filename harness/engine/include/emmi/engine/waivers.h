// SPDX-License-Identifier: MIT
// Waivers: a project may accept a known failure of a rule for a while, with a
// reason and optionally an expiry date. A waived failure does not fail the
// run; an expired waiver waives nothing and is reported. Conformance mode
// accepts no waivers at all.
//
// File format (JSON):
//   { "waivers": [ { "rule": "SQ7", "reason": "...", "expires": "2027-06-30" } ] }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emmi/reports/result.h"

namespace emmi::engine {

struct WaiverEntry {
  std::string rule;
  std::string reason;
  std::optional<std::string> expires;  // YYYY-MM-DD
};

// Reads and validates a waivers file; throws emmi::InputError naming the file and
// what is wrong (not JSON, unknown rule, missing reason, bad date, duplicate).
std::vector<WaiverEntry> read_waivers(const std::string& path);

// Applies waivers to failing rules. `today` is YYYY-MM-DD. Returns one line
// per expired waiver that matched a failure (for the user).
std::vector<std::string> apply_waivers(reports::RunReport& report,
                                       const std::vector<WaiverEntry>& waivers,
                                       const std::string& today);

std::string today_utc();

}  // namespace emmi::engine
