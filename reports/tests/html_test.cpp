// SPDX-License-Identifier: MIT
// The HTML report without a browser: self-contained, escaped, one chart per
// counterexample, and charts whose geometry follows the trace. Rendering in
// Chromium is checked in html_chromium_test.cpp.
#include "emmi/reports/html_report.h"

#include <array>
#include <map>

#include <gtest/gtest.h>

#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

std::string html(const RunReport& r) { return testing::render(HtmlWriter(), r); }

using testing::attribute;
using testing::count;
using testing::start_tags;

TEST(Html, IsSelfContained) {
  std::string page = html(testing::sample_report());
  for (const char* external : {"http://", "https://", "//fonts", "<link", "@import",
                               " src=", "url(http", "url('", "url(\""}) {
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  }
  EXPECT_NE(page.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
}

TEST(Html, HasOneChartPerCounterexampleAndARowPerRule) {
  RunReport r = testing::sample_report();
  std::string page = html(r);
  EXPECT_EQ(count(page, "<svg class=\"msc\""), 3u);  // SQ7, IN9, TM4
  EXPECT_EQ(count(page, "\" data-search=\""), rules_of(r, Party::pager).size());
  EXPECT_NE(page.find("<h1 id=\"outcome\">NOT CONFORMANT"), std::string::npos);
  // Failures link to their counterexample card.
  std::string target;
  for (const std::string& a : start_tags(page, "<a href=\"#cx-")) {
    std::string href = attribute(a, "href");
    if (href.size() > 4 && href.substr(href.size() - 4) == "-SQ7") target = href.substr(1);
  }
  ASSERT_FALSE(target.empty());
  EXPECT_NE(page.find("<article class=\"card cx v-fail\" id=\"" + target + "\""),
            std::string::npos);
}

TEST(Html, SelfChecksAreATableApartFromThePagerVerdicts) {
  RunReport r = testing::sample_report();
  std::string page = html(r);
  std::size_t pager = page.find("<section id=\"pager-verdicts\">");
  std::size_t checks = page.find("<section id=\"self-checks\">");
  ASSERT_NE(pager, std::string::npos);
  ASSERT_NE(checks, std::string::npos);
  std::string pager_table = page.substr(pager, checks - pager);
  std::string check_table = page.substr(checks, page.find("</section>", checks) - checks);
  for (const RuleResult& rule : r.rules) {
    std::string cell = ">" + rule.id + "</";  // the id cell, linked or not
    bool in_pager = pager_table.find(cell) != std::string::npos;
    bool in_checks = check_table.find(cell) != std::string::npos;
    EXPECT_EQ(in_pager, rule.party == Party::pager) << rule.id;
    EXPECT_EQ(in_checks, rule.party == Party::kernel) << rule.id;
  }
  // The banner counts pager rules only; the advisory finding is named.
  EXPECT_NE(page.find("6 of 14 pager rules fail the run · 1 advisory"), std::string::npos);
  EXPECT_NE(pager_table.find("advisory (SHOULD): does not fail the run"), std::string::npos);
}

TEST(Html, EscapesPagerProvidedText) {
  RunReport r = testing::sample_report();
  r.rules[10].message = "<script>alert(1)</script> & \"quotes\"";
  r.rules[10].counterexample->trace[0].label = "<img src=x onerror=alert(1)>";
  r.pager.name = "evil</title><script>";
  std::string page = html(r);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_EQ(count(page, "<script>"), 1u);  // only the report's own
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;"),
            std::string::npos);
}

// The lanes of a chart in drawing order: name (from the lane's tooltip) and
// the x coordinate of its lifeline.
std::vector<std::pair<std::string, int>> lane_positions(const std::string& svg) {
  std::vector<std::pair<std::string, int>> lanes;
  for (std::size_t at = svg.find("<g class=\"lane "); at != std::string::npos;
       at = svg.find("<g class=\"lane ", at + 1)) {
    std::string group = svg.substr(at, svg.find("</g>", at) - at);
    std::string life = start_tags(group, "<line class=\"life\"").at(0);
    std::size_t title = group.find("<title>") + 7;
    lanes.emplace_back(group.substr(title, group.find("</title>") - title),
                       std::stoi(attribute(life, "x1")));
  }
  return lanes;
}

TEST(SequenceChart, KernelLanesLeftPagerThreadsRightOneRowPerEvent) {
  std::vector<TraceEvent> trace = testing::sample_trace();
  std::string svg = sequence_chart_svg(trace, "t");
  auto lanes = lane_positions(svg);
  ASSERT_EQ(lanes.size(), 5u);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    names.push_back(lanes[i].first);
    if (i > 0) {
      EXPECT_GT(lanes[i].second, lanes[i - 1].second);
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"kernel k0", "kernel k1", "pager t0", "pager t1",
                                             "pager t2"}));
  EXPECT_EQ(count(svg, "<g class=\"ev "), trace.size());
  EXPECT_EQ(count(svg, "<g class=\"ev ev-k\">"), 4u);  // four events sent by kernels
}

TEST(SequenceChart, ArrowsGoFromSenderToReceiverInTraceOrder) {
  std::vector<TraceEvent> trace = testing::sample_trace();
  std::string svg = sequence_chart_svg(trace, "t");
  std::map<std::string, int> x;
  for (const auto& [name, pos] : lane_positions(svg)) x[name] = pos;
  std::vector<std::array<int, 3>> arrows;
  for (const std::string& line : start_tags(svg, "<line class=\"arrow\"")) {
    arrows.push_back({std::stoi(attribute(line, "x1")), std::stoi(attribute(line, "y1")),
                      std::stoi(attribute(line, "x2"))});
  }
  // Event 7 is local to pager t1 (drawn as a loop, not a line).
  ASSERT_EQ(arrows.size(), trace.size() - 1);
  std::size_t a = 0;
  int last_y = -1;
  for (const TraceEvent& e : trace) {
    if (e.lane_from == e.lane_to) continue;
    auto [x1, y, x2] = arrows[a++];
    int from = x.at(e.lane_from), to = x.at(e.lane_to);
    EXPECT_LE(std::abs(x1 - from), 5) << e.index;
    EXPECT_LE(std::abs(x2 - to), 5) << e.index;
    EXPECT_EQ(x2 > x1, to > from) << e.index;
    EXPECT_GT(y, last_y) << e.index;
    last_y = y;
  }
}

TEST(SequenceChart, LabelsCarryMessageSeqnoAndRights) {
  std::string svg = sequence_chart_svg(testing::sample_trace(), "t");
  EXPECT_NE(svg.find(">memory_object_data_request</text>"), std::string::npos);
  EXPECT_NE(svg.find(">seq 3 · control:send</text>"), std::string::npos);
  EXPECT_NE(svg.find(">SQ7 violated: effects of seqno 2 after seqno 3</tspan>"), std::string::npos);
  // Marker ids are prefixed, so several charts can share a page.
  EXPECT_NE(svg.find("<marker id=\"t-k\""), std::string::npos);
  EXPECT_NE(svg.find("url(#t-k)"), std::string::npos);
}

TEST(SequenceChart, LongNotesWrapOntoTwoLinesThenShorten) {
  std::vector<TraceEvent> trace = {{0, "kernel k0", "pager t0", "memory_object_init", 0, "",
                                    "word word word word word word word word word word word "
                                    "word word word word word word word word word word word "
                                    "word word word word word word end"}};
  std::string svg = sequence_chart_svg(trace, "n");
  EXPECT_EQ(count(svg, "<tspan "), 2u);
  EXPECT_EQ(svg.find("end</tspan>"), std::string::npos);
  EXPECT_NE(svg.find("…</tspan>"), std::string::npos);
  // The full note stays available as the row's tooltip.
  EXPECT_NE(svg.find("word word end</title>"), std::string::npos);
}

TEST(SequenceChart, LongTracesAreCutWithANote) {
  std::vector<TraceEvent> trace;
  for (std::uint64_t i = 0; i < 450; ++i) {
    trace.push_back({i, "kernel k0", "pager t0", "memory_object_data_request", i, "", ""});
  }
  std::string svg = sequence_chart_svg(trace, "long");
  EXPECT_EQ(count(svg, "<g class=\"ev "), 400u);
  EXPECT_NE(svg.find("50 more events: see the JSON report"), std::string::npos);
}

}  // namespace
}  // namespace emmi::reports
