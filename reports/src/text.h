// SPDX-License-Identifier: MIT
// Text helpers shared by the XML-based writers (JUnit, HTML): making arbitrary
// pager-derived strings safe to embed. Not part of the public API.
#pragma once

#include <string>
#include <string_view>

namespace emmi::reports::detail {

// Returns `text` with every character XML 1.0 forbids removed (C0 controls
// other than tab, newline and carriage return; U+FFFE, U+FFFF; surrogates) and
// every invalid UTF-8 sequence replaced by U+FFFD. Jenkins' and GitLab's JUnit
// parsers reject documents containing such characters.
std::string xml_safe(std::string_view text);

// xml_safe, then escapes the five markup characters. In attribute values
// (`attribute` true) tab, newline and carriage return become character
// references, so attribute-value normalisation does not turn them into spaces.
std::string xml_escape(std::string_view text, bool attribute = false);

// Collapses runs of whitespace (including newlines) into single spaces and
// trims both ends: for one-line fields shown in tables and attributes.
std::string one_line(std::string_view text);

}  // namespace emmi::reports::detail
