// SPDX-License-Identifier: MIT
// Page residency in the model; see residency.h and SEMANTICS.md, "Residency".
#include "residency.h"

#include <algorithm>

namespace emmi::model::detail::residency {

void init_pages(Pair& p, std::size_t pages) { p.life_flags.assign(pages, 0); }

void clear(Pair& p) { std::fill(p.life_flags.begin(), p.life_flags.end(), std::uint8_t{0}); }

bool request(Pair& p, std::size_t i) {
  std::uint8_t& f = p.life_flags[i];
  bool lost_precious = false;
  if (p.pages[i] == PageState::resident) {
    // Faulted in again with no data_return since it was filled: GNU Mach's
    // pageout freed the clean page without telling the pager (RT3), which
    // it never does to a precious one (SU7).
    lost_precious = (f & precious) != 0;
    f = dropped;
  } else if (p.pages[i] == PageState::absent) {
    f = static_cast<std::uint8_t>(((f & errored) != 0 ? retry : 0) | (f & unlock_refused));
  }
  return lost_precious;
}

void filled(Pair& p, std::size_t i, bool is_precious) {
  p.life_flags[i] = is_precious ? precious : 0;
}

void left(Pair& p, std::size_t i) { p.life_flags[i] &= unlock_refused; }

void failed(Pair& p, std::size_t i) { p.life_flags[i] = errored; }

}  // namespace emmi::model::detail::residency
