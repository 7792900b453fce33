// SPDX-License-Identifier: MIT
// The canonical JSON record and its reader. Field names and constraints match
// reports/schema/emmi-report-v4.schema.json; the reader checks what the schema
// checks that matters for merging, and names the exact field at fault.
#include "emmi/reports/json_report.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace emmi::reports {
using nlohmann::json;
namespace {

json machine_to_json(const MachineInfo& m) {
  return {{"hostname", m.hostname}, {"os", m.os}, {"cpus", m.cpus}};
}

json shard_to_json(const ShardInfo& s) { return {{"index", s.index}, {"total", s.total}}; }

json trace_event_to_json(const TraceEvent& e) {
  json j = {{"index", e.index}, {"lane_from", e.lane_from}, {"lane_to", e.lane_to},
            {"label", e.label}, {"rights", e.rights},       {"note", e.note}};
  if (e.seqno) j["seqno"] = *e.seqno;
  return j;
}

json rule_to_json(const RuleResult& r) {
  json j = {{"id", r.id},
            {"group", r.group},
            {"title", r.title},
            {"level", r.level},
            {"party", to_string(r.party)},
            {"verdict", r.verdict.name()},
            {"fails_run", fails_run(r)},
            {"exercised", r.exercised},
            {"message", r.message}};
  if (r.waiver) {
    j["waiver"] = {{"reason", r.waiver->reason}};
    if (r.waiver->expires) j["waiver"]["expires"] = *r.waiver->expires;
  }
  if (!r.portability.empty()) j["portability"] = r.portability;
  if (r.counterexample) {
    const Counterexample& c = *r.counterexample;
    json trace = json::array();
    for (const TraceEvent& e : c.trace) trace.push_back(trace_event_to_json(e));
    j["counterexample"] = {{"commands", c.commands},
                           {"seed", c.seed},
                           {"reproduce", c.reproduce},
                           {"replay_command", c.replay_command},
                           {"trace", std::move(trace)}};
  }
  return j;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// YYYY-MM-DDTHH:MM:SS[.fraction]Z, as the schema's timestamp pattern.
bool is_iso8601_utc(std::string_view s) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < kShape.size() + 1 || s.back() != 'Z') return false;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !is_digit(s[i]) : s[i] != kShape[i]) return false;
  }
  std::string_view fraction = s.substr(kShape.size(), s.size() - kShape.size() - 1);
  if (fraction.empty()) return true;
  if (fraction.size() < 2 || fraction[0] != '.') return false;
  for (char c : fraction.substr(1)) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f');
         });
}

// Reads a RunReport out of parsed JSON, tracking the path of the value being
// read ("rules[3].counterexample.seed") so every error names its field.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw ReportReadError(source_, where.empty() ? fmt::format("{}: {}", source_, what)
                                                 : fmt::format("{}: {}: {}", source_, where, what));
  }

  static std::string join(const std::string& where, std::string_view key) {
    return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
  }

  static std::string type_of(const json& j) { return j.type_name(); }

  const json& object(const json& j, const std::string& where) const {
    if (!j.is_object()) fail(where, fmt::format("expected an object, got {}", type_of(j)));
    return j;
  }

  const json& field(const json& obj, std::string_view key, const std::string& where) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(where, fmt::format("missing required field \"{}\"", key));
    return *it;
  }

  std::string string(const json& obj, std::string_view key, const std::string& where) const {
    const json& j = field(obj, key, where);
    if (!j.is_string()) {
      fail(join(where, key), fmt::format("expected a string, got {}", type_of(j)));
    }
    return j.get<std::string>();
  }

  std::string nonempty_string(const json& obj, std::string_view key,
                              const std::string& where) const {
    std::string s = string(obj, key, where);
    if (s.empty()) fail(join(where, key), "must not be empty");
    return s;
  }

  std::uint64_t unsigned_int(const json& j, const std::string& where) const {
    if (!j.is_number_integer() ||
        (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0)) {
      fail(where, fmt::format("expected a non-negative integer, got {}",
                              j.is_number() ? j.dump() : type_of(j)));
    }
    return j.get<std::uint64_t>();
  }

  std::uint64_t unsigned_int(const json& obj, std::string_view key,
                             const std::string& where) const {
    return unsigned_int(field(obj, key, where), join(where, key));
  }

  std::uint32_t small_unsigned(const json& obj, std::string_view key,
                               const std::string& where) const {
    std::uint64_t v = unsigned_int(obj, key, where);
    if (v > UINT32_MAX) fail(join(where, key), fmt::format("{} is out of range", v));
    return static_cast<std::uint32_t>(v);
  }

  double number(const json& obj, std::string_view key, const std::string& where) const {
    const json& j = field(obj, key, where);
    if (!j.is_number() || j.get<double>() < 0) {
      fail(join(where, key), fmt::format("expected a non-negative number, got {}",
                                         j.is_number() ? j.dump() : type_of(j)));
    }
    return j.get<double>();
  }

  bool boolean(const json& obj, std::string_view key, const std::string& where) const {
    const json& j = field(obj, key, where);
    if (!j.is_boolean())
      fail(join(where, key), fmt::format("expected true or false, got {}", type_of(j)));
    return j.get<bool>();
  }

  const json& array(const json& obj, std::string_view key, const std::string& where) const {
    const json& j = field(obj, key, where);
    if (!j.is_array()) fail(join(where, key), fmt::format("expected an array, got {}", type_of(j)));
    return j;
  }

  std::string timestamp(const json& obj, std::string_view key, const std::string& where) const {
    std::string s = string(obj, key, where);
    if (!is_iso8601_utc(s)) {
      fail(join(where, key), fmt::format("expected an ISO-8601 UTC time such as "
                                         "2024-05-01T12:00:00Z, got \"{}\"",
                                         s));
    }
    return s;
  }

  MachineInfo machine(const json& j, const std::string& where) const {
    object(j, where);
    return {string(j, "hostname", where), string(j, "os", where), small_unsigned(j, "cpus", where)};
  }

  ShardInfo shard(const json& j, const std::string& where) const {
    object(j, where);
    ShardInfo s{small_unsigned(j, "index", where), small_unsigned(j, "total", where)};
    if (s.total == 0) fail(join(where, "total"), "must be at least 1");
    if (s.index >= s.total) {
      fail(join(where, "index"), fmt::format("index {} is not below total {} (index is "
                                             "0-based)",
                                             s.index, s.total));
    }
    return s;
  }

  TraceEvent trace_event(const json& j, const std::string& where) const {
    object(j, where);
    TraceEvent e;
    e.index = unsigned_int(j, "index", where);
    e.lane_from = nonempty_string(j, "lane_from", where);
    e.lane_to = string(j, "lane_to", where);
    e.label = nonempty_string(j, "label", where);
    if (j.contains("seqno")) e.seqno = unsigned_int(j, "seqno", where);
    e.rights = string(j, "rights", where);
    e.note = string(j, "note", where);
    return e;
  }

  Counterexample counterexample(const json& j, const std::string& where) const {
    object(j, where);
    Counterexample c;
    const json& commands = array(j, "commands", where);
    for (std::size_t i = 0; i < commands.size(); ++i) {
      std::string at = fmt::format("{}.commands[{}]", where, i);
      if (!commands[i].is_string())
        fail(at, fmt::format("expected a string, got {}", type_of(commands[i])));
      c.commands.push_back(commands[i].get<std::string>());
    }
    c.seed = unsigned_int(j, "seed", where);
    c.reproduce = string(j, "reproduce", where);
    c.replay_command = string(j, "replay_command", where);
    const json& trace = array(j, "trace", where);
    for (std::size_t i = 0; i < trace.size(); ++i) {
      c.trace.push_back(trace_event(trace[i], fmt::format("{}.trace[{}]", where, i)));
    }
    return c;
  }

  RuleResult rule(const json& j, const std::string& where, Party section) const {
    object(j, where);
    RuleResult r;
    r.id = nonempty_string(j, "id", where);
    r.group = nonempty_string(j, "group", where);
    r.title = string(j, "title", where);
    r.level = nonempty_string(j, "level", where);
    if (!is_known_level(r.level)) {
      fail(join(where, "level"),
           fmt::format("expected one of {}; got \"{}\"", fmt::join(kLevels, ", "), r.level));
    }
    std::string party = string(j, "party", where);
    if (parse_party(party) != section) {
      fail(join(where, "party"), fmt::format("a rule in \"{}\" binds the {}, got \"{}\"",
                                             section == Party::pager ? "rules" : "self_checks",
                                             to_string(section), party));
    }
    r.party = section;
    std::string verdict = string(j, "verdict", where);
    std::optional<Verdict> v = Verdict::from_name(verdict);
    if (!v) {
      std::vector<std::string_view> names;
      for (Verdict known : Verdict::all()) names.push_back(known.name());
      fail(join(where, "verdict"),
           fmt::format("expected one of {}; got \"{}\"", fmt::join(names, ", "), verdict));
    }
    r.verdict = *v;
    r.exercised = unsigned_int(j, "exercised", where);
    r.message = string(j, "message", where);
    if (j.contains("waiver")) {
      std::string at = join(where, "waiver");
      const json& w = object(j["waiver"], at);
      Waiver waiver{string(w, "reason", at), std::nullopt};
      if (w.contains("expires")) waiver.expires = string(w, "expires", at);
      r.waiver = std::move(waiver);
    }
    // The same two constraints as the schema's allOf for a rule.
    if (r.verdict == Verdict::waived && !r.waiver) {
      fail(where, "verdict is waived but there is no \"waiver\" saying why");
    }
    if (section == Party::kernel && r.verdict.is_nonconformance()) {
      fail(join(where, "verdict"), fmt::format("a self-check of the suite cannot be a pager "
                                               "non-conformance; got \"{}\"",
                                               r.verdict.name()));
    }
    if (j.contains("fails_run") && !j["fails_run"].is_boolean()) {
      fail(join(where, "fails_run"),
           fmt::format("expected true or false, got {}", type_of(j["fails_run"])));
    }
    if (r.verdict == Verdict::not_applicable && r.exercised != 0) {
      fail(join(where, "exercised"), fmt::format("a not-applicable rule was never exercised, "
                                                 "but exercised is {}",
                                                 r.exercised));
    }
    if (j.contains("counterexample")) {
      r.counterexample = counterexample(j["counterexample"], join(where, "counterexample"));
    }
    if (j.contains("portability")) r.portability = nonempty_string(j, "portability", where);
    return r;
  }

  RunReport report(const json& j) const {
    if (!j.is_object()) {
      fail("", fmt::format("expected a JSON object (an emmi-cts report), got {}", type_of(j)));
    }
    std::string format = string(j, "format", "");
    if (format != kReportFormat) {
      fail("format", fmt::format("expected \"{}\", got \"{}\": not an emmi-cts report",
                                 kReportFormat, format));
    }
    std::uint64_t version = unsigned_int(j, "format_version", "");
    if (version != static_cast<std::uint64_t>(kReportFormatVersion)) {
      fail("format_version", fmt::format("this reader understands version {}, the file is "
                                         "version {}",
                                         kReportFormatVersion, version));
    }
    RunReport r;
    const json& suite = object(field(j, "suite", ""), "suite");
    r.suite = {nonempty_string(suite, "name", "suite"), string(suite, "version", "suite")};
    const json& pager = object(field(j, "pager", ""), "pager");
    r.pager.path = string(pager, "path", "pager");
    r.pager.sha256 = string(pager, "sha256", "pager");
    if (!is_sha256_hex(r.pager.sha256)) {
      fail("pager.sha256",
           fmt::format("expected 64 lower-case hex digits, got \"{}\"", r.pager.sha256));
    }
    r.pager.name = string(pager, "name", "pager");
    r.dialect = nonempty_string(j, "dialect", "");
    r.platform = nonempty_string(j, "platform", "");
    if (r.platform != "gnumach" && r.platform != "manual" && r.platform != "osf") {
      fail("platform",
           fmt::format("expected \"gnumach\", \"manual\" or \"osf\", got \"{}\"", r.platform));
    }
    r.profile = nonempty_string(j, "profile", "");
    r.seed = unsigned_int(j, "seed", "");
    const json& parameters = object(field(j, "parameters", ""), "parameters");
    for (const auto& [key, value] : parameters.items()) {
      if (!value.is_string()) {
        fail(join("parameters", key), fmt::format("expected a string, got {}", type_of(value)));
      }
      r.parameters[key] = value.get<std::string>();
    }
    r.machine = machine(field(j, "machine", ""), "machine");
    r.conformance_mode = boolean(j, "conformance_mode", "");
    if (j.contains("shard")) r.shard = shard(j["shard"], "shard");
    if (j.contains("merged_from")) {
      const json& merged = array(j, "merged_from", "");
      for (std::size_t i = 0; i < merged.size(); ++i) {
        std::string at = fmt::format("merged_from[{}]", i);
        const json& m = object(merged[i], at);
        r.merged_from.push_back({shard(field(m, "shard", at), join(at, "shard")),
                                 machine(field(m, "machine", at), join(at, "machine")),
                                 timestamp(m, "started_at", at), number(m, "duration_s", at),
                                 unsigned_int(m, "cases_run", at)});
      }
    }
    r.started_at = timestamp(j, "started_at", "");
    r.duration_s = number(j, "duration_s", "");
    r.cases_run = unsigned_int(j, "cases_run", "");
    const json& rules = array(j, "rules", "");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      r.rules.push_back(rule(rules[i], fmt::format("rules[{}]", i), Party::pager));
    }
    const json& checks = array(j, "self_checks", "");
    for (std::size_t i = 0; i < checks.size(); ++i) {
      r.rules.push_back(rule(checks[i], fmt::format("self_checks[{}]", i), Party::kernel));
    }
    return r;
  }

 private:
  std::string source_;
};

json counts_to_json(const VerdictCounts& counts) {
  json count_map = json::object();
  for (Verdict v : Verdict::all()) count_map[std::string(v.name())] = counts[v];
  return count_map;
}

std::string outcome_name(RunOutcome outcome) {
  switch (outcome) {
    case RunOutcome::conformant: return "conformant";
    case RunOutcome::not_conformant: return "not-conformant";
    case RunOutcome::incomplete: return "incomplete";
    case RunOutcome::nothing_exercised: return "nothing-exercised";
  }
  return "incomplete";
}

}  // namespace

json report_to_json(const RunReport& report) {
  json rules = json::array();
  json self_checks = json::array();
  for (const RuleResult& r : report.rules)
    (r.party == Party::pager ? rules : self_checks).push_back(rule_to_json(r));

  json conformant_verdicts = json::array();
  for (Verdict v : Verdict::all()) {
    if (!v.is_failure()) conformant_verdicts.push_back(v.name());
  }

  json j = json::object();
  j["format"] = kReportFormat;
  j["format_version"] = kReportFormatVersion;
  j["suite"] = {{"name", report.suite.name}, {"version", report.suite.version}};
  j["pager"] = {{"path", report.pager.path},
                {"sha256", report.pager.sha256},
                {"name", report.pager.name}};
  j["dialect"] = report.dialect;
  j["platform"] = report.platform;
  j["profile"] = report.profile;
  j["seed"] = report.seed;
  j["parameters"] = report.parameters;
  j["machine"] = machine_to_json(report.machine);
  j["conformance_mode"] = report.conformance_mode;
  if (report.shard) j["shard"] = shard_to_json(*report.shard);
  if (!report.merged_from.empty()) {
    json merged = json::array();
    for (const ShardRecord& s : report.merged_from) {
      merged.push_back({{"shard", shard_to_json(s.shard)},
                        {"machine", machine_to_json(s.machine)},
                        {"started_at", s.started_at},
                        {"duration_s", s.duration_s},
                        {"cases_run", s.cases_run}});
    }
    j["merged_from"] = std::move(merged);
  }
  j["started_at"] = report.started_at;
  j["duration_s"] = report.duration_s;
  j["cases_run"] = report.cases_run;
  j["summary"] = {{"outcome", outcome_name(run_outcome(report))},
                  {"conformant", is_conformant(report)},
                  {"verdict", overall_verdict(report).name()},
                  {"counts", counts_to_json(count_verdicts(report, Party::pager))},
                  {"advisory", count_advisory(report)},
                  {"portability", count_portability(report)},
                  {"self_checks",
                   {{"verdict", self_check_verdict(report).name()},
                    {"counts", counts_to_json(count_verdicts(report, Party::kernel))}}},
                  {"conformant_verdicts", std::move(conformant_verdicts)}};
  j["rules"] = std::move(rules);
  j["self_checks"] = std::move(self_checks);
  return j;
}

RunReport report_from_json(const json& document, std::string_view source) {
  return Reader(source).report(document);
}

RunReport parse_report(std::string_view text, std::string_view source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    throw ReportReadError(std::string(source),
                          fmt::format("{}: empty file, expected an emmi-cts JSON report", source));
  }
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& e) {
    throw ReportReadError(std::string(source), fmt::format("{}: not valid JSON (byte {}): {}",
                                                           source, e.byte, e.what()));
  }
  return report_from_json(document, source);
}

RunReport read_report_file(const std::filesystem::path& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ReportReadError(file.string(), fmt::format("{}: is a directory, expected an "
                                                     "emmi-cts JSON report",
                                                     file.string()));
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::string why = !std::filesystem::exists(file, ec) ? "no such file"
                                                         : "cannot be opened for reading";
    throw ReportReadError(file.string(), fmt::format("{}: {}", file.string(), why));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ReportReadError(file.string(), fmt::format("{}: read error", file.string()));
  }
  return parse_report(text.str(), file.string());
}

void JsonWriter::write(const RunReport& report, std::ostream& out) const {
  // error_handler::replace: pager-derived strings may hold invalid UTF-8; the
  // canonical record must still be valid JSON.
  out << report_to_json(report).dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace emmi::reports
