// SPDX-License-Identifier: MIT
// emmi-cts run: play the kernel against a pager and write the compliance
// reports. The work is in emmi_engine and emmi_reports; this file maps the
// command line onto them.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "emmi/engine/engine.h"
#include "emmi/engine/pager_library.h"
#include "emmi/engine/waivers.h"
#include "emmi/reports/errors.h"
#include "emmi/reports/writer.h"

namespace emmi::cli {

namespace {

struct RunOptions {
  std::string pager;
  std::string dialect = "auto";
  std::string platform;  // empty: the dialect's own platform (gnumach, or osf for an OSF pager)
  std::string page_sizes;
  std::optional<std::uint32_t> kernels;
  std::optional<std::uint32_t> objects;
  std::string profile = "standard";
  std::optional<std::uint64_t> seed;
  std::uint32_t jobs = 0;
  std::string shard;
  double timeout = 0;
  std::string report_dir = "emmi-reports";
  std::string formats = "json,junit,md,html";
  std::string waivers;
  bool conformance = false;
  std::string replay;
  std::string pager_options;
  std::string schedule;
  std::uint32_t pct_depth = 0;
  bool quiet = false;
};

// "I/N" with 1 <= I <= N, or the GoogleTest sharding environment.
std::pair<std::uint32_t, std::uint32_t> parse_shard(const std::string& text) {
  if (!text.empty()) {
    unsigned i = 0, n = 0;
    char slash = 0;
    std::istringstream in(text);
    if (!(in >> i >> slash >> n) || slash != '/' || !in.eof() || n == 0 || i == 0 || i > n)
      throw InputError("--shard",
                       fmt::format("--shard '{}': expected I/N with 1 <= I <= N, e.g. 2/3", text));
    return {i - 1, n};
  }
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  if (!total && !index) return {0, 1};
  if (!total || !index)
    throw InputError(total ? "GTEST_SHARD_INDEX" : "GTEST_TOTAL_SHARDS",
                     "GTEST_TOTAL_SHARDS and GTEST_SHARD_INDEX must be set together");
  char* end = nullptr;
  unsigned long n = std::strtoul(total, &end, 10);
  if (*end || n == 0)
    throw InputError("GTEST_TOTAL_SHARDS",
                     fmt::format("GTEST_TOTAL_SHARDS='{}': expected a positive number", total));
  unsigned long i = std::strtoul(index, &end, 10);
  if (*end || i >= n)
    throw InputError("GTEST_SHARD_INDEX",
                     fmt::format("GTEST_SHARD_INDEX='{}': expected 0 .. {}", index, n - 1));
  if (const char* status = std::getenv("GTEST_SHARD_STATUS_FILE")) {
    std::ofstream touch(status);  // tells the runner sharding is understood
  }
  return {static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(n)};
}

int run_command(const RunOptions& o, std::ostream& out, std::ostream& err) {
  engine::RunConfig cfg;
  cfg.pager_path = o.pager.empty() ? engine::default_pager_path() : o.pager;
  // The name is checked here, before the pager is loaded; whether the pager
  // declares it is checked when it is (engine::resolve_dialect).
  if (o.dialect != "auto" && o.dialect != "gnumach" && o.dialect != "gnumach-seqnos" &&
      o.dialect != "osf")
    throw InputError("--dialect", fmt::format("--dialect '{}': expected auto (the default: the "
                                              "dialects the pager declares), gnumach, "
                                              "gnumach-seqnos or osf",
                                              o.dialect));
  cfg.dialect = o.dialect;
  const std::optional<engine::Platform> platform = o.platform.empty()
                                                       ? engine::kDefaultPlatform
                                                       : engine::parse_platform(o.platform);
  if (!platform)
    throw InputError("--platform",
                     fmt::format("--platform '{}': expected gnumach, manual or osf", o.platform));
  cfg.platform_follows_dialect = o.platform.empty();
  auto profile = engine::profile_named(o.conformance ? "standard" : o.profile, *platform);
  if (!profile)
    throw InputError("--profile",
                     fmt::format("--profile '{}': expected quick, standard or exhaustive",
                                 o.profile));
  cfg.profile = *profile;
  const engine::WorldOverrides overrides{o.page_sizes, o.kernels, o.objects};
  if (o.conformance && !overrides.empty())
    throw InputError("--conformance",
                     "--conformance fixes the world of the platform: drop --page-sizes, "
                     "--kernels and --objects (choose the platform with --platform)");
  engine::apply_overrides(cfg.profile.world, overrides);
  if (o.conformance) {
    // Conformance mode is locked: fixed profile, seed and parameters, no waivers.
    if (o.profile != "standard" || o.seed || !o.waivers.empty() || o.timeout > 0 ||
        !o.replay.empty())
      throw InputError(
          "--conformance",
          "--conformance fixes the profile (standard), the seed and the limits, and accepts no "
          "--waivers or --replay: drop those options");
    cfg.seed = 0;
    cfg.conformance_mode = true;
  } else {
    cfg.seed = o.seed ? *o.seed : std::random_device{}();
  }
  if (!o.schedule.empty() || o.pct_depth != 0) {
    if (o.conformance)
      throw InputError("--conformance",
                       "--conformance fixes the schedule: drop --schedule and --pct-depth");
    if (o.schedule == "pct")
      cfg.profile.schedules = engine::Profile::Schedules::pct;
    else if (o.schedule == "random")
      cfg.profile.schedules = engine::Profile::Schedules::random_walk;
    else if (o.schedule == "portfolio")
      cfg.profile.schedules = engine::Profile::Schedules::portfolio;
    else if (!o.schedule.empty())
      throw InputError("--schedule",
                       fmt::format("--schedule '{}': expected portfolio, pct or random",
                                   o.schedule));
    if (o.pct_depth > 16)
      throw InputError("--pct-depth", fmt::format("--pct-depth {}: expected 1 to 16", o.pct_depth));
    if (o.pct_depth != 0) cfg.profile.pct_depth = o.pct_depth;
  }
  if (o.timeout > 0)
    cfg.profile.case_wall = std::chrono::milliseconds(static_cast<long>(o.timeout * 1000));
  auto [shard_index, shard_total] = parse_shard(o.shard);
  cfg.shard_index = shard_index;
  cfg.shard_total = shard_total;
  cfg.jobs = o.jobs ? o.jobs : engine::default_jobs();
  cfg.pager_options = o.pager_options;
  // A failure's replay command must rerun its case under everything that
  // shaped it or judged it: the engine adds the resolved --dialect (never
  // auto), --pager, --profile and --replay. (Conformance mode's fixed
  // parameters are the standard profile's.) --jobs and --shard only divide
  // the search; the token fixes the case's commands and schedule.
  // (The engine adds the platform judged on, as it does the dialect.)
  cfg.command_line_prefix = fmt::format("emmi-cts run --seed {}", cfg.seed);
  // The world decides what a token's kernel and object numbers mean.
  if (!o.page_sizes.empty())
    cfg.command_line_prefix += " --page-sizes " + engine::shell_word(o.page_sizes);
  if (o.kernels) cfg.command_line_prefix += fmt::format(" --kernels {}", *o.kernels);
  if (o.objects) cfg.command_line_prefix += fmt::format(" --objects {}", *o.objects);
  if (!o.pager_options.empty())
    cfg.command_line_prefix += " --pager-options " + engine::shell_word(o.pager_options);
  if (o.timeout > 0) cfg.command_line_prefix += fmt::format(" --timeout {}", o.timeout);
  if (!o.waivers.empty()) cfg.command_line_prefix += " --waivers " + engine::shell_word(o.waivers);
  // The token records the strategy and depth the case ran with; the
  // schedule options go along so the replayed run's report says the same.
  if (!o.schedule.empty())
    cfg.command_line_prefix += " --schedule " + engine::shell_word(o.schedule);
  if (o.pct_depth != 0) cfg.command_line_prefix += fmt::format(" --pct-depth {}", o.pct_depth);
  if (!o.replay.empty()) {
    cfg.replay = engine::decode_replay_token(o.replay);
    if (!cfg.replay)
      throw InputError("--replay",
                       fmt::format("--replay '{}': not a replay token of this emmi-cts version",
                                   o.replay));
    cfg.replay_token = o.replay;
  }
  std::vector<std::string> formats;
  try {
    formats = reports::parse_format_list(o.formats);
  } catch (const reports::ReportError& e) {
    // Not a translation: the option's name and value are context the
    // reports library does not have.
    throw InputError("--format", fmt::format("--format '{}': {}", o.formats, e.what()));
  }
  std::vector<engine::WaiverEntry> waivers;
  if (!o.waivers.empty()) waivers = engine::read_waivers(o.waivers);

  // The report directory is made (and checked) before the run, so a long run
  // never ends in "cannot write".
  std::error_code ec;
  std::filesystem::create_directories(o.report_dir, ec);
  if (ec || !std::filesystem::is_directory(o.report_dir) ||
      ::access(o.report_dir.c_str(), W_OK) != 0)
    throw InputError("--report-dir",
                     fmt::format("--report-dir '{}': cannot create or write to it{}", o.report_dir,
                                 ec ? " (" + ec.message() + ")" : ""));

  const bool show_progress = !o.quiet && ::isatty(STDERR_FILENO) && !std::getenv("NO_COLOR");
  if (show_progress) {
    cfg.progress = [&err](const engine::Progress& p) {
      err << fmt::format("\r  {} cases, {} failing rules so far, {:.1f} s", p.cases, p.failures,
                         p.elapsed.count() / 1000.0)
          << std::flush;
    };
  }
  reports::RunReport report = engine::run_conformance(cfg);
  if (show_progress) err << "\r\033[K";
  for (const std::string& line : engine::apply_waivers(report, waivers, engine::today_utc()))
    err << "emmi-cts: " << line << '\n';

  // A reports::ReportError from here is an emmi::InputError: exit code 2 (main.cpp).
  const std::vector<std::filesystem::path> written = reports::write_reports(report, o.report_dir,
                                                                            formats);
  // The headline counts the pager's rules; the suite's self-checks (rules
  // binding the kernel) are summed up apart.
  auto counts = reports::count_verdicts(report, reports::Party::pager);
  auto checks = reports::count_verdicts(report, reports::Party::kernel);
  auto outcome = reports::run_outcome(report);
  // The rarer verdicts are named only when some rule has them.
  std::string rarer;
  for (auto v : {reports::Verdict::resource_exhausted, reports::Verdict::unresolved,
                 reports::Verdict::waived})
    if (counts[v] > 0) rarer += fmt::format(", {} {}", counts[v], v.name());
  if (auto advisory = reports::count_advisory(report); advisory > 0)
    rarer += fmt::format(" ({} of the fails advisory: not MUST)", advisory);
  if (auto portability = reports::count_portability(report); portability > 0)
    rarer += fmt::format(" ({} of the fails portability findings: harmless on {})", portability,
                         report.platform);
  out << fmt::format(
      "{}: {} on {}, {} dialect ({} pager rules: {} pass, {} fail, {} timeout, {} crash{}, {} not "
      "applicable; self-checks of the suite's kernel: {} held, {} broken; "
      "{} cases in {:.1f} s)\n",
      report.pager.name, reports::outcome_label(outcome), report.platform, report.dialect,
      counts.total(), counts[reports::Verdict::pass], counts[reports::Verdict::fail],
      counts[reports::Verdict::timeout], counts[reports::Verdict::crash], rarer,
      counts[reports::Verdict::not_applicable], checks[reports::Verdict::pass],
      checks[reports::Verdict::unresolved], report.cases_run, report.duration_s);
  for (const auto& r : report.rules) {
    if (!r.verdict.is_failure()) continue;
    std::string_view note = r.party == reports::Party::kernel ? "  [suite self-check]"
                            : reports::is_advisory(r)         ? "  [advisory]"
                            : reports::is_portability(r)      ? "  [portability]"
                                                              : "";
    out << fmt::format("  {:<4} {:<18} {}{}\n", r.id, r.verdict.name(), r.message, note);
    if (!r.portability.empty()) out << fmt::format("       why: {}\n", r.portability);
    if (r.counterexample && !r.counterexample->replay_command.empty())
      out << fmt::format("       replay: {}\n", r.counterexample->replay_command);
  }
  for (const auto& path : written) out << "  wrote " << path.string() << '\n';
  switch (outcome) {
    case reports::RunOutcome::conformant: return kConformant;
    case reports::RunOutcome::not_conformant: return kNotConformant;
    case reports::RunOutcome::incomplete: return kInternalError;
    case reports::RunOutcome::nothing_exercised:
      // A shard with no search unit (more shards than the profile has
      // units) did nothing wrong; the merged report decides.
      if (report.cases_run == 0 && report.shard) {
        out << fmt::format("  shard {}/{} has no search unit of the {} profile: nothing to do\n",
                           report.shard->index + 1, report.shard->total, report.profile);
        return kConformant;
      }
      return kNotConformant;
  }
  return kInternalError;
}

}  // namespace

void add_run_command(CLI::App& app, Invocation& invocation) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* run =
      app.add_subcommand("run", "Play the kernel against a pager and write compliance reports");
  run->add_option("--pager", opts->pager,
                  "Pager under test: a shared object implementing emmi/pager_abi.h "
                  "(default: the bundled reference pager)");
  run->add_option("--dialect", opts->dialect,
                  "auto (default: what the pager declares in emmi_pager_dialects; plain gnumach "
                  "when it declares nothing), gnumach, gnumach-seqnos or osf");
  run->add_option("--platform", opts->platform,
                  "Target platform: gnumach (one kernel with 4 KiB pages, GNU Mach's readings of "
                  "the X-notes), manual (several kernels, mixed page sizes, the manual pages read "
                  "strictly, either dialect) or osf (an OSF MK kernel: the OSF dialect, one "
                  "kernel with 4 KiB pages, the OSF kernels' readings); default: the dialect's "
                  "own, gnumach or osf; see README.md, Platforms");
  run->add_option(
      "--page-sizes", opts->page_sizes,
      "Override the kernels: one per page size, comma-separated bytes (e.g. 4096,8192)");
  run->add_option("--kernels", opts->kernels,
                  "Override how many kernels (1-8), taking the page sizes in turn");
  run->add_option("--objects", opts->objects,
                  "Override how many memory objects the pager offers (1-8)");
  run->add_option("--profile", opts->profile, "quick, standard (default) or exhaustive");
  run->add_option("--seed", opts->seed,
                  "Seed of the search (default: random; recorded in the report)");
  run->add_option("--jobs", opts->jobs, "Search units run in parallel (default: three per CPU)");
  run->add_option("--shard", opts->shard,
                  "Run shard I of N (I/N); also read from GTEST_TOTAL_SHARDS/GTEST_SHARD_INDEX");
  run->add_option("--timeout", opts->timeout, "Wall-clock limit per case, in seconds");
  run->add_option("--report-dir", opts->report_dir, "Where reports go (default: emmi-reports)");
  run->add_option("--format", opts->formats, "Comma-separated: json,junit,md,html (default: all)");
  run->add_option("--waivers", opts->waivers,
                  "JSON file of accepted failures (rule, reason, expires)");
  run->add_flag("--conformance", opts->conformance,
                "Locked parameters for a publishable compliance report (no waivers)");
  run->add_option("--replay", opts->replay, "Rerun exactly one case from a report's replay token");
  run->add_option("--pager-options", opts->pager_options,
                  "Free text passed to the pager's start()");
  run->add_option("--schedule", opts->schedule,
                  "How the pager's threads are scheduled: portfolio (default: PCT and random "
                  "walk, case by case), pct or random");
  run->add_option("--pct-depth", opts->pct_depth, "PCT bug depth d (default: the profile's)");
  run->add_flag("--quiet", opts->quiet, "No progress line");
  run->callback([opts, &invocation] {
    invocation.run = [opts](std::ostream& out, std::ostream& err) {
      return run_command(*opts, out, err);
    };
  });
}

}  // namespace emmi::cli
