// SPDX-License-Identifier: MIT
// `emmi-cts prove`: run the SMT proofs of the model's invariants and print
// each result with its time and Z3 resource count. Exit 0 when every proof
// is proved, 1 when one failed or is unknown, 3 when Z3 raised an error.
#include <climits>
#include <cstdint>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.h"
#include "emmi/smt/report.h"

namespace emmi::cli {

void add_prove_command(CLI::App& app, Invocation& invocation) {
  auto* cmd = app.add_subcommand(
      "prove", "Prove the model's invariants with Z3 (inductive proofs over a bounded world)");
  struct Options {
    std::vector<std::string> proofs;
    std::string format = "text";
    std::uint64_t rlimit = smt::ProofOptions{}.rlimit;
    unsigned jobs = 1;
    bool verbose = false;
  };
  auto o = std::make_shared<Options>();
  std::string ids;
  for (const smt::ProofEntry& p : smt::proofs())
    ids += (ids.empty() ? "" : ", ") + std::string(p.id);
  cmd->add_option("--proof", o->proofs, "Run only this proof (repeatable): " + ids);
  cmd->add_option("--format", o->format, "Output format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--rlimit", o->rlimit,
                  "Z3 resource limit of each check (deterministic, unlike a timeout)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{UINT_MAX}))
      ->capture_default_str();
  cmd->add_option("--jobs", o->jobs, "Proofs to run at the same time, one Z3 context each")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_flag("--verbose", o->verbose,
                "Also list each proof's invariants, step obligations and auxiliary conjuncts");
  cmd->callback([&invocation, o, ids] {
    invocation.run = [o, ids](std::ostream& out, std::ostream& err) {
      smt::ProofOptions options;
      options.rlimit = o->rlimit;
      smt::ProveRun run;
      try {
        run = smt::run_proofs(o->proofs, options, o->jobs);
      } catch (const std::invalid_argument& e) {
        throw InputError("--proof", std::string(e.what()) + " (known: " + ids + ")");
      }
      out << (o->format == "json" ? smt::results_json(run) : smt::results_text(run, o->verbose));
      switch (smt::summarise(run)) {
        case smt::Summary::all_proved: return int(kConformant);
        case smt::Summary::not_proved: return int(kNotConformant);
        case smt::Summary::solver_error:
          err << "emmi-cts: Z3 raised an error; the proofs are unresolved\n";
          return int(kInternalError);
      }
      return int(kInternalError);
    };
  });
}

}  // namespace emmi::cli
