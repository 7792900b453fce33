// SPDX-License-Identifier: MIT
// Which section of the report a rule goes in: the pager's verdicts, or the
// suite's self-checks of the duties only its simulated kernel can break.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "emmi/catalogue/catalogue.h"
#include "emmi/engine/case_runner.h"
#include "emmi/engine/engine.h"
#include "emmi/model/rules.h"

namespace emmi::engine {
namespace {

TEST(RuleParty, TheKernelDutiesTheModelChecksAreSelfChecks) {
  std::set<std::string> kernel;
  for (const model::RuleInfo& r : model::rule_table())
    if (rule_party(r.id) == reports::Party::kernel) kernel.insert(std::string(r.id));
  EXPECT_EQ(kernel, (std::set<std::string>{"IN1", "IN3", "IN4", "IN7", "IN8", "MK1", "MK2", "PS2",
                                           "DR1", "RT1", "TM3", "SQ1", "SQ2", "SQ5", "UL1", "UL3",
                                           "UL6", "LK5", "LK9", "LK11", "CA4", "SU7",
                                           // the default-pager model's kernel duties
                                           "CR1", "CR6", "DI1",
                                           // the OSF kernel's synchronize duties, and
                                           // the flavour change_completed echoes
                                           "SY4", "SY10", "CA5"}));
}

// The model's table may only call a rule the kernel's when the catalogue
// files it under the kernel too.
TEST(RuleParty, TheModelsKernelRulesAreKernelRulesOfTheCatalogue) {
  const auto& cat = catalogue::Catalogue::builtin();
  for (const model::RuleInfo& r : model::rule_table()) {
    if (r.binds != model::Binds::kernel) continue;
    const catalogue::Rule* rule = cat.find(r.id);
    ASSERT_NE(rule, nullptr) << r.id;
    EXPECT_TRUE(rule->who == catalogue::Who::kernel || rule->who == catalogue::Who::kernel_to_pager)
        << r.id << " is " << catalogue::to_string(rule->who) << " in the catalogue";
    for (catalogue::Who w : rule->also_binds) EXPECT_NE(w, catalogue::Who::pager) << r.id;
  }
}

// Filed under the kernel in the catalogue, but the model checks a duty of the
// pager under them (releasing terminate's rights, serving returned contents,
// answering on the asking kernel's port, calls after terminate, seqno jams,
// a default pager's ticket that skips a memory_object_default message).
TEST(RuleParty, PagerDutiesTheCatalogueFilesUnderTheKernelStayPagerVerdicts) {
  for (const char* id : {"TM5", "RT4", "DR8", "TM8", "SQ6", "PS1", "RD1", "SQ3"})
    EXPECT_EQ(rule_party(id), reports::Party::pager) << id;
}

TEST(RuleParty, RulesTheModelDoesNotCheckFollowTheCatalogue) {
  EXPECT_EQ(rule_party("TM1"), reports::Party::kernel);  // kernel, not checked
  EXPECT_EQ(rule_party("SU3"), reports::Party::pager);   // pager, not checked
  EXPECT_EQ(rule_party("G1"), reports::Party::pager);    // informational: no party
  EXPECT_EQ(rule_party("NOPE"), reports::Party::pager);  // unknown IDs are never self-checks
}

// A stuck case is charged to the duty of the message the pager was still
// handling; a completion it never finished taking is the duty of the call
// waiting for it (CA3 for change_completed, LK8 for lock_completed); a
// pager stuck outside any known message is IN2.
TEST(LivenessRule, NamesTheDutyOfTheMessageInFlight) {
  EXPECT_EQ(liveness_rule_for("memory_object_data_request seqno 3"), "DR3");
  EXPECT_EQ(liveness_rule_for("memory_object_data_unlock seqno 1"), "UL2");
  EXPECT_EQ(liveness_rule_for("memory_object_init seqno 0"), "RD1");
  EXPECT_EQ(liveness_rule_for("memory_object_terminate seqno 5"), "TM6");
  EXPECT_EQ(liveness_rule_for("memory_object_data_return seqno 2"), "RT4");
  EXPECT_EQ(liveness_rule_for("memory_object_change_completed seqno 4"), "CA3");
  EXPECT_EQ(liveness_rule_for("memory_object_lock_completed seqno 7"), "LK8");
  EXPECT_EQ(liveness_rule_for(""), "IN2");
}

}  // namespace
}  // namespace emmi::engine
