// SPDX-License-Identifier: MIT
// Runs untrusted work (a pager under test) in a forked child with CPU, memory,
// file and wall-clock limits. The child appends framed records to a log in
// memory it shares with the parent, each record published whole as soon as it
// is written, so a crash or hang still leaves the records written so far
// (and writing one costs a copy, not a system call and a wake-up of the
// parent); how the child ended becomes a value, never a crash of the suite.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace emmi::engine {

struct Limits {
  std::chrono::milliseconds wall{10'000};    // then SIGKILL: a hang
  std::uint32_t cpu_seconds = 60;            // RLIMIT_CPU (SIGXCPU)
  std::uint64_t address_space = 4ull << 30;  // RLIMIT_AS, bytes
  std::uint64_t file_size = 16ull << 20;     // RLIMIT_FSIZE, bytes
  std::uint64_t open_files = 512;            // RLIMIT_NOFILE
  std::uint64_t max_output = 64ull << 20;    // records beyond this: a flood
};

enum class ChildEnd : std::uint8_t {
  exited,              // returned normally; see exit_code
  crashed,             // killed by a signal it raised (SIGSEGV, SIGABRT, ...)
  timed_out,           // still running at the wall-clock limit
  resource_exhausted,  // CPU, memory or file limit, or an output flood
};

std::string_view to_string(ChildEnd e);

// What a child knew about the address of a fault it took (a SIGSEGV or
// SIGBUS the processor raised): filled in its fault handler by the
// describer set with set_fault_describer, and read by the parent once the
// child is gone. Plain bytes, so the handler can write it.
struct FaultNote {
  std::uint64_t address = 0;  // the faulting address (si_addr)
  std::int32_t signal = 0;
  char rule[8] = {};    // the rule a touch there breaks; empty: none known
  char text[256] = {};  // what lay there, one sentence (NUL-terminated)
};

// Asked in the fault handler about the faulting address; fills `note`'s rule
// and text and returns true when it knows the address. Must be
// async-signal-safe (no allocation, no locks).
using FaultDescriber = bool (*)(std::uint64_t address, FaultNote& note) noexcept;

// In a child of run_isolated: the describer its fault handler asks (null:
// none). The handler then lets the fault take its default action, so the
// child still ends by the signal.
void set_fault_describer(FaultDescriber describer) noexcept;

struct ChildOutcome {
  ChildEnd end = ChildEnd::exited;
  int exit_code = 0;
  int signal = 0;                    // for crashed / resource_exhausted by signal
  std::string detail;                // one line: "SIGSEGV", "wall-clock limit 2000 ms", ...
  std::vector<std::string> records;  // every complete record the child sent
  std::chrono::microseconds elapsed{0};
  // Crashed by SIGSEGV or SIGBUS at an address the child's describer knew.
  std::optional<FaultNote> fault;
};

namespace detail {
struct SharedLog;
}

// Where a child writes its records. Each record is written whole
// (length-prefixed) and immediately, so nothing is lost if the child dies
// right after. Safe to call from several threads.
class RecordWriter {
 public:
  // Framed records on a pipe or file descriptor.
  explicit RecordWriter(int fd) : fd_(fd) {}
  // Framed records appended to the log run_isolated shares with the child;
  // a record that would overflow it ends the child as an output flood.
  RecordWriter(detail::SharedLog* log, std::uint64_t capacity) : log_(log), capacity_(capacity) {}
  void write(std::string_view record);

 private:
  int fd_ = -1;
  detail::SharedLog* log_ = nullptr;
  std::uint64_t capacity_ = 0;
  std::mutex mu_;
};

// AddressSanitizer and ThreadSanitizer reserve terabytes of shadow address
// space, so RLIMIT_AS cannot be applied in those builds; memory runaway is then
// caught only by the wall-clock limit.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kAddressSpaceLimitEnforced = false;
#else
inline constexpr bool kAddressSpaceLimitEnforced = true;
#endif

// Exit code a child uses when it ran out of memory (std::bad_alloc caught at
// the top of the child).
inline constexpr int kExitOutOfMemory = 86;
// Exit code of a child whose records overflowed Limits::max_output.
inline constexpr int kExitOutputFlood = 87;
// Exit code of a child whose parent was gone before it could tie itself to it.
inline constexpr int kExitParentGone = 88;

// Forks; the child applies `limits`, runs `body` and _exit()s with its return
// value. The parent must be single-threaded (fork copies only the caller's
// thread). Throws std::system_error only when the suite itself cannot fork or
// make a pipe.
ChildOutcome run_isolated(const std::function<int(RecordWriter&)>& body, const Limits& limits);

// In a child just forked from `parent`: the child is killed when the parent
// dies (a worker or the emmi-cts process killed by a CI timeout or ^C leaves
// no case, oracle or worker behind, still holding its output pipes), and
// exits at once if the parent is already gone.
void die_with_parent(pid_t parent) noexcept;

}  // namespace emmi::engine
