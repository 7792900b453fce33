// SPDX-License-Identifier: MIT
// emmi-cts prove: running the proofs and rendering their results.
#include "emmi/smt/report.h"

#include <algorithm>
#include <atomic>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace emmi::smt {

ProveRun run_proofs(std::span<const std::string> ids, const ProofOptions& options, unsigned jobs) {
  std::vector<const ProofEntry*> chosen;
  for (const std::string& id : ids) {
    const auto all = proofs();
    const auto it = std::find_if(all.begin(), all.end(),
                                 [&](const ProofEntry& p) { return p.id == id; });
    if (it == all.end()) throw std::invalid_argument("unknown proof '" + id + "'");
    chosen.push_back(&*it);
  }
  if (ids.empty())
    for (const ProofEntry& p : proofs()) chosen.push_back(&p);

  ProveRun run;
  run.jobs = std::clamp<unsigned>(jobs, 1,
                                  static_cast<unsigned>(std::max<std::size_t>(chosen.size(), 1)));
  run.results.resize(chosen.size());
  const auto started = std::chrono::steady_clock::now();
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < chosen.size(); i = next++) {
      try {
        run.results[i] = chosen[i]->run(options);
      } catch (const z3::exception& e) {  // raised while setting the proof up
        run.results[i].name = "(not set up)";
        run.results[i].rules.assign(chosen[i]->rules.begin(), chosen[i]->rules.end());
        run.results[i].outcome = Outcome::error;
        run.results[i].reason = e.msg();
      }
      run.results[i].id = std::string(chosen[i]->id);
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < run.jobs; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  run.wall = std::chrono::steady_clock::now() - started;
  return run;
}

Summary summarise(const ProveRun& run) {
  Summary s = Summary::all_proved;
  for (const ProofResult& r : run.results) {
    if (r.outcome == Outcome::error) return Summary::solver_error;
    if (r.outcome != Outcome::proved) s = Summary::not_proved;
  }
  return s;
}

namespace {
std::string rules_text(const ProofResult& r) {
  std::string s;
  for (std::string_view rule : r.rules) s += (s.empty() ? "" : " ") + std::string(rule);
  return s;
}
}  // namespace

std::string results_text(const ProveRun& run, bool verbose) {
  std::ostringstream o;
  o << std::fixed;
  double total = 0;
  std::size_t proved = 0;
  for (const ProofResult& r : run.results) {
    total += r.time.count();
    proved += r.outcome == Outcome::proved;
    o << std::left << std::setw(8) << to_string(r.outcome) << " " << r.id << ": " << r.name << "\n"
      << "         rules " << rules_text(r) << "; " << std::setprecision(2) << r.time.count()
      << " s; rlimit count " << r.rlimit_used << " (limit " << r.rlimit << " per check, "
      << r.checks << " checks)\n";
    if (!r.reason.empty()) o << "         " << r.reason << "\n";
    if (verbose) {
      for (const auto& i : r.invariants) o << "         invariant:  " << i << "\n";
      for (const auto& i : r.obligations) o << "         every step: " << i << "\n";
      for (const auto& i : r.auxiliary) o << "         auxiliary:  " << i << "\n";
    }
    if (!r.rendered.empty()) {
      std::istringstream lines(r.rendered);
      for (std::string line; std::getline(lines, line);) o << "         " << line << "\n";
    }
  }
  o << proved << " of " << run.results.size() << " proofs proved in " << std::setprecision(2)
    << run.wall.count() << " s (" << total << " s of proof time, " << run.jobs
    << (run.jobs == 1 ? " job" : " jobs") << ")\n";
  return o.str();
}

std::string results_json(const ProveRun& run) {
  nlohmann::json proofs = nlohmann::json::array();
  for (const ProofResult& r : run.results) {
    nlohmann::json p{{"id", r.id},
                     {"name", r.name},
                     {"rules", r.rules},
                     {"outcome", to_string(r.outcome)},
                     {"seconds", r.time.count()},
                     {"rlimit", r.rlimit},
                     {"rlimit_count", r.rlimit_used},
                     {"checks", r.checks},
                     {"invariants", r.invariants},
                     {"obligations", r.obligations},
                     {"auxiliary", r.auxiliary}};
    if (!r.reason.empty()) p["reason"] = r.reason;
    if (r.counterexample) {
      const Counterexample& c = *r.counterexample;
      p["counterexample"] = {{"check", c.check}, {"violated", c.violated}, {"text", r.rendered}};
      if (c.event) p["counterexample"]["event"] = describe(*c.event);
    }
    proofs.push_back(std::move(p));
  }
  const nlohmann::json out{{"proofs", proofs}, {"seconds", run.wall.count()}, {"jobs", run.jobs}};
  return out.dump(2) + "\n";
}

}  // namespace emmi::smt
