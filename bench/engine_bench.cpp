// SPDX-License-Identifier: MIT
// Throughput of the conformance engine against the bundled reference pager.
//   BM_BareCase:        one isolated case with no command: fork, the
//                       simulated kernel, the pager's start() and exit. The
//                       fixed cost every case pays.
//   BM_StandardProfile: a whole `emmi-cts run` in the standard profile with
//                       the default number of jobs; `commands` is the rate of
//                       kernel commands checked (the figure the conformance
//                       engine issue asks for: at least 5,000 per second).
// Their ratio in one run (commands checked per bare case) is what to compare
// across machines. Run: engine_bench --benchmark_repetitions=3
#include <benchmark/benchmark.h>

#include <string>

#include "emmi/engine/case_runner.h"
#include "emmi/engine/engine.h"
#include "emmi/engine/pager_library.h"
#include "emmi/engine/profile.h"

namespace {

using namespace emmi::engine;

void BM_BareCase(benchmark::State& state) {
  const Profile profile = *profile_named("standard");
  const PagerLibrary lib = PagerLibrary::load(default_pager_path());
  const CaseSpec spec{{}, 1};
  for (auto _ : state) {
    CaseOutcome o = run_case(lib, profile, spec);
    if (!o.completed())
      state.SkipWithError(("the bare case did not complete: " + o.detail).c_str());
  }
  state.counters["cases"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BareCase)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_StandardProfile(benchmark::State& state) {
  RunConfig cfg;
  cfg.pager_path = default_pager_path();
  cfg.profile = *profile_named("standard");
  cfg.jobs = default_jobs();
  double commands = 0;
  for (auto _ : state) {
    cfg.seed = static_cast<std::uint64_t>(state.iterations()) * 7919 + 1;
    auto report = run_conformance(cfg);
    if (report.rules.empty()) state.SkipWithError("the run produced no report");
    commands += std::stod(report.parameters.at("commands_run"));
  }
  state.counters["commands"] = benchmark::Counter(commands, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StandardProfile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(10);

}  // namespace

BENCHMARK_MAIN();
