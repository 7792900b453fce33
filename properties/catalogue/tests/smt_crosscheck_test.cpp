// SPDX-License-Identifier: MIT
// The SMT proofs and the catalogue agree: every rule a proof covers is in the
// catalogue, and the rules marked "smt" are exactly the ones proved.
#include "emmi/smt/proofs.h"
#include "rule_list_crosscheck.h"

namespace emmi::catalogue::testing {
namespace {

TEST(SmtCrosscheck, ProofsNameOnlyCatalogueRules) {
  expect_all_known(emmi::smt::proved_rules(), "the SMT proofs");
}

TEST(SmtCrosscheck, EveryRuleMarkedSmtIsProved) {
  expect_marked_are_listed(emmi::smt::proved_rules(), Method::smt, "the SMT proofs");
}

TEST(SmtCrosscheck, EveryProvedRuleIsMarkedSmt) {
  expect_listed_are_marked(emmi::smt::proved_rules(), Method::smt, "the SMT proofs");
}

}  // namespace
}  // namespace emmi::catalogue::testing
