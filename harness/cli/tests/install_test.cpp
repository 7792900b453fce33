// SPDX-License-Identifier: MIT
// The CI gate for other projects, end to end: `cmake --install` this build
// into a scratch prefix, check the installed CLI works on its own (bundled
// reference pager, libemmi_mach found through its RUNPATH), then configure,
// build and test the example consumer project (examples/consumer) against the
// installed EmmiCts package: its conformant pager's test passes and its
// never_ready mutant's test fails because the pager is not conformant (RD1),
// not because of a usage error.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tools.h"

namespace {

namespace fs = std::filesystem;
using emmi::reports::testing::CommandResult;
using emmi::reports::testing::read_file;
using emmi::reports::testing::ScratchDir;
using nlohmann::json;

CommandResult run(const std::vector<std::string>& argv) {
  return emmi::reports::testing::run_command(argv, 900);
}

std::string shown(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += a + ' ';
  return s;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class InstalledPackage : public ::testing::Test {
 protected:
  // One install shared by the tests of this file (installing is the slow part
  // only on a cold disk; the consumer build dominates).
  static void SetUpTestSuite() {
    scratch_ = new ScratchDir;
    prefix_ = scratch_->path() / "prefix";
    install_ = new CommandResult(
        run({EMMI_CMAKE_COMMAND, "--install", EMMI_BUILD_DIR, "--prefix", prefix_.string()}));
  }
  static void TearDownTestSuite() {
    delete install_;
    delete scratch_;
  }
  void SetUp() override { ASSERT_EQ(install_->exit_code, 0) << install_->out << install_->err; }

  static inline ScratchDir* scratch_ = nullptr;
  static inline CommandResult* install_ = nullptr;
  static inline fs::path prefix_;
};

TEST_F(InstalledPackage, InstallsTheCliLibraryHeadersPagerSchemasAndPackage) {
  for (const char* file :
       {"bin/emmi-cts", "lib/libemmi_mach.so", "lib/libemmi_mig_pager.a",
        "lib/emmi-cts/libemmi_reference_pager.so", "include/emmi-cts/emmi/pager_abi.h",
        "include/emmi-cts/mach.h", "include/emmi-cts/mach_init.h",
        "include/emmi-cts/mach/mig_support.h", "include/emmi-cts/emmi/mig/seqnos_memory_object_S.h",
        "include/emmi-cts/gnumach/mach/memory_object.h",
        "share/emmi-cts/schema/emmi-report-v4.schema.json", "share/emmi-cts/schema/junit.xsd",
        "share/emmi-cts/examples/reference_pager.c", "share/doc/emmi-cts/LICENSE",
        "lib/cmake/EmmiCts/EmmiCtsConfig.cmake", "lib/cmake/EmmiCts/EmmiCtsConfigVersion.cmake",
        "lib/cmake/EmmiCts/EmmiCtsTargets.cmake", "lib/cmake/EmmiCts/EmmiCtsConformance.cmake",
        // MIG from CMake, and for builds that are not CMake
        "lib/cmake/EmmiCts/EmmiMig.cmake", "lib/pkgconfig/emmi-cts.pc", "bin/emmi-mig",
        "include/emmi-cts/gnumach/mach/memory_object.defs",
        // glibc-Hurd pieces
        "include/emmi-cts/hurd.h", "include/emmi-cts/pthread.h",
        "include/emmi-cts/mach/mach_traps.h", "include/emmi-cts/mach/mach_host.h"})
    EXPECT_TRUE(fs::exists(prefix_ / file)) << file;
  // Nothing of the build tree leaks into the installed package description.
  std::string targets = read_file(prefix_ / "lib/cmake/EmmiCts/EmmiCtsTargets.cmake");
  EXPECT_FALSE(contains(targets, EMMI_BUILD_DIR)) << "build paths in EmmiCtsTargets.cmake";
}

TEST_F(InstalledPackage, InstalledCliRunsTheBundledReferencePager) {
  const std::string cli = (prefix_ / "bin/emmi-cts").string();
  CommandResult ldd = run({"/usr/bin/ldd", cli});
  // The kernel library the installed CLI loads is the installed one (RUNPATH
  // $ORIGIN/../lib), not the build tree's.
  std::size_t at = ldd.out.find("libemmi_mach.so => ");
  ASSERT_NE(at, std::string::npos) << ldd.out;
  std::size_t from = at + std::string("libemmi_mach.so => ").size();
  fs::path loaded = ldd.out.substr(from, ldd.out.find(" (", from) - from);
  EXPECT_EQ(fs::weakly_canonical(loaded), fs::weakly_canonical(prefix_ / "lib/libemmi_mach.so"))
      << ldd.out;

  fs::path reports = scratch_->path() / "installed-run";
  CommandResult r = run({cli, "run", "--quiet", "--profile", "quick", "--seed", "5", "--format",
                         "json", "--report-dir", reports.string()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json report = json::parse(read_file(reports / "emmi-report.json"));
  EXPECT_EQ(fs::path(report.at("pager").at("path").get<std::string>()),
            prefix_ / "lib/emmi-cts/libemmi_reference_pager.so");
}

TEST_F(InstalledPackage, ConsumerProjectGatesItsPagers) {
  fs::path build = scratch_->path() / "consumer-build";
  std::vector<std::string> configure = {
      EMMI_CMAKE_COMMAND,       "-S",
      EMMI_CONSUMER_SOURCE_DIR, "-B",
      build.string(),           "-G",
      EMMI_GENERATOR,           "-DCMAKE_PREFIX_PATH=" + prefix_.string()};
  CommandResult c = run(configure);
  ASSERT_EQ(c.exit_code, 0) << shown(configure) << "\n" << c.out << c.err;

  CommandResult b = run({EMMI_CMAKE_COMMAND, "--build", build.string(), "-j2"});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;

  // Each of the consumer's tests on its own, so each result is its own.
  auto ctest = [&](const std::string& name) {
    return run({EMMI_CTEST_COMMAND, "--test-dir", build.string(), "--output-on-failure", "-R",
                "^" + name + "$"});
  };
  CommandResult list = run({EMMI_CTEST_COMMAND, "--test-dir", build.string(), "-N"});
  EXPECT_TRUE(contains(list.out, "Total Tests: 9")) << list.out;

  CommandResult good = ctest("example_pager_conforms");
  EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
  EXPECT_TRUE(contains(good.out, "100% tests passed")) << good.out;

  // One pager per dialect: the OSF reference pager, built against
  // EmmiCts::pager_api_osf, gated with OSF kernels on the osf platform.
  CommandResult osf = ctest("example_osf_pager_conforms");
  EXPECT_EQ(osf.exit_code, 0) << osf.out << osf.err;
  EXPECT_TRUE(contains(osf.out, "100% tests passed")) << osf.out;
  json osf_report = json::parse(
      read_file(build / "emmi-example_osf_pager_conforms/emmi-report.json"));
  EXPECT_EQ(osf_report.at("platform"), "osf");
  EXPECT_EQ(osf_report.at("dialect"), "osf");

  CommandResult bad = ctest("example_pager_never_ready");
  EXPECT_NE(bad.exit_code, 0) << bad.out << bad.err;
  EXPECT_TRUE(contains(bad.out, "0% tests passed, 1 tests failed")) << bad.out;
  EXPECT_TRUE(contains(bad.out, "NOT CONFORMANT")) << bad.out;

  // The reports say why: the consumer's own libraries were checked, the
  // conformant one passes every rule, the mutant fails RD1.
  // The entry of rule `id` in a report (null if it has none).
  auto rule_in = [](const json& report, const std::string& id) {
    for (const json& rule : report.at("rules"))
      if (rule.at("id") == id) return rule;
    return json();
  };
  json ok = json::parse(read_file(build / "emmi-example_pager_conforms/emmi-report.json"));
  EXPECT_EQ(fs::path(ok.at("pager").at("path").get<std::string>()).parent_path(), build);
  EXPECT_EQ(ok.at("profile"), "quick");
  EXPECT_EQ(ok.at("platform"), "gnumach");
  for (const json& rule : ok.at("rules"))
    EXPECT_TRUE(rule.at("verdict") == "pass" || rule.at("verdict") == "not-applicable")
        << rule.dump();
  json mutant = json::parse(read_file(build / "emmi-example_pager_never_ready/emmi-report.json"));
  EXPECT_EQ(fs::path(mutant.at("pager").at("path").get<std::string>()).parent_path(), build);
  EXPECT_EQ(mutant.at("pager").at("name"), "mutant-never_ready");
  EXPECT_EQ(rule_in(mutant, "RD1").value("verdict", ""), "fail") << mutant.at("rules").dump();

  // WAIVERS: the same mutant passes the gate with RD1 waived, and says so.
  CommandResult waived = ctest("example_pager_never_ready_waived");
  EXPECT_EQ(waived.exit_code, 0) << waived.out << waived.err;
  json w = json::parse(read_file(build / "emmi-example_pager_never_ready_waived/emmi-report.json"));
  EXPECT_EQ(rule_in(w, "RD1").value("verdict", ""), "waived") << w.at("rules").dump();

  // PLATFORM: the same pager gated on the manual platform too, recorded as such.
  CommandResult manual = ctest("example_pager_conforms_manual");
  EXPECT_EQ(manual.exit_code, 0) << manual.out << manual.err;
  json mn = json::parse(read_file(build / "emmi-example_pager_conforms_manual/emmi-report.json"));
  EXPECT_EQ(mn.at("platform"), "manual");
  EXPECT_EQ(mn.at("parameters").at("kernel_page_sizes"), "4096,4096,16384,32768");

  // PAGER_OPTIONS reach the pager and the report records them. With
  // max_page_size=32768 the pager serves the manual quick profile's 32 KiB
  // kernel, whose inits it refuses by default; the same seed gives the same
  // kernel commands, so more inits are answered with memory_object_ready (RD1).
  CommandResult optioned = ctest("example_pager_options");
  EXPECT_EQ(optioned.exit_code, 0) << optioned.out << optioned.err;
  json o = json::parse(read_file(build / "emmi-example_pager_options/emmi-report.json"));
  EXPECT_EQ(o.at("parameters").at("pager_options"), "max_page_size=32768");
  EXPECT_FALSE(mn.at("parameters").contains("pager_options"));
  EXPECT_GT(rule_in(o, "RD1").value("exercised", 0u), rule_in(mn, "RD1").value("exercised", 0u));

  // emmi_mig() with the Hurd's options (-imacros mig-mutate.h, -prefix,
  // -subrprefix, SERVERPREFIX, HURD_SERVER, SEQNOS): the same pager served
  // through those stubs conforms, and its glue aborts if the intran and
  // destructor were not run for every message.
  CommandResult hurd = ctest("example_hurd_style_pager_conforms");
  EXPECT_EQ(hurd.exit_code, 0) << hurd.out << hurd.err;
  json h = json::parse(
      read_file(build / "emmi-example_hurd_style_pager_conforms/emmi-report.json"));
  EXPECT_EQ(fs::path(h.at("pager").at("path").get<std::string>()).filename(),
            "libexample_hurd_style_pager.so");
  for (const json& rule : h.at("rules"))
    EXPECT_TRUE(rule.at("verdict") == "pass" || rule.at("verdict") == "not-applicable")
        << rule.dump();
  std::string server = read_file(build / "hurd_mig/server/hurd_memory_objectServer.c");
  EXPECT_TRUE(contains(server, "_pager_seqnos_memory_object_server")) << "-prefix _pager_";
  EXPECT_TRUE(contains(server, "begin_using_pager_payload(")) << "-imacros mig-mutate.h";
  EXPECT_TRUE(contains(server, "#include \"hurd_glue.h\"")) << "MEMORY_OBJECT_IMPORTS";
  std::string supply = read_file(build / "hurd_mig/user/hurd_control_memory_object_data_supply.c");
  EXPECT_TRUE(contains(supply, "__mach_msg(")) << "-subrprefix __";

  // A default pager (the default-pager role of the entry ABI): played with
  // temporary objects, and judged on the default-pager rules.
  CommandResult dp = ctest("example_default_pager_conforms");
  EXPECT_EQ(dp.exit_code, 0) << dp.out << dp.err;
  json d = json::parse(read_file(build / "emmi-example_default_pager_conforms/emmi-report.json"));
  EXPECT_EQ(d.at("parameters").at("pager_roles"), "default pager");
  for (const char* id : {"CR2", "DI3", "UN2", "G6"})
    EXPECT_EQ(rule_in(d, id).value("verdict", ""), "pass") << id << " " << d.at("rules").dump();

  // CONFORMANCE: the locked standard profile, recorded as such.
  CommandResult locked = ctest("example_pager_conformance");
  EXPECT_EQ(locked.exit_code, 0) << locked.out << locked.err;
  json l = json::parse(read_file(build / "emmi-example_pager_conformance/emmi-report.json"));
  EXPECT_EQ(l.at("conformance_mode"), true);
  EXPECT_EQ(l.at("profile"), "standard");
}

// A project built with make: pkg-config finds the installed package and
// emmi-mig generates the Hurd-style stubs (examples/consumer-make).
TEST_F(InstalledPackage, MakefileConsumerBuildsWithPkgConfigAndEmmiMig) {
  const std::string pc_path = (prefix_ / "lib/pkgconfig").string();
  auto with_pc = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"/usr/bin/env", "PKG_CONFIG_PATH=" + pc_path});
    return run(argv);
  };
  // The package description points into the prefix, wherever it is.
  CommandResult cflags = with_pc({"pkg-config", "--cflags", "--libs", "emmi-cts"});
  ASSERT_EQ(cflags.exit_code, 0) << cflags.err;
  CommandResult mig_dir = run({(prefix_ / "bin/emmi-mig").string(), "--gnumach-include"});
  ASSERT_EQ(mig_dir.exit_code, 0) << mig_dir.err;
  EXPECT_EQ(fs::weakly_canonical(mig_dir.out.substr(0, mig_dir.out.find('\n'))),
            fs::weakly_canonical(prefix_ / "include/emmi-cts/gnumach"));
  CommandResult variable = with_pc({"pkg-config", "--variable=emmi_mig", "emmi-cts"});
  EXPECT_EQ(fs::weakly_canonical(variable.out.substr(0, variable.out.find('\n'))),
            fs::weakly_canonical(prefix_ / "bin/emmi-mig"));
  EXPECT_TRUE(contains(cflags.out, "-lemmi_mig_pager")) << cflags.out;

  // emmi-mig always passes -D__x86_64__: memory_object_init is 60 bytes.
  fs::path gen = scratch_->path() / "emmi-mig-check";
  fs::create_directories(gen);
  CommandResult mig = run(
      {(prefix_ / "bin/emmi-mig").string(), "-DSEQNOS", "-server", (gen / "s.c").string(), "-user",
       "/dev/null", "-header", "/dev/null",
       (prefix_ / "include/emmi-cts/gnumach/mach/memory_object.defs").string()});
  ASSERT_EQ(mig.exit_code, 0) << mig.err;
  EXPECT_TRUE(contains(read_file(gen / "s.c"), "msgh_size != 60")) << "64-bit wire layout";

  fs::path build = scratch_->path() / "make-build";
  fs::create_directories(build);
  CommandResult make = with_pc({"make", "-C", build.string(), "-f",
                                std::string(EMMI_MAKE_CONSUMER_DIR) + "/Makefile", "check"});
  ASSERT_EQ(make.exit_code, 0) << make.out << make.err;
  for (const char* pager : {"example_pager", "example_hurd_style_pager"}) {
    json report = json::parse(
        read_file(build / (std::string("emmi-") + pager) / "emmi-report.json"));
    EXPECT_EQ(fs::path(report.at("pager").at("path").get<std::string>()).filename(),
              std::string("lib") + pager + ".so");
    for (const json& rule : report.at("rules"))
      EXPECT_TRUE(rule.at("verdict") == "pass" || rule.at("verdict") == "not-applicable")
          << pager << ": " << rule.dump();
  }
  EXPECT_TRUE(contains(read_file(build / "hurd_mig/hurd_memory_objectServer.c"),
                       "_pager_seqnos_memory_object_server"));
}

}  // namespace
