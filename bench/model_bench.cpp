// SPDX-License-Identifier: MIT
// Throughput of the reference model (events per second), on a conforming
// trace with the realistic mix of a test case: map, ready, faults answered by
// supplies, evictions whose data the pager releases, unmap with the rights
// released, on several objects from two kernels with different page sizes.
// Also the cost of the model operations engines call between events.
#include <benchmark/benchmark.h>

#include <vector>

#include "../model/tests/scenario.h"

namespace {

using namespace emmi::model;
using emmi::model::testing::Scenario;

constexpr WorldConfig kWorld{4, 0x10000};

// Cycles of (map, 8 or 2 faults, evict half of them, re-fault one, unmap) on
// every object from kernel 0 (4 KiB pages) and kernel 1 (16 KiB pages),
// served by the conforming pager of Scenario, several threads taking turns.
Scenario conforming_run(int cycles) {
  Scenario s(kWorld);
  s.record_trace(true);
  s.attach(0, 0x1000).attach(1, 0x4000);
  for (ObjectId o = 0; o < kWorld.objects; ++o) s.offer(o);
  ThreadId thread = 1;
  auto serve = [&] {
    for (auto ports = s.pending_ports(); !ports.empty(); ports = s.pending_ports()) {
      s.serve_one(thread, ports.front());
      thread = thread % 4 + 1;
    }
  };
  for (int c = 0; c < cycles; ++c) {
    for (ObjectId o = 0; o < kWorld.objects; ++o) {
      s.map(o, 0).map(o, 1);
      serve();
      for (Offset off = 0; off < 0x8000; off += 0x1000) s.fault(o, 0, off, kProtRead);
      s.fault(o, 1, 0x8000, kProtRead | kProtWrite).fault(o, 1, 0xc000);
      serve();
      for (Offset off = 0; off < 0x8000; off += 0x2000) s.evict(o, 0, off, (off & 0x2000) != 0);
      s.evict(o, 1, 0x8000, true);
      serve();
      s.fault(o, 0, 0).fault(o, 1, 0x8000);
      serve();
      s.unmap(o, 0).unmap(o, 1);
      serve();
    }
  }
  return s;
}

const std::vector<Event>& realistic_trace() {
  static const std::vector<Event> trace = [] {
    Scenario s = conforming_run(400);
    if (!s.verdicts().empty()) std::abort();  // the benchmark would measure verdict paths
    return s.trace();
  }();
  return trace;
}

void BM_ApplyRealisticMix(benchmark::State& state) {
  const std::vector<Event>& trace = realistic_trace();
  std::size_t verdicts = 0;
  for (auto _ : state) {
    Model m(kWorld);
    for (const Event& e : trace) verdicts += m.apply(e).size();
    benchmark::DoNotOptimize(verdicts);
  }
  if (verdicts != 0) state.SkipWithError("the conforming trace produced verdicts");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * trace.size()));
  state.counters["events_per_run"] = static_cast<double>(trace.size());
}
BENCHMARK(BM_ApplyRealisticMix)->Unit(benchmark::kMillisecond);

// A model in the middle of a run: objects mapped, pages resident.
Model mid_run_model() {
  Scenario s = conforming_run(50);
  for (ObjectId o = 0; o < kWorld.objects; ++o) {
    s.map(o, 0).map(o, 1).serve();
    s.fault(o, 0, 0).fault(o, 0, 0x1000).fault(o, 1, 0x4000).serve();
  }
  return s.model();
}

void BM_CopyModel(benchmark::State& state) {
  Model m = mid_run_model();
  for (auto _ : state) {
    Model copy = m;
    benchmark::DoNotOptimize(copy);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CopyModel);

void BM_EnabledKernelActions(benchmark::State& state) {
  Model m = mid_run_model();
  std::size_t n = 0;
  for (auto _ : state) n += m.enabled_kernel_actions().size();
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EnabledKernelActions);

void BM_CheckQuiescent(benchmark::State& state) {
  Model m = mid_run_model();
  std::size_t n = 0;
  for (auto _ : state) n += m.check_quiescent().size();
  benchmark::DoNotOptimize(n);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckQuiescent);

}  // namespace

BENCHMARK_MAIN();
