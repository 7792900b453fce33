// SPDX-License-Identifier: MIT
// The embedded catalogue parses, is well-formed, and every citation is really
// on the manual page it names; the validator rejects malformed documents.
#include "emmi/catalogue/catalogue.h"

#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "page_text.h"

namespace emmi::catalogue {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const fs::path kManDir = fs::path(EMMI_SPEC_DIR) / "xnu-osfmk-man";

TEST(Catalogue, BuiltinParses) {
  const Catalogue& cat = Catalogue::builtin();
  EXPECT_EQ(cat.schema_version(), 1);
  EXPECT_GT(cat.rules().size(), 150u);
  EXPECT_FALSE(cat.decisions().empty());
  EXPECT_EQ(cat.source().commit.size(), 40u);
}

// Proves the build re-embeds rules.json when it changes: the compiled-in
// text is byte for byte the file in the source tree.
TEST(Catalogue, EmbeddedTextIsTheSourceFile) {
  auto file = testing::read_file(EMMI_CATALOGUE_JSON);
  ASSERT_TRUE(file.has_value()) << "cannot read " << EMMI_CATALOGUE_JSON;
  EXPECT_TRUE(*file == builtin_json()) << "embedded catalogue is stale; rebuild emmi_catalogue";
}

// Checked independently of the parser, on the raw JSON.
TEST(Catalogue, RawDocumentHasUniqueIdsAndEveryRequiredField) {
  json doc = json::parse(builtin_json());
  std::set<std::string> ids;
  for (const json& rule : doc.at("rules")) {
    std::string id = rule.at("id");
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    for (const char* key :
         {"group", "title", "level", "who", "dialects", "testability", "text", "citation", "check"})
      EXPECT_TRUE(rule.contains(key)) << id << " lacks " << key;
    EXPECT_FALSE(rule.at("citation").at("quote").get<std::string>().empty()) << id;
    EXPECT_FALSE(rule.at("check").at("methods").empty()) << id;
  }
  EXPECT_EQ(ids.size(), Catalogue::builtin().rules().size());
}

TEST(Catalogue, CheckedRulesSayHowAndGiveAnExample) {
  for (const Rule& r : Catalogue::builtin().rules()) {
    if (r.check.checked()) {
      EXPECT_FALSE(r.check.detail.empty()) << r.id;
      EXPECT_FALSE(r.example_violation.empty()) << r.id;
    } else {
      EXPECT_FALSE(r.check.reason.empty()) << r.id;
    }
  }
}

TEST(Catalogue, CoverageAddsUp) {
  const Catalogue& cat = Catalogue::builtin();
  Coverage c = cat.coverage();
  EXPECT_EQ(c.rules, cat.rules().size());
  EXPECT_EQ(c.checked + c.not_yet + c.not_applicable, c.rules);
  std::map<Method, std::size_t> counted;
  std::size_t checked = 0;
  for (const Rule& r : cat.rules()) {
    for (Method m : r.check.methods) ++counted[m];
    bool any = r.check.uses(Method::model) || r.check.uses(Method::property) ||
               r.check.uses(Method::smt);
    checked += any ? 1 : 0;
  }
  EXPECT_EQ(c.checked, checked);
  for (Method m :
       {Method::model, Method::property, Method::smt, Method::not_yet, Method::not_applicable})
    EXPECT_EQ(c.count(m), counted[m]) << to_string(m);
  EXPECT_EQ(c.not_yet, counted[Method::not_yet]);
  EXPECT_EQ(c.not_applicable, counted[Method::not_applicable]);
}

TEST(Catalogue, SeqnoRulesOfTheCounterDoNotApplyWithoutSeqnos) {
  // The seqno counter rules only mean something where handlers see seqnos.
  for (const char* id : {"SQ1", "SQ2", "SQ5", "SQ6", "SQ7"}) {
    const Rule* r = Catalogue::builtin().find(id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_FALSE(r->applies_to(Dialect::gnumach)) << id;
    EXPECT_TRUE(r->applies_to(Dialect::gnumach_seqnos)) << id;
  }
}

TEST(Catalogue, FindIsCaseInsensitive) {
  const Catalogue& cat = Catalogue::builtin();
  const Rule* upper = cat.find("IN9");
  ASSERT_NE(upper, nullptr);
  EXPECT_EQ(upper->id, "IN9");
  EXPECT_EQ(cat.find("in9"), upper);
  EXPECT_EQ(cat.find("In9"), upper);
  EXPECT_EQ(cat.find("IN99"), nullptr);
  EXPECT_EQ(cat.find(""), nullptr);
  ASSERT_NE(cat.find_decision("x6"), nullptr);
  EXPECT_EQ(cat.find_decision("x6")->id, "X6");
}

TEST(Catalogue, SuggestsCloseIdsOnly) {
  const Catalogue& cat = Catalogue::builtin();
  auto close = cat.suggest("IN99");
  ASSERT_FALSE(close.empty());
  EXPECT_EQ(close.front(), "IN9");
  EXPECT_LE(close.size(), 3u);
  EXPECT_EQ(cat.suggest("sq77").front(), "SQ7");
  EXPECT_TRUE(cat.suggest("XYZ").empty());
  EXPECT_TRUE(cat.suggest("Q").empty());
  EXPECT_EQ(cat.suggest("IN99").size(), 1u) << "only the closest IDs are suggested";
}

TEST(Catalogue, DecisionsNameTheirRules) {
  const Catalogue& cat = Catalogue::builtin();
  auto for_su1 = cat.decisions_for("SU1");
  ASSERT_FALSE(for_su1.empty());
  EXPECT_EQ(for_su1.front()->id, "X6");
  for (const Decision& d : cat.decisions())
    for (const std::string& id : d.rules)
      EXPECT_NE(cat.find(id), nullptr) << d.id << " names " << id;
}

TEST(Catalogue, EveryCitedPageExistsAndHoldsTheQuote) {
  if (!fs::is_directory(kManDir)) GTEST_SKIP() << "manual pages not found at " << kManDir;
  std::map<std::string, std::string> pages;
  for (const Rule& r : Catalogue::builtin().rules()) {
    if (!r.citation.page) {
      EXPECT_TRUE(r.citation.source.has_value()) << r.id;
      continue;
    }
    auto [it, fresh] = pages.try_emplace(*r.citation.page);
    if (fresh) {
      auto html = testing::read_file((kManDir / *r.citation.page).string());
      ASSERT_TRUE(html.has_value()) << r.id << " cites missing page " << *r.citation.page;
      it->second = testing::page_text(*html);
    }
    std::string quote = testing::collapse_whitespace(r.citation.quote);
    EXPECT_NE(it->second.find(quote), std::string::npos)
        << r.id << ": quote not on " << *r.citation.page << ": \"" << quote << '"';
  }
  EXPECT_GT(pages.size(), 30u);
}

// --- The validator rejects what a careless edit of rules.json could produce.

json builtin_doc() { return json::parse(builtin_json()); }

json& rule_in(json& doc, std::string_view id) {
  for (json& rule : doc["rules"])
    if (rule["id"] == id) return rule;
  throw std::runtime_error("no rule " + std::string(id));
}

std::string rejection(const json& doc) {
  try {
    Catalogue::parse(doc.dump());
  } catch (const CatalogueError& e) {
    return e.what();
  }
  return "";
}

TEST(CatalogueValidation, TheBuiltinDocumentRoundTrips) { EXPECT_EQ(rejection(builtin_doc()), ""); }

TEST(CatalogueValidation, RejectsDuplicateIds) {
  json doc = builtin_doc();
  doc["rules"].push_back(rule_in(doc, "IN9"));
  EXPECT_NE(rejection(doc).find("duplicate id \"IN9\""), std::string::npos) << rejection(doc);
}

TEST(CatalogueValidation, RejectsUnknownMethod) {
  json doc = builtin_doc();
  rule_in(doc, "SU1")["check"]["methods"] = {"fuzz"};
  std::string why = rejection(doc);
  EXPECT_NE(why.find("(SU1)"), std::string::npos) << why;
  EXPECT_NE(why.find("fuzz"), std::string::npos) << why;
}

TEST(CatalogueValidation, RejectsNotYetCombinedWithAMethod) {
  json doc = builtin_doc();
  rule_in(doc, "LK8")["check"]["methods"] = {"model", "not-yet"};
  EXPECT_NE(rejection(doc).find("cannot be combined"), std::string::npos) << rejection(doc);
}

TEST(CatalogueValidation, RejectsCheckedRuleWithoutExample) {
  json doc = builtin_doc();
  rule_in(doc, "V1").erase("example_violation");
  std::string why = rejection(doc);
  EXPECT_NE(why.find("(V1)"), std::string::npos) << why;
  EXPECT_NE(why.find("example_violation"), std::string::npos) << why;
}

TEST(CatalogueValidation, RejectsCitationWithNeitherPageNorSource) {
  json doc = builtin_doc();
  rule_in(doc, "TM8")["citation"].erase("source");
  EXPECT_NE(rejection(doc).find("needs a \"source\""), std::string::npos) << rejection(doc);
}

TEST(CatalogueValidation, ExercisedWhenBelongsToCheckedRulesOnly) {
  json doc = builtin_doc();
  // A permission says what would exercise it ...
  EXPECT_NE(Catalogue::parse(doc.dump()).find("LK6")->check.exercised_when.find("MACH_PORT_NULL"),
            std::string::npos);
  // ... a rule that is not checked is never exercised at all.
  rule_in(doc, "PR9")["check"]["exercised_when"] = "the pager moves a right";
  std::string why = rejection(doc);
  EXPECT_NE(why.find("(PR9)"), std::string::npos) << why;
  EXPECT_NE(why.find("exercised_when"), std::string::npos) << why;
}

TEST(CatalogueValidation, RejectsUnknownKeys) {
  json doc = builtin_doc();
  rule_in(doc, "IN1")["levle"] = "MUST";
  EXPECT_NE(rejection(doc).find("unknown key \"levle\""), std::string::npos) << rejection(doc);
}

TEST(CatalogueValidation, RejectsUnknownLevelWhoDialectAndGroup) {
  json doc = builtin_doc();
  rule_in(doc, "IN1")["level"] = "MUSTNT";
  EXPECT_NE(rejection(doc).find("MUSTNT"), std::string::npos);
  doc = builtin_doc();
  rule_in(doc, "IN1")["who"] = "client";
  EXPECT_NE(rejection(doc).find("client"), std::string::npos);
  doc = builtin_doc();
  rule_in(doc, "IN1")["dialects"] = {"cmu"};
  EXPECT_NE(rejection(doc).find("cmu"), std::string::npos);
  doc = builtin_doc();
  rule_in(doc, "IN1")["group"] = "nowhere";
  EXPECT_NE(rejection(doc).find("nowhere"), std::string::npos);
}

TEST(CatalogueValidation, RejectsInformationalRuleWithACheck) {
  json doc = builtin_doc();
  json& g1 = rule_in(doc, "G1");
  g1["check"] = {{"methods", {"not-yet"}}, {"reason", "later"}};
  EXPECT_NE(rejection(doc).find("go together"), std::string::npos) << rejection(doc);
}

TEST(CatalogueValidation, RejectsDecisionNamingUnknownRule) {
  json doc = builtin_doc();
  doc["decisions"][0]["rules"].push_back("ZZ1");
  EXPECT_NE(rejection(doc).find("unknown rule \"ZZ1\""), std::string::npos) << rejection(doc);
}

// A decision the platforms read differently says how each one reads it
// (emmi-cts run --platform gnumach|manual|osf): a missing platform is refused.
TEST(CatalogueValidation, RejectsPlatformReadingsThatLeaveAPlatformOut) {
  json doc = builtin_doc();
  json* x18 = nullptr;
  for (json& d : doc["decisions"])
    if (d["id"] == "X18") x18 = &d;
  ASSERT_NE(x18, nullptr);
  ASSERT_TRUE(x18->contains("platforms"));
  (*x18)["platforms"].erase("osf");
  EXPECT_NE(rejection(doc).find("osf"), std::string::npos) << rejection(doc);
}

TEST(Catalogue, EveryPlatformReadsTheNotesThePlatformsDisagreeOn) {
  const Catalogue& cat = Catalogue::builtin();
  int read_by_platform = 0;
  for (const Decision& d : cat.decisions()) {
    if (!d.gnumach_reading) continue;
    ++read_by_platform;
    EXPECT_TRUE(d.manual_reading && !d.manual_reading->empty()) << d.id;
    EXPECT_TRUE(d.osf_reading && !d.osf_reading->empty()) << d.id;
  }
  EXPECT_GE(read_by_platform, 3) << "X6, X14 and X18 are read per platform";
}

TEST(CatalogueValidation, RejectsOtherSchemaVersionsAndBrokenJson) {
  json doc = builtin_doc();
  doc["schema_version"] = 2;
  EXPECT_NE(rejection(doc).find("schema_version"), std::string::npos);
  EXPECT_THROW(Catalogue::parse("{\"rules\": ["), CatalogueError);
}

TEST(CatalogueValidation, ErrorsAreInputErrorsNamingTheCatalogue) {
  // The command line maps every emmi::InputError to exit code 2; a catalogue
  // document is input like any file.
  try {
    Catalogue::parse("{\"rules\": [");
    FAIL() << "a truncated document parsed";
  } catch (const emmi::InputError& e) {
    EXPECT_EQ(e.input(), "catalogue");
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace emmi::catalogue
