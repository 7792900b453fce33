// SPDX-License-Identifier: MIT
// ControlCalled, data path (SEMANTICS.md, "Control calls"): whether
// data_supply, data_unavailable and data_error answer requests of this
// kernel, the contents they serve, and what they do to the kernel's pages.
// The rest of a control call is in control_called.cpp.
#include "step.h"

#include "contents.h"
#include "locks.h"
#include "residency.h"

namespace emmi::model::detail {

namespace {

// Which kernel pages of a call's range this pair requested (SU1, DR4, DR5),
// another kernel requested (DR8), or nobody did.
struct Answered {
  std::size_t requested = 0;  // pages of this pair the call answers
  Offset foreign_at = 0, resident_at = 0, unrequested_at = 0;
  std::uint32_t foreign_kernel = kNoIndex;
  bool resident = false, unrequested = false;
  bool unlock_pending = false;  // UL4: a resident page waits for an unlock answer
};

Answered classify(const State& s, const ControlCalled& e, const Pair& p) {
  const Size ps = s.page_size_of(p);
  const CallRange r = call_range(e, p, ps);
  Answered a;
  a.unrequested = r.end > s.config.object_size && e.size != 0;
  if (a.unrequested) a.unrequested_at = std::max<Offset>(e.offset, s.config.object_size);
  for (std::size_t i = r.first; i < r.last; ++i) {
    if (p.pages[i] == PageState::requested) {
      ++a.requested;
      continue;
    }
    Offset lo = std::max<Offset>(i * ps, e.offset), hi = std::min<Offset>((i + 1) * ps, r.end);
    std::uint32_t who = kNoIndex;
    for (std::uint32_t k = 0; k < s.kernels.size() && who == kNoIndex; ++k) {
      if (k == p.kernel) continue;
      const Pair& q = s.pair(p.object, k);
      Size qps = s.kernels[k].page_size;
      for (std::size_t j = lo / qps; j < q.pages.size() && j * qps < hi; ++j)
        if (q.pages[j] == PageState::requested) {
          who = k;
          break;
        }
    }
    if (who != kNoIndex) {
      if (a.foreign_kernel == kNoIndex) {
        a.foreign_kernel = who;
        a.foreign_at = lo;
      }
    } else if (p.pages[i] == PageState::resident) {
      if (!a.resident) a.resident_at = i * ps;
      a.resident = true;
      a.unlock_pending = a.unlock_pending || locks::unlock_outstanding(p, i);
    } else {
      if (!a.unrequested || a.unrequested_at > i * ps) a.unrequested_at = i * ps;
      a.unrequested = true;
    }
  }
  return a;
}

}  // namespace

bool Step::check_answered(const ControlCalled& e, const Pair& p, bool sizes_ok,
                          const std::function<std::string()>& where) {
  const Size ps = s_.page_size_of(p);
  const CallRange range = call_range(e, p, ps);
  const Answered a = classify(s_, e, p);
  const bool all_requested = a.foreign_kernel == kNoIndex && !a.resident && !a.unrequested;
  check(rule::DR8);
  if (e.call == ControlCall::data_error)
    for (std::size_t i = range.first; i < range.last; ++i)
      if (locks::unlock_outstanding(p, i)) check(rule::UL4);
  if (e.call == ControlCall::data_supply) {
    check(rule::SU1);
    check(rule::SU2);
  } else {
    check(e.call == ControlCall::data_unavailable ? rule::DR5 : rule::DR4);
  }
  // DR4: data_error says the pager cannot provide the data; with
  // KERN_SUCCESS as its error value the fault fails for no error.
  if (e.call == ControlCall::data_error && e.error_value && *e.error_value == kKernSuccess)
    report(rule::DR4, Party::pager,
           cat(where(),
               " carries the error value KERN_SUCCESS: the kernel fails the fault "
               "while the pager reports no error"));
  if (a.foreign_kernel != kNoIndex)
    report(rule::DR8, Party::pager,
           cat(where(), " answers kernel ", kernel_text(a.foreign_kernel), "'s request at ",
               hex(a.foreign_at), " on kernel ", kernel_text(p.kernel),
               "'s control port (MK2: the control port names the kernel)"));
  if (a.resident || a.unrequested) {
    std::uint32_t other = kNoIndex;
    if (sizes_ok && a.requested > 0) {
      for (std::uint32_t k = 0; k < s_.kernels.size() && other == kNoIndex; ++k) {
        Size kps = s_.kernels[k].page_size;
        if (k != p.kernel && kps > ps && s_.pair(p.object, k).current != kNoIndex &&
            e.offset % kps == 0 && e.size == kps)
          other = k;
      }
    }
    if (other != kNoIndex) {
      report(rule::MK4, Party::pager,
             cat(where(), " answers with kernel ", kernel_text(other), "'s page size ",
                 hex(s_.kernels[other].page_size), " where kernel ", kernel_text(p.kernel),
                 " requested pages of ", hex(ps)));
    } else if (e.call == ControlCall::data_supply) {
      const Reading x6 = s_.config.readings.unsolicited_supply;
      if (a.resident)
        report_reading(rule::SU2, x6, "X6",
                       cat(where(), " overwrites page ", hex(a.resident_at),
                           ", which the kernel holds and did not request"));
      if (a.unrequested)
        report_reading(rule::SU1, x6, "X6",
                       cat(where(), " supplies page ", hex(a.unrequested_at), ", which kernel ",
                           kernel_text(p.kernel), " did not request"));
    } else if (e.call == ControlCall::data_error && a.unlock_pending) {
      // UL4: refusing an unlock takes a flush first; data_error answers
      // only the request the kernel then makes.
      report(rule::UL4, Party::pager,
             cat(where(), " refuses the unlock of page ", hex(a.resident_at),
                 " without flushing it first: the kernel still holds the page"));
    } else {
      report(e.call == ControlCall::data_unavailable ? rule::DR5 : rule::DR4, Party::pager,
             cat(where(), " answers page ", hex(a.resident ? a.resident_at : a.unrequested_at),
                 ", for which kernel ", kernel_text(p.kernel), " has no outstanding request"));
    }
  }
  return all_requested;
}

void Step::check_served(const ControlCalled& e, const Pair& p, std::uint32_t inc_index,
                        const std::function<std::string()>& where) {
  const Size ps = s_.page_size_of(p);
  const ObjectRec& o = s_.objects[p.object];
  std::size_t b0 = e.offset / kBlockSize;
  std::size_t nb = std::min<std::size_t>(o.blocks.size() > b0 ? o.blocks.size() - b0 : 0,
                                         e.size / kBlockSize);
  for (std::size_t i = 0; i < nb; ++i) {
    std::size_t page = (b0 + i) * kBlockSize / ps;
    std::uint32_t q = page < p.pages.size() && p.pages[page] == PageState::requested
                          ? p.req[page]
                          : ~std::uint32_t{0};
    Stamp want = 0;
    if (!o.blocks[b0 + i].expected(q, want)) continue;
    check(rule::RT4);
    // SY2 (osf.cpp): the block is covered by a completed synchronize
    // the kernel sent after the return that set `want`.
    const BlockHistory& h = o.blocks[b0 + i];
    const std::uint32_t at = h.last_index != 0 && h.last_index < q ? h.last_index : h.prev_index;
    std::string synced;
    if (osf::speaks_osf(s_, p.kernel))
      synced = osf::stale_after_sync(s_, p.object, (b0 + i) * kBlockSize, at);
    if (!synced.empty()) check(rule::SY2);
    // A copy object's data_unavailable reads the original's page
    // (copies.h): judged where the kernel reported what it read.
    const bool through = e.call == ControlCall::data_unavailable && copies::is_copy(s_, p.object);
    if (through && i >= e.stamps.size()) continue;
    bool bad = e.call == ControlCall::data_supply || through
                   ? (i < e.stamps.size() && e.stamps[i] != want)
                   : want != 0;
    // Contents a kernel returned after the request are newer still: a
    // pager that recalled another kernel's modifications before
    // answering (MK3) serves those.
    if (bad && h.last_index > q && q != ~std::uint32_t{0} &&
        h.last == (e.call == ControlCall::data_supply ? e.stamps[i] : Stamp{0}))
      bad = false;
    // UN1, UN3: data_unavailable makes the kernel zero-fill a user
    // object's page; for returned contents that are not zeros the
    // pager could provide the data, and it is lost. Not for a
    // COPY_TEMPORARY object, whose changes the pager need not see (CP5).
    const bool unavailable = e.call == ControlCall::data_unavailable && !through &&
                             q != ~std::uint32_t{0} && !contents::temporary(s_, inc_index);
    if (unavailable) {
      check(rule::UN1);
      check(rule::UN3);
    }
    if (bad && unavailable) {
      std::string text =
          cat(where(), " answers block ", hex((b0 + i) * kBlockSize), " of object ", dec(p.object),
              ", which the kernel returned to the pager as ", hex(want),
              ", with data_unavailable: the pager can provide the data, and the kernel "
              "zero-fills a user object's page, so the data is lost");
      report(rule::UN3, Party::pager, text);
      report(rule::UN1, Party::pager, std::move(text));
    }
    if (bad) {
      // SY2 first: stale contents after a completed synchronize.
      if (!synced.empty())
        report(rule::SY2, Party::pager,
               cat(where(), ": ", synced, " (it serves ",
                   e.call == ControlCall::data_supply ? hex(e.stamps[i]) : std::string("zeros"),
                   ", the kernel returned ", hex(want), ")"));
      report(rule::RT4, Party::pager,
             cat(where(), " serves block ", hex((b0 + i) * kBlockSize), " of object ",
                 dec(p.object), " with ",
                 e.call == ControlCall::data_supply || through ? hex(e.stamps[i])
                                                               : std::string("zeros"),
                 " but the kernel last returned ", hex(want)));
      break;
    }
  }
}

void Step::supplied(const ControlCalled& e, Pair& p) {
  const Size ps = s_.page_size_of(p);
  const CallRange r = call_range(e, p, ps);
  for (std::size_t i = r.first; i < r.last; ++i) {
    // GNU Mach stops at the first page it already holds and keeps
    // what it filled before (KERN_MEMORY_PRESENT, §3e): a requested
    // page after it is still requested, and a pager that asked for
    // supply_completed was told so (SC4).
    if (e.present_at && i * ps >= *e.present_at) {
      if (e.reply_to != kNullPort) {
        check(rule::SC4);
        if (p.pages[i] == PageState::requested) residency::refused_by_supply(p, i);
      }
      continue;
    }
    if (p.pages[i] == PageState::resident) continue;  // KERN_MEMORY_PRESENT
    p.pages[i] = PageState::resident;
    p.prot[i] = e.lock_value;
    p.unlock[i] = 0;
    residency::filled(p, i, e.precious);
  }
}

void Step::answered_unavailable(const ControlCalled& e, Pair& p) {
  // The kernel zero-fills the page and holds it from then on (UN1, UN3).
  const CallRange r = call_range(e, p, s_.page_size_of(p));
  for (std::size_t i = r.first; i < r.last; ++i)
    if (p.pages[i] == PageState::requested) {
      p.pages[i] = PageState::resident;
      p.prot[i] = 0;
      p.unlock[i] = 0;
      residency::filled(p, i, false);
    }
}

void Step::answered_error(const ControlCalled& e, Pair& p) {
  const CallRange r = call_range(e, p, s_.page_size_of(p));
  for (std::size_t i = r.first; i < r.last; ++i)
    if (p.pages[i] == PageState::requested) {
      // UL5: the pager may fail the request that follows an unlock it
      // refused by flushing (UL4); a permission, counted when used.
      if (residency::has(p, i, residency::unlock_refused)) check(rule::UL5);
      p.pages[i] = PageState::absent;
      p.prot[i] = 0;
      residency::failed(p, i);
    }
}

}  // namespace emmi::model::detail
