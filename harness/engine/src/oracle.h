// SPDX-License-Identifier: MIT
// The Z3 side of the serializability cross-check, in a helper process.
//
// A Z3 context costs about 16 MiB that Z3 fills when it is made, and a fresh
// one costs far more than solving a history of a few dozen messages. Made in
// each case's child it would dominate the case; kept in the process that forks
// the cases it would make every fork copy it. So one helper process per
// forking process keeps one context and answers the questions one by one over
// a socket. Questions and answers cross it in the engine's record codec
// (case_record.h), framed as the child's records are (a 4-byte length).
#pragma once

#include <sys/types.h>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "case_record.h"
#include "emmi/properties/serializability.h"

namespace emmi::engine {

class SerializabilityOracle {
 public:
  // What the helper does with one encoded question: decode the history, ask
  // Z3, encode the answer. Tests give a helper that answers otherwise.
  using Answerer = std::function<std::string(std::string_view question)>;

  SerializabilityOracle() = default;
  explicit SerializabilityOracle(Answerer answerer) : answerer_(std::move(answerer)) {}
  SerializabilityOracle(const SerializabilityOracle&) = delete;
  SerializabilityOracle& operator=(const SerializabilityOracle&) = delete;
  ~SerializabilityOracle();

  // Z3's answer: serializable true when the history is explainable by seqno
  // order, false when not, nullopt when Z3 answered unknown or the helper is
  // unusable (a cross-check that cannot be made is skipped, never a
  // verdict). An answer that does not decode comes back as the codec's error
  // (never an exception): the caller makes it an unresolved verdict. Starts
  // the helper on first use.
  Decoded<record::OracleAnswer> check(const History& h);

  // The helper's side: Z3's answer to one encoded question.
  static std::string answer(std::string_view question);

  // The oracle of the calling process. A process forked from one that had
  // an oracle gets its own helper (the inherited socket is the parent's).
  static SerializabilityOracle& of_this_process();

  // The helper's process id, -1 before the first question (for tests).
  pid_t helper_pid() const { return pid_; }

 private:
  bool start();
  void stop();

  pid_t pid_ = -1;
  int fd_ = -1;  // a socket: framed encoded histories in, framed encoded answers out
  Answerer answerer_ = &SerializabilityOracle::answer;
};

}  // namespace emmi::engine
