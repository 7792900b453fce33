// SPDX-License-Identifier: MIT
// Keeps rules.json in step with shared/spec/emmi-rules.md: the same rule IDs
// in both, and for each rule the same page, quote, party, Test column and
// section; one decision per X-note.
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "emmi/catalogue/catalogue.h"
#include "page_text.h"

namespace emmi::catalogue {
namespace {

namespace fs = std::filesystem;

struct SpecRow {
  std::string id, who, rule, page, evidence, test;
  int section = -1;
};

struct Spec {
  std::vector<SpecRow> rows;
  std::vector<std::string> x_notes;
};

std::vector<std::string> cells_of(const std::string& line) {
  // "| a | b | c |" -> {"a", "b", "c"}; cells never contain " | ".
  std::vector<std::string> cells;
  std::string body = line.substr(1, line.rfind('|') - 1);
  std::size_t start = 0;
  while (true) {
    std::size_t bar = body.find(" | ", start);
    std::string cell = body.substr(start,
                                   bar == std::string::npos ? std::string::npos : bar - start);
    cells.push_back(testing::collapse_whitespace(cell));
    if (bar == std::string::npos) break;
    start = bar + 3;
  }
  return cells;
}

Spec read_spec(const std::string& markdown) {
  Spec spec;
  std::istringstream in(markdown);
  std::string line;
  int section = -1;
  bool in_table = false;
  const std::regex heading(R"(^## (\d+)\. )");
  const std::regex x_note(R"(^- \*\*(X\d+)\.)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, heading)) section = std::stoi(m[1]);
    if (std::regex_search(line, m, x_note)) spec.x_notes.push_back(m[1]);
    if (line.rfind("| ID |", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("|---", 0) == 0) continue;
    if (line.rfind("| ", 0) != 0) {
      in_table = false;
      continue;
    }
    auto cells = cells_of(line);
    if (cells.size() != 6) {
      ADD_FAILURE() << "table row with " << cells.size() << " cells: " << line;
      continue;
    }
    spec.rows.push_back({cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], section});
  }
  return spec;
}

class SpecSync : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::path path = fs::path(EMMI_SPEC_DIR) / "emmi-rules.md";
    if (!fs::is_directory(EMMI_SPEC_DIR))
      GTEST_SKIP() << "spec folder " << EMMI_SPEC_DIR << " absent (source tree without ../shared)";
    auto text = testing::read_file(path.string());
    ASSERT_TRUE(text.has_value()) << "cannot read " << path;
    spec_ = read_spec(*text);
    ASSERT_GT(spec_.rows.size(), 150u) << "the table parser found too few rules in " << path;
  }

  Spec spec_;
  const Catalogue& cat_ = Catalogue::builtin();
};

TEST_F(SpecSync, EverySpecRuleIsInTheCatalogue) {
  for (const SpecRow& row : spec_.rows)
    EXPECT_NE(cat_.find(row.id), nullptr) << row.id << " missing";
}

TEST_F(SpecSync, EveryCatalogueRuleIsInTheSpec) {
  std::set<std::string> spec_ids;
  for (const SpecRow& row : spec_.rows) spec_ids.insert(row.id);
  EXPECT_EQ(spec_ids.size(), spec_.rows.size()) << "the spec repeats an ID";
  for (const Rule& r : cat_.rules())
    EXPECT_TRUE(spec_ids.contains(r.id)) << r.id << " not in the spec";
}

TEST_F(SpecSync, CitationsAreVerbatimFromTheEvidenceColumn) {
  for (const SpecRow& row : spec_.rows) {
    const Rule* r = cat_.find(row.id);
    if (r == nullptr) continue;
    if (row.page == "\xE2\x80\x94") {  // an em dash: not from a manual page
      EXPECT_FALSE(r->citation.page.has_value()) << row.id;
    } else {
      EXPECT_EQ(r->citation.page.value_or("<none>"), row.page) << row.id;
    }
    ASSERT_GE(row.evidence.size(), 2u) << row.id;
    std::string quote = row.evidence.substr(1, row.evidence.size() - 2);  // drop the quotes
    for (std::size_t at; (at = quote.find("\\\"")) != std::string::npos;) quote.erase(at, 1);
    EXPECT_EQ(testing::collapse_whitespace(r->citation.quote), quote) << row.id;
  }
}

TEST_F(SpecSync, PartyTestColumnAndSectionAgree) {
  const std::map<std::string, Who> who_of{{"K", Who::kernel},
                                          {"P", Who::pager},
                                          {"DP", Who::default_pager},
                                          {"K\xE2\x86\x92P", Who::kernel_to_pager},
                                          {"\xE2\x80\x94", Who::none}};
  std::map<int, std::string> group_of_section;
  for (const Group& g : cat_.groups()) group_of_section[g.section] = g.id;
  for (const SpecRow& row : spec_.rows) {
    const Rule* r = cat_.find(row.id);
    if (r == nullptr) continue;
    std::set<Who> spec_parties;
    std::stringstream parties(row.who);
    for (std::string p; std::getline(parties, p, ',');) {
      auto it = who_of.find(testing::collapse_whitespace(p));
      ASSERT_NE(it, who_of.end()) << row.id << ": unknown party '" << p << "'";
      spec_parties.insert(it->second);
    }
    std::set<Who> ours{r->who};
    ours.insert(r->also_binds.begin(), r->also_binds.end());
    EXPECT_EQ(ours, spec_parties) << row.id << " (" << row.who << ")";

    auto letter = parse_testability(
        row.test.substr(0, row.test.size() > 1 && row.test[1] == '~' ? 2 : 1));
    ASSERT_TRUE(letter.has_value()) << row.id << ": Test column '" << row.test << "'";
    EXPECT_EQ(r->testability, *letter) << row.id;
    EXPECT_EQ(r->group, group_of_section[row.section])
        << row.id << " is in section " << row.section;
  }
}

TEST_F(SpecSync, OneDecisionPerXNote) {
  ASSERT_FALSE(spec_.x_notes.empty());
  std::vector<std::string> ours;
  for (const Decision& d : cat_.decisions()) ours.push_back(d.id);
  EXPECT_EQ(ours, spec_.x_notes);
}

}  // namespace
}  // namespace emmi::catalogue
