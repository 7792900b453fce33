// SPDX-License-Identifier: MIT
// Text and JSON renderings of the catalogue. JSON keys are emitted in a fixed
// order and every optional field is present (null when absent) so that
// consumers can rely on the shape.
#include "emmi/catalogue/render.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

namespace emmi::catalogue {
namespace {

using ordered = nlohmann::ordered_json;

std::string join(const std::vector<std::string_view>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out += sep;
    out += parts[i];
  }
  return out;
}

template <typename E>
std::vector<std::string_view> spelled(const std::vector<E>& values) {
  std::vector<std::string_view> out;
  for (E v : values) out.push_back(to_string(v));
  return out;
}

std::string method_label(const Check& check) { return join(spelled(check.methods), "+"); }

ordered optional_string(const std::optional<std::string>& s) {
  return s ? ordered(*s) : ordered(nullptr);
}
ordered optional_string(const std::string& s) { return s.empty() ? ordered(nullptr) : ordered(s); }

// Greedy word wrap; `indent` spaces before every line.
std::string wrap(std::string_view text, std::size_t indent, std::size_t width = 78) {
  std::string out;
  std::string line(indent, ' ');
  std::size_t start = 0;
  bool line_empty = true;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    start = end + 1;
    if (word.empty()) continue;
    if (!line_empty && line.size() + 1 + word.size() > width) {
      out += line + '\n';
      line.assign(indent, ' ');
      line_empty = true;
    }
    if (!line_empty) line += ' ';
    line += word;
    line_empty = false;
  }
  if (!line_empty) out += line + '\n';
  return out;
}

ordered coverage_json(const Coverage& c) {
  ordered per_method = ordered::object();
  for (Method m :
       {Method::model, Method::property, Method::smt, Method::not_yet, Method::not_applicable})
    per_method[std::string(to_string(m))] = c.count(m);
  return ordered{{"rules", c.rules},
                 {"checked", c.checked},
                 {"not_yet", c.not_yet},
                 {"not_applicable", c.not_applicable},
                 {"per_method", per_method}};
}

ordered rule_json(const Rule& r) {
  return ordered{
      {"id", r.id},
      {"group", r.group},
      {"title", r.title},
      {"level", to_string(r.level)},
      {"who", to_string(r.who)},
      {"also_binds", spelled(r.also_binds)},
      {"dialects", spelled(r.dialects)},
      {"testability", to_string(r.testability)},
      {"testability_note", optional_string(r.testability_note)},
      {"text", r.text},
      {"citation",
       {{"page", optional_string(r.citation.page)},
        {"quote", r.citation.quote},
        {"source", optional_string(r.citation.source)}}},
      {"check",
       {{"methods", spelled(r.check.methods)},
        {"checked", r.check.checked()},
        {"detail", optional_string(r.check.detail)},
        {"reason", optional_string(r.check.reason)},
        {"exercised_when", optional_string(r.check.exercised_when)}}},
      {"example_violation", optional_string(r.example_violation)},
  };
}

}  // namespace

std::string coverage_line(const Coverage& c) {
  std::ostringstream out;
  out << c.rules << " rules; " << c.checked << " checked (model/property/smt); " << c.not_yet
      << " not yet; " << c.not_applicable << " n/a";
  return out.str();
}

// The dialects a rule applies to, for the table: "all" when every dialect.
std::string dialect_label(const Rule& r) {
  if (r.dialects.size() == 3) return "all";
  return join(spelled(r.dialects), ",");
}

std::string rules_table(const Catalogue& cat) {
  std::size_t id_w = 2, who_w = 3, method_w = 6, dialect_w = 8;
  for (const Rule& r : cat.rules()) {
    id_w = std::max(id_w, r.id.size());
    who_w = std::max(who_w, to_string(r.who).size());
    method_w = std::max(method_w, method_label(r.check).size());
    dialect_w = std::max(dialect_w, dialect_label(r).size());
  }
  auto pad = [](std::string_view s, std::size_t w) {
    std::string out(s);
    out.resize(std::max(w, s.size()), ' ');
    return out;
  };
  std::ostringstream out;
  out << pad("ID", id_w) << "  " << pad("LEVEL", 6) << "  " << pad("WHO", who_w) << "  "
      << pad("DIALECTS", dialect_w) << "  " << pad("METHOD", method_w) << "  TITLE\n";
  for (const Rule& r : cat.rules()) {
    out << pad(r.id, id_w) << "  " << pad(to_string(r.level), 6) << "  "
        << pad(to_string(r.who), who_w) << "  " << pad(dialect_label(r), dialect_w) << "  "
        << pad(method_label(r.check), method_w) << "  " << r.title << '\n';
  }
  Coverage c = cat.coverage();
  out << '\n' << coverage_line(c) << '\n';
  out << "by method: model " << c.count(Method::model) << ", property " << c.count(Method::property)
      << ", smt " << c.count(Method::smt) << '\n';
  return out.str();
}

std::string rules_json(const Catalogue& cat) {
  ordered doc;
  doc["schema_version"] = cat.schema_version();
  const Source& s = cat.source();
  doc["source"] = {{"repository", s.repository},
                   {"commit", s.commit},
                   {"tag", s.tag},
                   {"path", s.path},
                   {"catalogue", s.catalogue}};
  doc["coverage"] = coverage_json(cat.coverage());
  ordered groups = ordered::array();
  for (const Group& g : cat.groups())
    groups.push_back({{"id", g.id}, {"section", g.section}, {"title", g.title}});
  doc["groups"] = std::move(groups);
  ordered rules = ordered::array();
  for (const Rule& r : cat.rules()) rules.push_back(rule_json(r));
  doc["rules"] = std::move(rules);
  ordered decisions = ordered::array();
  for (const Decision& d : cat.decisions()) {
    ordered decision = {{"id", d.id},         {"topic", d.topic}, {"summary", d.summary},
                        {"choice", d.choice}, {"why", d.why},     {"rules", d.rules}};
    if (d.gnumach_reading)
      decision["platforms"] = {{"gnumach", *d.gnumach_reading},
                               {"manual", *d.manual_reading},
                               {"osf", *d.osf_reading}};
    decisions.push_back(std::move(decision));
  }
  doc["decisions"] = std::move(decisions);
  return doc.dump(2) + '\n';
}

std::string explain_rule(const Catalogue& cat, const Rule& r) {
  std::ostringstream out;
  out << r.id << ": " << r.title << "\n\n";
  std::string who(to_string(r.who));
  if (!r.also_binds.empty()) who += " (also " + join(spelled(r.also_binds), ", ") + ")";
  out << "  level:       " << to_string(r.level) << '\n'
      << "  who:         " << who << '\n'
      << "  group:       " << r.group << '\n'
      << "  dialects:    " << join(spelled(r.dialects), ", ") << '\n'
      << "  testability: " << to_string(r.testability);
  if (!r.testability_note.empty()) out << "  (" << r.testability_note << ')';
  out << "\n\nRule:\n" << wrap(r.text, 2);

  out << "\nCitation:\n";
  if (r.citation.page) out << "  " << *r.citation.page << '\n';
  if (r.citation.source) out << wrap(*r.citation.source, 2);
  out << wrap('"' + r.citation.quote + '"', 2);

  if (r.check.checked()) {
    out << "\nChecked by: " << method_label(r.check) << '\n' << wrap(r.check.detail, 2);
    if (!r.check.exercised_when.empty())
      out << "\nExercised only when:\n" << wrap(r.check.exercised_when, 2);
    out << "\nExample violation:\n" << wrap(r.example_violation, 2);
  } else if (r.check.uses(Method::not_yet)) {
    out << "\nNot checked yet:\n" << wrap(r.check.reason, 2);
  } else {
    out << "\nNot applicable:\n" << wrap(r.check.reason, 2);
  }

  auto decisions = cat.decisions_for(r.id);
  if (!decisions.empty()) {
    out << "\nDecisions (where the pages disagree):\n";
    for (const Decision* d : decisions) {
      out << wrap(d->id + " " + d->topic + ": " + d->choice, 2);
      if (d->gnumach_reading)
        out << wrap("on --platform gnumach: " + *d->gnumach_reading, 4)
            << wrap("on --platform manual: " + *d->manual_reading, 4)
            << wrap("on --platform osf: " + *d->osf_reading, 4);
    }
  }
  return out.str();
}

std::string explain_decision(const Decision& d) {
  std::ostringstream out;
  out << d.id << ": " << d.topic << "\n\nThe pages disagree:\n"
      << wrap(d.summary, 2) << "\nemmi-cts chooses:\n"
      << wrap(d.choice, 2) << "\nWhy:\n"
      << wrap(d.why, 2) << "\nPlatforms (emmi-cts run --platform):\n";
  if (d.gnumach_reading) {
    out << wrap("gnumach: " + *d.gnumach_reading, 2) << wrap("manual: " + *d.manual_reading, 2)
        << wrap("osf: " + *d.osf_reading, 2);
  } else {
    out << wrap("gnumach and manual both take the choice above.", 2);
  }
  if (!d.rules.empty()) {
    std::vector<std::string_view> ids(d.rules.begin(), d.rules.end());
    out << "\nRules concerned: " << join(ids, ", ") << '\n';
  }
  return out.str();
}

}  // namespace emmi::catalogue
