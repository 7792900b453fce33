// SPDX-License-Identifier: MIT
// Concrete values for the encoding: a state as one number per layout field,
// an event as plain parameters, their rendering (used for counterexamples to
// induction, never Z3's own printing), and an evaluator that runs the
// symbolic step function on concrete values through Z3, so the formula the
// proofs use can be compared event by event with the C++ model.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <z3++.h>

#include "emmi/smt/encoding.h"

namespace emmi::smt {

using ConcreteState = std::vector<std::uint64_t>;  // one value per Layout field (Bool: 0/1)

struct ConcreteEvent {
  Ev kind = Ev::kernel_sent;
  Msg msg = Msg::init;
  unsigned obj = 0, ker = 0, page = 0, mask = 1, port = 0;
  std::uint32_t seqno = 0;
  unsigned c = 0, n = 0, thread = 0;
  Ret code = Ret::success;
  Call call = Call::ready;
  Op op = Op::deallocate;
  unsigned flags = 0;  // synchronize: kSync* bits
  Attrs attrs = Attrs::ok;

  // In Event::names() order.
  std::vector<std::uint64_t> values() const;
  static ConcreteEvent from_values(const std::vector<std::uint64_t>& v);
};

// One line, e.g. "Dequeued thread 1 port name[0] seqno 3: init from kernel 1 (control name[4], name
// name[5])".
std::string describe(const ConcreteEvent& e);
// One line per pair, name slot and thread; with `before`, only what changed.
std::string describe(const Layout& l, const ConcreteState& s,
                     const ConcreteState* before = nullptr);

// Reads a state or event out of a Z3 model (model completion on).
ConcreteState read_state(const z3::model& m, const State& s);
ConcreteEvent read_event(const z3::model& m, const Event& e);

// An initial state of Encoding::initial, as values: the objects offered
// with MAKE_SEND of receive rights that have no send references. The caller
// may set an object port's F::snd to what another disposition leaves.
ConcreteState initial_state(const Layout& l);

// Evaluates Encoding::step on concrete values. The step formula is built
// once over free constants; each call substitutes the values of the
// pre-state and the event and lets Z3 simplify the result to constants.
// The event-specialised formula is cached per distinct event, so a call
// substitutes only into the parts of the state the event can change.
class Evaluator {
 public:
  explicit Evaluator(Bounds b = {}, Variant v = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  struct Result {
    ConcreteState post;
    std::set<VerdictKey> verdicts;
    bool accepted = false;  // ControlCalled: the kernel took the call
    bool succeeds = false;  // PortOperated: the kernel answered KERN_SUCCESS
  };
  Result step(const ConcreteState& pre, const ConcreteEvent& e);
  std::set<VerdictKey> quiescent(const ConcreteState& s);
  const Layout& layout() const;
  std::size_t cached_events() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace emmi::smt
