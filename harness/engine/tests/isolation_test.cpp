// SPDX-License-Identifier: MIT
// The pager under test is untrusted: whatever it does in the child, the parent
// gets a value saying how it ended, and the records it sent before that.
#include "emmi/engine/isolation.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace emmi::engine;
using namespace std::chrono_literals;

TEST(Isolation, NormalExitDeliversEveryRecordInOrder) {
  auto out = run_isolated(
      [](RecordWriter& w) {
        for (int i = 0; i < 1000; ++i) w.write("record " + std::to_string(i));
        return 7;
      },
      Limits{});
  EXPECT_EQ(out.end, ChildEnd::exited);
  EXPECT_EQ(out.exit_code, 7);
  ASSERT_EQ(out.records.size(), 1000u);
  EXPECT_EQ(out.records.front(), "record 0");
  EXPECT_EQ(out.records.back(), "record 999");
}

TEST(Isolation, LargeRecordsArriveWhole) {
  std::string big(1 << 20, 'x');
  auto out = run_isolated(
      [&](RecordWriter& w) {
        w.write(big);
        w.write("");
        return 0;
      },
      Limits{});
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0], big);
  EXPECT_EQ(out.records[1], "");
}

TEST(Isolation, CrashBecomesCrashedWithTheSignalAndTheTraceSoFar) {
  auto out = run_isolated(
      [](RecordWriter& w) {
        w.write("before the fault");
        std::raise(SIGSEGV);
        w.write("never sent");
        return 0;
      },
      Limits{});
  EXPECT_EQ(out.end, ChildEnd::crashed);
  EXPECT_EQ(out.signal, SIGSEGV);
  EXPECT_EQ(out.detail, "SIGSEGV");
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_EQ(out.records[0], "before the fault");
}

namespace {

// The page a child marks for its fault handler's describer, and the
// describer: it knows that page only.
std::uint64_t g_marked_page = 0;

bool describe_marked_page(std::uint64_t address, FaultNote& note) noexcept {
  if (g_marked_page == 0 || address < g_marked_page || address >= g_marked_page + 4096)
    return false;
  std::memcpy(note.rule, "SU10", 5);
  std::memcpy(note.text, "the marked page", 16);
  return true;
}

// In a child: an inaccessible page, marked; its address goes to the parent
// as a record.
char* marked_page(RecordWriter& w) {
  void* p = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) ::_exit(3);
  g_marked_page = reinterpret_cast<std::uint64_t>(p);
  set_fault_describer(&describe_marked_page);
  w.write(std::to_string(g_marked_page));
  return static_cast<char*>(p);
}

}  // namespace

// A fault at an address the child's describer knows (a touch of pages a
// message took away, SU10) leaves a note the parent reads: where, what the
// describer said; and the child still ends by the signal, as a crash does.
TEST(Isolation, AFaultAtAnAddressTheChildKnowsLeavesANoteAndStillEndsTheChild) {
  auto out = run_isolated(
      [](RecordWriter& w) {
        char* page = marked_page(w);
        (void)*reinterpret_cast<volatile char*>(page + 100);
        w.write("never sent");
        return 0;
      },
      Limits{});
  EXPECT_EQ(out.end, ChildEnd::crashed);
  EXPECT_EQ(out.signal, SIGSEGV);
  EXPECT_EQ(out.detail, "SIGSEGV");
  ASSERT_EQ(out.records.size(), 1u);
  ASSERT_TRUE(out.fault.has_value());
  EXPECT_EQ(out.fault->address, std::stoull(out.records[0]) + 100);
  EXPECT_EQ(out.fault->signal, SIGSEGV);
  EXPECT_STREQ(out.fault->rule, "SU10");
  EXPECT_STREQ(out.fault->text, "the marked page");
}

// Any other crash stays what it was: a fault elsewhere, and a fault signal
// sent rather than raised by the processor (its si_addr means nothing),
// leave no note.
TEST(Isolation, OtherFaultsAndSentFaultSignalsLeaveNoNote) {
  auto elsewhere = run_isolated(
      [](RecordWriter& w) {
        char* page = marked_page(w);
        void* other = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (other == MAP_FAILED || other == page) return 3;
        (void)*static_cast<volatile char*>(other);
        return 0;
      },
      Limits{});
  EXPECT_EQ(elsewhere.end, ChildEnd::crashed);
  EXPECT_EQ(elsewhere.signal, SIGSEGV);
  EXPECT_FALSE(elsewhere.fault.has_value());

  auto sent = run_isolated(
      [](RecordWriter& w) {
        (void)marked_page(w);
        std::raise(SIGBUS);
        return 0;
      },
      Limits{});
  EXPECT_EQ(sent.end, ChildEnd::crashed);
  EXPECT_EQ(sent.signal, SIGBUS);
  EXPECT_FALSE(sent.fault.has_value());
}

TEST(Isolation, HangBecomesTimedOutAtTheWallClockLimit) {
  Limits limits;
  limits.wall = 300ms;
  auto out = run_isolated(
      [](RecordWriter& w) {
        w.write("about to block");
        for (;;) ::pause();
        return 0;
      },
      limits);
  EXPECT_EQ(out.end, ChildEnd::timed_out);
  ASSERT_EQ(out.records.size(), 1u);
  EXPECT_GE(out.elapsed, 300ms);
}

TEST(Isolation, RunawayAllocationBecomesResourceExhausted) {
  if (!kAddressSpaceLimitEnforced) GTEST_SKIP() << "RLIMIT_AS cannot apply under ASan/TSan";
  Limits limits;
  limits.address_space = 512ull << 20;
  auto out = run_isolated(
      [](RecordWriter&) {
        std::vector<std::vector<char>> hoard;
        for (;;) hoard.emplace_back(64ull << 20, 'a');
        return 0;
      },
      limits);
  EXPECT_EQ(out.end, ChildEnd::resource_exhausted);
  EXPECT_NE(out.detail.find("memory"), std::string::npos) << out.detail;
}

TEST(Isolation, OutputFloodIsCutOffAndReported) {
  Limits limits;
  limits.max_output = 1 << 20;
  auto out = run_isolated(
      [](RecordWriter& w) {
        for (;;) w.write(std::string(4096, 'f'));
        return 0;
      },
      limits);
  EXPECT_EQ(out.end, ChildEnd::resource_exhausted);
  EXPECT_NE(out.detail.find("flood"), std::string::npos) << out.detail;
}

TEST(Isolation, CpuLimitBecomesResourceExhausted) {
  Limits limits;
  limits.cpu_seconds = 1;
  auto out = run_isolated(
      [](RecordWriter&) {
        volatile std::uint64_t spin = 0;
        for (;;) spin = spin + 1;
        return 0;
      },
      limits);
  EXPECT_EQ(out.end, ChildEnd::resource_exhausted);
  EXPECT_EQ(out.signal, SIGXCPU);
}

TEST(Isolation, ThreadsLeftRunningInTheChildDoNotKeepItAlive) {
  // A pager's server threads are still blocked when the case ends; _exit in
  // the child must end them all.
  auto out = run_isolated(
      [](RecordWriter& w) {
        std::thread([] {
          for (;;) ::pause();
        }).detach();
        w.write("done");
        return 0;
      },
      Limits{});
  EXPECT_EQ(out.end, ChildEnd::exited);
  EXPECT_EQ(out.records.size(), 1u);
}

TEST(Isolation, TheChildInheritsNoDescriptorOfTheSuiteButStandardOnes) {
  // The suite's pipes and sockets (a worker's result pipe, the oracle's
  // socket) are nothing the pager under test should be able to write to.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto out = run_isolated(
      [&](RecordWriter& w) {
        w.write(::fcntl(fds[0], F_GETFD) == -1 && ::fcntl(fds[1], F_GETFD) == -1 ? "closed"
                                                                                 : "open");
        w.write(::fcntl(2, F_GETFD) != -1 ? "stderr" : "no stderr");
        return 0;
      },
      Limits{});
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0], "closed");
  EXPECT_EQ(out.records[1], "stderr");
}

TEST(Isolation, RecordsFromManyThreadsArriveWholeAndNoneIsLost) {
  auto out = run_isolated(
      [](RecordWriter& w) {
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
          threads.emplace_back([&w, t] {
            for (int i = 0; i < 500; ++i)
              w.write(std::string(1 + (i % 97), static_cast<char>('a' + t)));
          });
        for (auto& th : threads) th.join();
        return 0;
      },
      Limits{});
  ASSERT_EQ(out.records.size(), 2000u);
  for (const std::string& r : out.records)
    EXPECT_EQ(r.find_first_not_of(r.front()), std::string::npos) << "a record was torn: " << r;
}

// The limits are hard limits the pager cannot lift, even when the suite runs
// as root: Hurd's libpager raises RLIMIT_AS to infinity at start-up.
TEST(Isolation, APagerCannotRaiseItsLimits) {
  Limits limits;
  limits.address_space = 3ull << 30;
  limits.open_files = 100;
  auto out = run_isolated(
      [](RecordWriter& w) {
        rlimit inf{RLIM_INFINITY, RLIM_INFINITY};
        int as = ::setrlimit(RLIMIT_AS, &inf);
        w.write(as == 0 ? "raised" : "refused");
        rlimit more{4096, 4096};
        int nofile = ::setrlimit(RLIMIT_NOFILE, &more);
        w.write(nofile == 0 ? "raised" : "refused");
        rlimit now{};
        ::getrlimit(RLIMIT_AS, &now);
        w.write(std::to_string(now.rlim_cur) + " " + std::to_string(now.rlim_max));
        ::getrlimit(RLIMIT_NOFILE, &now);
        w.write(std::to_string(now.rlim_cur) + " " + std::to_string(now.rlim_max));
        // Raising the soft limit up to the hard one stays allowed.
        rlimit lower{50, 100};
        w.write(::setrlimit(RLIMIT_NOFILE, &lower) == 0 ? "lowered" : "not lowered");
        rlimit back{100, 100};
        w.write(::setrlimit(RLIMIT_NOFILE, &back) == 0 ? "back" : "not back");
        return 0;
      },
      limits);
  ASSERT_EQ(out.end, ChildEnd::exited) << out.detail;
  ASSERT_EQ(out.records.size(), 6u);
  if (kAddressSpaceLimitEnforced) {
    EXPECT_EQ(out.records[0], "refused");
    EXPECT_EQ(out.records[2], std::to_string(3ull << 30) + " " + std::to_string(3ull << 30));
  }
  EXPECT_EQ(out.records[1], "refused");
  EXPECT_EQ(out.records[3], "100 100");
  EXPECT_EQ(out.records[4], "lowered");
  EXPECT_EQ(out.records[5], "back");
}

// A case child outlives nothing: when the process that runs it is killed (a
// worker, or emmi-cts under a CI timeout or ^C), the case dies with it rather
// than hang on, holding the output pipes of whoever started the run.
TEST(IsolationDeathTest, ACaseDiesWithTheProcessThatRunsIt) {
  EXPECT_EXIT(
      {
        // Orphans come back to this process, so it can wait for the case.
        if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) std::_Exit(10);
        struct Shared {
          sem_t started;
          pid_t pid;
        };
        auto* shared = static_cast<Shared*>(::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0));
        if (shared == MAP_FAILED || ::sem_init(&shared->started, 1, 0) != 0) std::_Exit(11);
        const pid_t runner = ::fork();
        if (runner == 0) {
          Limits limits;
          limits.wall = 120s;
          (void)run_isolated(
              [shared](RecordWriter&) {
                shared->pid = ::getpid();
                ::sem_post(&shared->started);
                ::alarm(30);  // not killed with its runner: SIGALRM says so
                for (;;) ::pause();
                return 0;
              },
              limits);
          std::_Exit(12);
        }
        while (::sem_wait(&shared->started) != 0) {
        }
        ::kill(runner, SIGKILL);
        int status = 0;
        if (::waitpid(runner, &status, 0) != runner) std::_Exit(13);
        if (::waitpid(shared->pid, &status, 0) != shared->pid) std::_Exit(14);
        std::fprintf(stderr, "case ended by signal %d\n",
                     WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        std::_Exit(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 15);
      },
      ::testing::ExitedWithCode(0), "case ended by signal 9");
}
