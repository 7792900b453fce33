// SPDX-License-Identifier: MIT
// Plain text of a manual page as emmi-rules.md quotes it: HTML tags removed,
// entities decoded, whitespace collapsed. Used to prove every catalogue quote
// is really on the page it cites.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace emmi::catalogue::testing {

std::string page_text(std::string_view html);

// Collapses every run of whitespace to one space and trims both ends.
std::string collapse_whitespace(std::string_view text);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_file(const std::string& path);

}  // namespace emmi::catalogue::testing
