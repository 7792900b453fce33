// SPDX-License-Identifier: MIT
// Generation of kernel command sequences for RapidCheck. The abstract state
// tracks what a conforming kernel has mapped and which pages it holds, so
// every generated sequence is a legal kernel's; shrinking keeps it legal.
// Commands are drawn by weight (RapidCheck's state machine draws uniformly),
// so rare but important paths — bursts that make seqno order matter — are hit.
#pragma once

#include <rapidcheck.h>

#include <set>
#include <vector>

#include "emmi/properties/command.h"
#include "emmi/properties/world.h"

namespace emmi::properties {

struct PairState {
  bool mapped = false;
  // Unmapped while holding pages: the kernel may keep the object in its
  // cache (when the pager allowed may_cache) until it is collected, the
  // pager turns caching off or destroys it.
  bool cached = false;
  std::set<std::uint16_t> resident;  // kernel pages the kernel holds (assumed supplied)
  std::set<std::uint16_t> touched;   // pages faulted or evicted so far in the case
};

// A temporary object a kernel created (world.default_pager only); only
// that kernel maps it. Pages in that kernel's page size.
struct TemporaryState {
  std::uint8_t kernel = 0;
  std::set<std::uint16_t> resident;   // pages the kernel holds
  std::set<std::uint16_t> paged_out;  // pages it paged out at least once
  std::set<std::uint16_t> touched;    // pages faulted or paged out so far
  bool terminated = false;            // terminate sent: no more commands on it
};

// A copy of a range of a COPY_CALL object (copy_range, copy_then_write):
// `pages` pages of the kernel's page size, made by `kernel`.
struct CopyState {
  std::uint8_t kernel = 0;
  std::uint16_t pages = 0;
  std::set<std::uint16_t> resident;
  std::set<std::uint16_t> touched;
  bool unmapped = false;
};

struct CaseModel {
  World world;
  std::vector<PairState> pairs;  // index: object * kernels + kernel
  // Temporary objects in the order the kernels created them: a temporary
  // command's `object` is an index here.
  std::vector<TemporaryState> temporaries;
  // At most this many per case: every one costs the pager a port and a
  // store, and two already let requests of two objects interleave.
  static constexpr std::size_t kMaxTemporaries = 2;
  // Copies in the order they were made: a copy command's `object`.
  std::vector<CopyState> copies;

  explicit CaseModel(World w);
  PairState& pair(std::size_t object, std::size_t kernel);
  const PairState& pair(std::size_t object, std::size_t kernel) const;
};

// Whether `c` is something a conforming kernel may do in `m`.
bool enabled(const CaseModel& m, const Command& c);
void apply(CaseModel& m, const Command& c);

struct Weighted {
  std::uint32_t weight;
  Command command;
};

// Every enabled command with its weight, in a deterministic order.
std::vector<Weighted> enabled_commands(const CaseModel& m);

// Draws one element by weight; shrinks towards the first element.
template <typename T>
rc::Gen<T> weighted_choice(std::vector<std::pair<std::uint32_t, T>> choices) {
  std::uint64_t total = 0;
  for (auto& [w, v] : choices) total += w;
  // inRange scales with the size RapidCheck is generating at; the choice of
  // command must not, so it is drawn at full size.
  return rc::gen::map(rc::gen::resize(rc::kNominalSize, rc::gen::inRange<std::uint64_t>(0, total)),
                      [choices = std::move(choices)](std::uint64_t r) {
                        for (auto& [w, v] : choices) {
                          if (r < w) return v;
                          r -= w;
                        }
                        return choices.back().second;
                      });
}

// A whole case: a legal command sequence of at most `max_commands` commands.
rc::Gen<std::vector<Command>> gen_case(const World& world);

}  // namespace emmi::properties
