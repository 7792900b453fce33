// SPDX-License-Identifier: MIT
// Human- and machine-readable views of the catalogue, shared by the
// `emmi-cts rules` and `emmi-cts explain` commands and by the reports, so the
// command line stays a thin driver and the output is unit-testable.
#pragma once

#include <string>

#include "emmi/catalogue/catalogue.h"

namespace emmi::catalogue {

// "170 rules; 41 checked (model/property/smt); 114 not yet; 15 n/a"
std::string coverage_line(const Coverage&);

// One line per rule (ID, level, who, method, title), then the coverage line.
std::string rules_table(const Catalogue&);

// The catalogue as JSON with stable keys: schema_version, source, coverage,
// groups, rules (every field present, null when absent), decisions.
std::string rules_json(const Catalogue&);

// Everything a pager author needs about one rule: text, level, party,
// citation, how it is checked, an example violation, related decisions.
std::string explain_rule(const Catalogue&, const Rule&);

// One X-note: the disagreement, the choice emmi-cts makes and why.
std::string explain_decision(const Decision&);

}  // namespace emmi::catalogue
