// SPDX-License-Identifier: MIT
// Copies of MEMORY_OBJECT_COPY_CALL objects: CP3 (copies.h).
#include "copies.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail::copies {

bool is_copy(const State& s, ObjectId o) { return o < s.copies.of.size() && s.copies.of[o].made; }

Found made(State& s, const KernelSent& e, std::uint32_t kidx) {
  Found f;
  if (s.copies.of.size() < s.config.objects) s.copies.of.resize(s.config.objects);
  if (e.copy_object >= s.config.objects || e.copy_object == e.object ||
      s.objects[e.copy_object].offered || s.copies.of[e.copy_object].made) {
    f.report(rule::CP3, Party::suite,
             cat("memory_object_copy of object ", dec(e.object), " names new object ",
                 dec(e.copy_object), ", which is no free object slot of the world"));
    return f;
  }
  CopyRec& c = s.copies.of[e.copy_object];
  c.made = true;
  c.original = e.object;
  c.kernel = kidx;
  c.offset = e.offset;
  c.length = e.length;
  const std::size_t blocks = e.length / kBlockSize;
  c.expect.assign(blocks, 0);
  c.known.assign(blocks, 0);
  const ObjectRec& o = s.objects[e.object];
  for (std::size_t i = 0; i < blocks; ++i) {
    if (i < e.resident.size() && e.resident[i] != 0 && i < e.stamps.size()) {
      c.expect[i] = e.stamps[i];
      c.known[i] = 1;
      continue;
    }
    // Not in this kernel's memory: the contents the kernels last returned,
    // unless some kernel holds the block (another kernel's contents may
    // differ) or this one is being supplied it: the supply the pager sent
    // before it knew of the copy may let the kernel write the page before
    // the pager hears of the copy (GNU Mach's supply sets the lock it
    // brings), so what the range held then is not the pager's to keep.
    const Offset at = e.offset + i * kBlockSize;
    const std::size_t b = at / kBlockSize;
    if (b >= o.blocks.size() || o.blocks[b].last_index == 0) continue;
    bool elsewhere = false;
    for (std::uint32_t k = 0; k < s.kernels.size(); ++k) {
      const Pair& q = s.pair(e.object, k);
      const std::size_t page = at / s.kernels[k].page_size;
      if (page < q.pages.size() && q.pages[page] != PageState::absent) elsewhere = true;
    }
    if (elsewhere) continue;
    c.expect[i] = o.blocks[b].last;
    c.known[i] = 1;
  }
  return f;
}

bool bind(State& s, const KernelSent& e) {
  if (!is_copy(s, e.object)) return false;
  ObjectRec& obj = s.objects[e.object];
  if (obj.offered) return false;
  PortRec& r = s.port(e.destination);
  r.role = Role::object;
  r.owner = e.object;
  if (!r.receive) {
    r.receive = true;
    r.next = 0;
    r.fresh = true;
  }
  obj.port = e.destination;
  obj.offered = true;
  return true;
}

void returned(State& s, const KernelSent& e) {
  if (!is_copy(s, e.object) || e.offset % kBlockSize != 0) return;
  CopyRec& c = s.copies.of[e.object];
  for (Size d = 0; d < e.length; d += kBlockSize) {
    const std::size_t i = (e.offset + d) / kBlockSize;
    if (i < c.known.size()) c.known[i] = 0;
  }
}

Found accepted(State& s, const ControlCalled& e, const Pair& p) {
  Found f;
  if (!is_copy(s, p.object) || e.offset % kBlockSize != 0) return f;
  const bool supply = e.call == ControlCall::data_supply;
  if (!supply && e.call != ControlCall::data_unavailable) return f;
  CopyRec& c = s.copies.of[p.object];
  const Size ps = s.page_size_of(p);
  const std::size_t b0 = e.offset / kBlockSize;
  bool reported = false;
  for (std::size_t j = 0; j < e.stamps.size(); ++j) {
    const std::size_t i = b0 + j;
    if (i >= c.known.size()) break;
    const Offset at = i * kBlockSize;
    // GNU Mach stops a supply at the first page it already holds (§3e);
    // a data_unavailable fills only the pages being requested.
    if (supply && e.present_at && at >= *e.present_at) break;
    if (!supply) {
      const std::size_t page = at / ps;
      if (page >= p.pages.size() || p.pages[page] != PageState::requested) continue;
    }
    if (c.known[i] == 0) continue;
    f.check(rule::CP3);
    if (e.stamps[j] != c.expect[i] && !reported) {
      reported = true;
      f.report(rule::CP3, Party::pager,
               cat(supply ? "data_supply" : "data_unavailable", " on control ", hex(e.control),
                   " gives block ", hex(at), " of object ", dec(p.object),
                   " (the copy the kernel made of object ", dec(c.original), " at ", hex(c.offset),
                   ") as ", hex(e.stamps[j]),
                   supply ? std::string() : std::string(", read from the original's page now"),
                   ", but the original held ", hex(c.expect[i]),
                   " when the copy was made: a copy must read as the range did then, so the "
                   "pager must keep those contents before the original changes"));
    }
  }
  return f;
}

}  // namespace emmi::model::detail::copies
