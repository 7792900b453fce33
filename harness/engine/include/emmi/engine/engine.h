// SPDX-License-Identifier: MIT
// The conformance engine: RapidCheck searches for kernel command sequences on
// which the pager breaks a rule, each case runs isolated (case_runner.h), a
// failure shrinks to a minimal sequence, and the per-rule outcome becomes a
// RunReport (reports/). The search is split into units — independent seeded
// searches — which are what --jobs runs in parallel and --shard splits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "emmi/engine/case_runner.h"
#include "emmi/engine/profile.h"
#include "emmi/reports/result.h"

namespace emmi::engine {

struct Progress {
  std::uint64_t cases = 0;     // cases run so far (this process and its workers)
  std::uint64_t failures = 0;  // failing rules found so far
  std::chrono::milliseconds elapsed{0};
};

// Workers `emmi-cts run` uses unless told: three per CPU. A case spends
// much of its time waiting for the pager's threads to hand messages to one
// another, so more workers than CPUs keep the CPUs busy (on 2 CPUs the
// standard profile's 6 units run in 0.47 s with 4 workers, 0.36 s with 6).
std::uint32_t default_jobs();

struct RunConfig {
  std::string pager_path;
  // The search effort and the world; the world says the target platform
  // (profile_named(name, platform), then apply_overrides).
  Profile profile;
  // "auto" (the dialects the pager declares in emmi_pager_dialects, plain
  // gnumach when it declares none), "gnumach" or "gnumach-seqnos";
  // run_conformance resolves it (resolve_dialect, pager_library.h), and the
  // report records the resolved name.
  std::string dialect = "auto";
  // The platform was not named (emmi-cts run without --platform): it is the
  // resolved dialect's own (native_platform, profile.h), so an OSF pager is
  // judged on the osf platform. When false, a platform whose kernels do not
  // speak the dialect is refused (platform_refuses) with an InputError.
  // Either way the replay commands name the platform judged on.
  bool platform_follows_dialect = false;
  std::uint64_t seed = 0;
  std::uint32_t jobs = 1;
  std::uint32_t shard_index = 0;  // 0-based
  std::uint32_t shard_total = 1;
  bool conformance_mode = false;
  std::optional<CaseSpec> replay;  // run exactly this case instead of searching
  std::string replay_token;
  std::string pager_options;
  // Replay commands in reports are this, then --platform and --dialect (the
  // resolved ones), --pager, --profile and --replay: the caller puts here every other option
  // that shaped or judged the cases.
  std::string command_line_prefix = "emmi-cts run";
  std::function<void(const Progress&)> progress;  // called from the main process
  // Stop searching as soon as one of these rules has a shrunk counterexample
  // (the mutation gate asks only whether a mutant's declared rule is caught).
  std::set<std::string> stop_on;
};

// `word` as one word of a POSIX shell command line (single-quoted when it
// holds anything but letters, digits and _@%+=:,./-), for replay commands.
std::string shell_word(std::string_view word);

// Runs the configured search (or replay) and returns the report. Throws
// emmi::InputError for a pager that cannot be loaded, and for a dialect it
// does not declare (resolve_dialect).
reports::RunReport run_conformance(const RunConfig& config);

// --- Pieces, exposed for tests -----------------------------------------------------

// A failing rule found by one case: which rule, with what verdict.
struct Finding {
  std::string rule;
  reports::Verdict verdict = reports::Verdict::fail;
  std::string message;
  std::string portability{};  // the X-note when harmless on the case's platform

  friend bool operator==(const Finding&, const Finding&) = default;
};

// The findings of one case outcome (pager non-conformance, crash, timeout,
// resource exhaustion, and suite-side problems as unresolved).
std::vector<Finding> findings_of(const CaseOutcome& outcome);

// findings_of in a resolved dialect ("gnumach", "gnumach-seqnos"): a pager's
// failure of a rule that is not its duty in that dialect is dropped (the
// SEQNOS rules are not the duty of a pager served by the plain stubs: its
// handlers never see a seqno). A suite-side finding (unresolved) stays
// whatever the dialect: it is a fault of the suite's kernel.
std::vector<Finding> judged_findings(const CaseOutcome& outcome, std::string_view dialect);

// The report section of a catalogue rule: kernel for a duty only the kernel
// has (a self-check of the suite's simulated kernel), pager otherwise. The
// model's rule table decides for the rules it checks, the catalogue for the
// rest; an ID the catalogue does not know is the pager's.
reports::Party rule_party(std::string_view rule_id);

}  // namespace emmi::engine
