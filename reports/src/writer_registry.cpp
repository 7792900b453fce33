// SPDX-License-Identifier: MIT
// The table of report formats. A new format is a new writer file plus one
// line here (and its source in CMakeLists.txt).
#include <algorithm>
#include <array>
#include <functional>

#include <fmt/format.h>

#include "emmi/reports/html_report.h"
#include "emmi/reports/json_report.h"
#include "emmi/reports/junit_report.h"
#include "emmi/reports/markdown_report.h"
#include "emmi/reports/writer.h"

namespace emmi::reports {
namespace {

struct FormatEntry {
  std::string_view name;
  std::string_view alias;  // accepted on the command line too; empty if none
  std::unique_ptr<ReportWriter> (*make)();
};

template <typename W>
std::unique_ptr<ReportWriter> make() {
  return std::make_unique<W>();
}

constexpr std::array kFormats{
    FormatEntry{"json", "", &make<JsonWriter>},
    FormatEntry{"junit", "xml", &make<JunitWriter>},
    FormatEntry{"md", "markdown", &make<MarkdownWriter>},
    FormatEntry{"html", "", &make<HtmlWriter>},
};

const FormatEntry* find_format(std::string_view name) {
  for (const FormatEntry& e : kFormats) {
    if (e.name == name || (!e.alias.empty() && e.alias == name)) return &e;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> available_formats() {
  std::vector<std::string> names;
  for (const FormatEntry& e : kFormats) names.emplace_back(e.name);
  return names;
}

std::unique_ptr<ReportWriter> make_writer(std::string_view format) {
  if (const FormatEntry* e = find_format(format)) return e->make();
  throw UnknownFormatError(fmt::format("unknown report format '{}': expected one of {}", format,
                                       fmt::join(available_formats(), ", ")));
}

std::vector<std::string> parse_format_list(std::string_view list) {
  std::vector<std::string> formats;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = std::min(list.find(',', start), list.size());
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      throw UnknownFormatError(
          fmt::format("report format list '{}' has an empty entry: "
                      "expected names from {} separated by commas",
                      list, fmt::join(available_formats(), ", ")));
    }
    std::string name(make_writer(item)->format_name());
    if (std::find(formats.begin(), formats.end(), name) == formats.end()) {
      formats.push_back(std::move(name));
    }
    start = comma + 1;
  }
  return formats;
}

}  // namespace emmi::reports
