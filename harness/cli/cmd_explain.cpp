// SPDX-License-Identifier: MIT
// `emmi-cts explain RULE-ID`: one rule (or X-note decision) in full.
#include <memory>
#include <ostream>
#include <string>

#include "commands.h"
#include "emmi/catalogue/catalogue.h"
#include "emmi/catalogue/render.h"

namespace emmi::cli {
namespace {

int explain(const std::string& id, std::ostream& out) {
  const auto& cat = catalogue::Catalogue::builtin();
  if (const auto* rule = cat.find(id)) {
    out << catalogue::explain_rule(cat, *rule);
    return kConformant;
  }
  if (const auto* decision = cat.find_decision(id)) {
    out << catalogue::explain_decision(*decision);
    return kConformant;
  }
  std::string message = "unknown rule '" + id + "' (see 'emmi-cts rules' for the list)";
  auto close = cat.suggest(id);
  if (!close.empty()) {
    message += "; did you mean ";
    for (std::size_t i = 0; i < close.size(); ++i) {
      if (i != 0) message += i + 1 == close.size() ? " or " : ", ";
      message += close[i];
    }
    message += "?";
  }
  throw InputError(id, message);
}

}  // namespace

void add_explain_command(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand(
      "explain", "Show a rule's text, citation, how it is checked and an example violation");
  auto id = std::make_shared<std::string>();
  cmd->add_option("RULE-ID", *id,
                  "A rule ID such as IN9 or SQ7 (any case), or a decision such as X6")
      ->required();
  cmd->callback([&invocation, id] {
    invocation.run = [id](std::ostream& out, std::ostream&) { return explain(*id, out); };
  });
}

}  // namespace emmi::cli
