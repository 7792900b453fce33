// SPDX-License-Identifier: MIT
// End-to-end tests of the built emmi-cts binary: output, messages and the
// documented exit codes (0 success, 2 usage or input error).
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "emmi/catalogue/catalogue.h"
#include "run_command.h"

namespace {

using emmi::testing::CommandResult;
using emmi::testing::run_command;
using nlohmann::json;

CommandResult emmi_cts(std::vector<std::string> args) {
  args.insert(args.begin(), EMMI_CTS_BINARY);
  CommandResult r = run_command(args);
  EXPECT_FALSE(r.signalled) << "emmi-cts died of signal " << r.signal;
  return r;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Cli, RulesJsonListsEveryRuleWithItsCitation) {
  CommandResult r = emmi_cts({"rules", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out);  // throws, failing the test, if not JSON
  const auto& cat = emmi::catalogue::Catalogue::builtin();
  ASSERT_EQ(doc.at("rules").size(), cat.rules().size());
  for (const json& rule : doc["rules"]) {
    const auto* known = cat.find(rule.at("id").get<std::string>());
    ASSERT_NE(known, nullptr) << rule.at("id");
    EXPECT_EQ(rule.at("citation").at("quote"), known->citation.quote) << known->id;
    EXPECT_TRUE(rule.at("citation").contains("page")) << known->id;
    EXPECT_FALSE(rule.at("check").at("methods").empty()) << known->id;
  }
  EXPECT_EQ(doc.at("coverage").at("rules"), cat.rules().size());
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(Cli, RulesTextShowsTheTableAndCoverage) {
  CommandResult r = emmi_cts({"rules"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto& cat = emmi::catalogue::Catalogue::builtin();
  auto c = cat.coverage();
  EXPECT_TRUE(contains(r.out, std::to_string(c.rules) + " rules; " + std::to_string(c.checked) +
                                  " checked (model/property/smt)"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "SQ7")) << r.out;
  EXPECT_EQ(r.out, emmi_cts({"rules", "--format", "text"}).out);
}

TEST(Cli, ExplainPrintsTheQuoteAndIsCaseInsensitive) {
  CommandResult r = emmi_cts({"explain", "IN9"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto* in9 = emmi::catalogue::Catalogue::builtin().find("IN9");
  ASSERT_NE(in9, nullptr);
  // The quote may be wrapped across lines: compare its first words.
  EXPECT_TRUE(contains(r.out, "Any return value other than KERN_SUCCESS")) << r.out;
  EXPECT_TRUE(contains(r.out, *in9->citation.page)) << r.out;
  EXPECT_TRUE(contains(r.out, "Example violation")) << r.out;
  EXPECT_EQ(emmi_cts({"explain", "in9"}).out, r.out);
}

TEST(Cli, ExplainOfADecisionShowsTheChoice) {
  CommandResult r = emmi_cts({"explain", "X6"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "emmi-cts chooses")) << r.out;
}

TEST(Cli, UnknownRuleExitsTwoNamingTheInput) {
  CommandResult r = emmi_cts({"explain", "XYZ"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "emmi-cts: unknown rule 'XYZ' (see 'emmi-cts rules' for the list)"))
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(Cli, UnknownRuleSuggestsCloseIds) {
  CommandResult r = emmi_cts({"explain", "IN99"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "'IN99'")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean IN9")) << r.err;
}

TEST(Cli, UsageErrorsExitTwo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--no-such-option"},
        std::vector<std::string>{"rules", "--format", "xml"}, std::vector<std::string>{"explain"},
        std::vector<std::string>{"no-such-command"}, std::vector<std::string>{}}) {
    CommandResult r = emmi_cts(args);
    std::string shown;
    for (const auto& a : args) shown += a + ' ';
    EXPECT_EQ(r.exit_code, 2) << "args: " << shown << "\nstderr: " << r.err;
    EXPECT_FALSE(r.err.empty()) << "args: " << shown;
  }
}

TEST(Cli, BadFormatMessageNamesTheValue) {
  CommandResult r = emmi_cts({"rules", "--format", "xml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "xml")) << r.err;
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  CommandResult r = emmi_cts({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("emmi-cts ") + EMMI_CTS_VERSION + "\n");
}

TEST(Cli, HelpDocumentsTheExitCodes) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--help"}, std::vector<std::string>{"rules", "--help"},
        std::vector<std::string>{"explain", "--help"}}) {
    CommandResult r = emmi_cts(args);
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_TRUE(contains(r.out, "2  usage or input error")) << r.out;
    EXPECT_TRUE(contains(r.out, "3  internal error")) << r.out;
  }
}

}  // namespace
