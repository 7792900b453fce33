// SPDX-License-Identifier: MIT
// XML-safe text: what Jenkins' and GitLab's JUnit parsers choke on is gone,
// everything else survives byte for byte.
#include "text.h"

#include <gtest/gtest.h>

namespace emmi::reports::detail {
namespace {

using namespace std::string_literals;

TEST(XmlSafe, RemovesForbiddenControlCharacters) {
  EXPECT_EQ(xml_safe("a\x01"
                     "b\x07\x1b[31mc\x0b\x0c\x1f"s),
            "ab[31mc");
  EXPECT_EQ(xml_safe("nul\0here"s), "nulhere");
}

TEST(XmlSafe, KeepsTabNewlineReturnAndUnicode) {
  EXPECT_EQ(xml_safe("a\tb\nc\rd"), "a\tb\nc\rd");
  EXPECT_EQ(xml_safe("seqno → 3 · ü · \xF0\x9F\x98\x80"), "seqno → 3 · ü · \xF0\x9F\x98\x80");
}

TEST(XmlSafe, ReplacesInvalidUtf8AndDropsNoncharacters) {
  EXPECT_EQ(xml_safe("a\xff"
                     "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(xml_safe("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(xml_safe("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(xml_safe("x\xEF\xBF\xBEy"), "xy");                                  // U+FFFE
  EXPECT_EQ(xml_safe("cut \xE2\x86"), "cut \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(XmlEscape, EscapesMarkupAndProtectsWhitespaceInAttributes) {
  EXPECT_EQ(xml_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(xml_escape("1\n2\t3", false), "1\n2\t3");
  EXPECT_EQ(xml_escape("1\n2\t3", true), "1&#10;2&#9;3");
}

TEST(OneLine, CollapsesWhitespace) {
  EXPECT_EQ(one_line("  a\n\n b\t c  "), "a b c");
  EXPECT_EQ(one_line(""), "");
}

}  // namespace
}  // namespace emmi::reports::detail
