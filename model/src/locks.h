// SPDX-License-Identifier: MIT
// Page locks in the model (SEMANTICS.md, "Page locks"): the lock value of
// each resident page, the access a data_unlock asked for and not granted
// yet, pages a lock_request flushed (whose write-back may follow), and the
// lock_completed messages the kernel owes. Pure helpers over the state; the
// checks that use them (UL*, LK*, SU6) are in the step (kernel_sent.cpp,
// control_called.cpp, quiescence.cpp), where every verdict is worded and
// reported.
#pragma once

#include <cstddef>
#include <optional>

#include "state.h"

namespace emmi::model::detail::locks {

// A lock value the kernel accepts in data_supply (SU6: within VM_PROT_ALL).
inline bool supply_lock_valid(Prot lock) { return (lock & ~kProtAll) == 0; }
// ... and in lock_request (LK4: within VM_PROT_ALL, or VM_PROT_NO_CHANGE).
inline bool request_lock_valid(Prot lock) {
  return supply_lock_valid(lock) || lock == kProtNoChange;
}

// Sizes the per-page lock vectors of a new pair.
void init_pages(Pair& p, std::size_t pages);
// The kernel forgets every page of the pair (init, terminate).
void clear(Pair& p);

// What a data_unlock for kernel pages [first, last) reveals about the kernel
// (UL1: it asks only about pages it caches; UL3: only for an access the lock
// forbids): the first page that breaks either, if any.
struct UnlockFault {
  bool not_cached = false;  // UL1
  bool not_locked = false;  // UL3
  std::size_t page = 0;
};
std::optional<UnlockFault> unlock_fault(const Pair& p, std::size_t first, std::size_t last,
                                        Prot access);
// Records the access asked for on the cached pages of [first, last).
void record_unlock(Pair& p, std::size_t first, std::size_t last, Prot access);

// A page whose data_unlock the pager has not answered yet: still cached and
// its lock still forbids part of what was asked (UL2).
inline bool unlock_outstanding(const Pair& p, std::size_t i) {
  return p.pages[i] == PageState::resident && (p.unlock[i] & p.prot[i]) != 0;
}

// The effect of a live, accepted lock_request on kernel pages [first, last)
// (LK3, LK4, LK7, LK14): flushed pages leave the cache (a write-back of
// them may follow, see `flushing`), the others take the new lock value.
// Returns how many outstanding unlocks it granted (UL2) and how many it
// refused by flushing (UL4).
struct LockEffect {
  std::size_t granted = 0;
  std::size_t refused = 0;
};
LockEffect apply_lock_request(Pair& p, std::size_t first, std::size_t last, bool flush,
                              Prot lock_value);
// A data_return of page i right after the lock_request that flushed it.
bool take_flushed(Pair& p, std::size_t i);
// Any other message about the pair ends the window for those returns.
void end_flush_window(Pair& p);

// lock_completed the kernel owes to `reply` (LK5), echoing offset and size
// (LK9).
void expect_completion(State& s, PortName reply, Offset offset, Size size);
enum class Completion { matched, wrong_range, unexpected };
Completion complete(State& s, PortName destination, Offset offset, Size size);

}  // namespace emmi::model::detail::locks
