// SPDX-License-Identifier: MIT
// Write access across kernels (SEMANTICS.md, "Coherence"): SU3 and MK3.
//
// A kernel keeps its mappings coherent only within one host (PS3), so when
// several kernels map an object, keeping one writer at a time is the
// pager's job (MK3), and even for one kernel the pager must not hand out
// writable data again before the kernel's modifications are back (SU3).
// The model follows, per (object, kernel) pair and per 4 KiB block:
//   - whether the kernel holds the block writable: the pager granted write
//     (a data_supply whose lock_value allows writing, a data_unavailable,
//     whose zero-filled page has no lock, or a lock_request lowering the
//     lock so that it allows writing) and the kernel has not lost it since
//     (a flush, a lock_request that forbids writing, a data_return without
//     a kernel copy, a page dropped silently, terminate);
//   - whether the modifications the kernel may have made have reached the
//     pager. The pager knows only what it dequeued: they have when it took
//     the data_return that carried the block, the lock_completed of the
//     lock_request that recalled it (LK8: the only sure sign), or the
//     terminate behind every return; at once where nothing can carry them
//     (a page dropped silently is clean; a flush without return discards
//     them by the pager's own choice; a recall without a reply port that
//     brought nothing back: the suite cannot tell, so it does not fail).
// A write grant to kernel B on a block that another kernel holds writable,
// or whose modifications from another kernel have not reached the pager, is
// an MK3 violation; the same for B's own earlier modifications is SU3.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/model/event.h"

namespace emmi::model::detail {

struct State;
struct Pair;

namespace coherence {

// A message the pager must have dequeued: the `ordinal`-th message the
// kernel queued on receive right `port` (0: none).
struct Token {
  PortName port = kNullPort;
  std::uint64_t ordinal = 0;
};

// One kernel's hold on one block.
struct Hold {
  bool writable = false;     // the kernel may write the block now
  bool owed = false;         // its modifications may not have reached the pager
  Token returned;            // the latest message carrying them (data_return, terminate)
  Token completed;           // the lock_completed of the recall (LK8)
  std::uint32_t recall = 0;  // the recall waiting for its lock_completed (0: none)
  bool recalled = false;     // a recall returning the block was accepted
  // The kernel's memory_object_copy took its write access (the range's
  // resident pages are write-locked) while the page and any modifications
  // stay in the kernel: lowering that lock hands out no data.
  bool in_place = false;
};

// A lock_request that recalls modifications with a reply port: its
// lock_completed (LK5) becomes the `completed` token of its holds.
struct Recall {
  std::uint32_t id;
  std::uint32_t pair;
  PortName reply;
  Offset offset;
  Size size;
};

// How many messages the kernel queued on, and the pager dequeued from, a
// receive right.
struct PortCount {
  PortName port;
  std::uint64_t queued = 0;
  std::uint64_t taken = 0;
};

struct CoherenceState {
  std::vector<std::vector<Hold>> holds;  // per State::pairs index, per block (sized on use)
  std::vector<Recall> recalls;
  std::uint32_t next_recall = 1;
  std::vector<PortCount> ports;
};

using Check = std::function<void(std::string_view rule)>;
using Report = std::function<void(std::string_view rule, std::string text)>;

// The kernel queued a message on a receive right of the pager (after the
// model queued it): data_return, data_request, terminate and lock_completed
// move holds.
void on_sent(State& s, const KernelSent& e);
// The pager dequeued a message from `port`.
void on_dequeued(State& s, PortName port);
// A control call the kernel accepted on the live control port of pair `p`,
// before the model's page states change: write grants are judged (SU3,
// MK3), recalls and revocations recorded.
void on_accepted(State& s, const ControlCalled& e, const Pair& p, const Check& check,
                 const Report& report);

}  // namespace coherence
}  // namespace emmi::model::detail
