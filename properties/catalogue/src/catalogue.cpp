// SPDX-License-Identifier: MIT
// Parsing and validation of the rule catalogue. The validation is strict
// (unknown keys, missing fields and inconsistent check methods are errors) so
// that a typo in rules.json fails the catalogue tests instead of silently
// dropping information from reports.
#include "emmi/catalogue/catalogue.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <initializer_list>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace emmi::catalogue {
namespace {

using nlohmann::json;

template <typename E>
struct Spelling {
  E value;
  std::string_view text;
};

constexpr std::array<Spelling<Level>, 4> kLevels{
    {{Level::must, "MUST"}, {Level::should, "SHOULD"}, {Level::may, "MAY"}, {Level::info, "INFO"}}};
constexpr std::array<Spelling<Who>, 5> kWho{{{Who::pager, "pager"},
                                             {Who::kernel, "kernel"},
                                             {Who::default_pager, "default-pager"},
                                             {Who::kernel_to_pager, "kernel-to-pager"},
                                             {Who::none, "none"}}};
constexpr std::array<Spelling<Method>, 5> kMethods{{{Method::model, "model"},
                                                    {Method::property, "property"},
                                                    {Method::smt, "smt"},
                                                    {Method::not_yet, "not-yet"},
                                                    {Method::not_applicable, "n/a"}}};
constexpr std::array<Spelling<Dialect>, 3> kDialects{{{Dialect::gnumach, "gnumach"},
                                                      {Dialect::gnumach_seqnos, "gnumach-seqnos"},
                                                      {Dialect::osf, "osf"}}};
constexpr std::array<Spelling<Testability>, 4> kTestability{{{Testability::testable, "T"},
                                                             {Testability::partly_testable, "T~"},
                                                             {Testability::harness, "H"},
                                                             {Testability::informational, "I"}}};

template <typename E, std::size_t N>
std::string_view spell(const std::array<Spelling<E>, N>& table, E value) {
  for (const auto& s : table)
    if (s.value == value) return s.text;
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<Spelling<E>, N>& table, std::string_view text) {
  for (const auto& s : table)
    if (s.text == text) return s.value;
  return std::nullopt;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Rule IDs are letters followed by digits (IN9, SQ7, V1); decisions are X<n>.
bool well_formed_id(std::string_view id) {
  std::size_t i = 0;
  while (i < id.size() && std::isupper(static_cast<unsigned char>(id[i]))) ++i;
  if (i == 0 || i == id.size()) return false;
  for (std::size_t j = i; j < id.size(); ++j)
    if (!std::isdigit(static_cast<unsigned char>(id[j]))) return false;
  return id[i] != '0';
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Reads one JSON object field by field, naming the element in every error and
// rejecting keys nobody asked for.
class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("is not an object");
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw CatalogueError("catalogue: " + where_ + ": " + what);
  }

  const std::string& where() const { return where_; }

  const json* optional(const char* key) {
    seen_.insert(key);
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  const json& required(const char* key) {
    const json* value = optional(key);
    if (value == nullptr) fail(std::string("missing \"") + key + "\"");
    return *value;
  }

  std::string text(const char* key) {
    const json& value = required(key);
    if (!value.is_string() || value.get_ref<const std::string&>().empty())
      fail(std::string("\"") + key + "\" must be a non-empty string");
    return value.get<std::string>();
  }

  std::optional<std::string> optional_text(const char* key) {
    const json* value = optional(key);
    if (value == nullptr || value->is_null()) return std::nullopt;
    if (!value->is_string() || value->get_ref<const std::string&>().empty())
      fail(std::string("\"") + key + "\" must be a non-empty string or null");
    return value->get<std::string>();
  }

  std::vector<std::string> text_list(const char* key, bool allow_empty) {
    const json& value = required(key);
    if (!value.is_array()) fail(std::string("\"") + key + "\" must be an array");
    if (!allow_empty && value.empty()) fail(std::string("\"") + key + "\" must not be empty");
    std::vector<std::string> out;
    for (const json& item : value) {
      if (!item.is_string()) fail(std::string("\"") + key + "\" must hold strings");
      out.push_back(item.get<std::string>());
    }
    std::set<std::string> unique(out.begin(), out.end());
    if (unique.size() != out.size()) fail(std::string("\"") + key + "\" repeats an entry");
    return out;
  }

  template <typename E, std::size_t N>
  E enumerated(const char* key, const std::array<Spelling<E>, N>& table) {
    std::string spelled = text(key);
    auto value = lookup(table, spelled);
    if (!value) fail(std::string("\"") + key + "\" has unknown value \"" + spelled + "\"");
    return *value;
  }

  // Call after reading every field: any key not read is a typo or an
  // extension the schema does not know.
  void finish() const {
    for (const auto& item : object_.items())
      if (!seen_.contains(item.key())) fail("unknown key \"" + item.key() + "\"");
  }

 private:
  const json& object_;
  std::string where_;
  std::set<std::string, std::less<>> seen_;
};

template <typename E, std::size_t N>
std::vector<E> enumerated_list(Reader& r, const char* key, const std::array<Spelling<E>, N>& table,
                               bool allow_empty) {
  std::vector<E> out;
  for (const std::string& spelled : r.text_list(key, allow_empty)) {
    auto value = lookup(table, spelled);
    if (!value) r.fail(std::string("\"") + key + "\" has unknown value \"" + spelled + "\"");
    out.push_back(*value);
  }
  return out;
}

Check read_check(const json& value, const std::string& where) {
  Reader r(value, where + ".check");
  Check check;
  check.methods = enumerated_list(r, "methods", kMethods, /*allow_empty=*/false);
  bool exclusive = check.uses(Method::not_yet) || check.uses(Method::not_applicable);
  if (exclusive && check.methods.size() != 1)
    r.fail("\"not-yet\" and \"n/a\" cannot be combined with another method");
  if (exclusive) {
    check.reason = r.text("reason");
    if (r.optional("detail") != nullptr) r.fail("\"detail\" is for checked rules; use \"reason\"");
    if (r.optional("exercised_when") != nullptr)
      r.fail("\"exercised_when\" is for checked rules; an unchecked rule is never exercised");
  } else {
    check.detail = r.text("detail");
    if (r.optional("reason") != nullptr)
      r.fail("\"reason\" is for unchecked rules; use \"detail\"");
    check.exercised_when = r.optional_text("exercised_when").value_or("");
  }
  r.finish();
  return check;
}

Rule read_rule(const json& value, std::size_t index,
               const std::set<std::string, std::less<>>& groups) {
  std::string where = "rules[" + std::to_string(index) + "]";
  if (value.is_object() && value.contains("id") && value.at("id").is_string())
    where += " (" + value.at("id").get<std::string>() + ")";
  Reader r(value, where);
  Rule rule;
  rule.id = r.text("id");
  if (!well_formed_id(rule.id)) r.fail("\"id\" must be capital letters then a number");
  rule.group = r.text("group");
  if (!groups.contains(rule.group)) r.fail("\"group\" names unknown group \"" + rule.group + "\"");
  rule.title = r.text("title");
  rule.level = r.enumerated("level", kLevels);
  rule.who = r.enumerated("who", kWho);
  if (r.optional("also_binds") != nullptr)
    rule.also_binds = enumerated_list(r, "also_binds", kWho, /*allow_empty=*/false);
  rule.dialects = enumerated_list(r, "dialects", kDialects, /*allow_empty=*/false);
  rule.testability = r.enumerated("testability", kTestability);
  rule.testability_note = r.optional_text("testability_note").value_or("");
  rule.text = r.text("text");

  Reader c(r.required("citation"), where + ".citation");
  rule.citation.page = c.optional_text("page");
  rule.citation.quote = c.text("quote");
  rule.citation.source = c.optional_text("source");
  if (!rule.citation.page && !rule.citation.source)
    c.fail("a citation without a manual page needs a \"source\"");
  c.finish();

  rule.check = read_check(r.required("check"), where);
  if (rule.check.checked()) {
    rule.example_violation = r.text("example_violation");
  } else if (r.optional("example_violation") != nullptr) {
    r.fail("\"example_violation\" is only for checked rules");
  }

  // Informational rules have nothing to violate: the Test column, the level
  // and the method must agree on that.
  bool informational = rule.testability == Testability::informational;
  if (informational != rule.check.uses(Method::not_applicable))
    r.fail("testability \"I\" and method \"n/a\" go together");
  if (informational != (rule.level == Level::info))
    r.fail("testability \"I\" and level \"INFO\" go together");
  r.finish();
  return rule;
}

Decision read_decision(const json& value, std::size_t index,
                       const std::set<std::string, std::less<>>& rule_ids) {
  Reader r(value, "decisions[" + std::to_string(index) + "]");
  Decision d;
  d.id = r.text("id");
  if (d.id.size() < 2 || d.id[0] != 'X' || !well_formed_id(d.id))
    r.fail("\"id\" must be X<number>");
  d.topic = r.text("topic");
  d.summary = r.text("summary");
  d.choice = r.text("choice");
  d.why = r.text("why");
  d.rules = r.text_list("rules", /*allow_empty=*/true);
  for (const std::string& id : d.rules)
    if (!rule_ids.contains(id)) r.fail("\"rules\" names unknown rule \"" + id + "\"");
  if (const json* platforms = r.optional("platforms")) {
    Reader p(*platforms, r.where() + ".platforms");
    d.gnumach_reading = p.text("gnumach");
    d.manual_reading = p.text("manual");
    d.osf_reading = p.text("osf");
    p.finish();
  }
  r.finish();
  return d;
}

}  // namespace

std::string_view to_string(Level v) { return spell(kLevels, v); }
std::string_view to_string(Who v) { return spell(kWho, v); }
std::string_view to_string(Method v) { return spell(kMethods, v); }
std::string_view to_string(Dialect v) { return spell(kDialects, v); }
std::string_view to_string(Testability v) { return spell(kTestability, v); }

std::optional<Level> parse_level(std::string_view s) { return lookup(kLevels, s); }
std::optional<Who> parse_who(std::string_view s) { return lookup(kWho, s); }
std::optional<Method> parse_method(std::string_view s) { return lookup(kMethods, s); }
std::optional<Dialect> parse_dialect(std::string_view s) { return lookup(kDialects, s); }
std::optional<Testability> parse_testability(std::string_view s) { return lookup(kTestability, s); }

bool Check::uses(Method m) const {
  return std::find(methods.begin(), methods.end(), m) != methods.end();
}

bool Check::checked() const {
  return uses(Method::model) || uses(Method::property) || uses(Method::smt);
}

bool Rule::applies_to(Dialect d) const {
  return std::find(dialects.begin(), dialects.end(), d) != dialects.end();
}

Catalogue Catalogue::parse(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw CatalogueError(std::string("catalogue: not valid JSON: ") + e.what());
  }
  Reader top(doc, "top level");
  Catalogue cat;
  const json& version = top.required("schema_version");
  if (!version.is_number_integer() || version.get<int>() != 1)
    top.fail("\"schema_version\" must be 1 (the only version this build reads)");
  cat.schema_version_ = 1;

  Reader src(top.required("source"), "source");
  cat.source_ = {src.text("repository"), src.text("commit"), src.text("tag"), src.text("path"),
                 src.text("catalogue")};
  src.finish();

  // The vocabularies are stored in the file for readers of the JSON; they
  // must match what this code understands.
  auto same_vocabulary = [&](const char* key, auto const& table) {
    std::vector<std::string> listed = top.text_list(key, false);
    std::vector<std::string> known;
    for (const auto& s : table) known.emplace_back(s.text);
    if (listed != known) top.fail(std::string("\"") + key + "\" differs from the known vocabulary");
  };
  same_vocabulary("levels", kLevels);
  same_vocabulary("methods", kMethods);
  same_vocabulary("dialects", kDialects);

  const json& groups = top.required("groups");
  if (!groups.is_array() || groups.empty()) top.fail("\"groups\" must be a non-empty array");
  std::set<std::string, std::less<>> group_ids;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    Reader g(groups[i], "groups[" + std::to_string(i) + "]");
    Group group;
    group.id = g.text("id");
    const json& section = g.required("section");
    if (!section.is_number_integer()) g.fail("\"section\" must be an integer");
    group.section = section.get<int>();
    group.title = g.text("title");
    g.finish();
    if (!group_ids.insert(group.id).second) g.fail("duplicate group \"" + group.id + "\"");
    cat.groups_.push_back(std::move(group));
  }

  const json& rules = top.required("rules");
  if (!rules.is_array() || rules.empty()) top.fail("\"rules\" must be a non-empty array");
  std::set<std::string, std::less<>> rule_ids;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Rule rule = read_rule(rules[i], i, group_ids);
    if (!rule_ids.insert(rule.id).second)
      throw CatalogueError("catalogue: rules[" + std::to_string(i) + "]: duplicate id \"" +
                           rule.id + "\"");
    cat.rules_.push_back(std::move(rule));
  }

  const json& decisions = top.required("decisions");
  if (!decisions.is_array()) top.fail("\"decisions\" must be an array");
  std::set<std::string, std::less<>> decision_ids;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    Decision d = read_decision(decisions[i], i, rule_ids);
    if (!decision_ids.insert(d.id).second)
      throw CatalogueError("catalogue: decisions[" + std::to_string(i) + "]: duplicate id \"" +
                           d.id + "\"");
    cat.decisions_.push_back(std::move(d));
  }
  top.finish();
  return cat;
}

const Catalogue& Catalogue::builtin() {
  static const Catalogue instance = parse(builtin_json());
  return instance;
}

namespace {

// Rules and decisions are found by ID in any case ("in9" finds IN9).
template <typename T>
const T* find_by_id(const std::vector<T>& items, std::string_view id) {
  std::string wanted = upper(id);
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const T& item) { return item.id == wanted; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

const Rule* Catalogue::find(std::string_view id) const { return find_by_id(rules_, id); }

const Decision* Catalogue::find_decision(std::string_view id) const {
  return find_by_id(decisions_, id);
}

std::vector<std::string_view> Catalogue::suggest(std::string_view id, std::size_t limit) const {
  std::string wanted = upper(id);
  std::string_view wanted_prefix(wanted);
  wanted_prefix = wanted_prefix.substr(0, wanted_prefix.find_first_of("0123456789"));
  // A plausible typo: one edit away, or two edits within the same rule
  // family (same letters), so "XYZ" does not suggest SY1.
  auto plausible = [&](const Rule& rule, std::size_t distance) {
    if (distance <= 1) return wanted.size() > 1;
    std::string_view prefix(rule.id);
    prefix = prefix.substr(0, prefix.find_first_of("0123456789"));
    return distance == 2 && prefix == wanted_prefix;
  };
  std::size_t best = std::string::npos;
  std::vector<std::pair<std::size_t, std::string_view>> scored;
  for (const Rule& rule : rules_) {
    std::size_t d = edit_distance(wanted, rule.id);
    if (!plausible(rule, d)) continue;
    scored.emplace_back(d, rule.id);
    best = std::min(best, d);
  }
  // Only the closest candidates: IN99 suggests IN9, not IN1 and IN2 too.
  std::vector<std::string_view> out;
  for (const auto& [distance, rule_id] : scored) {
    if (out.size() == limit) break;
    if (distance == best) out.push_back(rule_id);
  }
  return out;
}

std::vector<const Decision*> Catalogue::decisions_for(std::string_view rule_id) const {
  std::vector<const Decision*> out;
  for (const Decision& d : decisions_)
    if (std::find(d.rules.begin(), d.rules.end(), rule_id) != d.rules.end()) out.push_back(&d);
  return out;
}

Coverage Catalogue::coverage() const {
  Coverage c;
  c.rules = rules_.size();
  for (const Rule& rule : rules_) {
    for (Method m : rule.check.methods) ++c.per_method[static_cast<std::size_t>(m)];
    if (rule.check.checked())
      ++c.checked;
    else if (rule.check.uses(Method::not_yet))
      ++c.not_yet;
    else
      ++c.not_applicable;
  }
  return c;
}

}  // namespace emmi::catalogue
