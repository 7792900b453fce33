// SPDX-License-Identifier: MIT
// Each inductive proof is its own test: it must be proved (not failed, not
// unknown) within its resource limit, and name the rules it establishes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "emmi/smt/proofs.h"

namespace emmi::smt {
namespace {

const ProofEntry& entry(std::string_view id) {
  for (const ProofEntry& p : proofs())
    if (p.id == id) return p;
  throw std::out_of_range(std::string(id));
}

void expect_proved(std::string_view id, unsigned osf_kernels = 0) {
  const ProofEntry& p = entry(id);
  ProofOptions o;
  o.bounds.osf_kernels = osf_kernels;
  const ProofResult r = p.run(o);
  EXPECT_EQ(r.outcome, Outcome::proved)
      << r.name << ": " << to_string(r.outcome) << " " << r.reason << "\n"
      << r.rendered;
  EXPECT_TRUE(std::equal(r.rules.begin(), r.rules.end(), p.rules.begin(), p.rules.end()));
  EXPECT_FALSE(r.rules.empty());
  // base + (step + non-vacuity) per event kind
  EXPECT_EQ(r.checks, 1u + 2u * (unsigned(Ev::port_operated) + 1));
  EXPECT_GT(r.rlimit_used, 0u);
  EXPECT_LT(r.rlimit_used, r.rlimit);
  ::testing::Test::RecordProperty("rlimit_used", std::to_string(r.rlimit_used));
}

TEST(Proof, SeqnosGapFreeAndIncreasing) { expect_proved("seqnos"); }
TEST(Proof, InitTerminateOrder) { expect_proved("init_terminate_order"); }
TEST(Proof, UrefsNeverNegative) { expect_proved("urefs_never_negative"); }
TEST(Proof, TerminateReleasesRights) { expect_proved("terminate_releases_rights"); }
TEST(Proof, NoRequestBeforeReady) { expect_proved("no_request_before_ready"); }

// The same invariants in a world where kernel 1 speaks the OSF dialect: its
// init carries the control alone, its terminate moves the control's receive
// right alone, and it sends synchronize (model/SEMANTICS.md, "OSF dialect").
constexpr unsigned kOsfKernel1 = 0b10;
TEST(Proof, SeqnosWithAnOsfKernel) { expect_proved("seqnos", kOsfKernel1); }
TEST(Proof, InitTerminateOrderWithAnOsfKernel) {
  expect_proved("init_terminate_order", kOsfKernel1);
}
TEST(Proof, UrefsNeverNegativeWithAnOsfKernel) {
  expect_proved("urefs_never_negative", kOsfKernel1);
}
TEST(Proof, TerminateReleasesRightsWithAnOsfKernel) {
  expect_proved("terminate_releases_rights", kOsfKernel1);
}
TEST(Proof, NoRequestBeforeReadyWithAnOsfKernel) {
  expect_proved("no_request_before_ready", kOsfKernel1);
}

// proved_rules() is exactly the union of the rules the proofs name.
TEST(Proof, ProvedRulesIsTheUnionOfTheProofsRules) {
  std::set<std::string_view> named;
  for (const ProofEntry& p : proofs()) named.insert(p.rules.begin(), p.rules.end());
  const auto listed = proved_rules();
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end()));
  EXPECT_EQ(std::set<std::string_view>(listed.begin(), listed.end()), named);
  EXPECT_EQ(listed.size(), named.size());
}

// A resource limit too small to decide anything gives "unknown" with Z3's
// reason, never "proved".
TEST(Proof, TinyResourceLimitIsUnknownNotProved) {
  ProofOptions o;
  o.rlimit = 1000;
  const ProofResult r = prove_seqnos(o);
  EXPECT_EQ(r.outcome, Outcome::unknown) << r.rendered;
  EXPECT_NE(r.reason.find("resource"), std::string::npos) << r.reason;
}

}  // namespace
}  // namespace emmi::smt
