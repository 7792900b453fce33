// SPDX-License-Identifier: MIT
// The three profiles; see profile.h.
#include "emmi/engine/profile.h"

namespace emmi::engine {

std::optional<Profile> profile_named(std::string_view name) {
  using namespace std::chrono_literals;
  if (name == "quick") {
    Profile p;
    p.name = "quick";
    p.world = {{4096, 16384, 32768}, 1, 65536};
    p.units = 2;
    p.cases = 15;
    p.max_commands = 36;
    p.rounds = 2;
    p.pager_threads = 2;
    p.pct_depth = 2;
    return p;
  }
  if (name == "standard") {
    Profile p;
    p.name = "standard";
    // The 32 KiB kernel has a page size the reference pager refuses, so the
    // refusal path (memory_object_destroy, init error returns) is exercised.
    p.world = {{4096, 8192, 16384, 32768}, 2, 65536};
    p.units = 6;
    p.cases = 25;
    p.max_commands = 72;
    p.rounds = 4;
    p.pager_threads = 3;
    p.pct_depth = 3;
    return p;
  }
  if (name == "exhaustive") {
    Profile p;
    p.name = "exhaustive";
    p.world = {{4096, 8192, 16384, 32768}, 3, 131072};
    p.units = 16;
    p.cases = 125;
    p.max_commands = 144;
    p.rounds = 8;
    p.pager_threads = 4;
    p.pct_depth = 4;
    p.case_wall = 20s;
    return p;
  }
  return std::nullopt;
}

std::vector<std::string_view> profile_names() { return {"quick", "standard", "exhaustive"}; }

}  // namespace emmi::engine
