// SPDX-License-Identifier: MIT
// The serializability oracle's helper process; see oracle.h.
#include "emmi/engine/oracle.h"
#include "emmi/engine/isolation.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>

namespace emmi::engine {

namespace {

bool write_line(int fd, std::string line) {
  line += '\n';
  const char* p = line.data();
  std::size_t n = line.size();
  while (n > 0) {
    // A socket, so that a helper that died is an error here, not SIGPIPE.
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

// Reads one line (without its newline) from fd, through `buffer`.
bool read_line(int fd, std::string& buffer, std::string& line) {
  for (;;) {
    auto nl = buffer.find('\n');
    if (nl != std::string::npos) {
      line.assign(buffer, 0, nl);
      buffer.erase(0, nl + 1);
      return true;
    }
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void serve(int fd) {
  std::string buffer, line;
  while (read_line(fd, buffer, line)) {
    auto h = decode_history(line);
    std::optional<bool> answer = h ? check_seqno_serializable_z3(*h) : std::nullopt;
    if (!write_line(fd, answer ? (*answer ? "1" : "0") : "?")) break;
  }
  ::_exit(0);
}

}  // namespace

SerializabilityOracle::~SerializabilityOracle() { stop(); }

bool SerializabilityOracle::start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return false;
  }
  if (pid == 0) {
    die_with_parent(parent);
    ::close(sv[0]);
    serve(sv[1]);
  }
  ::close(sv[1]);
  pid_ = pid;
  fd_ = sv[0];
  return true;
}

void SerializabilityOracle::stop() {
  if (pid_ <= 0) return;
  ::close(fd_);  // the helper sees end of file and exits
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  fd_ = -1;
}

std::optional<bool> SerializabilityOracle::check(const History& h) {
  if (pid_ <= 0 && !start()) return std::nullopt;
  std::string buffer, line;
  if (!write_line(fd_, encode_history(h)) || !read_line(fd_, buffer, line)) {
    // The helper is gone: the next question starts a new one.
    ::kill(pid_, SIGKILL);
    stop();
    return std::nullopt;
  }
  if (line == "1") return true;
  if (line == "0") return false;
  return std::nullopt;
}

SerializabilityOracle& SerializabilityOracle::of_this_process() {
  static pid_t owner = 0;
  static std::unique_ptr<SerializabilityOracle> oracle;
  if (owner != ::getpid()) {
    // Inherited from the process that forked this one: its helper is not
    // this process's child, and its pipes are shared with that process.
    if (oracle) {
      ::close(oracle->fd_);
      oracle->pid_ = -1;
    }
    oracle = std::make_unique<SerializabilityOracle>();
    owner = ::getpid();
  }
  return *oracle;
}

}  // namespace emmi::engine
