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

#include "emmi/model/model.h"
#include "emmi/properties/world.h"

namespace emmi::engine {

// The world a case is generated for (properties/state_machine), as the
// profiles size it.
using properties::kDefaultPlatform;
using properties::kPagerChangeAttributes;
using properties::kPagerFlush;
using properties::kPagerReadBackingStore;
using properties::kPagerReadStore;
using properties::kPagerShutdown;
using properties::kPagerSync;
using properties::Platform;
using properties::World;

// The target platform by name (README.md, "Platforms").
std::string_view to_string(Platform p);
std::optional<Platform> parse_platform(std::string_view name);
// GNU Mach's page size (PAGE_SIZE on i386 and x86_64), the only one its
// memory_object_init ever carries.
inline constexpr std::uint64_t kGnuMachPageSize = 4096;
// OSF MK's page size on i386, the one its memory_object_init carries there.
inline constexpr std::uint64_t kOsfPageSize = 4096;
// The platform whose kernels speak the dialect (resolve_dialect's names):
// osf for "osf", gnumach for the GNU Mach dialects.
Platform native_platform(std::string_view dialect);
// Why `dialect` cannot be judged on `platform` ("" when it can): GNU Mach
// speaks no OSF, an OSF kernel no GNU Mach dialect; the manual's strict
// reading takes either.
std::string platform_refuses(Platform platform, std::string_view dialect);

// How the model reads the X-notes on a platform.
model::Readings readings_of(Platform p);

struct Profile {
  std::string name;
  World world;
  std::uint32_t units = 4;   // independent searches (the unit of --jobs and --shard)
  std::uint32_t cases = 25;  // RapidCheck max_success per unit and round
  // RapidCheck max_size. A case at size s has 1 to s+1 commands, and the
  // size grows from 0 to max_commands over a unit's cases, so a case has
  // about max_commands / 4 commands on average: each case pays for a fork
  // and a pager start, and longer cases spread that over more commands.
  std::uint32_t max_commands = 72;
  std::uint32_t rounds = 4;         // searches for further failing rules
  std::uint32_t pager_threads = 3;  // server threads the pager is asked to run
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
  std::chrono::milliseconds case_wall{8000};  // then: timeout verdict
};

// A profile with the world of `platform`: on gnumach one 4 KiB kernel; on
// manual the kernels of every page size the profile plays plus a second
// 4 KiB one. The objects, their size and the search effort are the
// profile's on both.
std::optional<Profile> profile_named(std::string_view name, Platform platform = kDefaultPlatform);
std::vector<std::string_view> profile_names();

// The command line's world overrides, applied to a profile's world. Each
// throws emmi::InputError naming the option and the bad value.
//   page_sizes  "4096,8192": one kernel per size (decimal bytes, each a power
//               of two from 4096 up to the object size)
//   kernels     how many kernels (1 to 8); the page sizes (the override's or
//               the platform's) are used in turn until there are that many
//   objects     how many memory objects the pager offers (1 to 8)
struct WorldOverrides {
  std::string page_sizes;
  std::optional<std::uint32_t> kernels;
  std::optional<std::uint32_t> objects;
  bool empty() const { return page_sizes.empty() && !kernels && !objects; }
};
void apply_overrides(World& world, const WorldOverrides& overrides);

// "4096,4096,8192": the kernels' page sizes as the report and --page-sizes write them.
std::string page_sizes_text(const World& world);

}  // namespace emmi::engine
