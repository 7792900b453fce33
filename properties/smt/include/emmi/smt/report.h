// SPDX-License-Identifier: MIT
// Running the proofs as `emmi-cts prove` does, and writing their results as
// text or JSON. The command line only parses options and maps the summary
// to an exit code.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "emmi/smt/proofs.h"

namespace emmi::smt {

struct ProveRun {
  std::vector<ProofResult> results;  // in proofs() order
  std::chrono::duration<double> wall{};
  unsigned jobs = 1;
};

// Runs the proofs named in `ids` (every proof when empty) on up to `jobs`
// threads, one Z3 context per proof. Throws std::invalid_argument naming an
// unknown proof id. A Z3 exception in a proof becomes Outcome::error.
ProveRun run_proofs(std::span<const std::string> ids, const ProofOptions& options,
                    unsigned jobs = 1);

enum class Summary { all_proved, not_proved, solver_error };
Summary summarise(const ProveRun& run);

// One line per proof (outcome, id, rules, time, rlimit count); with
// `verbose`, the invariants, obligations and auxiliary conjuncts too; a
// failed proof is followed by its counterexample.
std::string results_text(const ProveRun& run, bool verbose);
std::string results_json(const ProveRun& run);

}  // namespace emmi::smt
