// SPDX-License-Identifier: MIT
// The HTML report in a real browser (Debian chromium, headless): it loads
// with no console message at all (no script error, no CSP violation, which is
// how a network fetch would show), its script runs to the end, the charts are
// in the DOM, and a screenshot is taken for people to look at
// (build-dir/reports/tests/artifacts/emmi-report.png).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "emmi/reports/html_report.h"
#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const fs::path kArtifacts = EMMI_REPORTS_ARTIFACT_DIR;

using testing::BrowserRun;
using testing::joined;
using testing::open_in_chromium;

fs::path write_sample_page() {
  fs::create_directories(kArtifacts);
  return write_report_file(HtmlWriter(), testing::sample_report(), kArtifacts);
}

TEST(HtmlInChromium, LoadsWithoutConsoleMessagesAndTheScriptRuns) {
  fs::path page = write_sample_page();
  BrowserRun run = open_in_chromium(page, {"--dump-dom"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err.substr(0, 2000);
  EXPECT_TRUE(run.console.empty()) << joined(run.console);
  const std::string& dom = run.result.out;
  EXPECT_NE(dom.find("<div id=\"emmi-report-ready\" hidden=\"\"></div>"), std::string::npos)
      << "the report's script did not run to the end";
  EXPECT_NE(dom.find("14 of 14 rules shown"), std::string::npos);  // the pager's rules
  // One chart per counterexample, each with its arrows, as parsed by the browser.
  EXPECT_EQ(testing::count(dom, "<svg class=\"msc\""), 3u);
  EXPECT_NE(dom.find("memory_object_data_supply</text>"), std::string::npos);
}

// The detector above would notice a broken page: an exception and a blocked
// external fetch both show up as console messages, and the marker is missing.
TEST(HtmlInChromium, ConsoleErrorsAndBlockedFetchesAreDetected) {
  ScratchDir dir;
  std::string page = testing::read_file(write_sample_page());
  page.replace(page.find("var ready = document.createElement"), 0, "undefinedFunction();\n");
  page.replace(page.find("</main>"), 0, "<img src=\"https://example.invalid/x.png\">");
  testing::write_file(dir / "broken.html", page);
  BrowserRun run = open_in_chromium(dir / "broken.html", {"--dump-dom"});
  std::string console = joined(run.console);
  EXPECT_NE(console.find("Uncaught ReferenceError: undefinedFunction is not defined"),
            std::string::npos)
      << console;
  EXPECT_NE(console.find("Content Security Policy"), std::string::npos) << console;
  EXPECT_EQ(run.result.out.find("id=\"emmi-report-ready\""), std::string::npos);
}

TEST(HtmlInChromium, Screenshot) {
  fs::path page = write_sample_page();
  fs::path png = kArtifacts / "emmi-report.png";
  fs::remove(png);
  BrowserRun run = open_in_chromium(page, {"--screenshot=" + png.string(),
                                           "--window-size=1280,2000", "--hide-scrollbars"});
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err.substr(0, 2000);
  EXPECT_TRUE(run.console.empty()) << joined(run.console);
  ASSERT_TRUE(fs::exists(png));
  std::string bytes = testing::read_file(png);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // A blank 1280x2000 page compresses to a few kilobytes; text, tables and
  // coloured banners do not.
  EXPECT_GT(bytes.size(), 60u * 1024) << png;
  std::cout << "screenshot: " << png << "\n";
}

}  // namespace
}  // namespace emmi::reports
