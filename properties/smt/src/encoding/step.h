// SPDX-License-Identifier: MIT
// One step of the encoding (private to properties/smt/src/encoding): the
// builder that applies one symbolic event to a symbolic state. `post` starts
// as a copy of `pre` and each event block overwrites the variables it
// changes under its own guard, `ite(when, new, old)`, so every variable an
// event does not name keeps its value. The blocks live in one file per event
// family, named after the reference model's (model/src/step.h), so that a
// transition can be compared with the model's file to file:
//
//   encoding.cpp          the layout, the shared helpers of Encoding, and
//                         build(), which runs the blocks
//   setup.cpp             Encoding::initial: the world after KernelAttached
//                         and ObjectOffered
//   kernel_sent.cpp       KernelSent: init, terminate, requests, returns,
//                         other messages, the in-flight queue
//   dequeued.cpp          Dequeued: seqnos, the rights a message carries,
//                         the thread's current message
//   handler_returned.cpp  HandlerReturned: what mach_msg_server releases
//                         after an error return
//   control_called.cpp    ControlCalled: which port, the live pair, the
//                         kernel's accept/refuse, readiness, destroy
//   control_data.cpp      ControlCalled, data path: data_supply,
//                         data_unavailable, data_error
//   osf.cpp               the OSF dialect's parts of KernelSent
//                         (synchronize) and ControlCalled (CA1, CA2, SY3)
//   port_operated.cpp     PortOperated: the right ledger and its releases
//   quiescence.cpp        Encoding::quiescent
//   constraints.cpp       well_formed, kernel_conforms, pager_conforms,
//                         bounded_incarnation (the proofs' assumptions; no
//                         model counterpart)
//
// The model's memory_released.cpp (V4) and attribution.cpp (SQ7) have no
// counterpart: out-of-line memory and SQ7 are outside the encoding
// (properties/smt/README.md).
//
// Rules are cited where a verdict predicate is built; the order of the
// checks is the one of the model's step, so that concrete evaluation gives
// the model's verdicts. The blocks run in a fixed order (build()) and create
// their terms in it: reordering them gives the same formulas with other Z3
// term ids, which can change the proofs' resource counts (`emmi-cts prove`'s
// rlimit).
#pragma once

#include <cstdint>
#include <string_view>

#include <z3++.h>

#include "emmi/smt/encoding.h"

namespace emmi::smt::detail {

class StepBuilder {
 public:
  StepBuilder(const Encoding& enc, const State& pre, const Event& e)
      : enc_(enc), c_(enc.ctx()), b_(enc.bounds()), pre_(pre), e_(e), post_(pre) {}

  // encoding.cpp: every event block, in the order of the model's step.
  Step build();

 private:
  z3::expr bv(std::uint64_t v, unsigned w) const { return c_.bv_val(v, w); }
  z3::expr is(const z3::expr& t, unsigned code) const { return enc_.is(t, code); }
  z3::expr kind(Ev k) const { return is(e_.kind, unsigned(k)); }
  z3::expr msg(Msg m) const { return is(e_.msg, unsigned(m)); }
  z3::expr is_call(Call c) const { return is(e_.call, unsigned(c)); }
  static z3::expr is_msg(const Encoding& enc, const z3::expr& t, Msg m) {
    return enc.is(t, unsigned(m));
  }
  z3::expr life(const z3::expr& lc, Life l) const { return is(lc, unsigned(l)); }
  z3::expr ff() const { return c_.bool_val(false); }
  z3::expr tt() const { return c_.bool_val(true); }
  z3::expr zero_refs() const { return bv(0, kUrefBits); }
  z3::expr emmi() const {
    const z3::expr gnumach = msg(Msg::init) || msg(Msg::terminate) || msg(Msg::data_request) ||
                             msg(Msg::data_unlock) || msg(Msg::data_return);
    return b_.osf_kernels != 0 ? gnumach || msg(Msg::synchronize) : gnumach;
  }
  z3::expr request_kind(const z3::expr& k) const {
    return is_msg(enc_, k, Msg::data_request) || is_msg(enc_, k, Msg::data_unlock) ||
           is_msg(enc_, k, Msg::data_return);
  }
  // Messages after init that carry a send right to the control (MAKE_SEND):
  // the requests and, in the OSF dialect, synchronize.
  z3::expr carries_control(const z3::expr& k) const {
    return b_.osf_kernels != 0 ? request_kind(k) || is_msg(enc_, k, Msg::synchronize)
                               : request_kind(k);
  }
  // a && b, or b alone when a is literally true (a GNU Mach-only world keeps its formulas).
  static z3::expr guard(const z3::expr& a, const z3::expr& b) { return a.is_true() ? b : a && b; }
  z3::expr free_slot(unsigned p, unsigned y) const {
    return pre_(F::smask, p, y) == bv(0, b_.pages);
  }
  // An outstanding synchronize of the pair's current incarnation.
  z3::expr current_sync(unsigned p, unsigned y) const {
    return !free_slot(p, y) && !pre_(F::sorph, p, y);
  }
  void verdict(std::string_view rule, std::string_view party, const z3::expr& when) {
    v_.items.emplace_back(VerdictKey{rule, party}, when);
  }
  z3::expr at_slot(F f, const z3::expr& slot) const { return enc_.at_name(pre_, f, slot); }
  unsigned nb() const { return enc_.layout().name_bits(); }
  unsigned pb() const { return enc_.layout().pair_bits(); }
  z3::expr slot_is(const z3::expr& t, unsigned s) const { return t == bv(s, nb()); }
  // The pair a dequeue from an object port concerns: (object of the port, kernel).
  z3::expr pair_of_port_event(unsigned p) const {
    return slot_is(e_.port, p / b_.kernels) && is(e_.ker, p % b_.kernels);
  }
  z3::expr pair_index_of_port_event() const {
    z3::expr r = bv(0, pb());
    for (unsigned p = 0; p < b_.pairs(); ++p) r = z3::ite(pair_of_port_event(p), bv(p, pb()), r);
    return r;
  }
  z3::expr sat_inc(const z3::expr& x, std::uint64_t max) const {
    const unsigned w = x.get_sort().bv_size();
    return z3::ite(x == bv(max, w), x, x + bv(1, w));
  }
  z3::expr sat_dec(const z3::expr& x) const {
    const unsigned w = x.get_sort().bv_size();
    return z3::ite(x == bv(0, w), x, x - bv(1, w));
  }
  void upd(F f, unsigned i, const z3::expr& when, const z3::expr& value) {
    post_.set(f, i, z3::ite(when, value, post_(f, i)));
  }
  void upd_page(F f, unsigned i, unsigned pg, const z3::expr& when, const z3::expr& value) {
    post_.set(f, i, pg, z3::ite(when, value, post_(f, i, pg)));
  }
  void clear_pages(unsigned p, const z3::expr& when) {
    for (unsigned pg = 0; pg < b_.pages; ++pg) {
      upd_page(F::req, p, pg, when, ff());
      upd_page(F::res, p, pg, when, ff());
    }
  }
  // One more send reference, unless the name's references are at Mach's
  // limit: send and dead-name references share one 16-bit count per name
  // (MACH_PORT_UREFS_MAX); GNU Mach then fails with KERN_UREFS_OVERFLOW.
  z3::expr add_send(unsigned s, const z3::expr& snd) const {
    const unsigned w = kUrefBits + 1;
    const z3::expr total = z3::zext(snd, 1) + z3::zext(post_(F::dead, s), 1);
    return z3::ite(z3::ult(total, bv(kUrefsMax, w)), snd + bv(1, kUrefBits), snd);
  }
  // One send reference released: a send uref, else a dead-name uref (its
  // port died meanwhile), as Mach's deallocate and mach_msg_destroy do.
  void drop_send(unsigned s, const z3::expr& when) {
    const z3::expr snd = post_(F::snd, s), dead = post_(F::dead, s);
    post_.set(F::snd, s, z3::ite(when && snd != zero_refs(), snd - bv(1, kUrefBits), snd));
    post_.set(F::dead, s,
              z3::ite(when && snd == zero_refs() && dead != zero_refs(), dead - bv(1, kUrefBits),
                      dead));
  }
  // The receive right goes; send rights under the same name become a dead
  // name with the same user references (Mach's ipc_right).
  void remove_receive(unsigned s, const z3::expr& when) {
    upd(F::dead, s, when, post_(F::dead, s) + post_(F::snd, s));
    upd(F::snd, s, when, zero_refs());
    upd(F::recv, s, when, ff());
    upd(F::qother, s, when, bv(0, kCountBits));
  }
  z3::expr no_send_reference(const z3::expr& slot) const {
    return at_slot(F::snd, slot) == zero_refs() && at_slot(F::dead, slot) == zero_refs();
  }
  void upd_sync(F f, unsigned p, unsigned y, const z3::expr& when, const z3::expr& value) {
    post_.set(f, p, y, z3::ite(when, value, post_(f, p, y)));
  }

  // kernel_sent.cpp
  void kernel_sent();
  // dequeued.cpp
  void dequeued();
  // What the dequeued message means: the oldest message of its pair, as it
  // was sent, or none if it was sent outside any incarnation.
  struct Dequeue {
    z3::expr real_init, real_term, real_request, stray;
    z3::expr named_init,
        named_term;             // the same, for pairs whose init and terminate carry a name port
    z3::expr old_ctl, old_nam;  // names the terminated incarnation had
  };
  void dequeue_seqnos(const z3::expr& deq);
  Dequeue dequeue_front(const z3::expr& deq);
  void dequeue_rights(const Dequeue& m, const z3::expr& pair);
  // The receive rights a terminate moves in (TM3), for name slot s.
  void move_in_receive_rights(unsigned s, const Dequeue& m, const z3::expr& pair,
                              const z3::expr& as_c, const z3::expr& as_n);
  void dequeue_thread(const z3::expr& deq, const Dequeue& m, const z3::expr& pair);
  // handler_returned.cpp
  void handler_returned();
  // control_called.cpp
  void control_called();
  z3::expr control_port(const z3::expr& call, const z3::expr& supply);
  void control_pair(unsigned p, const z3::expr& usable, const z3::expr& supply,
                    const z3::expr& answer);
  // control_data.cpp
  void control_data(unsigned p, const z3::expr& live, const z3::expr& supply,
                    const z3::expr& answer);
  // osf.cpp (for the pairs of an OSF kernel)
  void osf_sent(unsigned p, const z3::expr& init, const z3::expr& term, const z3::expr& sync);
  void osf_control(unsigned p, const z3::expr& live, z3::expr& refused, z3::expr& attrs_ok);
  // port_operated.cpp
  void port_operated();

  const Encoding& enc_;
  z3::context& c_;
  const Bounds& b_;
  const State& pre_;
  const Event& e_;
  State post_;
  Verdicts v_;
  z3::expr accepted_ = c_.bool_val(false);
  z3::expr succeeds_ = c_.bool_val(false);
};

}  // namespace emmi::smt::detail
