// SPDX-License-Identifier: MIT
// The renderings behind `emmi-cts rules` and `emmi-cts explain`: complete,
// machine-readable where promised, and carrying the citation and check.
#include "emmi/catalogue/render.h"

#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace emmi::catalogue {
namespace {

using nlohmann::json;

TEST(Render, CoverageLineSpellsOutEveryCount) {
  Coverage c;
  c.rules = 10;
  c.checked = 4;
  c.not_yet = 5;
  c.not_applicable = 1;
  EXPECT_EQ(coverage_line(c), "10 rules; 4 checked (model/property/smt); 5 not yet; 1 n/a");
}

TEST(Render, JsonListsEveryRuleWithTheSameKeysAndItsCitation) {
  const Catalogue& cat = Catalogue::builtin();
  json doc = json::parse(rules_json(cat));
  ASSERT_EQ(doc.at("rules").size(), cat.rules().size());
  std::set<std::string> first_keys;
  for (auto& [key, value] : doc["rules"][0].items()) first_keys.insert(key);
  std::size_t i = 0;
  for (const Rule& r : cat.rules()) {
    const json& out = doc["rules"][i++];
    std::set<std::string> keys;
    for (auto& [key, value] : out.items()) keys.insert(key);
    EXPECT_EQ(keys, first_keys) << r.id << " has a different shape";
    EXPECT_EQ(out.at("id"), r.id);
    EXPECT_EQ(out.at("citation").at("quote"), r.citation.quote);
    EXPECT_EQ(out.at("check").at("checked"), r.check.checked()) << r.id;
  }
  Coverage c = cat.coverage();
  EXPECT_EQ(doc.at("coverage").at("rules"), c.rules);
  EXPECT_EQ(doc.at("coverage").at("checked"), c.checked);
  EXPECT_EQ(doc.at("coverage").at("per_method").at("model"), c.count(Method::model));
  EXPECT_EQ(doc.at("decisions").size(), cat.decisions().size());
}

TEST(Render, TableHasOneRowPerRuleAndTheCoverageLine) {
  const Catalogue& cat = Catalogue::builtin();
  std::string table = rules_table(cat);
  std::istringstream lines(table);
  std::set<std::string> first_words;
  for (std::string line; std::getline(lines, line);)
    first_words.insert(line.substr(0, line.find(' ')));
  for (const Rule& r : cat.rules()) EXPECT_TRUE(first_words.contains(r.id)) << r.id;
  EXPECT_NE(table.find(coverage_line(cat.coverage())), std::string::npos);
}

// Every row names the dialects its rule applies to: "all", or the list.
TEST(Render, TableShowsTheDialectOfEveryRule) {
  const Catalogue& cat = Catalogue::builtin();
  std::istringstream lines(rules_table(cat));
  std::map<std::string, std::string> row;
  for (std::string line; std::getline(lines, line);) row[line.substr(0, line.find(' '))] = line;
  ASSERT_NE(row["ID"].find("DIALECTS"), std::string::npos) << row["ID"];
  for (const Rule& r : cat.rules()) {
    std::string words;
    for (Dialect d : r.dialects)
      words += std::string(words.empty() ? "" : ",") + std::string(to_string(d));
    const std::string want = r.dialects.size() == 3 ? " all " : " " + words + " ";
    EXPECT_NE(row[r.id].find(want), std::string::npos) << r.id << ": " << row[r.id];
  }
  EXPECT_NE(row["SY3"].find(" osf "), std::string::npos) << row["SY3"];
}

TEST(Render, ExplainShowsCitationCheckAndExample) {
  const Catalogue& cat = Catalogue::builtin();
  const Rule* in9 = cat.find("IN9");
  ASSERT_NE(in9, nullptr);
  std::string text = explain_rule(cat, *in9);
  EXPECT_NE(text.find("IN9: " + in9->title), std::string::npos);
  EXPECT_NE(text.find(*in9->citation.page), std::string::npos);
  EXPECT_NE(text.find("MIG_NO_REPLYwill"), std::string::npos) << "quote missing:\n" << text;
  EXPECT_NE(text.find("Example violation"), std::string::npos);
  EXPECT_NE(text.find("X2"), std::string::npos) << "related decision missing";
}

TEST(Render, ExplainOfAnUncheckedRuleGivesTheReason) {
  const Catalogue& cat = Catalogue::builtin();
  const Rule* pr9 = cat.find("PR9");
  ASSERT_NE(pr9, nullptr);
  ASSERT_FALSE(pr9->check.checked());
  std::string text = explain_rule(cat, *pr9);
  EXPECT_NE(text.find("Not checked yet"), std::string::npos);
  EXPECT_EQ(text.find("Example violation"), std::string::npos);
}

TEST(Render, ExplainDecisionGivesChoiceAndWhy) {
  const Decision* x6 = Catalogue::builtin().find_decision("X6");
  ASSERT_NE(x6, nullptr);
  std::string text = explain_decision(*x6);
  EXPECT_NE(text.find("emmi-cts chooses"), std::string::npos);
  EXPECT_NE(text.find("SU1"), std::string::npos);
}

}  // namespace
}  // namespace emmi::catalogue
