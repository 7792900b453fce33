// SPDX-License-Identifier: MIT
// The prove() idiom: an inductive invariant over the encoding is checked in
// two parts, base (initial => invariant) and step (invariant /\ transition =>
// invariant' /\ step obligations), each on a fresh solver with a
// deterministic resource limit. The answer is a structured result: proved,
// failed with a counterexample to induction (pre-state, event, post-state,
// read back into concrete values), or unknown with Z3's reason.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <z3++.h>

#include "emmi/smt/concrete.h"
#include "emmi/smt/encoding.h"

namespace emmi::smt {

enum class Outcome : std::uint8_t { proved, failed, unknown, error };
std::string_view to_string(Outcome o);

struct Counterexample {
  std::string check;                   // "base" or "step: <event kind>"
  std::vector<std::string> violated;   // invariant conjuncts / obligations that fail
  ConcreteState pre;                   // base: the initial state that breaks the invariant
  std::optional<ConcreteEvent> event;  // step only
  ConcreteState post;                  // step only
  std::vector<VerdictKey> verdicts;    // verdicts the step revealed
};

// Text of a counterexample in the protocol's words (our rendering; Z3's
// printing is never shown).
std::string render(const Layout& l, const Counterexample& c);

struct ProofResult {
  std::string id;                       // the proofs() entry, e.g. "seqnos" (set by run_proofs)
  std::string name;                     // what is proved, in words
  std::vector<std::string_view> rules;  // rule IDs the proof establishes
  Outcome outcome = Outcome::unknown;
  std::optional<Counterexample> counterexample;
  std::string rendered;                  // render() of the counterexample, if any
  std::string reason;                    // unknown: Z3's reason; error: the exception text
  std::vector<std::string> invariants;   // what the proof establishes (state conjuncts)
  std::vector<std::string> obligations;  // what it establishes of every step
  std::vector<std::string> auxiliary;    // strengthening conjuncts the proof needed
  std::uint64_t rlimit = 0;              // the resource limit of each check
  std::uint64_t rlimit_used = 0;         // Z3's "rlimit count", summed over the checks
  unsigned checks = 0;
  std::chrono::duration<double> time{};
};

// One inductive proof over an encoding. Conjuncts are families over the
// whole state (for all pairs / names / threads); obligations relate the
// pre-state, the event and the step (post-state and verdicts).
class Induction {
 public:
  using StateFn = std::function<z3::expr(const State&)>;
  using StepFn = std::function<z3::expr(const State& pre, const Event& e, const Step& step)>;

  Induction(const Encoding& enc, std::string name, std::vector<std::string_view> rules);

  Induction& invariant(std::string name, StateFn f);  // what the proof is about
  Induction& auxiliary(std::string name, StateFn f);  // strengthening needed for induction
  Induction& obligation(std::string name, StepFn f);  // must hold on every step
  Induction& pager_conforms(bool on = true);          // restrict pager events to conforming ones
  Induction& bounded_incarnation(bool on = true);     // assume < 2^32-1 dequeues per incarnation

  ProofResult prove(std::uint64_t rlimit) const;

 private:
  struct Named {
    std::string name;
    StateFn f;
    bool aux;
  };
  struct NamedStep {
    std::string name;
    StepFn f;
  };
  const Encoding* enc_;
  std::string name_;
  std::vector<std::string_view> rules_;
  std::vector<Named> conjuncts_;
  std::vector<NamedStep> obligations_;
  bool pager_conforms_ = false;
  bool bounded_incarnation_ = false;
};

}  // namespace emmi::smt
