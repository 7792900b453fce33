// SPDX-License-Identifier: MIT
// The world a case is generated for: the kernels and their page sizes, the
// pager's objects, the target platform, and what the pager offers beyond
// ordinary objects (the default-pager role, its own actions, COPY_CALL
// objects). The generator offers only commands this world allows; the
// engine's test profiles (profile.h in harness/engine) choose its figures,
// and the engine plays it on the simulated kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace emmi::properties {

// The target platform a run judges the pager for (the top-level README.md, "Platforms"):
//   gnumach  what GNU Mach does: one kernel per object port, with GNU Mach's
//            native 4 KiB page size, and GNU Mach's readings of the X-notes
//            (an unsolicited supply, X6, and a release of a right not held,
//            X18, are harmless there: portability findings, not failures).
//            The default: it is the kernel pagers are written for.
//   manual   the strict reading of the manual pages: several kernels with
//            mixed page sizes, two of them with the same page size (a pager
//            that tells kernels apart by page size rather than by control
//            port is caught), and X6/X18 read strictly.
//   osf      what an OSF Mach (MK) kernel does: the OSF dialect of the manual
//            pages on the wire (init without a name port, synchronize,
//            flavoured change_attributes), one kernel per object port with
//            4 KiB pages (OSF MK on i386), and the OSF kernels' readings of
//            the X-notes: data may be supplied in advance (X6: the xnu-123.5
//            memory_object_control.defs comment, an OSF MK descendant) and a
//            release of a name not held is harmless (X18: the OSF
//            mach_port_deallocate page itself says it succeeds). The
//            platform of the OSF dialect: a GNU Mach kernel speaks no OSF,
//            an OSF kernel no GNU Mach dialect (the engine's
//            RunConfig::platform_follows_dialect).
enum class Platform : std::uint8_t { gnumach, manual, osf };
inline constexpr Platform kDefaultPlatform = Platform::gnumach;

// The pager's own actions (World::pager_actions).
inline constexpr std::uint32_t kPagerSync = 1;
inline constexpr std::uint32_t kPagerFlush = 2;
inline constexpr std::uint32_t kPagerChangeAttributes = 4;
inline constexpr std::uint32_t kPagerShutdown = 8;
inline constexpr std::uint32_t kPagerReadStore = 16;
// emmi_pager_read_backing_store (emmi/pager_abi.h): both store reads may be
// made the moment a synchronize_completed is sent (SY6, SY8).
inline constexpr std::uint32_t kPagerReadBackingStore = 32;

struct World {
  std::vector<std::uint64_t> kernel_page_sizes;  // one entry per kernel
  std::uint32_t objects = 1;
  std::uint64_t object_size = 65536;     // bytes, a multiple of every page size
  Platform platform = kDefaultPlatform;  // the X-note readings the model takes
  // The pager plays the default memory manager (the engine's world_for,
  // pager_library.h in harness/engine): the kernels may create temporary
  // objects of object_size bytes and page them out (command_specs.cpp).
  bool default_pager = false;
  // The pager's own actions the engine may call (entry ABI version 2,
  // emmi/pager_abi.h): a mask of the kPager* bits above, from the pager's
  // non-NULL functions (world_for). The commands that call them are offered
  // only when their bit is set.
  std::uint32_t pager_actions = 0;
  // The kernels speak the OSF dialect of the manual pages (emmi-cts run
  // --dialect osf): init without a name port, synchronize commands
  // (command_specs.cpp), flavoured change_attributes.
  bool osf = false;

  // Whether the kernels copy COPY_CALL objects (memory_object_copy): GNU
  // Mach's platform, for a pager of ordinary objects (X14: the pages
  // document no such call).
  bool copies() const { return copy_call && copies_possible(); }
  bool copies_possible() const { return platform == Platform::gnumach && !osf && !default_pager; }
  // The pager makes some object ready with MEMORY_OBJECT_COPY_CALL: a probe
  // case (every object mapped) found so before the search (the engine's run_unit), so
  // that no other pager's search spends commands on copies never made.
  bool copy_call = false;
  // At most this many copies per case: each is a new object for the pager.
  static constexpr std::uint32_t kMaxCopies = 2;
  // The model's object slots: the pager's objects, then one per copy a case
  // may make.
  std::uint32_t object_slots() const { return objects + (copies_possible() ? kMaxCopies : 0); }

  std::uint32_t pages(std::size_t kernel) const {
    return static_cast<std::uint32_t>(object_size / kernel_page_sizes.at(kernel));
  }
};

}  // namespace emmi::properties
