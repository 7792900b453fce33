// SPDX-License-Identifier: MIT
// Atomic report output: complete files or nothing, and a clear error naming
// the directory when it cannot be written.
#include "emmi/reports/writer.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "emmi/reports/json_report.h"
#include "sample_report.h"
#include "tools.h"

namespace emmi::reports {
namespace {

namespace fs = std::filesystem;
using testing::list_dir;
using testing::read_file;
using testing::ScratchDir;

TEST(WriteReports, WritesTheFourReportsAndNothingElse) {
  ScratchDir dir;
  auto written = write_reports(testing::sample_report(), dir.path());
  std::vector<std::string> expected = {"emmi-report.html", "emmi-report.json",
                                       "emmi-report.junit.xml", "emmi-report.md"};
  EXPECT_EQ(list_dir(dir.path()), expected);
  ASSERT_EQ(written.size(), 4u);
  EXPECT_EQ(written[0], dir / "emmi-report.json");
  for (const auto& p : written) {
    EXPECT_GT(fs::file_size(p), 500u) << p;
    EXPECT_EQ(fs::status(p).permissions() & fs::perms::others_read, fs::perms::others_read);
  }
}

TEST(WriteReports, WritesOnlyTheRequestedFormats) {
  ScratchDir dir;
  write_reports(testing::sample_report(), dir.path(), parse_format_list("markdown, junit"));
  EXPECT_EQ(list_dir(dir.path()),
            (std::vector<std::string>{"emmi-report.junit.xml", "emmi-report.md"}));
}

TEST(WriteReports, ReplacesAnOlderReport) {
  ScratchDir dir;
  testing::write_file(dir / "emmi-report.json", "old");
  write_reports(testing::sample_report(), dir.path(), {"json"});
  EXPECT_EQ(read_report_file(dir / "emmi-report.json"), testing::sample_report());
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"emmi-report.json"}));
}

void expect_write_error(const fs::path& dir, const std::string& fragment) {
  try {
    write_reports(testing::sample_report(), dir);
    ADD_FAILURE() << "writing into " << dir << " succeeded";
  } catch (const ReportWriteError& e) {
    std::string what = e.what();
    EXPECT_EQ(e.directory(), dir);
    EXPECT_NE(what.find("'" + dir.string() + "'"), std::string::npos) << what;
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
  }
}

TEST(WriteReports, MissingDirectoryIsNamedAndNotCreated) {
  ScratchDir scratch;
  fs::path missing = scratch / "no" / "such" / "dir";
  expect_write_error(missing, "does not exist");
  EXPECT_FALSE(fs::exists(scratch / "no"));
  EXPECT_TRUE(list_dir(scratch.path()).empty());
}

TEST(WriteReports, AFileInsteadOfADirectoryIsNamed) {
  ScratchDir scratch;
  testing::write_file(scratch / "plain", "x");
  expect_write_error(scratch / "plain", "is not a directory");
  EXPECT_EQ(read_file(scratch / "plain"), "x");
}

// Root ignores permission bits, so as root the check runs in a child that
// has become an unprivileged user first.
TEST(WriteReports, ReadOnlyDirectoryIsNamedAndLeftEmpty) {
  ScratchDir scratch;
  fs::path readonly = scratch / "readonly";
  fs::create_directory(readonly);
  fs::permissions(scratch.path(), fs::perms(0755));
  fs::permissions(readonly, fs::perms(0555));

  auto check = [&]() -> int {
    try {
      write_reports(testing::sample_report(), readonly);
      return 10;  // wrote into a read-only directory
    } catch (const ReportWriteError& e) {
      std::string what = e.what();
      if (what.find("'" + readonly.string() + "'") == std::string::npos) return 11;
      if (what.find("Permission denied") == std::string::npos) return 12;
      return list_dir(readonly).empty() ? 0 : 13;
    } catch (...) {
      return 14;
    }
  };
  if (::geteuid() != 0) {
    EXPECT_EQ(check(), 0);
    return;
  }
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(20);
    ::_exit(check());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  // 10 wrote anyway, 11 directory not named, 12 cause not named, 13 files
  // left behind, 14 wrong exception, 20 could not drop privileges.
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(list_dir(readonly).empty());
}

// A writer that fails part way, after producing output.
class BrokenWriter final : public ReportWriter {
 public:
  std::string_view format_name() const noexcept override { return "broken"; }
  std::string_view file_name() const noexcept override { return "emmi-report.json"; }
  void write(const RunReport&, std::ostream& out) const override {
    out << "{\"format\": \"emmi-cts-report\", \"truncat";
    throw std::runtime_error("writer failed half way");
  }
};

TEST(WriteReportFile, AFailingWriterLeavesTheOldReportAndNoTemporary) {
  ScratchDir dir;
  testing::write_file(dir / "emmi-report.json", "previous complete report");
  EXPECT_THROW(write_report_file(BrokenWriter(), testing::sample_report(), dir.path()),
               std::runtime_error);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"emmi-report.json"}));
  EXPECT_EQ(read_file(dir / "emmi-report.json"), "previous complete report");
}

TEST(WriteReportFile, ATemporaryNameIsUsedThenRenamed) {
  // The rename is observable as a new inode replacing the old one.
  ScratchDir dir;
  testing::write_file(dir / "emmi-report.json", "old");
  struct stat st_before {
  }, st_after{};
  ::stat((dir / "emmi-report.json").c_str(), &st_before);
  write_report_file(JsonWriter(), testing::sample_report(), dir.path());
  ::stat((dir / "emmi-report.json").c_str(), &st_after);
  EXPECT_NE(st_before.st_ino, st_after.st_ino);
}

TEST(Formats, UnknownFormatsAreRefusedBeforeAnythingIsWritten) {
  ScratchDir dir;
  try {
    write_reports(testing::sample_report(), dir.path(), {"json", "sarif"});
    ADD_FAILURE() << "sarif accepted";
  } catch (const UnknownFormatError& e) {
    EXPECT_STREQ(e.what(), "unknown report format 'sarif': expected one of json, junit, md, html");
  }
  EXPECT_TRUE(list_dir(dir.path()).empty());
}

TEST(Formats, ParseFormatList) {
  EXPECT_EQ(parse_format_list("json,junit,md,html"), available_formats());
  EXPECT_EQ(parse_format_list(" html , markdown,md,xml "),
            (std::vector<std::string>{"html", "md", "junit"}));
  EXPECT_THROW(parse_format_list("json,,md"), UnknownFormatError);
  EXPECT_THROW(parse_format_list(""), UnknownFormatError);
  EXPECT_THROW(parse_format_list("pdf"), UnknownFormatError);
}

}  // namespace
}  // namespace emmi::reports
