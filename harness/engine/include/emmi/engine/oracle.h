// SPDX-License-Identifier: MIT
// The Z3 side of the serializability cross-check, in a helper process.
//
// A Z3 context costs about 16 MiB that Z3 fills when it is made, and a fresh
// one costs far more than solving a history of a few dozen messages. Made in
// each case's child it would dominate the case; kept in the process that forks
// the cases it would make every fork copy it. So one helper process per
// forking process keeps one context and answers the questions one by one over
// a socket.
#pragma once

#include <optional>
#include <sys/types.h>

#include "emmi/engine/serializability.h"

namespace emmi::engine {

class SerializabilityOracle {
 public:
  SerializabilityOracle() = default;
  SerializabilityOracle(const SerializabilityOracle&) = delete;
  SerializabilityOracle& operator=(const SerializabilityOracle&) = delete;
  ~SerializabilityOracle();

  // Z3's answer: true when the history is explainable by seqno order, false
  // when not, nullopt when Z3 answered unknown or the helper is unusable (a
  // cross-check that cannot be made is skipped, never a verdict). Starts the
  // helper on first use.
  std::optional<bool> check(const History& h);

  // The oracle of the calling process. A process forked from one that had
  // an oracle gets its own helper (the inherited socket is the parent's).
  static SerializabilityOracle& of_this_process();

  // The helper's process id, -1 before the first question (for tests).
  pid_t helper_pid() const { return pid_; }

 private:
  bool start();
  void stop();

  pid_t pid_ = -1;
  int fd_ = -1;  // a socket: one encoded history per line in, "1", "0" or "?" out
};

}  // namespace emmi::engine
