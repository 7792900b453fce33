// SPDX-License-Identifier: MIT
// Breaking one transition of the encoding on purpose must make the proof
// about it fail with a counterexample to induction (pre-state, event,
// post-state), not pass. The encoding is parameterised (Variant), so each
// mutant is the same formula with one guarded change.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "emmi/smt/proofs.h"

namespace emmi::smt {
namespace {

bool mentions(const std::vector<std::string>& violated, std::string_view words) {
  return std::any_of(violated.begin(), violated.end(),
                     [&](const std::string& v) { return v.find(words) != std::string::npos; });
}

// The common shape of a refuted proof: a step counterexample with the three
// parts present and rendered by our code.
const Counterexample& expect_counterexample(const ProofResult& r, Ev kind) {
  EXPECT_EQ(r.outcome, Outcome::failed) << to_string(r.outcome) << " " << r.reason;
  if (!r.counterexample) throw std::runtime_error("no counterexample for " + r.name);
  const Counterexample& c = *r.counterexample;
  const Layout layout{Bounds{}};
  EXPECT_EQ(c.check, "step: " + std::string(to_string(kind)));
  EXPECT_FALSE(c.violated.empty());
  EXPECT_EQ(c.pre.size(), layout.size());
  EXPECT_EQ(c.post.size(), layout.size());
  EXPECT_TRUE(c.event.has_value());
  if (c.event) {
    EXPECT_EQ(c.event->kind, kind);
  }
  EXPECT_NE(c.pre, c.post);
  for (const char* part : {"violated:", "pre-state:", "event:", "post-state (changes):"})
    EXPECT_NE(r.rendered.find(part), std::string::npos) << part << " missing in\n" << r.rendered;
  return c;
}

TEST(Mutation, DequeueThatAdvancesTheCounterByTwoBreaksTheSeqnoProof) {
  ProofOptions o;
  o.variant.dequeue_increment = 2;
  const ProofResult r = prove_seqnos(o);
  const Counterexample& c = expect_counterexample(r, Ev::dequeued);
  EXPECT_TRUE(mentions(c.violated, "kernel's seqno") || mentions(c.violated, "plus one"))
      << r.rendered;
  // The dequeued right's counter moved by two in the rendered post-state.
  const Layout l{Bounds{}};
  const std::size_t ctr = l.at(F::ctr, c.event->port);
  EXPECT_EQ(c.post[ctr], (std::uint64_t{c.event->seqno} + 2) & 0xffffffffu) << r.rendered;
}

TEST(Mutation, ReceiveRightMovedInWithoutSeqnoResetBreaksTheSeqnoProof) {
  ProofOptions o;
  o.variant.reset_seqno_on_move_in = false;
  const ProofResult r = prove_seqnos(o);
  const Counterexample& c = expect_counterexample(r, Ev::dequeued);
  EXPECT_EQ(c.event->msg, Msg::terminate) << r.rendered;
}

TEST(Mutation, WithoutTheBoundOnMessagesPerIncarnationTheCounterWraps) {
  ProofOptions o;
  o.bounded_incarnation = false;
  const ProofResult r = prove_seqnos(o);
  const Counterexample& c = expect_counterexample(r, Ev::dequeued);
  EXPECT_TRUE(mentions(c.violated, "increasing") || mentions(c.violated, "above")) << r.rendered;
  EXPECT_EQ(c.event->seqno, 0xffffffffu) << r.rendered;
}

TEST(Mutation, ReadyOnAStaleControlPortBreaksTheReadinessProof) {
  // SEMANTICS.md read literally: ready counts on the control name of any
  // live pair, even after the kernel sent terminate and a new init.
  ProofOptions o;
  o.variant.ready_needs_current_control = false;
  const ProofResult r = prove_no_request_before_ready(o);
  const Counterexample& c = expect_counterexample(r, Ev::control_called);
  EXPECT_TRUE(c.event->call == Call::ready || c.event->call == Call::change_attributes)
      << r.rendered;
}

}  // namespace
}  // namespace emmi::smt
