// SPDX-License-Identifier: MIT
// One step of the reference model: the visitor that applies one event to the
// state (state.h) and judges it. Every check names its rule through the
// constants of the rule table (emmi/model/rules.h); SEMANTICS.md states in
// prose what each handler does, and the SMT encoding in properties/smt
// mirrors it. The handlers live in one file per event family:
//
//   setup.cpp             KernelAttached, ObjectOffered ("State")
//   kernel_sent.cpp       KernelSent: init, terminate, copy, data_request,
//                         data_unlock, data_return, completions
//                         ("Kernel → pager", the kernel's half of "Page locks")
//   dequeued.cpp          Dequeued: seqnos, the rights a message carries
//                         ("Dequeue")
//   handler_returned.cpp  HandlerReturned: what mach_msg_server releases
//                         after an error return ("Handler return")
//   control_called.cpp    ControlCalled: which port, ranges, the kernel's
//                         accept/refuse, readiness, destroy, lock_request,
//                         and the SQ7 touches ("Control calls")
//   control_data.cpp      ControlCalled, data path: data_supply,
//                         data_unavailable, data_error ("Control calls")
//   port_operated.cpp     PortOperated: the right ledger and its releases
//                         ("Port operations")
//   memory_released.cpp   MemoryReleased ("Memory release")
//   attribution.cpp       SQ7: which message an effect is charged to
//                         ("Attribution", "SQ7")
//   quiescence.cpp        Model::judge_quiescent ("Quiescence")
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/model/model.h"
#include "emmi/model/rules.h"
#include "state.h"
#include "text.h"

namespace emmi::model::detail {

inline Size sat_add(Size a, Size b) { return a + b < a ? ~Size{0} : a + b; }

// SQ7: the message an effect is charged to.
struct Attrib {
  PortName port = kNullPort;
  Seqno seqno = 0;
  MessageKind kind = MessageKind::other;
  bool same(const Attrib& o) const { return port == o.port && seqno == o.seqno; }
};

// What an effect answers (SEMANTICS.md, "Attribution"): nothing the model can
// name, exactly one message, or several (then nothing is charged).
struct Target {
  enum Kind : std::uint8_t { none, one, ambiguous } what = none;
  Attrib msg{};
  static Target of(PortName port, Seqno seqno, MessageKind kind) {
    return Target{one, Attrib{port, seqno, kind}};
  }
};

std::string_view verb_text(Verb v);

// The kernel pages a ranged control call covers: [first, last) of its pair,
// the call's range ending at `end` (saturated).
struct CallRange {
  Size end;
  std::size_t first;
  std::size_t last;
};
inline CallRange call_range(const ControlCalled& e, const Pair& p, Size ps) {
  const Size end = sat_add(e.offset, e.size);
  return CallRange{end, static_cast<std::size_t>(e.offset / ps),
                   std::min<std::size_t>(p.pages.size(), (end + ps - 1) / ps)};
}

// Quiescence (quiescence.cpp): Model::judge_quiescent.
Judgement judge_quiescent(const State& s, Model::Quiescence which);

class Step {
 public:
  Step(State& s, Judgement& out) : s_(s), out_(out.verdicts), checked_(out.checked) {}

  void operator()(const KernelAttached& e);
  void operator()(const ObjectOffered& e);
  void operator()(const KernelSent& e);
  void operator()(const Dequeued& e);
  void operator()(const HandlerReturned& e);
  void operator()(const ControlCalled& e);
  void operator()(const PortOperated& e);
  void operator()(const MemoryReleased& e);

 private:
  void report(std::string_view rule, Party party, std::string explanation) {
    if (party != Party::suite) check(rule);  // a broken rule was checked
    out_.push_back(Verdict{rule, party, std::move(explanation), s_.events});
  }
  // A violation of the manual's reading of X-note `note`; when the world
  // reads that note GNU Mach's way, a portability finding (Verdict::portability).
  void report_reading(std::string_view rule, Reading reading, std::string_view note,
                      std::string explanation) {
    report(rule, Party::pager, std::move(explanation));
    if (reading == Reading::gnumach) out_.back().portability = note;
  }
  // The pager's own actions and the kernel's completions (pager_actions.h).
  void sent_hook(const KernelSent& e);
  // The check of `rule` ran on this event (Judgement::checked).
  void check(std::string_view rule) {
    if (std::find(checked_.begin(), checked_.end(), rule) == checked_.end())
      checked_.push_back(rule);
  }

  std::string kernel_text(std::uint32_t kidx) const { return dec(s_.kernels[kidx].id); }
  std::string pair_text(const Pair& p) const {
    return cat("object ", dec(p.object), " / kernel ", kernel_text(p.kernel));
  }
  std::string port_text(PortName n) const;
  // " (thread 2 handling data_request seqno 3)", or "" between messages.
  std::string handling(const ThreadRec& t) const {
    if (!t.cur.busy) return cat(" (thread ", dec(t.id), ")");
    return cat(" (thread ", dec(t.id), " handling ", to_string(t.cur.msg.kind), " seqno ",
               dec(t.cur.seqno), ")");
  }
  std::string message_text(const Current& c) const {
    return cat(to_string(c.msg.kind), " seqno ", dec(c.seqno), " on ", port_text(c.port));
  }

  // Takes over what an OSF hook (osf.h) checked and found.
  void absorb(osf::Found found) {
    for (std::string_view r : found.checked) check(r);
    for (osf::Finding& f : found.verdicts) report(f.rule, f.party, std::move(f.text));
  }

  // --- kernel_sent.cpp ---
  // A completion or notification, sent to a receive right of the pager.
  void sent_elsewhere(const KernelSent& e, PortRec* dest);
  // The object port an init, terminate, copy or data message went to; null
  // when the message is judged misaddressed and not queued.
  PortRec* object_destination(const KernelSent& e, std::uint32_t kidx);
  void sent_init(const KernelSent& e, Pair& p, std::uint32_t& inc);
  void sent_terminate(const KernelSent& e, Pair& p, std::uint32_t& inc);
  void sent_copy(const KernelSent& e, Pair& p, std::uint32_t kidx);
  // data_request, data_unlock, data_return.
  void sent_data(const KernelSent& e, Pair& p, std::uint32_t kidx, std::uint32_t sent,
                 std::uint32_t& inc);
  // Whether the pair's lifecycle lets the kernel send a data message.
  bool data_lifecycle_ok(const KernelSent& e, const Pair& p);
  void sent_data_request(const KernelSent& e, Pair& p, std::size_t first, std::size_t last,
                         std::uint32_t sent);
  void sent_data_return(const KernelSent& e, Pair& p, std::size_t first, std::size_t last,
                        std::uint32_t sent);
  // Page locks (locks.h): the kernel's data_unlock (UL1, UL3) and its
  // lock_completed (LK5, LK9).
  void data_unlock(const KernelSent& e, Pair& p, std::size_t first, std::size_t last);
  void lock_completed(const KernelSent& e);
  std::uint32_t other_kernel_unit(const Pair& p, Offset off, Size size) const;

  // --- dequeued.cpp ---
  // The seqno check of a dequeue from a port with something queued.
  void dequeue_seqno(const Dequeued& e, PortRec& r, const Queued& m);
  // A message too large for the pager: no rights, no handler.
  void dequeued_too_large(const Dequeued& e, const Queued& m);
  void check_init_rights(const Dequeued& e, std::uint32_t inc_index);
  void check_terminate_rights(const Dequeued& e, std::uint32_t inc_index);
  void check_data_rights(const Dequeued& e, const Queued& m, std::uint32_t inc_index);
  // SQ7 attribution of what a message from an object port carried.
  void note_carried(const Dequeued& e, const Queued& m);
  void deliver_region(const Dequeued& e, const Queued& m);
  void add_rights(const std::vector<CarriedRight>& rights);
  // The incarnation's control or name port now goes by `now` in the pager task.
  void rebind(std::uint32_t inc_index, PortName before, PortName now, Role role);
  // Whether a right carried under `carried` can be the port the model knows
  // as `known`: the same name, or — once the pager holds nothing under
  // `known` (mach_msg_server or the pager released it all) — a name never
  // seen before, since the kernel copies the right out afresh and names are
  // never reused.
  bool same_port(PortName known, PortName carried) const;
  bool names_collide(PortName n, std::uint32_t inc_index) const;

  // --- handler_returned.cpp ---
  void finish(Current& c, KernReturn code);
  void finish_all(ThreadRec& t, KernReturn code) {
    t.nested.clear();
    if (t.cur.busy) finish(t.cur, code);
  }
  // mach_msg_server destroys a refused request's rights and memory (V1-V4).
  void release_request(const Current& c, KernReturn code);
  void remove_receive(PortRec& r);

  // --- control_called.cpp ---
  // Refusals of a call on what is not a live control port of the pager's.
  bool control_port_ok(const ControlCalled& e, const PortRec* rec, ThreadRec& th);
  void control_call(const ControlCalled& e, PortRec& rec, ThreadRec& th);
  // IN5, MK4 and the size rule of a ranged call; false when not whole pages.
  bool check_range(const ControlCalled& e, const Pair& p,
                   const std::function<std::string()>& where);
  // SU6, LK4: the lock values the pager asks for.
  void lock_values(const ControlCalled& e, const std::function<std::string()>& where);
  // Whether the simulated kernel accepted what the model expects (suite).
  void cross_check(const ControlCalled& e, bool live, bool expect_accepted,
                   const std::function<std::string()>& where);
  // PR6, LK5, LK6: where the call's completion goes.
  void reply_port(const ControlCalled& e, const std::function<std::string()>& where);
  // The hooks of the other modules on an accepted call on a live port.
  void accepted_hooks(const ControlCalled& e, Pair& p, std::uint32_t inc_index);
  void readied(Pair& p, Incarnation& inc);
  void destroyed(Pair& p);
  void locked(const ControlCalled& e, Pair& p, bool sizes_ok);
  // SQ7: what the call touches, and the message it is charged to.
  void control_touches(const ControlCalled& e, PortRec& rec, ThreadRec& th,
                       const Target& lifecycle_target);

  // --- control_data.cpp ---
  // SU1, SU2, DR4, DR5, DR8, MK4, UL4: whether the range answers requests
  // of this kernel; true when every page of it was requested.
  bool check_answered(const ControlCalled& e, const Pair& p, bool sizes_ok,
                      const std::function<std::string()>& where);
  // RT4, UN1, UN3, SY2: the contents an answer serves.
  void check_served(const ControlCalled& e, const Pair& p, std::uint32_t inc_index,
                    const std::function<std::string()>& where);
  void supplied(const ControlCalled& e, Pair& p);
  void answered_unavailable(const ControlCalled& e, Pair& p);
  void answered_error(const ControlCalled& e, Pair& p);

  // --- port_operated.cpp ---
  // predicted: 1 success, 0 failure, -1 no prediction.
  using Release = std::function<void(std::string)>;
  int op_deallocate(PortRec* rec, const Release& double_release);
  int op_mod_refs(const PortOperated& e, PortRec* rec, const Release& double_release);
  int op_destroy(PortRec* rec, const Release& double_release);
  int op_allocate(const PortOperated& e, PortRec*& rec);
  // SQ7: what a port operation is charged to.
  Target operation_target(const PortOperated& e, const PortRec& rec, const ThreadRec& th,
                          bool had_receive) const;

  // --- attribution.cpp (SQ7) ---
  // The message an effect is charged to, from what it answers (`target`)
  // and the message the acting thread handles. The thread's message counts
  // when it came from `object_port` (any object port when that is null).
  // Two different candidates, or an ambiguous target: the effect is charged
  // to nothing (no verdict rather than a guess).
  std::optional<Attrib> charge(const Target& target, const ThreadRec& th,
                               PortName object_port) const;
  // `resource()` words the resource, only when a verdict needs it.
  // crosses: reports SQ7 if a handler of a later message on the same object
  // port already made `t`; note: records this handler's touch in `t`.
  template <class Describe>
  bool crosses(const Touch& t, const Attrib& c, Verb verb, Describe resource);
  void note(Touch& t, const Attrib& c, Verb verb);
  template <class Describe>
  bool touch(Touch& t, const Attrib& c, Verb verb, Describe resource);
  // A touch of a name: `shared` for user-reference arithmetic on it.
  template <class Describe>
  bool touch_name(PortRec& r, const Attrib& c, Verb verb, bool shared, Describe resource);
  // The pending-request table of an incarnation, sized to the object.
  std::vector<std::uint32_t>& pending(std::vector<std::uint32_t>& v) const {
    if (v.empty()) v.assign((s_.config.object_size + kBlockSize - 1) / kBlockSize, 0);
    return v;
  }
  bool is_object_port(PortName n) const {
    const PortRec* r = s_.find_port(n);
    return r != nullptr && r->role == Role::object;
  }

  State& s_;
  std::vector<Verdict>& out_;
  std::vector<std::string_view>& checked_;
};

// --- SQ7 templates (attribution.cpp has the rest) ---------------------------

template <class Describe>
bool Step::crosses(const Touch& t, const Attrib& c, Verb verb, Describe resource) {
  const std::uint32_t mine = c.seqno + 1;
  // Seqnos of two ports do not compare.
  if (t.port != c.port) return false;
  check(rule::SQ7);
  if (t.seqno_plus1 <= mine) return false;
  report(rule::SQ7, Party::pager,
         cat(to_string(c.kind), " seqno ", dec(c.seqno), " ", verb_text(verb), " ", resource(),
             " after ", to_string(t.kind), " seqno ", dec(t.seqno_plus1 - 1), " ",
             verb_text(t.verb), " it (", port_text(c.port), ")"));
  return true;
}

template <class Describe>
bool Step::touch(Touch& t, const Attrib& c, Verb verb, Describe resource) {
  const bool crossed = crosses(t, c, verb, resource);
  note(t, c, verb);
  return crossed;
}

template <class Describe>
bool Step::touch_name(PortRec& r, const Attrib& c, Verb verb, bool shared, Describe resource) {
  // Shared touches (user-reference arithmetic) commute with one another, so
  // they cross only an exclusive touch by a later message; an exclusive one
  // crosses any later touch.
  const bool crossed = crosses(shared ? r.touch_exclusive : r.touch, c, verb, resource);
  note(r.touch, c, verb);
  if (!shared) note(r.touch_exclusive, c, verb);
  return crossed;
}

}  // namespace emmi::model::detail
