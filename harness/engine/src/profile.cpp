// SPDX-License-Identifier: MIT
// The three profiles and the three platforms; see profile.h.
#include "emmi/engine/profile.h"

#include <charconv>

#include <fmt/format.h>

#include "emmi/errors.h"

namespace emmi::engine {

std::string_view to_string(Platform p) {
  switch (p) {
    case Platform::gnumach: return "gnumach";
    case Platform::manual: return "manual";
    case Platform::osf: return "osf";
  }
  return "?";
}

std::optional<Platform> parse_platform(std::string_view name) {
  if (name == "gnumach") return Platform::gnumach;
  if (name == "manual") return Platform::manual;
  if (name == "osf") return Platform::osf;
  return std::nullopt;
}

Platform native_platform(std::string_view dialect) {
  return dialect == "osf" ? Platform::osf : Platform::gnumach;
}

std::string platform_refuses(Platform platform, std::string_view dialect) {
  if (platform == Platform::manual || platform == native_platform(dialect)) return {};
  if (platform == Platform::gnumach)
    return "GNU Mach's kernel speaks only the GNU Mach dialects (gnumach, gnumach-seqnos): judge "
           "an OSF pager with --platform osf (its own kernels) or --platform manual (the strict "
           "reading of the pages)";
  return fmt::format(
      "an OSF kernel speaks only the OSF dialect, not {}: judge a GNU Mach pager "
      "with --platform gnumach or --platform manual",
      dialect);
}

model::Readings readings_of(Platform p) {
  model::Readings r;
  // The OSF kernels read X6 and X18 as GNU Mach does (profile.h): the act
  // is harmless there, a portability finding.
  const model::Reading reading = p == Platform::manual ? model::Reading::manual
                                                       : model::Reading::gnumach;
  r.unsolicited_supply = reading;    // X6
  r.unknown_name_release = reading;  // X18
  return r;
}

namespace {

// The kernels of a platform. The manual's page sizes are the profile's
// (every size the reference pager serves, and 32 KiB, which it refuses, so
// the refusal path runs), with a second 4 KiB kernel right after the first.
std::vector<std::uint64_t> kernels_of(Platform platform, std::vector<std::uint64_t> manual_sizes) {
  if (platform == Platform::gnumach) return {kGnuMachPageSize};
  if (platform == Platform::osf) return {kOsfPageSize};
  manual_sizes.insert(manual_sizes.begin() + 1, manual_sizes.front());
  return manual_sizes;
}

}  // namespace

std::optional<Profile> profile_named(std::string_view name, Platform platform) {
  using namespace std::chrono_literals;
  // The profiles differ only in these numbers: one row each, the world
  // (left empty in the row) built from the platform (kernels_of).
  struct Row {
    std::vector<std::uint64_t> manual_sizes;
    std::uint32_t objects;
    std::uint64_t object_size;
    Profile profile;
  };
  const Row rows[] = {
      {{4096, 16384, 32768},
       1,
       65536,
       {.name = "quick",
        .world = {},
        .units = 2,
        .cases = 15,
        .max_commands = 36,
        .rounds = 2,
        .pager_threads = 2,
        .pct_depth = 2}},
      {{4096, 8192, 16384, 32768},
       2,
       65536,
       {.name = "standard",
        .world = {},
        .units = 6,
        .cases = 25,
        .max_commands = 72,
        .rounds = 4,
        .pager_threads = 3,
        .pct_depth = 3}},
      {{4096, 8192, 16384, 32768},
       3,
       131072,
       {.name = "exhaustive",
        .world = {},
        .units = 16,
        .cases = 125,
        .max_commands = 144,
        .rounds = 8,
        .pager_threads = 4,
        .pct_depth = 4,
        .case_wall = 20s}},
  };
  for (const Row& row : rows) {
    if (name != row.profile.name) continue;
    Profile p = row.profile;
    p.world = {kernels_of(platform, row.manual_sizes), row.objects, row.object_size, platform};
    return p;
  }
  return std::nullopt;
}

std::vector<std::string_view> profile_names() { return {"quick", "standard", "exhaustive"}; }

std::string page_sizes_text(const World& world) {
  std::string out;
  for (auto s : world.kernel_page_sizes) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

namespace {

// Kernel and object indices are one byte in a replay token; more than a few
// only slow the search down.
constexpr std::uint32_t kMaxKernels = 8;
constexpr std::uint32_t kMaxObjects = 8;

}  // namespace

void apply_overrides(World& world, const WorldOverrides& o) {
  if (!o.page_sizes.empty()) {
    std::vector<std::uint64_t> sizes;
    std::string_view rest = o.page_sizes;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      std::uint64_t v = 0;
      auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (item.empty() || ec != std::errc() || end != item.data() + item.size())
        throw InputError("--page-sizes",
                         fmt::format("--page-sizes '{}': '{}' is not a number of bytes; expected "
                                     "a comma-separated list such as 4096,8192",
                                     o.page_sizes, item));
      if (v < 4096 || (v & (v - 1)) != 0 || v > world.object_size)
        throw InputError("--page-sizes",
                         fmt::format("--page-sizes '{}': {} is not a power of two from 4096 to "
                                     "the object size ({} bytes)",
                                     o.page_sizes, v, world.object_size));
      sizes.push_back(v);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (sizes.size() > kMaxKernels)
      throw InputError("--page-sizes", fmt::format("--page-sizes '{}': {} kernels, at most {}",
                                                   o.page_sizes, sizes.size(), kMaxKernels));
    world.kernel_page_sizes = std::move(sizes);
  }
  if (o.kernels) {
    if (*o.kernels == 0 || *o.kernels > kMaxKernels)
      throw InputError("--kernels",
                       fmt::format("--kernels {}: expected 1 to {}", *o.kernels, kMaxKernels));
    std::vector<std::uint64_t> sizes;
    for (std::uint32_t k = 0; k < *o.kernels; ++k)
      sizes.push_back(world.kernel_page_sizes[k % world.kernel_page_sizes.size()]);
    world.kernel_page_sizes = std::move(sizes);
  }
  if (o.objects) {
    if (*o.objects == 0 || *o.objects > kMaxObjects)
      throw InputError("--objects",
                       fmt::format("--objects {}: expected 1 to {}", *o.objects, kMaxObjects));
    world.objects = *o.objects;
  }
}

}  // namespace emmi::engine
