// SPDX-License-Identifier: MIT
// The model and the catalogue agree: every rule the model can report is in
// the catalogue, and the rules marked "model" are exactly the ones it checks.
#include "emmi/model/rules.h"
#include "rule_list_crosscheck.h"

namespace emmi::catalogue::testing {
namespace {

TEST(ModelCrosscheck, ModelNamesOnlyCatalogueRules) {
  expect_all_known(emmi::model::checked_rules(), "the model");
}

TEST(ModelCrosscheck, EveryRuleMarkedModelIsCheckedByTheModel) {
  expect_marked_are_listed(emmi::model::checked_rules(), Method::model, "the model");
}

TEST(ModelCrosscheck, EveryRuleTheModelChecksIsMarkedModel) {
  expect_listed_are_marked(emmi::model::checked_rules(), Method::model, "the model");
}

}  // namespace
}  // namespace emmi::catalogue::testing
