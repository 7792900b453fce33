// SPDX-License-Identifier: MIT
// `emmi-cts rules`: the rule catalogue with its coverage, as a table or JSON.
#include <memory>
#include <ostream>
#include <string>

#include "commands.h"
#include "emmi/catalogue/catalogue.h"
#include "emmi/catalogue/render.h"

namespace emmi::cli {

void add_rules_command(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand("rules", "List every rule of the catalogue and how it is checked");
  auto format = std::make_shared<std::string>("text");
  cmd->add_option("--format", *format, "Output format: text (a table) or json (machine-readable)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([&invocation, format] {
    invocation.run = [format](std::ostream& out, std::ostream&) {
      const auto& cat = catalogue::Catalogue::builtin();
      out << (*format == "json" ? catalogue::rules_json(cat) : catalogue::rules_table(cat));
      return kConformant;
    };
  });
}

}  // namespace emmi::cli
