// SPDX-License-Identifier: MIT
// How fast each scheduling strategy finds the concurrency bugs of the zoo:
// for a mutant whose bug needs a particular interleaving, the number of
// cases the search runs before its first failing case, averaged over 20
// seeds, with PCT alone and with the random walk alone (the profiles use
// both, case by case). Counters: cases_to_detection (mean), found (seeds out
// of 20 on which the unit found the bug at all).
// Run: schedule_bench
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "emmi/engine/engine.h"

namespace {

using namespace emmi::engine;

std::string library_of(const std::string& id) {
  std::ifstream in(EMMI_MUTANTS_MANIFEST);
  auto doc = nlohmann::json::parse(in);
  for (auto& m : doc.at("mutants"))
    if (m.at("id") == id) return m.at("library");
  return {};
}

// Mutants whose bug shows only under some interleavings of the pager's
// threads, with the rule each is caught for.
const std::pair<const char*, const char*> kRacy[] = {
    {"no_seqno_ordering", "SQ7"},
    {"worker_pool_no_delegation", "SQ7"},
    {"lock_order_inversion", "DR3"},
};

void BM_CasesToDetection(benchmark::State& state) {
  const auto& [id, rule] = kRacy[state.range(0)];
  const auto schedules = state.range(1) == 0 ? Profile::Schedules::pct
                                             : Profile::Schedules::random_walk;
  state.SetLabel(std::string(id) +
                 (schedules == Profile::Schedules::pct ? " / pct" : " / random walk"));
  double total_cases = 0;
  int found = 0;
  for (auto _ : state) {
    total_cases = 0;
    found = 0;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      RunConfig cfg;
      cfg.pager_path = library_of(id);
      cfg.profile = *profile_named("standard");
      cfg.profile.schedules = schedules;
      cfg.profile.units = 1;  // one search: its case count is the time to detection
      cfg.profile.rounds = 1;
      cfg.seed = seed;
      cfg.jobs = 1;
      cfg.stop_on = {rule};
      auto report = run_conformance(cfg);
      for (const auto& r : report.rules) {
        if (r.id != rule) continue;
        auto at = r.message.find("[found after ");
        if (r.verdict.is_failure() && at != std::string::npos) {
          total_cases += std::stod(r.message.substr(at + 13));
          ++found;
        } else {
          total_cases += static_cast<double>(cfg.profile.cases);  // not found within the unit
        }
      }
    }
  }
  state.counters["cases_to_detection"] = total_cases / 20;
  state.counters["found"] = found;
}
BENCHMARK(BM_CasesToDetection)
    ->ArgsProduct({{0, 1, 2}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
