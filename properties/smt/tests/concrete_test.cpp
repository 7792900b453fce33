// SPDX-License-Identifier: MIT
// The encoding evaluated on concrete values: protocol scenarios with the
// verdicts and states SEMANTICS.md prescribes, a cross-check of the fast
// evaluation (substitute + simplify) against a plain Z3 solve of the same
// step, and the list of rules the encoding can name.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

#include "emmi/smt/concrete.h"

namespace emmi::smt {
namespace {

// Runs events through the evaluator, keeping the state.
class Script {
 public:
  explicit Script(Bounds b = {}) : eval_(b), state_(initial_state(eval_.layout())) {}

  std::set<VerdictKey> run(const ConcreteEvent& e) {
    last_ = eval_.step(state_, e);
    state_ = last_.post;
    return last_.verdicts;
  }
  std::uint64_t at(F f, unsigned index, unsigned page = 0) const {
    return state_[layout().at(f, index, page)];
  }
  const Layout& layout() const { return eval_.layout(); }
  const Evaluator::Result& last() const { return last_; }
  std::set<VerdictKey> quiescent() { return eval_.quiescent(state_); }

  // Shorthands for the events of a conforming session.
  std::set<VerdictKey> send(Msg m, unsigned obj, unsigned ker, unsigned page = 0) {
    ConcreteEvent e;
    e.kind = Ev::kernel_sent;
    e.msg = m;
    e.obj = obj;
    e.ker = ker;
    e.page = page;
    return run(e);
  }
  std::set<VerdictKey> dequeue(unsigned thread, unsigned port, std::uint32_t seqno, Msg m,
                               unsigned ker, unsigned c = 0, unsigned n = 0) {
    ConcreteEvent e;
    e.kind = Ev::dequeued;
    e.thread = thread;
    e.port = port;
    e.seqno = seqno;
    e.msg = m;
    e.ker = ker;
    e.c = c;
    e.n = n;
    return run(e);
  }
  std::set<VerdictKey> returned(unsigned thread, Ret code) {
    ConcreteEvent e;
    e.kind = Ev::handler_returned;
    e.thread = thread;
    e.code = code;
    return run(e);
  }
  std::set<VerdictKey> call(unsigned thread, Call c, unsigned control, unsigned mask = 1) {
    ConcreteEvent e;
    e.kind = Ev::control_called;
    e.thread = thread;
    e.call = c;
    e.port = control;
    e.mask = mask;
    return run(e);
  }
  std::set<VerdictKey> sync(unsigned obj, unsigned ker, unsigned mask, unsigned flags) {
    ConcreteEvent e;
    e.kind = Ev::kernel_sent;
    e.msg = Msg::synchronize;
    e.obj = obj;
    e.ker = ker;
    e.mask = mask;
    e.flags = flags;
    return run(e);
  }
  std::set<VerdictKey> change(unsigned thread, unsigned control, Attrs a) {
    ConcreteEvent e;
    e.kind = Ev::control_called;
    e.thread = thread;
    e.call = Call::change_attributes;
    e.port = control;
    e.attrs = a;
    return run(e);
  }
  std::set<VerdictKey> op(unsigned thread, Op o, unsigned name) {
    ConcreteEvent e;
    e.kind = Ev::port_operated;
    e.thread = thread;
    e.op = o;
    e.port = name;
    return run(e);
  }

  // Object 0 mapped by kernel 1 and made ready; control name 2, name port 3.
  void ready_pair() {
    send(Msg::init, 0, 1);
    dequeue(0, 0, 0, Msg::init, 1, 2, 3);
    returned(0, Ret::success);
    call(0, Call::ready, 2);
  }

 private:
  Evaluator eval_;
  ConcreteState state_;
  Evaluator::Result last_;
};

using Keys = std::set<VerdictKey>;
const Keys kNone{};

unsigned pair01() { return 0 * 2 + 1; }  // object 0, kernel 1

TEST(Concrete, ConformingSessionFromInitToTerminateRevealsNothing) {
  Script s;
  EXPECT_EQ(s.send(Msg::init, 0, 1), kNone);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::initialised));
  EXPECT_EQ(s.dequeue(0, 0, 0, Msg::init, 1, 2, 3), kNone);
  EXPECT_EQ(s.at(F::snd, 2), 1u);
  EXPECT_EQ(s.at(F::snd, 3), 1u);
  EXPECT_EQ(s.at(F::ctr, 0), 1u);
  EXPECT_EQ(s.returned(0, Ret::success), kNone);
  EXPECT_EQ(s.call(0, Call::ready, 2), kNone);
  EXPECT_TRUE(s.last().accepted);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::ready));

  EXPECT_EQ(s.send(Msg::data_request, 0, 1, 2), kNone);
  EXPECT_EQ(s.at(F::req, pair01(), 2), 1u);
  // The request carries a send right to the control port (MAKE_SEND).
  EXPECT_EQ(s.dequeue(1, 0, 1, Msg::data_request, 1, 2), kNone);
  EXPECT_EQ(s.at(F::snd, 2), 2u);
  EXPECT_EQ(s.call(1, Call::data_supply, 2, 0b0100), kNone);
  EXPECT_EQ(s.at(F::req, pair01(), 2), 0u);
  EXPECT_EQ(s.at(F::res, pair01(), 2), 1u);
  EXPECT_EQ(s.op(1, Op::deallocate, 2), kNone);
  EXPECT_TRUE(s.last().succeeds);
  EXPECT_EQ(s.returned(1, Ret::success), kNone);

  EXPECT_EQ(s.send(Msg::terminate, 0, 1), kNone);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::terminating));
  EXPECT_EQ(s.at(F::res, pair01(), 2), 0u);
  EXPECT_EQ(s.dequeue(0, 0, 2, Msg::terminate, 1, 2, 3), kNone);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::terminated));
  EXPECT_EQ(s.at(F::recv, 2), 1u);
  EXPECT_EQ(s.at(F::ctr, 2), 0u);  // SQ5: a receive right moved in starts at 0
  // Rights still held at quiescence: TM4, TM5, V6.
  EXPECT_EQ(s.quiescent(), (Keys{{"TM4", "pager"}, {"TM5", "pager"}, {"V6", "pager"}}));
  EXPECT_EQ(s.op(0, Op::destroy, 2), kNone);
  EXPECT_EQ(s.op(0, Op::destroy, 3), kNone);
  EXPECT_EQ(s.returned(0, Ret::success), kNone);
  EXPECT_EQ(s.quiescent(), kNone);
}

TEST(Concrete, SeqnoVerdictsNameTheWayTheNumberIsWrong) {
  Script s;
  s.send(Msg::init, 0, 0);
  s.send(Msg::other, 0, 0);
  s.send(Msg::other, 0, 0);
  // First message since the right was created must carry 0.
  EXPECT_EQ(s.dequeue(0, 0, 4, Msg::init, 0, 2, 3), (Keys{{"SQ5", "kernel"}}));
  EXPECT_EQ(s.at(F::ctr, 0), 5u);
  // A skipped number, then a repeated one on an object port.
  EXPECT_EQ(s.dequeue(0, 0, 7, Msg::other, 0), (Keys{{"SQ6", "kernel"}}));
  EXPECT_EQ(s.dequeue(0, 0, 3, Msg::other, 0), (Keys{{"SQ1", "kernel"}}));
}

TEST(Concrete, KernelOrderVerdicts) {
  Script s;
  EXPECT_EQ(s.send(Msg::data_request, 1, 0, 1), (Keys{{"IN1", "kernel"}}));  // before init
  EXPECT_EQ(s.send(Msg::init, 1, 0), kNone);
  EXPECT_EQ(s.send(Msg::data_request, 1, 0, 1), (Keys{{"RD1", "kernel"}}));  // before ready
  EXPECT_EQ(s.send(Msg::init, 1, 0), (Keys{{"IN1", "kernel"}}));             // second live init
  EXPECT_EQ(s.send(Msg::terminate, 1, 0), kNone);
  EXPECT_EQ(s.send(Msg::data_return, 1, 0, 1), (Keys{{"TM8", "kernel"}}));  // after terminate
  EXPECT_EQ(s.send(Msg::terminate, 1, 0), (Keys{{"TM8", "kernel"}}));
  // The queue remembers which messages have no incarnation: the request
  // before init, not the one before ready (the model keeps that one).
  const std::uint64_t q = s.at(F::qreg, 2);
  constexpr std::uint64_t cell = (1u << kMsgBits) - 1;
  EXPECT_EQ(q & cell, unsigned(Msg::stray));
  EXPECT_EQ((q >> kMsgBits) & cell, unsigned(Msg::init));
  EXPECT_EQ((q >> (2 * kMsgBits)) & cell, unsigned(Msg::data_request));
}

TEST(Concrete, ReleaseVerdicts) {
  Script s;
  s.ready_pair();
  EXPECT_EQ(s.op(0, Op::deallocate, 3), kNone);
  EXPECT_EQ(s.op(0, Op::deallocate, 3), (Keys{{"V3", "pager"}}));  // released twice
  EXPECT_FALSE(s.last().succeeds);
  // An init whose handler fails: mach_msg_server releases its rights, so
  // the pager's own release is V1, and using the control is IN9.
  s.send(Msg::init, 1, 0);
  s.dequeue(1, 1, 0, Msg::init, 0, 4, 5);
  EXPECT_EQ(s.returned(1, Ret::error), kNone);
  EXPECT_EQ(s.at(F::snd, 4), 0u);
  EXPECT_EQ(s.op(1, Op::deallocate, 4), (Keys{{"V1", "pager"}}));
  EXPECT_EQ(s.call(1, Call::ready, 4), (Keys{{"IN9", "pager"}}));
  EXPECT_FALSE(s.last().accepted);
  // The pager released a right before its handler failed: V1 at return.
  s.send(Msg::terminate, 1, 0);
  s.send(Msg::init, 1, 0);
  s.dequeue(0, 1, 1, Msg::terminate, 0, 4, 5);
  s.returned(0, Ret::success);
  s.dequeue(0, 1, 2, Msg::init, 0, 6, 7);
  s.op(0, Op::deallocate, 6);
  EXPECT_EQ(s.returned(0, Ret::error), (Keys{{"V1", "pager"}}));
}

TEST(Concrete, ControlCallVerdicts) {
  Script s;
  s.ready_pair();
  EXPECT_EQ(s.call(0, Call::data_supply, 2, 0b0001), (Keys{{"SU1", "pager"}}));  // not requested
  EXPECT_EQ(s.call(0, Call::data_supply, 2, 0b0001), (Keys{{"SU2", "pager"}}));  // now resident
  EXPECT_EQ(s.call(0, Call::data_unavailable, 2, 0b0010),
            (Keys{{"DR5", "pager"}}));  // not requested
  EXPECT_EQ(s.call(0, Call::data_error, 2, 0b0010), (Keys{{"DR4", "pager"}}));
  EXPECT_EQ(s.call(0, Call::data_supply, 3, 0b0010), (Keys{{"SU12", "pager"}}));  // the name port
  EXPECT_EQ(s.call(0, Call::lock_request, 0, 0b0010), (Keys{{"DR8", "pager"}}));  // the object port
  // Another kernel's request answered on this kernel's control (MK2).
  s.send(Msg::init, 0, 0);
  s.dequeue(1, 0, 1, Msg::init, 0, 4, 5);
  s.returned(1, Ret::success);
  s.call(1, Call::ready, 4);
  s.send(Msg::data_request, 0, 0, 3);
  EXPECT_EQ(s.call(0, Call::data_supply, 2, 0b1000), (Keys{{"DR8", "pager"}}));
  // After terminate is dequeued the control port is the pager's to destroy.
  s.send(Msg::terminate, 0, 1);
  EXPECT_EQ(s.call(0, Call::ready, 2), kNone);  // the pager cannot know yet; the kernel refuses
  EXPECT_FALSE(s.last().accepted);
  s.dequeue(0, 0, 2, Msg::data_request, 0, 4);
  s.dequeue(0, 0, 3, Msg::terminate, 1, 2, 3);
  EXPECT_EQ(s.call(0, Call::ready, 2), (Keys{{"TM8", "pager"}}));
}

// A dispatcher (thread 0) dequeues init and terminate and hands them to a
// worker (thread 1). The worker's ready is init's work: no TM8 until
// terminate's handling has let go of the receive right it moved in.
TEST(Concrete, AWorkersCallAfterTheDispatcherDequeuedTerminateWaitsForItsHandling) {
  Script s;
  s.send(Msg::init, 0, 1);
  s.send(Msg::terminate, 0, 1);
  s.dequeue(0, 0, 0, Msg::init, 1, 2, 3);
  s.returned(0, Ret::no_reply);
  s.dequeue(0, 0, 1, Msg::terminate, 1, 2, 3);
  s.returned(0, Ret::no_reply);
  EXPECT_EQ(s.call(1, Call::ready, 2), kNone);
  EXPECT_FALSE(s.last().accepted);
  EXPECT_EQ(s.op(1, Op::mod_refs_receive, 2), kNone);
  EXPECT_EQ(s.call(1, Call::ready, 2), (Keys{{"TM8", "pager"}}));
}

// A message dequeued from a reply port inside init's handler nests: init's
// error return still makes mach_msg_server release init's rights.
TEST(Concrete, AReplyDequeuedInsideAHandlerNests) {
  Script s;
  s.send(Msg::init, 0, 1);
  s.dequeue(0, 0, 0, Msg::init, 1, 2, 3);
  ConcreteEvent reply;
  reply.kind = Ev::kernel_sent;
  reply.msg = Msg::other;
  reply.port = 5;
  EXPECT_EQ(s.run(reply), kNone);
  EXPECT_EQ(s.dequeue(0, 5, 0, Msg::other, 0), kNone);
  EXPECT_EQ(s.at(F::tkind, 0), unsigned(Msg::init));
  EXPECT_EQ(s.returned(0, Ret::error), kNone);
  EXPECT_EQ(s.at(F::snd, 2), 0u);
  EXPECT_EQ(s.at(F::snd, 3), 0u);
  EXPECT_EQ(s.at(F::busy, 0), 0u);
}

TEST(Concrete, ReadyOnTheOldControlAfterAReinitIsRefused) {
  Script s;
  s.ready_pair();
  s.send(Msg::terminate, 0, 1);
  s.send(Msg::init, 0, 1);  // re-map: queued behind terminate
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::initialised));
  EXPECT_EQ(s.call(0, Call::ready, 2), kNone);
  EXPECT_FALSE(s.last().accepted);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::initialised));
  // Dequeuing the old terminate leaves the new incarnation alone.
  s.dequeue(0, 0, 1, Msg::terminate, 1, 2, 3);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::initialised));
}

TEST(Concrete, QuiescenceVerdicts) {
  Script s;
  s.send(Msg::init, 1, 1);
  EXPECT_EQ(s.quiescent(), (Keys{{"RD1", "pager"}}));
  s.dequeue(0, 1, 0, Msg::init, 1, 2, 3);
  s.returned(0, Ret::success);
  s.call(0, Call::ready, 2);
  s.send(Msg::data_request, 1, 1, 0);
  EXPECT_EQ(s.quiescent(), (Keys{{"DR3", "pager"}}));
  s.send(Msg::terminate, 1, 1);
  s.send(Msg::init, 1, 1);
  EXPECT_EQ(s.quiescent(), (Keys{{"TM6", "pager"}}));  // ready before, not this time
}

// The fast evaluation agrees with a plain solve of the same step formula.
TEST(Concrete, EvaluationAgreesWithSolvingTheStep) {
  Script s;
  s.ready_pair();
  s.send(Msg::data_request, 0, 1, 3);
  const ConcreteEvent events[] = {
      [] {
        ConcreteEvent e;
        e.kind = Ev::dequeued;
        e.port = 0;
        e.seqno = 9;
        e.msg = Msg::data_request;
        e.ker = 1;
        e.c = 2;
        e.thread = 1;
        return e;
      }(),
      [] {
        ConcreteEvent e;
        e.kind = Ev::control_called;
        e.call = Call::data_supply;
        e.port = 2;
        e.mask = 0b1100;
        return e;
      }(),
      [] {
        ConcreteEvent e;
        e.kind = Ev::port_operated;
        e.op = Op::mod_refs_receive;
        e.port = 3;
        return e;
      }(),
      [] {
        ConcreteEvent e;
        e.kind = Ev::kernel_sent;
        e.msg = Msg::terminate;
        e.obj = 0;
        e.ker = 1;
        return e;
      }(),
  };
  z3::context ctx;
  Encoding enc(ctx);
  const State pre = enc.fresh_state("p.");
  const Event ev = enc.fresh_event("e.");
  const Step st = enc.step(pre, ev);
  ConcreteState state = [&] {
    Script t;
    t.ready_pair();
    t.send(Msg::data_request, 0, 1, 3);
    ConcreteState out(t.layout().size());
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = t.at(t.layout().field(i).kind, t.layout().field(i).index, t.layout().field(i).page);
    return out;
  }();
  Evaluator eval;
  for (const ConcreteEvent& e : events) {
    z3::solver solver(ctx);
    for (std::size_t i = 0; i < state.size(); ++i) {
      const Layout::Field& f = enc.layout().field(i);
      solver.add(f.width == 0 ? pre.terms()[i] == ctx.bool_val(state[i] != 0)
                              : pre.terms()[i] == ctx.bv_val(state[i], f.width));
    }
    const auto values = e.values();
    const auto terms = ev.terms();
    for (std::size_t i = 0; i < terms.size(); ++i)
      solver.add(terms[i] == ctx.bv_val(values[i], terms[i].get_sort().bv_size()));
    ASSERT_EQ(solver.check(), z3::sat);
    const z3::model m = solver.get_model();
    const ConcreteState solved = read_state(m, st.post);
    std::set<VerdictKey> verdicts;
    for (const auto& [k, pred] : st.verdicts.items)
      if (m.eval(pred, true).is_true()) verdicts.insert(k);
    const Evaluator::Result fast = eval.step(state, e);
    EXPECT_EQ(fast.post, solved) << describe(e) << "\n"
                                 << describe(enc.layout(), fast.post, &solved);
    EXPECT_EQ(fast.verdicts, verdicts) << describe(e);
    state = fast.post;
  }
}

// encoded_rules() lists exactly the rules the verdict predicates name (in a
// world with an OSF kernel, whose pairs name the SY and CA rules too).
TEST(Concrete, EncodedRulesAreTheRulesOfTheVerdictPredicates) {
  z3::context ctx;
  Bounds b;
  b.osf_kernels = 0b10;
  Encoding enc(ctx, b);
  const State s = enc.fresh_state("s.");
  std::set<std::string_view> named;
  for (const auto& [k, pred] : enc.step(s, enc.fresh_event("e.")).verdicts.items)
    named.insert(k.rule);
  for (const auto& [k, pred] : enc.quiescent(s).items) named.insert(k.rule);
  const auto listed = encoded_rules();
  EXPECT_EQ(std::set<std::string_view>(listed.begin(), listed.end()), named);
}

// --- OSF dialect (model/SEMANTICS.md, "OSF dialect") ---------------------------

// Kernel 1 speaks OSF: object 0's pair with it is pair01().
Bounds osf_kernel1() {
  Bounds b;
  b.osf_kernels = 0b10;
  return b;
}

// memory_object_init.html / memory_object_terminate.html: the control alone,
// a send right at init, its receive right at terminate; nothing is asked of
// a name port at quiescence.
TEST(Concrete, OsfInitAndTerminateCarryTheControlAlone) {
  Script s(osf_kernel1());
  EXPECT_EQ(s.send(Msg::init, 0, 1), kNone);
  EXPECT_EQ(s.dequeue(0, 0, 0, Msg::init, 1, 2, 2), kNone);
  EXPECT_EQ(s.at(F::snd, 2), 1u);
  EXPECT_EQ(s.at(F::role, 2), unsigned(Role::control));
  EXPECT_EQ(s.at(F::nam, pair01()), 2u);  // the name slot repeats the control
  EXPECT_EQ(s.returned(0, Ret::success), kNone);
  EXPECT_EQ(s.change(0, 2, Attrs::ok), kNone);
  EXPECT_TRUE(s.last().accepted);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::ready));
  EXPECT_EQ(s.send(Msg::terminate, 0, 1), kNone);
  EXPECT_EQ(s.dequeue(0, 0, 1, Msg::terminate, 1, 2, 2), kNone);
  EXPECT_EQ(s.at(F::recv, 2), 1u);
  // Only the control's rights are owed back (TM4, V6); no TM5.
  EXPECT_EQ(s.quiescent(), (Keys{{"TM4", "pager"}, {"V6", "pager"}}));
  EXPECT_EQ(s.op(0, Op::destroy, 2), kNone);
  EXPECT_EQ(s.returned(0, Ret::success), kNone);
  EXPECT_EQ(s.quiescent(), kNone);
  // A GNU Mach-style handler that also releases "the name port" (the
  // control's name) releases it twice (V3).
  EXPECT_EQ(s.op(0, Op::destroy, 2), (Keys{{"V3", "pager"}}));
}

// memory_object_synchronize.html, MO_SY_completed.html, vm_msync.html.
TEST(Concrete, OsfSynchronizeAndItsCompletion) {
  Script s(osf_kernel1());
  s.send(Msg::init, 0, 1);
  s.dequeue(0, 0, 0, Msg::init, 1, 2, 2);
  s.returned(0, Ret::success);
  // Before ready: RD1 (kernel), and it is still outstanding.
  EXPECT_EQ(s.sync(0, 1, 0b0011, kSyncSynchronous), (Keys{{"RD1", "kernel"}}));
  s.call(0, Call::ready, 2);
  // SY4: overlaps the outstanding [0, 2); SY10: both flags.
  EXPECT_EQ(s.sync(0, 1, 0b0010, kSyncAsynchronous), (Keys{{"SY4", "kernel"}}));
  s.call(0, Call::synchronize_completed, 2, 0b0010);  // completes the overlapping one
  EXPECT_EQ(s.sync(0, 1, 0b1100, kSyncSynchronous | kSyncAsynchronous), (Keys{{"SY10", "kernel"}}));
  // SY3: the completion must name an outstanding range exactly.
  EXPECT_EQ(s.call(0, Call::synchronize_completed, 2, 0b0001), (Keys{{"SY3", "pager"}}));
  EXPECT_FALSE(s.last().accepted);
  EXPECT_EQ(s.quiescent(), (Keys{{"SY5", "pager"}}));
  EXPECT_EQ(s.call(0, Call::synchronize_completed, 2, 0b0011), kNone);
  EXPECT_TRUE(s.last().accepted);
  EXPECT_EQ(s.call(0, Call::synchronize_completed, 2, 0b1100), kNone);
  EXPECT_EQ(s.quiescent(), kNone);
  // INVALIDATE flushes the range's resident pages (SY9).
  s.call(0, Call::data_supply, 2, 0b0110);
  EXPECT_EQ(s.at(F::res, pair01(), 1), 1u);
  EXPECT_EQ(s.sync(0, 1, 0b0100, kSyncSynchronous | kSyncInvalidate), kNone);
  EXPECT_EQ(s.at(F::res, pair01(), 1), 1u);
  EXPECT_EQ(s.at(F::res, pair01(), 2), 0u);
  // Terminate abandons the outstanding request: no SY5.
  s.send(Msg::terminate, 0, 1);
  EXPECT_EQ(s.quiescent(), (Keys{}));
}

// MO_change_attributes.html: flavour (CA1) and count (CA2); a refused change
// does not make the object ready.
TEST(Concrete, OsfFlavouredChangeAttributes) {
  Script s(osf_kernel1());
  s.send(Msg::init, 0, 1);
  s.dequeue(0, 0, 0, Msg::init, 1, 2, 2);
  EXPECT_EQ(s.change(0, 2, Attrs::unknown_flavor), (Keys{{"CA1", "pager"}}));
  EXPECT_FALSE(s.last().accepted);
  EXPECT_EQ(s.change(0, 2, Attrs::wrong_count), (Keys{{"CA2", "pager"}}));
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::initialised));
  EXPECT_EQ(s.change(0, 2, Attrs::ok), kNone);
  EXPECT_EQ(s.at(F::lc, pair01()), unsigned(Life::ready));
  // The GNU Mach kernel 0 of the same world takes no flavour and no completion.
  s.send(Msg::init, 1, 0);
  s.dequeue(1, 1, 0, Msg::init, 0, 4, 5);
  EXPECT_EQ(s.change(1, 4, Attrs::unknown_flavor), kNone);
  EXPECT_TRUE(s.last().accepted);
  EXPECT_EQ(s.call(1, Call::synchronize_completed, 4), kNone);
  EXPECT_FALSE(s.last().accepted);
}

}  // namespace
}  // namespace emmi::smt
