// SPDX-License-Identifier: MIT
// Replay tokens: a case exactly, its kernel commands (the state machine's,
// properties/state_machine) with the schedule that fixes the interleaving of
// the pager's threads. What `emmi-cts run --replay` takes and a
// counterexample prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/mach/scheduler.h"
#include "emmi/properties/command.h"

namespace emmi::engine {

// The kernel commands, as the engine names them.
using properties::Command;
using properties::CommandKind;
using properties::describe;
using properties::to_string;

// Replay tokens: the command list and the schedule (strategy, depth, seed),
// in a compact printable form ("emmi2:" prefix, then URL-safe base64).
struct CaseSpec {
  std::vector<Command> commands;
  // The schedule: with the commands, it fixes the interleaving of the
  // pager's threads (controlled scheduling makes a case deterministic).
  std::uint64_t schedule_seed = 0;
  mach::Strategy strategy = mach::Strategy::pct;
  std::uint8_t pct_depth = 0;  // 0: the profile's

  friend bool operator==(const CaseSpec&, const CaseSpec&) = default;
};

std::string encode_replay_token(const CaseSpec& spec);
// nullopt for a token that is malformed or of another version.
std::optional<CaseSpec> decode_replay_token(std::string_view token);

}  // namespace emmi::engine
