// SPDX-License-Identifier: MIT
// Fork-per-case isolation; see isolation.h.
#include "emmi/engine/isolation.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

namespace emmi::engine {

namespace detail {

// The head of the memory the parent shares with its child; the records follow.
// `committed` counts the bytes of complete records: the child publishes a
// record by advancing it (release), the parent reads that many bytes once the
// child is gone.
// `fault_state` is 0 until the child's fault handler claims `fault` (1) and
// has written it (2).
struct SharedLog {
  std::atomic<std::uint64_t> committed;
  std::atomic<std::uint32_t> flooded;
  std::atomic<std::uint32_t> fault_state;
  FaultNote fault;
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
constexpr std::size_t kRecordsAt = 512;  // the records start here
static_assert(sizeof(SharedLog) <= kRecordsAt);
inline char* records_of(SharedLog* log) { return reinterpret_cast<char*>(log) + kRecordsAt; }

}  // namespace detail

std::string_view to_string(ChildEnd e) {
  switch (e) {
    case ChildEnd::exited: return "exited";
    case ChildEnd::crashed: return "crashed";
    case ChildEnd::timed_out: return "timed-out";
    case ChildEnd::resource_exhausted: return "resource-exhausted";
  }
  return "?";
}

namespace {

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // the parent went away: nothing useful left to do
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

// Soft and hard limit alike: an unprivileged process may lower its hard
// limits but never raise them.
void set_limit(int resource, rlim_t value) {
  rlimit rl{value, value};
  ::setrlimit(resource, &rl);
}

// A process with CAP_SYS_RESOURCE (the suite often runs as root, CI always)
// may raise its hard limits again, and pager code does: Hurd's libpager sets
// RLIMIT_AS to infinity. The child gives the capability up for good: out of
// its bounding set (when it may change that) and out of its effective,
// permitted and inheritable sets, so the limits above stay.
void drop_resource_capability() {
  (void)::prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0);
  __user_cap_header_struct head{};
  head.version = _LINUX_CAPABILITY_VERSION_3;
  head.pid = 0;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (::syscall(SYS_capget, &head, data) != 0) return;
  const unsigned word = CAP_TO_INDEX(CAP_SYS_RESOURCE);
  const std::uint32_t bit = CAP_TO_MASK(CAP_SYS_RESOURCE);
  data[word].effective &= ~bit;
  data[word].permitted &= ~bit;
  data[word].inheritable &= ~bit;
  (void)::syscall(SYS_capset, &head, data);
}

// Closes every descriptor above stderr but `keep`: the pager under test has
// no business with the suite's pipes and sockets (a worker's result pipe, the
// serializability oracle's socket).
void close_inherited_descriptors(int keep) {
  auto close_from_to = [](unsigned first, unsigned last) {
    if (first > last) return;
    if (::close_range(first, last, 0) == 0) return;
    for (unsigned fd = first; fd <= std::min(last, 4095u); ++fd) ::close(static_cast<int>(fd));
  };
  close_from_to(3, static_cast<unsigned>(keep) - 1);
  close_from_to(static_cast<unsigned>(keep) + 1, ~0u);
}

}  // namespace

namespace {

// The child's fault handler and what it needs, set before the body runs.
detail::SharedLog* g_child_log = nullptr;
std::atomic<FaultDescriber> g_describer{nullptr};

// A SIGSEGV or SIGBUS: when the processor raised it (si_code > 0) and the
// describer knows the address, the note goes to the shared log; then the
// default action, by the flags the handler was installed with
// (SA_RESETHAND): returning re-runs the faulting access, which now ends the
// child by the signal as it always did. A fault signal sent by kill or
// raise is raised again.
void on_fault(int sig, siginfo_t* info, void*) {
  detail::SharedLog* log = g_child_log;
  const FaultDescriber describe = g_describer.load(std::memory_order_acquire);
  if (info != nullptr && info->si_code > 0 && log != nullptr && describe != nullptr) {
    std::uint32_t free_slot = 0;
    if (log->fault_state.compare_exchange_strong(free_slot, 1, std::memory_order_acq_rel)) {
      FaultNote note;
      note.address = reinterpret_cast<std::uint64_t>(info->si_addr);
      note.signal = sig;
      if (describe(note.address, note)) {
        note.rule[sizeof note.rule - 1] = 0;
        note.text[sizeof note.text - 1] = 0;
        std::memcpy(&log->fault, &note, sizeof note);
        log->fault_state.store(2, std::memory_order_release);
      } else {
        log->fault_state.store(0, std::memory_order_release);
      }
    }
  }
  if (info == nullptr || info->si_code <= 0) ::raise(sig);
}

}  // namespace

void set_fault_describer(FaultDescriber describer) noexcept {
  g_describer.store(describer, std::memory_order_release);
}

void die_with_parent(pid_t parent) noexcept {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kExitParentGone);
}

namespace {

[[noreturn]] void child_main(int keep_fd, RecordWriter& out,
                             const std::function<int(RecordWriter&)>& body, const Limits& limits) {
  // A process group of its own, so the parent can kill every thread and any
  // process the pager forked in one call.
  ::setpgid(0, 0);
  close_inherited_descriptors(keep_fd);
  {
    // SIGXCPU at the soft limit; the hard limit (SIGKILL) one second later.
    rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};
    ::setrlimit(RLIMIT_CPU, &cpu);
  }
  if (kAddressSpaceLimitEnforced) set_limit(RLIMIT_AS, limits.address_space);
  set_limit(RLIMIT_FSIZE, limits.file_size);
  set_limit(RLIMIT_NOFILE, limits.open_files);
  set_limit(RLIMIT_CORE, 0);
  drop_resource_capability();
  ::signal(SIGPIPE, SIG_IGN);
  // A sanitizer runtime (ASan, TSan) installs its own handlers for the fault
  // signals, prints a report and exit()s with its own code: the parent would
  // see "exit 1" instead of the signal that ended the pager, and judge a
  // crash as a case that ended early. The pager under test is untrusted and
  // its crash is a verdict, so the child takes the default action.
  for (int sig : {SIGFPE, SIGILL}) ::signal(sig, SIG_DFL);
  // SIGSEGV and SIGBUS take the default action too, after the handler has
  // noted what lay at the faulting address (on_fault).
  for (int sig : {SIGSEGV, SIGBUS}) {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
  int code = 0;
  try {
    code = body(out);
  } catch (const std::bad_alloc&) {
    code = kExitOutOfMemory;
  } catch (...) {
    code = 125;
  }
  // _exit: pager threads may still run or be deadlocked; no destructors, no
  // atexit handlers of a library we do not trust.
  ::_exit(code);
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

void RecordWriter::write(std::string_view record) {
  std::uint32_t n = static_cast<std::uint32_t>(record.size());
  char header[4];
  std::memcpy(header, &n, 4);
  std::lock_guard g(mu_);
  if (log_ == nullptr) {
    write_all(fd_, header, 4);
    write_all(fd_, record.data(), record.size());
    return;
  }
  const std::uint64_t at = log_->committed.load(std::memory_order_relaxed);
  if (at + 4 + n > capacity_) {
    // A flood: the parent reports it; the records so far stay readable.
    log_->flooded.store(1, std::memory_order_release);
    ::_exit(kExitOutputFlood);
  }
  std::memcpy(detail::records_of(log_) + at, header, 4);
  std::memcpy(detail::records_of(log_) + at + 4, record.data(), n);
  log_->committed.store(at + 4 + n, std::memory_order_release);
}

namespace {

// One shared log per process, reused by every child it forks one after the
// other (its pages stay mapped, so a case does not fault them in again). A
// worker process forked from a parent that already had one makes its own.
detail::SharedLog* shared_log(std::uint64_t capacity) {
  static pid_t owner = 0;
  static void* base = nullptr;
  static std::size_t mapped = 0;
  const std::size_t want = detail::kRecordsAt + capacity;
  if (base != nullptr && (owner != ::getpid() || mapped != want)) {
    ::munmap(base, mapped);
    base = nullptr;
  }
  if (base == nullptr) {
    base = ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    if (base == MAP_FAILED) {
      base = nullptr;
      throw std::system_error(errno, std::generic_category(), "mmap of the record log");
    }
    owner = ::getpid();
    mapped = want;
  }
  auto* log = static_cast<detail::SharedLog*>(base);
  log->committed.store(0, std::memory_order_relaxed);
  log->flooded.store(0, std::memory_order_relaxed);
  log->fault_state.store(0, std::memory_order_relaxed);
  return log;
}

}  // namespace

ChildOutcome run_isolated(const std::function<int(RecordWriter&)>& body, const Limits& limits) {
  detail::SharedLog* log = shared_log(limits.max_output);
  // The pipe carries nothing: the child holds its write end, so the read end
  // reports end-of-file when the child (every thread of it) is gone.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  const auto start = std::chrono::steady_clock::now();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    die_with_parent(parent);
    ::close(fds[0]);
    g_child_log = log;
    RecordWriter out(log, limits.max_output);
    child_main(fds[1], out, body, limits);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with the child's own call
  ::close(fds[1]);

  ChildOutcome out;
  bool killed_for_time = false;
  const auto deadline = start + limits.wall;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      killed_for_time = true;
      break;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // timeout: the loop head decides
    char c;
    ssize_t n = ::read(fds[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // end of file: the child is gone (or broke its pipe)
  }
  if (killed_for_time) ::kill(-pid, SIGKILL);
  ::close(fds[0]);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the child left behind in its group (threads die with it; forked
  // helpers would not).
  ::kill(-pid, SIGKILL);
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);

  // Every record the child published, in order. The count comes from the
  // child, which the suite does not trust to have stayed sane: it is clamped
  // to the log, and a frame running past it ends the reading.
  const std::uint64_t committed =
      std::min<std::uint64_t>(log->committed.load(std::memory_order_acquire), limits.max_output);
  const bool killed_for_flood = log->flooded.load(std::memory_order_acquire) != 0;
  for (std::uint64_t pos = 0; committed - pos >= 4;) {
    std::uint32_t len;
    std::memcpy(&len, detail::records_of(log) + pos, 4);
    if (committed - pos - 4 < len) break;
    out.records.emplace_back(detail::records_of(log) + pos + 4, len);
    pos += 4 + len;
  }

  if (killed_for_time) {
    out.end = ChildEnd::timed_out;
    out.detail = "wall-clock limit " + std::to_string(limits.wall.count()) + " ms";
  } else if (killed_for_flood) {
    out.end = ChildEnd::resource_exhausted;
    out.detail = "output flood: more than " + std::to_string(limits.max_output) + " bytes";
  } else if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    if (out.signal == SIGXCPU || out.signal == SIGXFSZ) {
      out.end = ChildEnd::resource_exhausted;
      out.detail = signal_name(out.signal) +
                   (out.signal == SIGXCPU ? ": CPU limit" : ": file size limit");
    } else {
      out.end = ChildEnd::crashed;
      out.detail = signal_name(out.signal);
      if ((out.signal == SIGSEGV || out.signal == SIGBUS) &&
          log->fault_state.load(std::memory_order_acquire) == 2) {
        FaultNote note;
        std::memcpy(&note, &log->fault, sizeof note);
        note.rule[sizeof note.rule - 1] = 0;
        note.text[sizeof note.text - 1] = 0;
        out.fault = note;
      }
    }
  } else if (WIFEXITED(status)) {
    out.exit_code = WEXITSTATUS(status);
    if (out.exit_code == kExitOutOfMemory) {
      out.end = ChildEnd::resource_exhausted;
      out.detail = "memory limit (" + std::to_string(limits.address_space >> 20) + " MiB)";
    } else {
      out.end = ChildEnd::exited;
      out.detail = "exit " + std::to_string(out.exit_code);
    }
  }
  return out;
}

}  // namespace emmi::engine
