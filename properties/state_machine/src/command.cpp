// SPDX-License-Identifier: MIT
// Command names and descriptions; see command.h. Both come from the kind's
// entry in the command table.
#include "emmi/properties/command.h"

#include "emmi/properties/command_specs.h"

namespace emmi::properties {

std::string_view to_string(CommandKind k) {
  const CommandSpec* spec = find_spec(k);
  return spec ? spec->name : "?";
}

std::string describe(const Command& c) {
  const CommandSpec* spec = find_spec(c.kind);
  return spec ? spec->describe(spec->name, c) : "?";
}

}  // namespace emmi::properties
