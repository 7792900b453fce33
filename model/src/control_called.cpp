// SPDX-License-Identifier: MIT
// ControlCalled (SEMANTICS.md, "Control calls"): which port a call reaches,
// its range, the kernel's accept or refusal, readiness, destroy, lock_request
// and what the call touches (SQ7). The data path is in control_data.cpp.
#include "step.h"

#include "contents.h"
#include "locks.h"
#include "pager_actions.h"
#include "residency.h"
#include "supply.h"

namespace emmi::model::detail {

namespace {

// The calls about a range of the object.
bool ranged(ControlCall call) {
  return call == ControlCall::data_supply || call == ControlCall::data_unavailable ||
         call == ControlCall::data_error || call == ControlCall::lock_request;
}

// The rule a ranged call's size breaks when it is not whole pages.
std::string_view size_rule(ControlCall call) {
  return call == ControlCall::data_supply        ? rule::SU4
         : call == ControlCall::data_unavailable ? rule::UN4
         : call == ControlCall::data_error       ? rule::ER5
                                                 : rule::LK1;
}

}  // namespace

void Step::operator()(const ControlCalled& e) {
  ThreadRec& th = s_.thread(e.thread);
  PortRec* rec = s_.find_port(e.control);
  if (control_port_ok(e, rec, th)) control_call(e, *rec, th);
}

bool Step::control_port_ok(const ControlCalled& e, const PortRec* rec, ThreadRec& th) {
  std::string_view wrong_port = e.call == ControlCall::data_supply ? rule::SU12 : rule::DR8;

  // The call never reached a live control port: the kernel must refuse it.
  auto kernel_disagrees = [&] {
    report(wrong_port, Party::suite,
           cat("simulated kernel accepted ", to_string(e.call), " on ", port_text(e.control),
               "; the model expects it refused"));
  };

  check(wrong_port);
  if (rec == nullptr || rec->role != Role::control) {
    report(wrong_port, Party::pager,
           cat(to_string(e.call), " on ", port_text(e.control), handling(th),
               ": not a control port the kernel gave"));
    if (e.accepted) kernel_disagrees();
    return false;
  }
  const Incarnation& inc = s_.incarnations[rec->owner];
  check(rule::IN9);
  if (rec->init_failed) {
    // IN9: mach_msg_server released init's control reference.
    report(rule::IN9, Party::pager,
           cat("init seqno ", dec(inc.init_seqno), " returned ", code_name(inc.init_code),
               " but the pager used ", port_text(e.control), " afterwards: ", to_string(e.call),
               handling(th)));
    if (e.accepted) kernel_disagrees();
    return false;
  }
  check(rule::TM8);
  if (inc.terminate_dequeued) {
    // A use after terminate when terminate's handling is visibly under way:
    // the pager let go of the receive right terminate moved in, or this very
    // thread handles that terminate. Otherwise the call may be the work of
    // an earlier message (a worker still handling init or a request the
    // dispatcher dequeued before terminate): no verdict, the kernel drops it.
    const bool handling_terminate = th.cur.busy && th.cur.msg.kind == MessageKind::terminate &&
                                    th.cur.msg.incarnation == rec->owner;
    if (!rec->receive || handling_terminate)
      report(rule::TM8, Party::pager,
             cat(to_string(e.call), " on ", port_text(e.control), handling(th),
                 " after terminate seqno ", dec(inc.terminate_seqno), " was dequeued"));
    if (e.accepted) kernel_disagrees();
    return false;
  }
  if (rec->send == 0 && !rec->receive) {
    report(wrong_port, Party::pager,
           cat(to_string(e.call), " on ", port_text(e.control), handling(th),
               ": the pager no longer holds a right to it"));
    if (e.accepted) kernel_disagrees();
    return false;
  }
  return true;
}

void Step::control_call(const ControlCalled& e, PortRec& rec, ThreadRec& th) {
  Incarnation& inc = s_.incarnations[rec.owner];
  Pair& p = s_.pairs[inc.pair];
  // The kernel still serves this control port only for the current
  // incarnation until it sends terminate (vm_object_lookup fails afterwards).
  // After memory_object_destroy the kernel has removed the port's
  // association too (gnumach-kernel.md, 3b) and only owes the terminate.
  const bool live = p.current == rec.owner && !p.destroy_requested &&
                    (p.life == Lifecycle::initialised || p.life == Lifecycle::ready);
  // OSF: synchronize_completed (SY2, SY3) and flavoured change_attributes
  // (CA1, CA2).
  if (live && osf::speaks_osf(s_, p.kernel)) absorb(osf::control_called(s_, e, rec.owner));
  const bool answers = ranged(e.call) && e.call != ControlCall::lock_request;
  // Only worded when a verdict needs it: this is the hot path.
  const std::function<std::string()> where = [&] {
    return cat(to_string(e.call), " on ", port_text(e.control), " at offset ", hex(e.offset),
               " size ", hex(e.size), handling(th));
  };

  const bool sizes_ok = check_range(e, p, where);
  lock_values(e, where);
  if (e.call == ControlCall::data_supply && e.size % kBlockSize == 0 &&
      e.stamps.size() != e.size / kBlockSize)
    report(rule::RT4, Party::suite,
           cat(where(), " carries ", dec(e.stamps.size()), " block stamps for ",
               dec(e.size / kBlockSize), " blocks"));

  bool all_requested = true;
  if (answers && live) {
    all_requested = check_answered(e, p, sizes_ok, where);
    // RT4: the pager serves what the kernel last returned before it sent the
    // request being answered (a return queued behind the request is not
    // yet the pager's to know).
    if (e.offset % kBlockSize == 0 && e.call != ControlCall::data_error)
      check_served(e, p, rec.owner, where);
  }

  // SQ7: the first ready / change_attributes answers the incarnation's init.
  Target lifecycle_target;
  if ((e.call == ControlCall::ready || e.call == ControlCall::change_attributes) && !inc.readied &&
      inc.init_dequeued)
    lifecycle_target = Target::of(inc.init_port, inc.init_seqno, MessageKind::init);

  // Not cross-checked: lock_request; ready and change_attributes (the kernel
  // refuses an invalid copy strategy, which the event does not carry); a
  // lock value outside VM_PROT_ALL.
  const bool expect_accepted = live && sizes_ok && all_requested && e.lock_value <= 7 &&
                               e.call != ControlCall::lock_request &&
                               e.call != ControlCall::ready &&
                               e.call != ControlCall::change_attributes &&
                               e.call != ControlCall::synchronize_completed;
  cross_check(e, live, expect_accepted, where);
  reply_port(e, where);
  if (live && e.accepted) {
    accepted_hooks(e, p, rec.owner);
    switch (e.call) {
      case ControlCall::ready:
      case ControlCall::change_attributes: readied(p, inc); break;
      case ControlCall::destroy: destroyed(p); break;
      case ControlCall::data_supply: supplied(e, p); break;
      case ControlCall::lock_request: locked(e, p, sizes_ok); break;
      case ControlCall::data_unavailable: answered_unavailable(e, p); break;
      case ControlCall::data_error: answered_error(e, p); break;
      default: break;
    }
  }
  control_touches(e, rec, th, lifecycle_target);
  // The pager's own actions and the copy strategy (pager_actions.h).
  actions::on_control(
      s_, e, p, rec.owner, live, [&](std::string_view r) { check(r); },
      [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
}

bool Step::check_range(const ControlCalled& e, const Pair& p,
                       const std::function<std::string()>& where) {
  if (!ranged(e.call)) return true;
  const Size ps = s_.page_size_of(p);
  check(size_rule(e.call));
  check(rule::IN5);
  // MK4 tells one kernel's unit from another's: only where another kernel
  // with another page size maps the object.
  for (std::uint32_t k = 0; k < s_.kernels.size(); ++k)
    if (k != p.kernel && s_.kernels[k].page_size != ps &&
        s_.pair(p.object, k).current != kNoIndex) {
      check(rule::MK4);
      break;
    }
  if (e.offset % ps == 0 && e.size % ps == 0) return true;
  std::uint32_t other = other_kernel_unit(p, e.offset, e.size);
  if (other != kNoIndex) {
    // MK4: whole pages of another kernel of this object, not of this one
    // (PS2: each kernel has its own unit).
    report(rule::MK4, Party::pager,
           cat(where(), " uses kernel ", kernel_text(other), "'s page size ",
               hex(s_.kernels[other].page_size), " instead of kernel ", kernel_text(p.kernel),
               "'s ", hex(ps)));
  } else {
    if (e.size % ps != 0)
      report(size_rule(e.call), Party::pager,
             cat(where(), ": size is not whole pages of ", hex(ps)));
    if (e.offset % ps != 0)
      report(rule::IN5, Party::pager, cat(where(), ": offset is not a multiple of ", hex(ps)));
  }
  return false;
}

// Does the simulated kernel agree the call reached a live control port?
void Step::cross_check(const ControlCalled& e, bool live, bool expect_accepted,
                       const std::function<std::string()>& where) {
  const bool expect_refused = !live;
  if ((expect_refused && e.accepted) || (expect_accepted && !e.accepted))
    report(e.call == ControlCall::data_supply ? rule::SU12 : rule::DR8, Party::suite,
           cat("simulated kernel ", e.accepted ? "accepted" : "refused", " ", where(),
               "; the model expects it ", e.accepted ? "refused" : "accepted"));
}

void Step::reply_port(const ControlCalled& e, const std::function<std::string()>& where) {
  // PR6: a reply port names one of the pager's receive rights; the kernel
  // gets a send right made from it. Judged only where the simulated kernel
  // saw where the receive right was.
  if (e.reply_to != kNullPort && e.reply_to_received_by_pager) {
    check(rule::PR6);
    if (!*e.reply_to_received_by_pager)
      report(rule::PR6, Party::pager,
             cat(where(), " names reply port ", port_text(e.reply_to),
                 ", whose receive right the pager does not hold: the completion goes to "
                 "another task"));
  }
  if (e.call == ControlCall::lock_request && e.accepted) {
    if (e.reply_to == kNullPort) {
      // LK6: MACH_PORT_NULL as reply_to asks for no completion; a
      // permission, counted when a pager uses it (the kernel owes none).
      check(rule::LK6);
    } else if (const PortRec* reply = s_.find_port(e.reply_to);
               reply != nullptr && reply->receive) {
      // LK5: the kernel owes a lock_completed to a reply port the pager
      // receives on.
      locks::expect_completion(s_, e.reply_to, e.offset, e.size);
    }
  }
}

void Step::accepted_hooks(const ControlCalled& e, Pair& p, std::uint32_t inc_index) {
  // UN1, UN3, CP4: what the kernels saw of a COPY_DELAY object's data
  // (contents.h), before the page states change.
  contents::on_accepted(
      s_, e, p, inc_index, [&](std::string_view r) { check(r); },
      [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
  // SU9, SU10, SU11: the supply's data and its reply port (supply.h).
  absorb(supply::accepted(s_, e, p));
  // CP3: what a copy reads (copies.h).
  absorb(copies::accepted(s_, e, p));
  // SU3, MK3: write grants against every kernel's writable holds
  // (coherence.h), before the page states change.
  coherence::on_accepted(
      s_, e, p, [&](std::string_view r) { check(r); },
      [&](std::string_view r, std::string text) { report(r, Party::pager, std::move(text)); });
}

// ready, change_attributes.
void Step::readied(Pair& p, Incarnation& inc) {
  // RD3: an init is answered by making the object ready (allowing
  // mappings) ...
  if (p.life == Lifecycle::initialised) {
    check(rule::RD3);
    p.life = Lifecycle::ready;
  }
  p.ever_ready = true;
  inc.readied = true;
}

void Step::destroyed(Pair& p) {
  // ... or by memory_object_destroy before ready, refusing every
  // mapping (§3b). An init answered by neither leaves the mapping
  // blocked: that is reported under RD1 at quiescence.
  if (p.life == Lifecycle::initialised) check(rule::RD3);
  p.destroy_requested = true;
}

void Step::locked(const ControlCalled& e, Pair& p, bool sizes_ok) {
  const Size ps = s_.page_size_of(p);
  if (!sizes_ok && e.offset % ps != 0) return;
  // GNU Mach rounds the size up to whole pages (§3e).
  const CallRange r = call_range(e, p, ps);
  const locks::LockEffect eff = locks::apply_lock_request(p, r.first, r.last, e.should_flush,
                                                          e.lock_value);
  if (eff.granted + eff.refused > 0) check(rule::UL2);
  // UL4: a flush that drops a page whose unlock is outstanding
  // refuses the unlock the manual's way; the refusal is judged
  // here (done right) and on a data_error (done without a flush).
  if (eff.refused > 0) check(rule::UL4);
  // A flush discards the pages, precious ones too (LK14); the
  // marks of pages it did not hold (failed, refused) stay.
  for (std::size_t i = r.first; e.should_flush && i < r.last; ++i)
    if (p.pages[i] != PageState::resident && residency::has(p, i, residency::precious))
      residency::left(p, i);
}

// SQ7: data calls touch their blocks (answers for different pages commute),
// each charged to the request it answers (a lock_request to the unlock);
// other calls touch the control port.
void Step::control_touches(const ControlCalled& e, PortRec& rec, ThreadRec& th,
                           const Target& lifecycle_target) {
  Incarnation& inc = s_.incarnations[rec.owner];
  const Pair& p = s_.pairs[inc.pair];
  const PortName object_port = s_.objects[p.object].port;
  if (!ranged(e.call)) {
    if (std::optional<Attrib> who = charge(lifecycle_target, th, object_port))
      touch_name(rec, *who, Verb::called, false, [&] { return port_text(e.control); });
    return;
  }
  ObjectRec& o = s_.objects[p.object];
  Verb v = e.call == ControlCall::data_supply        ? Verb::supplied
           : e.call == ControlCall::data_unavailable ? Verb::answered_unavailable
           : e.call == ControlCall::data_error       ? Verb::answered_error
                                                     : Verb::locked;
  const bool lock = e.call == ControlCall::lock_request;
  std::vector<std::uint32_t>& table = lock ? inc.pending_unlock : inc.pending_request;
  const MessageKind answered = lock ? MessageKind::data_unlock : MessageKind::data_request;
  const Size end = sat_add(e.offset, e.size);
  std::size_t b_end = std::min<std::size_t>(o.touch.size(), (end + kBlockSize - 1) / kBlockSize);
  bool crossed = false;
  for (std::size_t b = e.offset / kBlockSize; b < b_end; ++b) {
    Target t;
    if (b < table.size() && table[b] != 0) {
      t = Target::of(inc.pending_port, table[b] - 1, answered);
      table[b] = 0;  // answered
    }
    std::optional<Attrib> who = charge(t, th, object_port);
    if (!who || crossed) continue;
    crossed = touch(o.touch[b], *who, v, [&] {
      return cat("block ", hex(b * kBlockSize), " of object ", dec(p.object));
    });
  }
}

void Step::lock_values(const ControlCalled& e, const std::function<std::string()>& where) {
  if (e.call == ControlCall::data_supply) {
    // SU6: lock_value lists forbidden accesses, so only bits of VM_PROT_ALL.
    check(rule::SU6);
    if (!locks::supply_lock_valid(e.lock_value))
      report(rule::SU6, Party::pager,
             cat(where(), ": lock_value ", hex(e.lock_value),
                 " is not a set of accesses within VM_PROT_ALL"));
  } else if (e.call == ControlCall::lock_request) {
    // LK4: a new lock within VM_PROT_ALL, or VM_PROT_NO_CHANGE to keep it.
    check(rule::LK4);
    if (!locks::request_lock_valid(e.lock_value))
      report(rule::LK4, Party::pager,
             cat(where(), ": lock_value ", hex(e.lock_value),
                 " is neither within VM_PROT_ALL nor VM_PROT_NO_CHANGE"));
  }
}

}  // namespace emmi::model::detail
