// SPDX-License-Identifier: MIT
// Test profiles: how big the simulated world is and how hard the engine
// searches. `quick` is for pre-commit, `standard` is the default and the CI
// gate, `exhaustive` is for long runs. README.md documents the figures.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emmi::engine {

struct World {
  std::vector<std::uint64_t> kernel_page_sizes;  // one entry per kernel
  std::uint32_t objects = 1;
  std::uint64_t object_size = 65536;              // bytes, a multiple of every page size
  // The pager plays the default memory manager (world_for, pager_library.h):
  // the kernels may create temporary objects of object_size bytes and page
  // them out (command_specs.cpp).
  bool default_pager = false;

  std::uint32_t pages(std::size_t kernel) const {
    return static_cast<std::uint32_t>(object_size / kernel_page_sizes.at(kernel));
  }
};

struct Profile {
  std::string name;
  World world;
  std::uint32_t units = 4;            // independent searches (the unit of --jobs and --shard)
  std::uint32_t cases = 25;           // RapidCheck max_success per unit and round
  // RapidCheck max_size. A case at size s has 1 to s+1 commands, and the
  // size grows from 0 to max_commands over a unit's cases, so a case has
  // about max_commands / 4 commands on average: each case pays for a fork
  // and a pager start, and longer cases spread that over more commands.
  std::uint32_t max_commands = 72;
  std::uint32_t rounds = 4;           // searches for further failing rules
  std::uint32_t pager_threads = 3;    // server threads the pager is asked to run
  // Controlled scheduling (harness/mach/include/emmi/mach/scheduler.h): PCT
  // with bug depth `pct_depth`, its step estimate k taken as
  // pct_steps_per_command choice points per command (measured: 2 for the
  // reference pager, 2.4 for the worker pool, 5 for thread-per-request).
  // Which strategy schedules a case: PCT, a random walk, or both, case by
  // case (a portfolio: PCT finds bugs of small depth among many steps, the
  // random walk ones that need a switch at one particular point).
  enum class Schedules : std::uint8_t { portfolio, pct, random_walk };
  Schedules schedules = Schedules::portfolio;
  std::uint32_t pct_depth = 3;
  std::uint64_t pct_steps_per_command = 4;
  std::chrono::milliseconds timer_horizon{60000};  // virtual time per settle
  std::chrono::milliseconds run_free_after{1000};  // see ScheduleOptions::run_free_after
  // Only for a case that ran uncontrolled: how long to wait for every pager
  // thread to block before the case is unresolved.
  std::chrono::milliseconds quiescence_bound{2000};
  std::chrono::milliseconds case_wall{8000};        // then: timeout verdict
};

std::optional<Profile> profile_named(std::string_view name);
std::vector<std::string_view> profile_names();

}  // namespace emmi::engine
