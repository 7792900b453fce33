// SPDX-License-Identifier: MIT
// The quote check is only as good as the page normaliser: these cases pin
// down how tags, entities and whitespace are treated.
#include "page_text.h"

#include <gtest/gtest.h>

namespace emmi::catalogue::testing {
namespace {

TEST(PageText, TagsVanishWithoutLeavingSpace) {
  EXPECT_EQ(page_text("<p>or <b>MIG_NO_REPLY</b>will cause</p>"), "or MIG_NO_REPLYwill cause");
}

TEST(PageText, EntitiesAreDecoded) {
  EXPECT_EQ(page_text("a&amp;b &lt;x&gt; &quot;q&quot; it&#39;s&nbsp;end &#x41;"),
            "a&b <x> \"q\" it's end A");
}

TEST(PageText, UnknownEntitiesStayLiteral) {
  EXPECT_EQ(page_text("R&D &bogus; &#;"), "R&D &bogus; &#;");
}

TEST(PageText, WhitespaceRunsCollapseAndEndsAreTrimmed) {
  EXPECT_EQ(page_text("\n  two\t\tspaces\n\nand lines  "), "two spaces and lines");
  EXPECT_EQ(collapse_whitespace("use.  Even"), "use. Even");
}

TEST(PageText, MissingFileIsReported) {
  EXPECT_FALSE(read_file("/nonexistent/emmi-cts/page.html").has_value());
}

}  // namespace
}  // namespace emmi::catalogue::testing
