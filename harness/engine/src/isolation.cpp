// Fork-per-case isolation; see isolation.h.
#include "emmi/engine/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <system_error>

namespace emmi::engine {

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

void set_limit(int resource, rlim_t value) {
  rlimit rl{value, value};
  ::setrlimit(resource, &rl);
}

[[noreturn]] void child_main(int fd, const std::function<int(RecordWriter&)>& body,
                             const Limits& limits) {
  // A process group of its own, so the parent can kill every thread and any
  // process the pager forked in one call.
  ::setpgid(0, 0);
  {
    // SIGXCPU at the soft limit; the hard limit (SIGKILL) one second later.
    rlimit cpu{limits.cpu_seconds, limits.cpu_seconds + 1};
    ::setrlimit(RLIMIT_CPU, &cpu);
  }
  if (kAddressSpaceLimitEnforced) set_limit(RLIMIT_AS, limits.address_space);
  set_limit(RLIMIT_FSIZE, limits.file_size);
  set_limit(RLIMIT_NOFILE, limits.open_files);
  set_limit(RLIMIT_CORE, 0);
  ::signal(SIGPIPE, SIG_IGN);
  // A sanitizer runtime (ASan, TSan) installs its own handlers for the fault
  // signals, prints a report and exit()s with its own code: the parent would
  // see "exit 1" instead of the signal that ended the pager, and judge a
  // crash as a case that ended early. The pager under test is untrusted and
  // its crash is a verdict, so the child takes the default action.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) ::signal(sig, SIG_DFL);
  int code = 0;
  try {
    RecordWriter out(fd);
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
  write_all(fd_, header, 4);
  write_all(fd_, record.data(), record.size());
}

ChildOutcome run_isolated(const std::function<int(RecordWriter&)>& body,
                          const Limits& limits) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe");
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], body, limits);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with the child's own call
  ::close(fds[1]);

  ChildOutcome out;
  std::string buffer;
  std::uint64_t total = 0;
  bool killed_for_time = false, killed_for_flood = false, eof = false;
  const auto deadline = start + limits.wall;
  char chunk[65536];
  while (!eof) {
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
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) {
      eof = true;
      break;
    }
    total += static_cast<std::uint64_t>(n);
    if (total > limits.max_output) {
      killed_for_flood = true;
      break;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t pos = 0;
    while (buffer.size() - pos >= 4) {
      std::uint32_t len;
      std::memcpy(&len, buffer.data() + pos, 4);
      if (buffer.size() - pos - 4 < len) break;
      out.records.emplace_back(buffer, pos + 4, len);
      pos += 4 + len;
    }
    buffer.erase(0, pos);
  }
  if (killed_for_time || killed_for_flood) ::kill(-pid, SIGKILL);
  ::close(fds[0]);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Whatever the child left behind in its group (threads die with it; forked
  // helpers would not).
  ::kill(-pid, SIGKILL);
  out.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);

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
      out.detail = signal_name(out.signal) + (out.signal == SIGXCPU ? ": CPU limit" : ": file size limit");
    } else {
      out.end = ChildEnd::crashed;
      out.detail = signal_name(out.signal);
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
