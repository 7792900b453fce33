// SPDX-License-Identifier: MIT
// Waivers; see waivers.h.
#include "emmi/engine/waivers.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emmi/catalogue/catalogue.h"
#include "emmi/errors.h"

namespace emmi::engine {

namespace {

bool valid_date(const std::string& s) {
  // YYYY-MM-DD (no <regex>: GCC 12 warns inside it in sanitizer builds).
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  // The calendar (month lengths, leap years) is the standard library's.
  const std::chrono::year_month_day date{std::chrono::year{std::stoi(s.substr(0, 4))},
                                         std::chrono::month{unsigned(std::stoi(s.substr(5, 2)))},
                                         std::chrono::day{unsigned(std::stoi(s.substr(8, 2)))}};
  return date.ok();
}

}  // namespace

std::vector<WaiverEntry> read_waivers(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, fmt::format("--waivers '{}': cannot read the file", path));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(path, fmt::format("--waivers '{}': not valid JSON ({})", path, e.what()));
  }
  auto bad = [&](const std::string& what) {
    return InputError(path, fmt::format("--waivers '{}': {} (expected {{\"waivers\": [{{\"rule\": "
                                        "\"SQ7\", \"reason\": \"...\", "
                                        "\"expires\": \"YYYY-MM-DD\"}}]}})",
                                        path, what));
  };
  if (!doc.is_object() || !doc.contains("waivers") || !doc["waivers"].is_array())
    throw bad("no \"waivers\" array at the top level");
  std::vector<WaiverEntry> out;
  std::set<std::string> seen;
  const auto& cat = catalogue::Catalogue::builtin();
  std::size_t i = 0;
  for (const auto& w : doc["waivers"]) {
    std::string where = fmt::format("waiver #{}", ++i);
    if (!w.is_object()) throw bad(where + " is not an object");
    if (!w.contains("rule") || !w["rule"].is_string()) throw bad(where + " has no \"rule\" string");
    if (!w.contains("reason") || !w["reason"].is_string() || w["reason"].get<std::string>().empty())
      throw bad(where + " has no \"reason\" (a waiver must say why)");
    WaiverEntry e;
    const catalogue::Rule* rule = cat.find(w["rule"].get<std::string>());
    if (!rule)
      throw bad(fmt::format("{} names unknown rule '{}'", where, w["rule"].get<std::string>()));
    e.rule = rule->id;
    e.reason = w["reason"];
    if (w.contains("expires")) {
      if (!w["expires"].is_string() || !valid_date(w["expires"].get<std::string>()))
        throw bad(where + " has an \"expires\" that is not a date YYYY-MM-DD");
      e.expires = w["expires"].get<std::string>();
    }
    for (auto& [key, value] : w.items())
      if (key != "rule" && key != "reason" && key != "expires")
        throw bad(fmt::format("{} has an unknown key \"{}\"", where, key));
    if (!seen.insert(e.rule).second) throw bad(fmt::format("rule {} is waived twice", e.rule));
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> apply_waivers(reports::RunReport& report,
                                       const std::vector<WaiverEntry>& waivers,
                                       const std::string& today) {
  std::vector<std::string> expired;
  for (reports::RuleResult& r : report.rules) {
    if (!r.verdict.is_nonconformance()) continue;
    for (const WaiverEntry& w : waivers) {
      if (w.rule != r.id) continue;
      if (w.expires && *w.expires < today) {
        expired.push_back(
            fmt::format("waiver for {} expired on {}: the failure stands", w.rule, *w.expires));
        r.message += fmt::format(" (waiver expired on {})", *w.expires);
        continue;
      }
      r.message = fmt::format("waived ({}): {}", w.reason, r.message);
      r.verdict = reports::Verdict::waived;
      r.waiver = reports::Waiver{w.reason, w.expires};
    }
  }
  return expired;
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace emmi::engine
