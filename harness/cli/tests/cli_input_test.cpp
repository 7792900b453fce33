// SPDX-License-Identifier: MIT
// Bad input to emmi-cts: every case must exit 2 (usage or input error) with a
// message that names the offending input, and must leave no report or
// temporary file behind. Inputs are checked before any case runs, so all but
// the last test here are quick.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools.h"

namespace {

namespace fs = std::filesystem;
using emmi::reports::testing::CommandResult;
using emmi::reports::testing::list_dir;
using emmi::reports::testing::ScratchDir;
using emmi::reports::testing::write_file;

constexpr int kInputError = 2;

CommandResult emmi_cts(std::vector<std::string> args) {
  args.insert(args.begin(), EMMI_CTS_BINARY);
  return emmi::reports::testing::run_command(args, 300);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A run that must be refused before it starts: exit 2, a message containing
// every string of `named`, nothing on stdout, and an empty report directory.
void expect_refused(std::vector<std::string> args, const std::vector<std::string>& named) {
  ScratchDir dir;
  fs::path reports = dir / "reports";
  // Defaults only for what the case does not set itself (CLI11 refuses an
  // option given twice).
  auto given = [&](const std::string& option) {
    for (const auto& a : args)
      if (a == option) return true;
    return false;
  };
  if (!given("--profile")) args.insert(args.end(), {"--profile", "quick"});
  if (!given("--seed") && !given("--conformance")) args.insert(args.end(), {"--seed", "1"});
  if (!given("--report-dir")) args.insert(args.end(), {"--report-dir", reports.string()});
  args.insert(args.begin(), {"run", "--quiet"});
  std::string shown;
  for (const auto& a : args) shown += a + ' ';
  SCOPED_TRACE("emmi-cts " + shown);

  CommandResult r = emmi_cts(args);
  EXPECT_EQ(r.exit_code, kInputError) << r.err;
  for (const std::string& part : named)
    EXPECT_TRUE(contains(r.err, part)) << "missing '" << part << "' in:\n" << r.err;
  EXPECT_TRUE(contains(r.err, "emmi-cts: ")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  if (fs::exists(reports)) {
    EXPECT_TRUE(list_dir(reports).empty());
  }
}

TEST(CliInput, PagerThatDoesNotExist) {
  ScratchDir dir;
  std::string missing = (dir / "no-such-pager.so").string();
  expect_refused({"--pager", missing}, {"--pager '" + missing + "'", "no such file"});
}

TEST(CliInput, PagerThatIsATextFile) {
  ScratchDir dir;
  fs::path text = dir / "notes.so";
  write_file(text, "this is not an ELF shared object\n");
  expect_refused({"--pager", text.string()},
                 {"--pager '" + text.string() + "'", "cannot load it as a shared object"});
}

TEST(CliInput, PagerThatIsADirectory) {
  ScratchDir dir;
  expect_refused({"--pager", dir.path().string()},
                 {"--pager '" + dir.path().string() + "'", "not a regular file"});
}

TEST(CliInput, SharedObjectWithoutTheEntrySymbol) {
  expect_refused({"--pager", EMMI_NOT_A_PAGER},
                 {"--pager '" EMMI_NOT_A_PAGER "'", "not a pager", "emmi_pager_entry"});
}

// Pagers with GCC nested functions ask for an executable stack, which glibc
// 2.41+ refuses in dlopen: the error says so, names the file, and says what
// to do. (This object also has an undefined symbol, so it fails here too.)
TEST(CliInput, PagerThatAsksForAnExecutableStack) {
  expect_refused({"--pager", EMMI_EXECSTACK_PAGER},
                 {"--pager '" EMMI_EXECSTACK_PAGER "'", "cannot load it",
                  "'" EMMI_EXECSTACK_PAGER "' asks for an executable stack", "nested functions",
                  "-Wl,-z,noexecstack"});
  // An object that does not ask for one gets no such explanation.
  ScratchDir dir;
  CommandResult r = emmi_cts({"run", "--quiet", "--profile", "quick", "--seed", "1", "--pager",
                              EMMI_NOT_A_PAGER, "--report-dir", (dir / "reports").string()});
  EXPECT_EQ(r.exit_code, kInputError);
  EXPECT_FALSE(contains(r.err, "executable stack")) << r.err;
}

TEST(CliInput, PagerBuiltForAnotherAbiVersion) {
  expect_refused({"--pager", EMMI_WRONG_ABI_PAGER},
                 {"--pager '" EMMI_WRONG_ABI_PAGER "'", "ABI version 99", "versions 1 to 2"});
}

// Waivers files: each defect named, with the file.
struct BadWaivers {
  const char* name;
  const char* content;
  const char* expected;
};

TEST(CliInput, CorruptWaiversFiles) {
  const BadWaivers cases[] = {
      {"not-json", "{ this is not json", "not valid JSON"},
      {"no-array", "{\"rules\": []}", "no \"waivers\" array"},
      {"unknown-rule", R"({"waivers": [{"rule": "ZZ42", "reason": "known"}]})",
       "unknown rule 'ZZ42'"},
      {"missing-reason", R"({"waivers": [{"rule": "SQ7", "expires": "2099-01-01"}]})",
       "has no \"reason\""},
      {"empty-reason", R"({"waivers": [{"rule": "SQ7", "reason": ""}]})", "has no \"reason\""},
      {"bad-date", R"({"waivers": [{"rule": "SQ7", "reason": "r", "expires": "2099-02-30"}]})",
       "not a date YYYY-MM-DD"},
      {"bad-date-format",
       R"({"waivers": [{"rule": "SQ7", "reason": "r", "expires": "next year"}]})",
       "not a date YYYY-MM-DD"},
      {"unknown-key", R"({"waivers": [{"rule": "SQ7", "reason": "r", "owner": "x"}]})",
       "unknown key \"owner\""},
      {"twice", R"({"waivers": [{"rule": "SQ7", "reason": "a"}, {"rule": "SQ7", "reason": "b"}]})",
       "waived twice"},
  };
  for (const BadWaivers& c : cases) {
    SCOPED_TRACE(c.name);
    ScratchDir dir;
    fs::path file = dir / (std::string(c.name) + ".json");
    write_file(file, c.content);
    expect_refused({"--waivers", file.string()}, {"--waivers '" + file.string() + "'", c.expected});
  }
  ScratchDir dir;
  std::string missing = (dir / "absent.json").string();
  expect_refused({"--waivers", missing}, {"--waivers '" + missing + "'", "cannot read"});
}

TEST(CliInput, ReportDirThatCannotBeCreated) {
  // Root may write anywhere, so a read-only directory proves nothing here; a
  // path whose parent is a regular file cannot be created by anybody.
  ScratchDir dir;
  fs::path file = dir / "plain-file";
  write_file(file, "x");
  for (std::string bad : {(file / "reports").string(), std::string("/dev/null/x")}) {
    CommandResult r = emmi_cts({"run", "--quiet", "--profile", "quick", "--report-dir", bad});
    EXPECT_EQ(r.exit_code, kInputError) << r.err;
    EXPECT_TRUE(contains(r.err, "--report-dir '" + bad + "'")) << r.err;
    EXPECT_TRUE(contains(r.err, "cannot create or write")) << r.err;
  }
  EXPECT_EQ(list_dir(dir.path()), std::vector<std::string>{"plain-file"});
}

TEST(CliInput, BadShard) {
  for (std::string shard : {"0/3", "4/3", "1/0", "3", "a/b", "1/3x", "-1/3"}) {
    expect_refused({"--shard", shard}, {"--shard '" + shard + "'", "expected I/N"});
  }
}

TEST(CliInput, BadShardEnvironment) {
  // The GoogleTest sharding variables, as a CTest or CI matrix sets them.
  struct Env {
    const char* total;
    const char* index;
    const char* expected;
  };
  for (Env e : {Env{"3", nullptr, "must be set together"}, Env{"3", "3", "GTEST_SHARD_INDEX='3'"},
                Env{"zero", "0", "GTEST_TOTAL_SHARDS='zero'"}}) {
    if (e.total) setenv("GTEST_TOTAL_SHARDS", e.total, 1);
    if (e.index) setenv("GTEST_SHARD_INDEX", e.index, 1);
    expect_refused({}, {e.expected});
    unsetenv("GTEST_TOTAL_SHARDS");
    unsetenv("GTEST_SHARD_INDEX");
  }
}

TEST(CliInput, BadProfileDialectFormatAndReplay) {
  expect_refused({"--profile", "fastest"},
                 {"--profile 'fastest'", "quick, standard or exhaustive"});
  // osf is a dialect now (harness/mach/defs/osf); a name of none is refused.
  expect_refused({"--dialect", "cmu"},
                 {"--dialect 'cmu'", "auto", "gnumach, gnumach-seqnos or osf"});
  expect_refused({"--format", "json,pdf"}, {"--format 'json,pdf'", "pdf"});
  expect_refused({"--format", "json,,md"}, {"--format 'json,,md'"});
  expect_refused({"--replay", "not-a-token"}, {"--replay 'not-a-token'", "not a replay token"});
}

TEST(CliInput, PagerDeclaringAnUnknownDialectBit) {
  expect_refused({"--pager", EMMI_BAD_DIALECTS_PAGER},
                 {"--pager '" EMMI_BAD_DIALECTS_PAGER "'", "emmi_pager_dialects is 0x8",
                  "EMMI_PAGER_SERVES_GNUMACH_SEQNOS"});
}

// The reference pager declares the SEQNOS stubs (emmi_pager_dialects): the
// plain dialect is refused, naming the pager and what it declares.
TEST(CliInput, DialectThePagerDoesNotDeclare) {
  expect_refused({"--pager", EMMI_REFERENCE_PAGER, "--dialect", "gnumach"},
                 {"--dialect 'gnumach'", EMMI_REFERENCE_PAGER, "(reference)",
                  "emmi_pager_dialects declares gnumach-seqnos"});
}

// A platform's kernels speak its dialects: GNU Mach no OSF, an OSF kernel
// no GNU Mach dialect. Named together, the two must agree; the message says
// which platforms take the pager.
TEST(CliInput, PlatformWhoseKernelsDoNotSpeakTheDialect) {
  expect_refused({"--pager", EMMI_OSF_REFERENCE_PAGER, "--platform", "gnumach"},
                 {"--platform gnumach with the osf dialect", "GNU Mach's kernel speaks only",
                  "--platform osf", "--platform manual"});
  expect_refused({"--pager", EMMI_REFERENCE_PAGER, "--platform", "osf"},
                 {"--platform osf with the gnumach-seqnos dialect",
                  "an OSF kernel speaks only the OSF dialect", "--platform gnumach"});
}

TEST(CliInput, BadPlatformAndWorldOverrides) {
  expect_refused({"--platform", "xnu"}, {"--platform 'xnu'", "gnumach, manual or osf"});
  expect_refused({"--page-sizes", "4096,5000"},
                 {"--page-sizes '4096,5000'", "5000", "power of two"});
  expect_refused({"--page-sizes", "2048"}, {"--page-sizes '2048'", "2048", "from 4096"});
  expect_refused({"--page-sizes", "4096,,8192"}, {"--page-sizes '4096,,8192'", "not a number"});
  expect_refused({"--page-sizes", "4k"}, {"--page-sizes '4k'", "'4k' is not a number"});
  // Larger than the quick profile's 64 KiB objects.
  expect_refused({"--page-sizes", "131072"}, {"--page-sizes '131072'", "object size (65536"});
  expect_refused({"--kernels", "0"}, {"--kernels 0", "1 to 8"});
  expect_refused({"--kernels", "9"}, {"--kernels 9", "1 to 8"});
  expect_refused({"--objects", "0"}, {"--objects 0", "1 to 8"});
  expect_refused({"--objects", "12"}, {"--objects 12", "1 to 8"});
}

TEST(CliInput, ConformanceRefusesWaiversAndFixedParameters) {
  ScratchDir dir;
  fs::path waivers = dir / "w.json";
  write_file(waivers, R"({"waivers": [{"rule": "SQ7", "reason": "r"}]})");
  for (std::vector<std::string> extra :
       {std::vector<std::string>{"--waivers", waivers.string()},
        std::vector<std::string>{"--replay", "x"}, std::vector<std::string>{"--kernels", "2"}}) {
    std::vector<std::string> args = {"run", "--quiet", "--conformance", "--report-dir",
                                     (dir / "r").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = emmi_cts(args);
    EXPECT_EQ(r.exit_code, kInputError) << r.err;
    EXPECT_TRUE(contains(r.err, "--conformance")) << r.err;
    EXPECT_TRUE(contains(r.err, extra[0])) << r.err;
  }
  // expect_refused adds --profile quick, which conformance mode locks.
  expect_refused({"--conformance"}, {"--conformance", "fixes the profile"});
  expect_refused({"--conformance", "--profile", "standard", "--seed", "9"},
                 {"--conformance", "the seed"});
}

TEST(CliInput, MergeOfFilesThatAreNotReports) {
  ScratchDir dir;
  std::string missing = (dir / "absent.json").string();
  fs::path garbage = dir / "garbage.json";
  write_file(garbage, "[1, 2");
  for (const std::string& input : {missing, garbage.string()}) {
    CommandResult r = emmi_cts({"merge", "--report-dir", (dir / "out").string(), input});
    EXPECT_EQ(r.exit_code, kInputError) << r.err;
    EXPECT_TRUE(contains(r.err, input)) << r.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out") && !list_dir(dir / "out").empty());
}

// A write that fails after the run (the JSON report's final name is taken by
// a directory, so the rename fails) exits 2 naming the file and leaves no
// temporary file: every report is written to a temporary name first.
TEST(CliInput, FailedReportWriteLeavesNoTemporaryFiles) {
  ScratchDir dir;
  fs::path reports = dir / "reports";
  fs::create_directories(reports / "emmi-report.json");
  CommandResult r = emmi_cts({"run", "--quiet", "--profile", "quick", "--seed", "7", "--jobs", "2",
                              "--pager", EMMI_REFERENCE_PAGER, "--report-dir", reports.string()});
  EXPECT_EQ(r.exit_code, kInputError) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "emmi-report.json")) << r.err;
  for (const std::string& name : list_dir(reports))
    EXPECT_FALSE(contains(name, ".tmp")) << "left behind: " << name;
  // What is there is either the blocking directory or a complete report.
  for (const std::string& name : list_dir(reports)) {
    if (name == "emmi-report.json") continue;
    EXPECT_TRUE(name.rfind("emmi-report.", 0) == 0) << name;
  }
}

}  // namespace
