// SPDX-License-Identifier: MIT
// What the model says about an event: a rule from emmi-rules.md was broken,
// by whom, and why, in one line that names the ports and seqnos involved.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "emmi/model/types.h"

namespace emmi::model {

struct Verdict {
  std::string_view rule;          // a rule ID of emmi-rules.md, e.g. "SQ7" (static storage)
  Party party;                    // who broke it
  std::string explanation;        // one line: ports, seqnos, offsets involved
  std::uint64_t event_index = 0;  // index (0-based) of the event that revealed it;
                                  // for quiescence checks, the number of events applied
  // Set (to the X-note, "X6" or "X18") when the act breaks only the manual
  // pages' reading of the rule and the model reads that X-note GNU Mach's
  // way (WorldConfig::readings): harmless on the target platform, reported
  // as a portability finding. Empty for a violation (static storage).
  std::string_view portability{};
};

std::string to_string(const Verdict& v);

}  // namespace emmi::model
