// SPDX-License-Identifier: MIT
// The serializability oracle's helper process; see oracle.h.
#include "oracle.h"
#include "emmi/engine/isolation.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace emmi::engine {

namespace {

// Frames as RecordWriter writes them (isolation.h): a 4-byte length in host
// order, then the record.
bool write_frame(int fd, std::string_view record) {
  const auto n32 = static_cast<std::uint32_t>(record.size());
  std::string frame(4, '\0');
  std::memcpy(frame.data(), &n32, 4);
  frame.append(record);
  const char* p = frame.data();
  std::size_t n = frame.size();
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

// A frame longer than this is no question or answer of ours: the other side
// is broken.
constexpr std::uint32_t kMaxFrame = 64u << 20;

// Reads one frame's record from fd, through `buffer`.
bool read_frame(int fd, std::string& buffer, std::string& record) {
  for (;;) {
    if (buffer.size() >= 4) {
      std::uint32_t n;
      std::memcpy(&n, buffer.data(), 4);
      if (n > kMaxFrame) return false;
      if (buffer.size() - 4 >= n) {
        record.assign(buffer, 4, n);
        buffer.erase(0, 4 + std::size_t{n});
        return true;
      }
    }
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void serve(int fd, const SerializabilityOracle::Answerer& answerer) {
  std::string buffer, question;
  while (read_frame(fd, buffer, question))
    if (!write_frame(fd, answerer(question))) break;
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
    serve(sv[1], answerer_);
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

std::string SerializabilityOracle::answer(std::string_view question) {
  record::OracleAnswer a;
  if (auto h = decode_history(question))
    a.serializable = check_seqno_serializable_z3(*h.value);
  else
    a.refused = h.error;
  return encode_answer(a);
}

Decoded<record::OracleAnswer> SerializabilityOracle::check(const History& h) {
  Decoded<record::OracleAnswer> unanswered{record::OracleAnswer{}, {}};
  if (pid_ <= 0 && !start()) return unanswered;
  std::string buffer, reply;
  if (!write_frame(fd_, encode_history(h)) || !read_frame(fd_, buffer, reply)) {
    // The helper is gone: the next question starts a new one.
    ::kill(pid_, SIGKILL);
    stop();
    return unanswered;
  }
  return decode_answer(reply);
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
