// SPDX-License-Identifier: MIT
// emmi-cts merge: join the JSON reports of a sharded run into one report and
// write every format from it.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "emmi/reports/json_report.h"
#include "emmi/reports/merge.h"
#include "emmi/reports/writer.h"

namespace emmi::cli {

namespace {

struct MergeOptions {
  std::vector<std::string> inputs;
  std::string report_dir = "emmi-reports";
  std::string formats = "json,junit,md,html";
};

int merge_command(const MergeOptions& o, std::ostream& out) {
  std::vector<reports::RunReport> shards;
  std::vector<std::string> formats;
  // Every reports::ReportError (a bad format list, an unreadable or corrupt
  // report, shards that do not join, an unwritable directory) is an
  // emmi::InputError, exit code 2; main.cpp maps it.
  formats = reports::parse_format_list(o.formats);
  for (const std::string& path : o.inputs) shards.push_back(reports::read_report_file(path));
  std::error_code ec;
  std::filesystem::create_directories(o.report_dir, ec);
  auto merged = reports::merge(shards);
  for (const auto& p : reports::write_reports(merged, o.report_dir, formats))
    out << "wrote " << p.string() << '\n';
  out << fmt::format("merged {} shard reports: {}\n", shards.size(),
                     reports::outcome_label(reports::run_outcome(merged)));
  switch (reports::run_outcome(merged)) {
    case reports::RunOutcome::conformant: return kConformant;
    case reports::RunOutcome::incomplete: return kInternalError;
    default: return kNotConformant;
  }
}

}  // namespace

void add_merge_command(CLI::App& app, Invocation& invocation) {
  auto opts = std::make_shared<MergeOptions>();
  CLI::App* merge = app.add_subcommand("merge", "Join the JSON reports of a sharded run");
  merge->add_option("reports", opts->inputs, "Shard reports (emmi-report.json of each shard)")
      ->required();
  merge->add_option("--report-dir", opts->report_dir, "Where the merged reports go");
  merge->add_option("--format", opts->formats, "Comma-separated: json,junit,md,html");
  merge->callback([opts, &invocation] {
    invocation.run = [opts](std::ostream& out, std::ostream&) { return merge_command(*opts, out); };
  });
}

}  // namespace emmi::cli
