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
  std::string_view rule;    // a rule ID of emmi-rules.md, e.g. "SQ7" (static storage)
  Party party;              // who broke it
  std::string explanation;  // one line: ports, seqnos, offsets involved
  std::uint64_t event_index = 0;  // index (0-based) of the event that revealed it;
                                  // for quiescence checks, the number of events applied
};

std::string to_string(const Verdict& v);

}  // namespace emmi::model
