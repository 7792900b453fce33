// SPDX-License-Identifier: MIT
// The pager's own actions in the model; see pager_actions.h.
#include "pager_actions.h"

#include <algorithm>

#include "emmi/model/rules.h"
#include "osf.h"
#include "text.h"

namespace emmi::model {

std::string_view to_string(PagerActionKind k) {
  switch (k) {
    case PagerActionKind::sync: return "sync";
    case PagerActionKind::flush: return "flush";
    case PagerActionKind::change_attributes: return "change_attributes";
    case PagerActionKind::shutdown: return "shutdown";
  }
  return "?";
}

}  // namespace emmi::model

namespace emmi::model::detail::actions {

namespace {

std::string pair_text(const State& s, const Pair& p) {
  return cat("object ", dec(p.object), " / kernel ", dec(s.kernels[p.kernel].id));
}

std::string action_text(const PagerAction& a) {
  if (a.kind == PagerActionKind::sync || a.kind == PagerActionKind::flush)
    return cat(to_string(a.kind), "(object ", dec(a.object), ", offset ", hex(a.offset),
               ", length ", hex(a.length), ")");
  if (a.kind == PagerActionKind::change_attributes)
    return cat("change_attributes(object ", dec(a.object), ", may_cache ",
               a.may_cache ? "TRUE" : "FALSE", ", copy_strategy ",
               dec(std::uint64_t(a.copy_strategy)), ")");
  return cat(to_string(a.kind), "(object ", dec(a.object), ")");
}

// A pair the pager knows the kernel serves: init dequeued, not terminated,
// not destroyed.
bool pager_knows_live(const State& s, const Pair& p) {
  if (p.current == kNoIndex || p.destroy_requested) return false;
  if (p.life != Lifecycle::initialised && p.life != Lifecycle::ready) return false;
  return s.incarnations[p.current].init_dequeued;
}

Judgement judged() { return Judgement{}; }

// Whether an accepted change_attributes sets the caching attribute: always
// in GNU Mach (may_cache is an argument); on an OSF kernel only in the
// flavours whose structure holds it, PERFORMANCE_INFO and ATTRIBUTES_INFO
// (MO_change_attributes.html, memory_object_perf_info.html,
// memory_object_attr_info.html). A BEHAVIOR_INFO change leaves caching as it
// is, so it neither turns caching off nor needs a reply for CA3.
bool sets_caching(const State& s, const ControlCalled& e, const Pair& p) {
  if (!osf::speaks_osf(s, p.kernel)) return true;
  return e.flavor == kFlavorPerformance || e.flavor == kFlavorAttributes;
}

void add_check(Judgement& j, std::string_view rule) {
  if (std::find(j.checked.begin(), j.checked.end(), rule) == j.checked.end())
    j.checked.push_back(rule);
}

void add_report(const State& s, Judgement& j, std::string_view rule, std::string text) {
  add_check(j, rule);
  j.verdicts.push_back(Verdict{rule, Party::pager, std::move(text), s.events});
}

}  // namespace

void on_sent(State& s, const KernelSent& e, const Check& check, const Report& kernel_report) {
  const std::int32_t window = s.events == s.return_window_event + 1 ? s.return_window : 0;
  s.return_window = 0;
  if (e.kind == MessageKind::data_return) {
    s.store.in_flight.push_back(
        ReturnInFlight{e.destination, e.object, e.offset, e.length, e.dirty, e.stamps});
    const std::uint32_t kidx = s.kernel_index(e.kernel);
    if (window != 0 && kidx != kNoIndex && e.object < s.config.objects) {
      const auto pi = static_cast<std::uint32_t>(&s.pair(e.object, kidx) - s.pairs.data());
      if (pi == s.return_window_pair) {
        s.return_window = window;  // the request's next cluster may follow
        s.return_window_event = s.events;
        if (window == kReturnDirty + 1) {
          // LK11: RETURN_DIRTY writes back modified pages only (a clean
          // precious page stays with the kernel, or is discarded by a flush).
          check(rule::LK11);
          if (!e.dirty)
            kernel_report(rule::LK11, cat("kernel ", dec(e.kernel),
                                          " answered a lock_request with "
                                          "should_return MEMORY_OBJECT_RETURN_DIRTY for object ",
                                          dec(e.object), " with a data_return of ", hex(e.offset),
                                          " length ", hex(e.length), " that is not dirty"));
        }
      }
    }
    return;
  }
  if (e.kind == MessageKind::change_completed) {
    auto it = std::find_if(s.change_owed.begin(), s.change_owed.end(),
                           [&](const State::ChangeOwed& o) { return o.reply == e.destination; });
    if (it != s.change_owed.end()) {
      check(rule::CA4);
      // CA5 (MO_change_completed.html): an OSF kernel's completion names
      // "the flavor of attributes changed by the corresponding
      // memory_object_change_attributes call". Completions to one port come
      // in the order of the changes (the oldest owed is the one answered).
      if (it->flavor != 0) {
        check(rule::CA5);
        if (e.flavor != it->flavor)
          kernel_report(rule::CA5, cat("kernel ", dec(e.kernel), " sent change_completed to ",
                                       hex(e.destination), " with flavour ",
                                       dec(static_cast<std::uint64_t>(e.flavor)),
                                       " for a change_attributes of flavour ",
                                       dec(static_cast<std::uint64_t>(it->flavor))));
      }
      s.change_owed.erase(it);
    }
  }
  if (!s.action.active) return;
  if (e.kind != MessageKind::lock_completed && e.kind != MessageKind::change_completed) return;
  for (AwaitedCompletion& w : s.action.awaited)
    if (!w.sent && w.kind == e.kind && w.reply == e.destination) {
      w.sent = true;
      return;
    }
}

void on_dequeued(State& s, PortName port, const Queued& m) {
  s.return_window = 0;
  if (m.kind == MessageKind::data_return) {
    auto& fl = s.store.in_flight;
    auto it = std::find_if(fl.begin(), fl.end(), [&](const ReturnInFlight& r) {
      return r.port == port && r.object == m.object && r.offset == m.offset && r.length == m.length;
    });
    if (it == fl.end()) return;
    if (it->object < s.store.expect.size() && it->offset % kBlockSize == 0) {
      auto& expect = s.store.expect[it->object];
      auto& has = s.store.has[it->object];
      const std::size_t b0 = it->offset / kBlockSize;
      for (std::size_t i = 0; i < it->stamps.size() && b0 + i < expect.size(); ++i) {
        expect[b0 + i] = it->stamps[i];
        has[b0 + i] = 1;
      }
    }
    fl.erase(it);
    return;
  }
  if (!s.action.active) return;
  // A terminate of the pair settles what the action waited for from that
  // kernel: GNU Mach sends change_completed after the terminate that
  // turning caching off causes (gnumach-kernel.md §3d, trigger 4), and no
  // completion of a terminated object can change anything. A pager may stop
  // waiting once it has terminate (Hurd's libpager wakes every waiter on
  // terminate); the completion still to come is simply read later.
  if (m.kind == MessageKind::terminate && m.incarnation < s.incarnations.size()) {
    const std::uint32_t pair = s.incarnations[m.incarnation].pair;
    for (AwaitedCompletion& w : s.action.awaited)
      if (w.pair == pair) w.dequeued = true;
    return;
  }
  if (m.kind != MessageKind::lock_completed && m.kind != MessageKind::change_completed) return;
  for (AwaitedCompletion& w : s.action.awaited)
    if (w.sent && !w.dequeued && w.kind == m.kind && w.reply == port) {
      w.dequeued = true;
      return;
    }
}

void on_control(State& s, const ControlCalled& e, Pair& p, std::uint32_t inc, bool live,
                const Check& check, const Report& report) {
  s.return_window = 0;
  // CP6: COPY_SYMMETRIC is the kernel's own strategy. Judged on every
  // ready / change_attributes reaching a live control port, accepted or not
  // (GNU Mach refuses the strategy; the request is what the rule forbids).
  // The model sees only the objects the pager offered (temporary objects
  // and the default pager's side are DefaultPagerModel's), so only an
  // ordinary pager's request is judged.
  const bool strategy = (e.call == ControlCall::ready ||
                         e.call == ControlCall::change_attributes) &&
                        e.names_copy_strategy;
  if (live && strategy) {
    check(rule::CP6);
    if (e.copy_strategy == kCopySymmetric)
      report(rule::CP6,
             cat(to_string(e.call), " on control ", hex(e.control), " of ", pair_text(s, p),
                 " asks for copy strategy ", dec(std::uint64_t(kCopySymmetric)),
                 " (MEMORY_OBJECT_COPY_SYMMETRIC), which is for the kernel's own use",
                 e.accepted ? "" : "; the kernel refused it"));
  }
  if (!live || !e.accepted) return;
  const auto pair_index = static_cast<std::size_t>(&p - s.pairs.data());
  ActionState& a = s.action;
  if (e.call == ControlCall::lock_request &&
      (e.should_return == kReturnDirty || e.should_return == kReturnAll)) {
    s.return_window = e.should_return + 1;
    s.return_window_pair = static_cast<std::uint32_t>(pair_index);
    s.return_window_event = s.events;
  }
  // CA4: an accepted change_attributes naming a reply port the pager
  // receives on is owed a change_completed there.
  if (e.call == ControlCall::change_attributes && e.reply_to != kNullPort) {
    const PortRec* r = s.find_port(e.reply_to);
    if (r != nullptr && r->receive)
      s.change_owed.push_back(
          State::ChangeOwed{e.reply_to, osf::speaks_osf(s, p.kernel) ? e.flavor : 0});
  }

  // CP1: the copy strategy of an initialised object does not change. The
  // first accepted ready / change_attributes of an incarnation sets it (X12:
  // the model takes "initialised" as "made ready", the lenient reading).
  if (strategy) {
    if (s.strategy_plus1.size() <= inc) s.strategy_plus1.resize(inc + 1, 0);
    std::int32_t& set = s.strategy_plus1[inc];
    if (set == 0) {
      set = e.copy_strategy + 1;
    } else {
      check(rule::CP1);
      if (set != e.copy_strategy + 1)
        report(rule::CP1,
               cat(to_string(e.call), " on control ", hex(e.control), " of ", pair_text(s, p),
                   " changes the copy strategy from ", dec(std::uint64_t(set - 1)), " to ",
                   dec(std::uint64_t(e.copy_strategy)),
                   ", which cannot change once the object is initialised"));
    }
  }

  if (!a.active || p.object != a.action.object) return;
  if (a.required.size() != s.pairs.size()) return;
  const Size ps = s.kernels[p.kernel].page_size;

  switch (e.call) {
    case ControlCall::lock_request: {
      const bool reaches = a.action.kind == PagerActionKind::sync
                               ? e.should_return == kReturnDirty || e.should_return == kReturnAll
                               : e.should_flush;
      if (reaches && e.offset % ps == 0) {
        const std::size_t first = e.offset / ps;
        const std::size_t last = std::min<std::size_t>(p.pages.size(),
                                                       (e.offset + e.size + ps - 1) / ps);
        for (std::size_t i = first; i < last; ++i) a.reached[pair_index][i] = 1;
      }
      if (e.reply_to == kNullPort) {
        a.unreplied[pair_index] = 1;
      } else {
        const PortRec* r = s.find_port(e.reply_to);
        if (r != nullptr && r->receive)
          a.awaited.push_back(AwaitedCompletion{MessageKind::lock_completed, e.reply_to,
                                                static_cast<std::uint32_t>(pair_index), e.offset,
                                                e.size, false, false});
        else
          a.unreplied[pair_index] = 1;  // a completion the pager cannot receive
      }
      break;
    }
    case ControlCall::change_attributes:
      if (a.action.kind != PagerActionKind::change_attributes) break;
      // CA3 is about turning caching off: an OSF change of a flavour without
      // the caching attribute is not judged (sets_caching).
      if (!sets_caching(s, e, p)) break;
      if (e.reply_to == kNullPort) {
        if (!e.may_cache) a.changed_without_reply[pair_index] = 1;
      } else {
        const PortRec* r = s.find_port(e.reply_to);
        if (r != nullptr && r->receive)
          a.awaited.push_back(AwaitedCompletion{MessageKind::change_completed, e.reply_to,
                                                static_cast<std::uint32_t>(pair_index), 0, 0, false,
                                                false});
        else if (!e.may_cache)
          a.changed_without_reply[pair_index] = 1;
      }
      break;
    case ControlCall::destroy: {
      if (a.action.kind != PagerActionKind::shutdown) break;
      // DS3: flush (with a write lock) before destroy, so that the kernel
      // holds nothing of the object when the destroy arrives.
      check(rule::DS3);
      for (std::size_t i = 0; i < p.pages.size(); ++i)
        if (p.pages[i] == PageState::resident) {
          report(rule::DS3, cat("memory_object_destroy on control ", hex(e.control), " of ",
                                pair_text(s, p), " during ", action_text(a.action),
                                " while the kernel still caches page ", hex(i * ps),
                                ": flush the object first (lock_request with should_flush and "
                                "lock VM_PROT_WRITE)"));
          break;
        }
      break;
    }
    default: break;
  }
}

Judgement begin(State& s, const PagerAction& act) {
  Judgement out = judged();
  ActionState& a = s.action;
  a = ActionState{};
  a.active = true;
  a.action = act;
  a.required.resize(s.pairs.size());
  a.reached.resize(s.pairs.size());
  a.unreplied.assign(s.pairs.size(), 0);
  a.changed_without_reply.assign(s.pairs.size(), 0);
  const Offset end = act.offset + act.length;
  for (std::size_t pi = 0; pi < s.pairs.size(); ++pi) {
    const Pair& p = s.pairs[pi];
    a.required[pi].assign(p.pages.size(), 0);
    a.reached[pi].assign(p.pages.size(), 0);
    if (p.object != act.object || !pager_knows_live(s, p)) continue;
    if (act.kind != PagerActionKind::sync && act.kind != PagerActionKind::flush) continue;
    const Size ps = s.kernels[p.kernel].page_size;
    for (std::size_t i = 0; i < p.pages.size(); ++i) {
      const Offset at = i * ps;
      if (at + ps <= act.offset || at >= end || p.pages[i] != PageState::resident) continue;
      // sync: a page the kernel may have written (its lock allows writing).
      if (act.kind == PagerActionKind::sync && (p.prot[i] & kProtWrite) != 0) continue;
      a.required[pi][i] = 1;
    }
  }
  return out;
}

Judgement end(State& s, KernReturn result) {
  Judgement out = judged();
  ActionState& a = s.action;
  if (!a.active) return out;
  a.active = false;
  if (result != kKernSuccess) return out;
  const PagerAction& act = a.action;

  if (act.kind == PagerActionKind::sync || act.kind == PagerActionKind::flush) {
    const std::string_view rule = act.kind == PagerActionKind::sync ? rule::LK2 : rule::LK3;
    for (std::size_t pi = 0; pi < a.required.size(); ++pi) {
      const Pair& p = s.pairs[pi];
      const Size ps = s.kernels[p.kernel].page_size;
      bool any = false;
      bool missed = false;
      for (std::size_t i = 0; i < a.required[pi].size(); ++i) {
        if (!a.required[pi][i]) continue;
        any = true;
        if (a.reached[pi][i] || missed) continue;
        missed = true;
        add_report(s, out, rule,
                   cat(action_text(act), " returned, but no lock_request of it ",
                       act.kind == PagerActionKind::sync
                           ? "with should_return DIRTY or ALL reached page "
                           : "with should_flush reached page ",
                       hex(i * ps), ", which kernel ", dec(s.kernels[p.kernel].id),
                       act.kind == PagerActionKind::sync ? " held writable (" : " held (",
                       pair_text(s, p), ")"));
      }
      if (!any) continue;
      add_check(out, rule);
      // LK8: the call knows the kernel is done only from lock_completed.
      add_check(out, rule::LK8);
      if (missed) continue;
      auto mine = [&](const AwaitedCompletion& w) {
        return w.kind == MessageKind::lock_completed && w.pair == pi;
      };
      const bool waited = std::any_of(a.awaited.begin(), a.awaited.end(),
                                      [&](const auto& w) { return mine(w) && w.dequeued; });
      const bool pending = std::any_of(a.awaited.begin(), a.awaited.end(),
                                       [&](const auto& w) { return mine(w) && !w.dequeued; });
      if (!waited || pending)
        add_report(s, out, rule::LK8,
                   cat(action_text(act), " returned before it dequeued the lock_completed of ",
                       !waited && a.unreplied[pi] ? "its lock_request to "
                                                  : "every lock_request it made to ",
                       pair_text(s, p),
                       !waited && a.unreplied[pi]
                           ? ", which asked for none (reply_to MACH_PORT_NULL)"
                           : "",
                       ": only lock_completed tells that the kernel has done the request"));
    }
  }

  if (act.kind == PagerActionKind::change_attributes && !act.may_cache) {
    for (std::size_t pi = 0; pi < a.changed_without_reply.size(); ++pi) {
      if (!a.changed_without_reply[pi]) continue;
      add_report(s, out, rule::CA3,
                 cat(action_text(act), " turned caching off for ", pair_text(s, s.pairs[pi]),
                     " with no reply port: it cannot know when the kernel made the change (the "
                     "object may be terminated then)"));
    }
    bool any = false;
    for (const AwaitedCompletion& w : a.awaited) {
      if (w.kind != MessageKind::change_completed) continue;
      any = true;
      if (!w.dequeued) {
        add_report(s, out, rule::CA3,
                   cat(action_text(act),
                       " returned before it dequeued the change_completed sent to ", hex(w.reply)));
        break;
      }
    }
    if (any) add_check(out, rule::CA3);
  }
  a = ActionState{};
  return out;
}

void quiescent(const State& s, Judgement& out) {
  if (s.change_owed.empty()) return;
  add_check(out, rule::CA4);
  out.verdicts.push_back(
      Verdict{rule::CA4, Party::kernel,
              cat("no change_completed reached ", hex(s.change_owed.front().reply),
                  " for an accepted change_attributes that named it"),
              s.events});
}

Judgement store(const State& s, ObjectId o, Offset offset, const std::vector<Stamp>& stamps,
                bool after_action) {
  Judgement out = judged();
  if (o >= s.store.expect.size() || offset % kBlockSize != 0) return out;
  const auto& expect = s.store.expect[o];
  const auto& has = s.store.has[o];
  const std::size_t b0 = offset / kBlockSize;
  for (std::size_t i = 0; i < stamps.size() && b0 + i < expect.size(); ++i) {
    if (!has[b0 + i]) continue;
    add_check(out, rule::RT5);
    if (stamps[i] == expect[b0 + i]) continue;
    add_report(s, out, rule::RT5,
               cat("the pager's store holds ", hex(stamps[i]), " for block ",
                   hex((b0 + i) * kBlockSize), " of object ", dec(o),
                   after_action ? " right after the pager's sync or flush returned"
                                : " at quiescence",
                   ", but the latest data_return it dequeued for it carried ", hex(expect[b0 + i]),
                   ": what the kernel returns (dirty, whether or not it kept a copy) is what the "
                   "pager must keep"));
    break;
  }
  return out;
}

}  // namespace emmi::model::detail::actions
