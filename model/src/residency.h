// SPDX-License-Identifier: MIT
// What the model follows of a page's life in the kernel beyond "resident or
// not" (SEMANTICS.md, "Residency"): whether the pager supplied it precious
// (SU7: the kernel must give a precious page back, never drop it), whether
// the kernel dropped it silently before asking for it again (RT3), and
// whether a data_error failed its last request so that the next request is
// a client's retry the pager must expect (ER2). Pure helpers over the state;
// the checks that use them are in the step (kernel_sent.cpp,
// control_called.cpp, control_data.cpp, quiescence.cpp).
#pragma once

#include <cstddef>

#include "state.h"

namespace emmi::model::detail::residency {

enum Flag : std::uint8_t {
  precious = 1,         // resident, supplied precious
  dropped = 2,          // requested again after the kernel dropped it silently (RT3)
  errored = 4,          // absent: data_error answered its last request
  retry = 8,            // requested again after a data_error (ER2)
  refused = 16,         // requested; a supply with a reply port stopped before it (SC4)
  unlock_refused = 32,  // left the cache by a flush that refused its unlock (UL4);
                        // kept through the next request, for UL5
};

void init_pages(Pair& p, std::size_t pages);
void clear(Pair& p);
inline bool has(const Pair& p, std::size_t i, Flag f) { return (p.life_flags[i] & f) != 0; }

// A data_request for page i: what the kernel did with the page before (a
// resident page was dropped silently; a failed one is retried). Returns
// true when the kernel dropped a precious page without returning it (SU7).
bool request(Pair& p, std::size_t i);
// The page became resident (supply, zero fill) or left the cache.
void filled(Pair& p, std::size_t i, bool is_precious);
void left(Pair& p, std::size_t i);
// data_error answered the page's request.
void failed(Pair& p, std::size_t i);
// A lock_request flushed page i while its data_unlock was outstanding: the
// pager refused the unlock (UL4). Its next request is the one UL5 lets the
// pager fail with data_error.
inline void unlock_refused_by_flush(Pair& p, std::size_t i) { p.life_flags[i] |= unlock_refused; }
// A supply with a reply port stopped at a present page before requested
// page i: supply_completed told the pager (KERN_MEMORY_PRESENT, SC4).
inline void refused_by_supply(Pair& p, std::size_t i) { p.life_flags[i] |= refused; }

}  // namespace emmi::model::detail::residency
