// SPDX-License-Identifier: MIT
// The crash and deadlock mutants, each run in a child process (a death test
// re-executes this binary), as the engine runs every case: the crash mutant
// must die of SIGSEGV on a write fault, and the deadlock mutant must hang in
// its data_request handler so that even stop() never returns. Never run
// in-process: either would take the test binary down with it.
#include <unistd.h>
#include <csignal>
#include <cstdlib>

#include "scenario.h"

namespace emmi::reference_tests {
namespace {

// Maps object 0 from a 4 KiB kernel and faults page 0 with `access`; if the
// pager is still alive and stops cleanly, the child exits 0.
[[noreturn]] void fault_then_stop(const std::string& library, model::Prot access) {
  {
    Scenario s;
    s.load(library, 1);
    const KernelId a = s.attach(k4K);
    if (s.kernel().map(a, s.object(0)) != KERN_SUCCESS || !s.settle()) std::_Exit(2);
    if (s.kernel().fault(a, s.object(0), 0, access) != KERN_SUCCESS) std::_Exit(3);
    s.settle(1s);
  }  // ~Scenario stops the pager
  std::_Exit(0);
}

MutantEntry only(const std::string& kind) {
  std::vector<MutantEntry> m = mutants(kind);
  return m.size() == 1 ? m.front() : MutantEntry{};
}

MutantEntry with_id(const std::string& id) {
  for (const MutantEntry& m : mutants())
    if (m.id == id) return m;
  return MutantEntry{};
}

TEST(MutantIsolation, CrashMutantDiesOfSigsegvOnAWriteFault) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const MutantEntry m = only("crash");
  ASSERT_FALSE(m.library.empty());
  // A read fault is served; the write fault is the particular request.
  EXPECT_EXIT(fault_then_stop(m.library, kRead), ::testing::ExitedWithCode(0), "");
  EXPECT_EXIT(fault_then_stop(m.library, kReadWrite), ::testing::KilledBySignal(SIGSEGV), "");
}

TEST(MutantIsolation, DeadlockMutantHangsInItsHandler) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const MutantEntry m = with_id("deadlock_in_request");
  ASSERT_FALSE(m.library.empty());
  // The alarm is the child's only way out: stop() blocks on the mutex the
  // deadlocked handler holds. The reference pager, same script, exits 0.
  EXPECT_EXIT((alarm(3), fault_then_stop(m.library, kRead)), ::testing::KilledBySignal(SIGALRM),
              "");
  EXPECT_EXIT((alarm(3), fault_then_stop(reference_library(), kRead)), ::testing::ExitedWithCode(0),
              "");
}

}  // namespace
}  // namespace emmi::reference_tests
