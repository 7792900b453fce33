// SPDX-License-Identifier: MIT
// What a data_supply owes beyond the pages it answers; see supply.h.
#include "supply.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail::supply {

Found accepted(State& s, const ControlCalled& e, const Pair& p) {
  Found out;
  if (e.call != ControlCall::data_supply) return out;
  // SU9: "pointer to page aligned in array of bytes" (data_supply.html):
  // page aligned in the sender's space, whose page is the pager task's
  // vm_page_size, whatever page size the receiving kernel uses.
  // The address itself varies from run to run; only its offset in the page
  // is worded, so a replay gives the same explanation.
  if (e.data_address && e.data_page_size != 0) {
    out.check(rule::SU9);
    if (*e.data_address % e.data_page_size != 0)
      out.report(rule::SU9, Party::pager,
                 cat("data_supply on control ", hex(e.control), " at offset ", hex(e.offset),
                     " size ", hex(e.size), " for object ", dec(p.object), " sends its data from ",
                     hex(*e.data_address % e.data_page_size),
                     " bytes past a page boundary of the pager's space (page size ",
                     hex(e.data_page_size), "): not page aligned"));
  }
  // SU10: "the pages to be copied (starting at data) will be deallocated
  // from the memory manager's address space" (data_supply.html). The kernel
  // took them away; from here a touch faults, and the engine charges that
  // crash to SU10 (harness/engine/src/case_runner.cpp). Counted here, where
  // the supply is accepted with its pages gone.
  if (e.data_withdrawn) out.check(rule::SU10);
  // SU11: a reply port the pager receives on is owed the completion.
  if (e.reply_to != kNullPort) {
    const PortRec* reply = s.find_port(e.reply_to);
    if (reply != nullptr && reply->receive) s.supply.owed.push_back(e.reply_to);
  }
  return out;
}

Found sent(State& s, const KernelSent& e) {
  Found out;
  if (e.kind != MessageKind::supply_completed) return out;
  auto it = std::find(s.supply.owed.begin(), s.supply.owed.end(), e.destination);
  if (it == s.supply.owed.end()) return out;
  // SU11: the pager named a reply port and the kernel answered there
  // (the permission used; which pages it took is SC4's and SC5's).
  out.check(rule::SU11);
  s.supply.owed.erase(it);
  return out;
}

}  // namespace emmi::model::detail::supply
