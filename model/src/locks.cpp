// SPDX-License-Identifier: MIT
// Page locks in the model; see locks.h and SEMANTICS.md, "Page locks".
#include "locks.h"

#include "residency.h"

#include <algorithm>

namespace emmi::model::detail::locks {

void init_pages(Pair& p, std::size_t pages) {
  p.unlock.assign(pages, 0);
  p.flushing.assign(pages, 0);
}

void clear(Pair& p) {
  std::fill(p.unlock.begin(), p.unlock.end(), Prot{0});
  std::fill(p.flushing.begin(), p.flushing.end(), std::uint8_t{0});
}

std::optional<UnlockFault> unlock_fault(const Pair& p, std::size_t first, std::size_t last,
                                        Prot access) {
  for (std::size_t i = first; i < last; ++i) {
    if (p.pages[i] != PageState::resident) return UnlockFault{true, false, i};
    if ((access & p.prot[i]) == 0) return UnlockFault{false, true, i};
  }
  return std::nullopt;
}

void record_unlock(Pair& p, std::size_t first, std::size_t last, Prot access) {
  for (std::size_t i = first; i < last; ++i)
    if (p.pages[i] == PageState::resident) p.unlock[i] |= access;
}

LockEffect apply_lock_request(Pair& p, std::size_t first, std::size_t last, bool flush,
                              Prot lock_value) {
  LockEffect out;
  end_flush_window(p);
  for (std::size_t i = first; i < last; ++i) {
    if (p.pages[i] != PageState::resident) continue;  // LK7: cached pages only
    const bool outstanding = unlock_outstanding(p, i);
    if (flush) {
      if (outstanding) {
        ++out.refused;
        residency::unlock_refused_by_flush(p, i);
      }
      p.pages[i] = PageState::absent;
      p.prot[i] = 0;
      p.unlock[i] = 0;
      p.flushing[i] = 1;
      continue;
    }
    if (lock_value != kProtNoChange) p.prot[i] = lock_value;
    if (outstanding && (p.unlock[i] & p.prot[i]) == 0) {
      ++out.granted;
      p.unlock[i] = 0;
    }
  }
  return out;
}

bool take_flushed(Pair& p, std::size_t i) {
  if (i >= p.flushing.size() || p.flushing[i] == 0) return false;
  p.flushing[i] = 0;
  return true;
}

void end_flush_window(Pair& p) { std::fill(p.flushing.begin(), p.flushing.end(), std::uint8_t{0}); }

void expect_completion(State& s, PortName reply, Offset offset, Size size) {
  s.completions.push_back(PendingCompletion{reply, offset, size});
}

Completion complete(State& s, PortName destination, Offset offset, Size size) {
  auto mine = [&](const PendingCompletion& c) { return c.reply == destination; };
  auto exact = std::find_if(s.completions.begin(), s.completions.end(), [&](const auto& c) {
    return mine(c) && c.offset == offset && c.size == size;
  });
  if (exact != s.completions.end()) {
    s.completions.erase(exact);
    return Completion::matched;
  }
  auto other = std::find_if(s.completions.begin(), s.completions.end(), mine);
  if (other != s.completions.end()) {
    s.completions.erase(other);
    return Completion::wrong_range;
  }
  return Completion::unexpected;
}

}  // namespace emmi::model::detail::locks
