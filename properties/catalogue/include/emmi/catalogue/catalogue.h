// SPDX-License-Identifier: MIT
// The rule catalogue: every normative rule of shared/spec/emmi-rules.md with
// its level, party, dialects, citation and how emmi-cts checks it, plus the
// choices made where the manual pages disagree (the X-notes).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/errors.h"

namespace emmi::catalogue {

// MUST/SHOULD/MAY follow the rule's wording; INFO marks informational text.
enum class Level { must, should, may, info };

// The party the rule binds (the "Who" column of emmi-rules.md).
enum class Who { pager, kernel, default_pager, kernel_to_pager, none };

// How a rule is checked. not_yet and not_applicable stand alone; the others
// may be combined (a rule can be checked by the model and proved by SMT).
enum class Method { model, property, smt, not_yet, not_applicable };

enum class Dialect { gnumach, gnumach_seqnos, osf };

// The "Test" column: T testable, T~ partly, H harness obligation, I info.
enum class Testability { testable, partly_testable, harness, informational };

std::string_view to_string(Level);
std::string_view to_string(Who);
std::string_view to_string(Method);
std::string_view to_string(Dialect);
std::string_view to_string(Testability);

// Inverse of to_string(); nullopt for a spelling the catalogue does not use.
std::optional<Level> parse_level(std::string_view);
std::optional<Who> parse_who(std::string_view);
std::optional<Method> parse_method(std::string_view);
std::optional<Dialect> parse_dialect(std::string_view);
std::optional<Testability> parse_testability(std::string_view);

struct Citation {
  std::optional<std::string> page;    // file in shared/spec/xnu-osfmk-man, or none
  std::string quote;                  // verbatim from the Evidence column
  std::optional<std::string> source;  // provenance when not (only) a man page
};

struct Check {
  std::vector<Method> methods;
  std::string detail;  // how it is checked (checked rules)
  std::string reason;  // why not yet, or why not applicable
  // For a checked rule that a correct pager may never reach (a permission it
  // need not use, a role it need not take): what must happen for the rule to
  // be exercised, so that a report can say why it was not.
  std::string exercised_when;

  bool uses(Method m) const;
  // True when a model check, property or SMT proof covers the rule.
  bool checked() const;
};

struct Rule {
  std::string id;
  std::string group;
  std::string title;
  Level level = Level::must;
  Who who = Who::none;
  std::vector<Who> also_binds;  // further parties of a joint rule (K,P)
  std::vector<Dialect> dialects;
  Testability testability = Testability::testable;
  std::string testability_note;  // the full Test column when it says more
  std::string text;
  Citation citation;
  Check check;
  std::string example_violation;  // set for every checked rule

  bool applies_to(Dialect d) const;
};

struct Group {
  std::string id;
  int section = 0;
  std::string title;
};

// One X-note of emmi-rules.md: what the pages disagree on and what we chose.
struct Decision {
  std::string id;
  std::string topic;
  std::string summary;
  std::string choice;
  std::string why;
  std::vector<std::string> rules;
  // Where the target platforms (emmi-cts run --platform) read this X-note
  // differently: the reading each one takes. Empty when all take `choice`;
  // otherwise every platform has one.
  std::optional<std::string> gnumach_reading;
  std::optional<std::string> manual_reading;
  std::optional<std::string> osf_reading;
};

struct Source {
  std::string repository;
  std::string commit;
  std::string tag;
  std::string path;
  std::string catalogue;
};

struct Coverage {
  std::size_t rules = 0;
  std::size_t checked = 0;  // model, property or smt
  std::size_t not_yet = 0;
  std::size_t not_applicable = 0;
  // Rules per method, indexed by Method; a rule with two methods counts for both.
  std::array<std::size_t, 5> per_method{};

  std::size_t count(Method m) const { return per_method[static_cast<std::size_t>(m)]; }
};

// Thrown by Catalogue::parse for a document that is not a valid catalogue;
// the message names the offending element (e.g. "rules[12] (SU1): ...").
// An input error whose input() is "catalogue"; the built-in catalogue is
// checked by the build's tests, so from builtin() it never escapes.
class CatalogueError : public emmi::InputError {
 public:
  explicit CatalogueError(const std::string& message) : emmi::InputError("catalogue", message) {}
};

class Catalogue {
 public:
  // The catalogue compiled into the binary from properties/catalogue/rules.json.
  static const Catalogue& builtin();
  // Parses and validates a catalogue document; throws CatalogueError.
  static Catalogue parse(std::string_view json);

  // Case-insensitive lookup by rule ID ("in9" finds IN9); nullptr if absent.
  const Rule* find(std::string_view id) const;
  const Decision* find_decision(std::string_view id) const;
  // Up to `limit` rule IDs close to a mistyped one, closest first.
  std::vector<std::string_view> suggest(std::string_view id, std::size_t limit = 3) const;
  // The decisions that name the rule.
  std::vector<const Decision*> decisions_for(std::string_view rule_id) const;

  std::span<const Rule> rules() const { return rules_; }
  std::span<const Decision> decisions() const { return decisions_; }
  std::span<const Group> groups() const { return groups_; }
  int schema_version() const { return schema_version_; }
  const Source& source() const { return source_; }
  Coverage coverage() const;

 private:
  int schema_version_ = 0;
  Source source_;
  std::vector<Group> groups_;
  std::vector<Rule> rules_;
  std::vector<Decision> decisions_;
};

// The embedded rules.json text, byte for byte.
std::string_view builtin_json();

}  // namespace emmi::catalogue
