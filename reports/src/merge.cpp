// SPDX-License-Identifier: MIT
// Joining shard reports. Shards of one run split the cases, not the rules:
// every shard reports every rule it knows, with the verdict its own cases
// gave. The whole run's verdict per rule is the most severe shard verdict.
#include "emmi/reports/merge.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "emmi/reports/errors.h"

namespace emmi::reports {
namespace {

std::string describe(const RunReport& r) {
  return r.shard ? fmt::format("shard {}/{}", r.shard->index + 1, r.shard->total)
                 : std::string("an unsharded report");
}

// Throws unless every shard agrees with the first on `what`.
template <typename Get>
void require_same(const std::vector<const RunReport*>& shards, std::string_view what, Get get) {
  const RunReport& first = *shards.front();
  for (const RunReport* r : shards) {
    if (get(*r) != get(first)) {
      throw MergeError(
          fmt::format("cannot merge: {} differs between {} ({}) and {} ({}); "
                      "shards must come from the same run",
                      what, describe(first), get(first), describe(*r), get(*r)));
    }
  }
}

// Parameters that count work done rather than set it (the engine records
// "commands_run"): they differ between shards by nature, so they are summed
// into the merged report instead of being required to agree.
bool is_work_count(const std::string& key) { return key == "commands_run"; }

std::uint64_t count_of(const std::string& text, const std::string& key, const RunReport& shard) {
  if (text.empty()) return 0;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    throw MergeError(fmt::format("cannot merge: parameter {} of {} is not a count: '{}'", key,
                                 describe(shard), text));
  return n;
}

std::string parameters_text(const RunReport& r) {
  std::string text;
  for (const auto& [k, v] : r.parameters)
    if (!is_work_count(k)) text += fmt::format("{}{}={}", text.empty() ? "" : ",", k, v);
  return text.empty() ? "none" : text;
}

std::vector<const RunReport*> ordered_shards(const std::vector<RunReport>& reports) {
  std::vector<const RunReport*> shards;
  for (const RunReport& r : reports) {
    if (!r.shard) {
      throw MergeError(
          fmt::format("cannot merge: report {} of {} has no shard information "
                      "(only shard reports, written with --shard I/N, can be "
                      "merged)",
                      &r - reports.data() + 1, reports.size()));
    }
    shards.push_back(&r);
  }
  std::uint32_t total = shards.front()->shard->total;
  for (const RunReport* r : shards) {
    if (r->shard->total != total) {
      throw MergeError(fmt::format("cannot merge: {} and {} disagree on the number of shards",
                                   describe(*shards.front()), describe(*r)));
    }
  }
  std::sort(shards.begin(), shards.end(), [](const RunReport* a, const RunReport* b) {
    return a->shard->index < b->shard->index;
  });
  for (std::size_t i = 1; i < shards.size(); ++i) {
    if (shards[i]->shard->index == shards[i - 1]->shard->index) {
      throw MergeError(fmt::format("cannot merge: {} is given twice", describe(*shards[i])));
    }
  }
  std::vector<std::string> missing;
  std::size_t next = 0;
  for (std::uint32_t index = 0; index < total; ++index) {
    if (next < shards.size() && shards[next]->shard->index == index) {
      ++next;
    } else {
      missing.push_back(fmt::format("{}/{}", index + 1, total));
    }
  }
  if (!missing.empty()) {
    throw MergeError(fmt::format("cannot merge: shard{} {} missing (got {} of {})",
                                 missing.size() > 1 ? "s" : "", fmt::join(missing, ", "),
                                 shards.size(), total));
  }
  return shards;
}

void merge_rule(RuleResult& into, const RuleResult& from, const RunReport& shard) {
  auto check = [&](std::string_view field, const std::string& a, const std::string& b) {
    if (a != b) {
      throw MergeError(
          fmt::format("cannot merge: rule {} has {} \"{}\" in one shard and \"{}\" "
                      "in {}; shards must use the same rule catalogue",
                      into.id, field, a, b, describe(shard)));
    }
  };
  check("group", into.group, from.group);
  check("title", into.title, from.title);
  check("level", into.level, from.level);
  check("party", std::string(to_string(into.party)), std::string(to_string(from.party)));
  // Of two equally severe findings, the one that fails the run is the
  // evidence (a portability finding does not).
  if (from.verdict == into.verdict && !into.portability.empty() && from.portability.empty()) {
    into.message = from.message;
    into.counterexample = from.counterexample;
    into.portability.clear();
  }
  into.exercised += from.exercised;
  // Shards arrive in index order; a later shard replaces the evidence only
  // when it is strictly more severe, so ties keep the lowest shard's.
  if (from.verdict.severity() > into.verdict.severity()) {
    into.verdict = from.verdict;
    into.message = from.message;
    into.waiver = from.waiver;
    into.counterexample = from.counterexample;
    into.portability = from.portability;
  }
}

}  // namespace

RunReport merge(const std::vector<RunReport>& reports) {
  if (reports.empty()) throw MergeError("cannot merge: no reports given");
  if (reports.size() == 1 && !reports.front().shard) return reports.front();

  std::vector<const RunReport*> shards = ordered_shards(reports);
  require_same(shards, "suite version", [](const RunReport& r) { return r.suite.version; });
  require_same(shards, "pager sha256", [](const RunReport& r) { return r.pager.sha256; });
  require_same(shards, "dialect", [](const RunReport& r) { return r.dialect; });
  // Verdicts judged for different platforms answer different questions: a
  // portability finding on one is a failure on the other.
  require_same(shards, "platform", [](const RunReport& r) { return r.platform; });
  require_same(shards, "profile", [](const RunReport& r) { return r.profile; });
  require_same(shards, "seed", [](const RunReport& r) { return std::to_string(r.seed); });
  require_same(shards, "parameters", parameters_text);
  require_same(shards, "conformance mode",
               [](const RunReport& r) { return std::string(r.conformance_mode ? "on" : "off"); });

  const RunReport& first = *shards.front();
  RunReport merged;
  merged.suite = first.suite;
  merged.pager = first.pager;
  merged.dialect = first.dialect;
  merged.platform = first.platform;
  merged.profile = first.profile;
  merged.seed = first.seed;
  merged.parameters = first.parameters;
  merged.machine = first.machine;
  merged.conformance_mode = first.conformance_mode;
  merged.started_at = first.started_at;
  for (const RunReport* shard : shards) {
    // ISO-8601 UTC strings of one format order like the times they name.
    merged.started_at = std::min(merged.started_at, shard->started_at);
    merged.duration_s += shard->duration_s;
    merged.cases_run += shard->cases_run;
    for (const auto& [k, v] : shard->parameters) {
      if (!is_work_count(k) || shard == shards.front()) continue;
      merged.parameters[k] = std::to_string(count_of(merged.parameters[k], k, *shard) +
                                            count_of(v, k, *shard));
    }
    merged.merged_from.push_back(
        {*shard->shard, shard->machine, shard->started_at, shard->duration_s, shard->cases_run});
    for (const RuleResult& rule : shard->rules) {
      auto it = std::find_if(merged.rules.begin(), merged.rules.end(),
                             [&](const RuleResult& r) { return r.id == rule.id; });
      if (it == merged.rules.end()) {
        merged.rules.push_back(rule);
      } else {
        merge_rule(*it, rule, *shard);
      }
    }
  }
  return merged;
}

}  // namespace emmi::reports
