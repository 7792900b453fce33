// SPDX-License-Identifier: MIT
// Write access across kernels (SU3, MK3); see coherence.h.
#include "coherence.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail::coherence {

namespace {

std::uint32_t index_of(const State& s, const Pair& p) {
  return static_cast<std::uint32_t>(&p - s.pairs.data());
}

std::vector<Hold>& holds(State& s, std::uint32_t pair) {
  auto& all = s.coherence.holds;
  if (all.size() <= pair) all.resize(pair + 1);
  if (all[pair].empty())
    all[pair].assign((s.config.object_size + kBlockSize - 1) / kBlockSize, Hold{});
  return all[pair];
}

const Hold* hold_at(const State& s, std::uint32_t pair, std::size_t block) {
  const auto& all = s.coherence.holds;
  if (pair >= all.size() || block >= all[pair].size()) return nullptr;
  return &all[pair][block];
}

PortCount* find_count(State& s, PortName port) {
  for (PortCount& c : s.coherence.ports)
    if (c.port == port) return &c;
  return nullptr;
}
const PortCount* find_count(const State& s, PortName port) {
  for (const PortCount& c : s.coherence.ports)
    if (c.port == port) return &c;
  return nullptr;
}

// Whether the pager dequeued the message `t` names. A receive right the
// pager no longer holds will never deliver it: the suite cannot tell what
// the pager learnt, so the message counts as taken (no verdict).
bool taken(const State& s, const Token& t) {
  if (t.ordinal == 0) return false;
  const PortRec* r = s.find_port(t.port);
  if (r == nullptr || !r->receive) return true;
  const PortCount* c = find_count(s, t.port);
  return c == nullptr || c->taken >= t.ordinal;
}

// The kernel's modifications of the block have reached the pager (or the
// suite cannot tell that they have not).
bool recovered(const State& s, const Hold& h) {
  if (!h.owed) return true;
  if (h.writable) return false;
  if (taken(s, h.returned) || taken(s, h.completed)) return true;
  // A recall that asked for no completion and brought nothing back: the
  // page was clean, as far as anyone can tell.
  return h.recalled && h.recall == 0 && h.returned.ordinal == 0 && h.completed.ordinal == 0;
}

std::string why_not(const State& s, const Hold& h) {
  if (h.writable)
    return " still holds it writable: the pager did not recall it first (a lock_request that "
           "flushes it, or cleans it and forbids writing, then its lock_completed)";
  if (h.recall != 0 || (h.completed.ordinal != 0 && !taken(s, h.completed)))
    return " gave it up to a lock_request whose lock_completed the pager has not received "
           "(LK8: the only sure sign that the modifications are back)";
  if (h.returned.ordinal != 0)
    return " has not had its modifications received by the pager: the message carrying them "
           "is still queued";
  return " lost write access to it, but nothing brought its modifications back to the pager";
}

bool pair_live(const Pair& q) {
  return q.current != kNoIndex && (q.life == Lifecycle::initialised || q.life == Lifecycle::ready);
}

}  // namespace

void on_dequeued(State& s, PortName port) {
  if (PortCount* c = find_count(s, port)) ++c->taken;
}

void on_sent(State& s, const KernelSent& e) {
  PortCount* c = find_count(s, e.destination);
  if (c == nullptr) {
    s.coherence.ports.push_back(PortCount{e.destination});
    c = &s.coherence.ports.back();
  }
  const Token t{e.destination, ++c->queued};

  if (e.kind == MessageKind::lock_completed) {
    auto& recalls = s.coherence.recalls;
    auto it = std::find_if(recalls.begin(), recalls.end(), [&](const Recall& r) {
      return r.reply == e.destination && r.offset == e.offset && r.size == e.length;
    });
    if (it == recalls.end()) return;
    for (Hold& h : holds(s, it->pair))
      if (h.recall == it->id) {
        h.recall = 0;
        h.completed = t;
      }
    recalls.erase(it);
    return;
  }
  if (e.kind != MessageKind::data_return && e.kind != MessageKind::data_request &&
      e.kind != MessageKind::terminate && e.kind != MessageKind::copy)
    return;
  const std::uint32_t kidx = s.kernel_index(e.kernel);
  if (kidx == kNoIndex || e.object >= s.config.objects) return;
  std::vector<Hold>& hs = holds(s, index_of(s, s.pair(e.object, kidx)));
  std::size_t b0 = 0, b1 = hs.size();
  if (e.kind != MessageKind::terminate) {
    b0 = std::min<std::size_t>(hs.size(), e.offset / kBlockSize);
    b1 = std::min<std::size_t>(hs.size(), (e.offset + e.length + kBlockSize - 1) / kBlockSize);
  }
  for (std::size_t b = b0; b < b1; ++b) {
    Hold& h = hs[b];
    switch (e.kind) {
      case MessageKind::data_return:
        // The modifications so far travel in this message; without a
        // kernel copy the kernel no longer holds the page.
        if (h.owed) h.returned = t;
        if (!e.kernel_copy) {
          h.writable = false;
          h.in_place = false;
        }
        break;
      case MessageKind::copy:
        // memory_object_copy write-locked the range's resident pages: the
        // kernel may no longer write them, and its modifications stay in its
        // page (owed, and no obstacle to lowering the lock again).
        if (h.writable) h.in_place = true;
        h.writable = false;
        break;
      case MessageKind::data_request:
        // The kernel asks for a page it does not hold: it dropped it, and
        // a page it dropped without a data_return was clean.
        h.writable = false;
        h.in_place = false;
        if (h.owed && h.returned.ordinal == 0 && h.completed.ordinal == 0 && h.recall == 0)
          h.owed = false;
        break;
      default:
        // terminate: every data_return of the object came before it (§3d),
        // so taking it means having taken them all.
        h.writable = false;
        h.in_place = false;
        h.recall = 0;
        if (h.owed) h.returned = t;
        break;
    }
  }
}

void on_accepted(State& s, const ControlCalled& e, const Pair& p, const Check& check,
                 const Report& report) {
  const bool supply = e.call == ControlCall::data_supply;
  const bool unavailable = e.call == ControlCall::data_unavailable;
  const bool lock = e.call == ControlCall::lock_request;
  if (!supply && !unavailable && !lock) return;
  const Size ps = s.page_size_of(p);
  if (e.offset % ps != 0) return;
  const std::uint32_t pi = index_of(s, p);
  const Size end = e.offset + e.size < e.offset ? ~Size{0} : e.offset + e.size;
  const std::size_t first = e.offset / ps;
  const std::size_t last = std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps);
  const std::size_t per_page = ps / kBlockSize;

  bool mk3_reported = false, su3_reported = false;
  // A write grant of kernel page i: judged against every other kernel's
  // hold on each of its blocks (MK3) and this kernel's own (SU3).
  // `lowering`: a lock_request lowering the lock of a page the kernel
  // holds, which moves no data.
  auto grant = [&](std::size_t i, bool lowering = false) {
    for (std::size_t b = i * per_page; b < (i + 1) * per_page; ++b) {
      check(rule::SU3);
      for (std::uint32_t k = 0; k < s.kernels.size(); ++k) {
        if (k == p.kernel) continue;
        const Pair& q = s.pair(p.object, k);
        const Hold* h = hold_at(s, index_of(s, q), b);
        const bool holds_any = h != nullptr && (h->writable || h->owed);
        if (pair_live(q) || holds_any) check(rule::MK3);
        if (h == nullptr || mk3_reported || (!h->writable && recovered(s, *h))) continue;
        mk3_reported = true;
        report(rule::MK3, cat(to_string(e.call), " on control ", hex(e.control), " gives kernel ",
                              dec(s.kernels[p.kernel].id), " write access to block ",
                              hex(b * kBlockSize), " of object ", dec(p.object), ", but kernel ",
                              dec(s.kernels[k].id), why_not(s, *h)));
      }
      std::vector<Hold>& hs = holds(s, pi);
      if (b >= hs.size()) break;
      // The kernel's own page, write-locked by its copy, unlocked again: its
      // modifications never left it.
      const bool in_place = lowering && hs[b].in_place;
      if (!su3_reported && !in_place && !recovered(s, hs[b])) {
        su3_reported = true;
        report(rule::SU3,
               cat(to_string(e.call), " on control ", hex(e.control), " hands kernel ",
                   dec(s.kernels[p.kernel].id), " writable data for block ", hex(b * kBlockSize),
                   " of object ", dec(p.object), " again, but that kernel", why_not(s, hs[b])));
      }
      hs[b] = Hold{};
      hs[b].writable = true;
      hs[b].owed = true;
    }
  };

  if (supply) {
    if ((e.lock_value & kProtWrite) != 0) return;  // a read-only copy
    for (std::size_t i = first; i < last; ++i) {
      // GNU Mach stops at the first page it already holds (§3e).
      if (e.present_at && i * ps >= *e.present_at) break;
      if (p.pages[i] != PageState::resident) grant(i);
    }
    return;
  }
  if (unavailable) {
    // The kernel zero-fills the requested pages without a lock (UN3).
    for (std::size_t i = first; i < last; ++i)
      if (p.pages[i] == PageState::requested) grant(i);
    return;
  }

  // lock_request, on the pages the kernel caches now (LK7).
  const bool returns = e.should_return != kReturnNone;
  const bool forbids_write = e.lock_value != kProtNoChange && (e.lock_value & kProtWrite) != 0;
  const bool allows_write = e.lock_value != kProtNoChange && (e.lock_value & kProtWrite) == 0;
  const PortRec* reply = e.reply_to == kNullPort ? nullptr : s.find_port(e.reply_to);
  const bool completes = reply != nullptr && reply->receive;
  std::uint32_t recall_id = 0;
  for (std::size_t i = first; i < last; ++i) {
    if (p.pages[i] != PageState::resident) continue;
    if (!e.should_flush && allows_write) {
      // Lowering a lock that forbade writing grants write (UL2's answer).
      if ((p.prot[i] & kProtWrite) != 0) grant(i, true);
      continue;
    }
    if (!e.should_flush && !forbids_write) continue;  // the kernel keeps what it may do
    std::vector<Hold>& hs = holds(s, pi);
    for (std::size_t b = i * per_page; b < (i + 1) * per_page && b < hs.size(); ++b) {
      Hold& h = hs[b];
      h.writable = false;
      h.in_place = false;  // the pager's own withdrawal
      if (!h.owed) continue;
      if (e.should_flush && !returns) {
        h.owed = false;  // the pager discards them by its own choice
        continue;
      }
      if (!returns) continue;  // still in the kernel: they come back later
      h.recalled = true;
      if (completes) {
        if (recall_id == 0) recall_id = s.coherence.next_recall++;
        h.recall = recall_id;
        h.completed = Token{};
      }
    }
  }
  if (recall_id != 0)
    s.coherence.recalls.push_back(Recall{recall_id, pi, e.reply_to, e.offset, e.size});
}

}  // namespace emmi::model::detail::coherence
