// SPDX-License-Identifier: MIT
// The one encoding of what crosses a process boundary in the engine: the
// records a case's child streams to the parent (verdicts, trace steps,
// coverage, ...), and the unit results a search worker sends back to the
// main process. Every record starts with a version byte and a tag; fields are
// varints, length-prefixed bytes and fixed 8-byte doubles, so any string
// (tabs, newlines, NULs) crosses unchanged.
//
// Decoding never throws and never reads past its input: a record that is
// truncated, of another version, or whose fields are out of range comes back
// as an error saying what is wrong. (The caller decides what that means: an
// unresolved verdict for a case record, see case_runner.cpp.)
//
// The same codec carries the questions and answers between a forking process
// and its serializability oracle (oracle.h): a history, and Z3's answer.
#pragma once

#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "emmi/engine/case_runner.h"
#include "emmi/engine/engine.h"
#include "emmi/engine/replay_token.h"
#include "emmi/properties/serializability.h"

namespace emmi::engine {

// SQ7's history of a concurrent case and its decision
// (properties/serializability), as the engine's processes pass them on.
using properties::check_seqno_serializable;
using properties::check_seqno_serializable_z3;
using properties::Crossing;
using properties::describe_resource;
using properties::Effect;
using properties::extract_history;
using properties::History;
using properties::HistoryMessage;
using properties::resource_of_block;
using properties::resource_of_port;
using properties::SerializabilityResult;

// --- Child -> parent: one record per fact of the case ----------------------------

namespace record {

// 2: verdicts and findings carry portability; 3: Done and outcomes carry the
// COPY_CALL objects; 4: a HistoryCheck carries the history as fields of its
// own, and the serializability oracle's questions and answers are records.
inline constexpr std::uint8_t kVersion = 5;

struct CommandBegun {  // the command thread starts command `index`
  std::uint64_t index = 0;
  friend bool operator==(const CommandBegun&, const CommandBegun&) = default;
};
struct CommandCompleted {  // ... and the pager was quiescent after it
  std::uint64_t index = 0;
  friend bool operator==(const CommandCompleted&, const CommandCompleted&) = default;
};
struct Exercised {  // the model checked `rule` `times` times
  std::string rule;
  std::uint64_t times = 0;
  // ... or: `times` times the check was due and could not be made
  // (model::Judgement::unjudged).
  bool unjudged = false;
  friend bool operator==(const Exercised&, const Exercised&) = default;
};
struct HistoryCheck {  // the explicit SQ7 search's answer, for the parent's Z3 cross-check
  bool serializable = false;
  std::uint64_t event_index = 0;
  History history;
  friend bool operator==(const HistoryCheck&, const HistoryCheck&) = default;
};
struct Schedule {  // how the pager's threads were scheduled
  bool uncontrolled = false;
  std::uint64_t scheduling_points = 0;
  std::uint64_t preemptions = 0;
  std::uint64_t digest = 0;
  std::string uncontrolled_reason;
  std::uint64_t choice_points = 0;
  std::string foreign_threads;  // CaseOutcome::foreign_threads
  friend bool operator==(const Schedule&, const Schedule&) = default;
};
// The schedule fields of a case outcome, and back.
Schedule schedule_of(const CaseOutcome& o);
void set_schedule(CaseOutcome& o, const Schedule& s);

struct SetupFailed {  // the case could not start
  std::string why;
  friend bool operator==(const SetupFailed&, const SetupFailed&) = default;
};
struct Done {  // the child wrote everything it had
  // Objects the pager made ready with MEMORY_OBJECT_COPY_CALL (by the end of
  // the commands): the engine's probe case reads it (World::copy_call).
  std::uint64_t copy_call_objects = 0;
  friend bool operator==(const Done&, const Done&) = default;
};

// The serializability oracle's answer to one history (oracle.h).
struct OracleAnswer {
  std::optional<bool> serializable;  // Z3's answer; nullopt when it answered unknown
  std::string refused;               // the helper could not decode the question: why
  friend bool operator==(const OracleAnswer&, const OracleAnswer&) = default;
};

}  // namespace record

using CaseRecord =
    std::variant<CaseVerdict, TraceStep, record::Exercised, record::HistoryCheck, record::Schedule,
                 record::CommandBegun, record::CommandCompleted, record::SetupFailed, record::Done>;

// --- Worker -> main process: the results of search units --------------------------

// A failing rule a unit found, with its shrunk case.
struct FoundFailure {
  Finding finding;
  CaseSpec spec;
  CaseOutcome outcome;
  std::string reproduce;
  std::uint64_t seed = 0;
  std::uint64_t detected_after_cases = 0;  // cases run in the unit until the first failing one
  double detected_after_s = 0;             // and the time that took

  // Bit-exact: a decoded record is the one encoded, NaNs included.
  friend bool operator==(const FoundFailure& a, const FoundFailure& b) {
    return a.finding == b.finding && a.spec == b.spec && a.outcome == b.outcome &&
           a.reproduce == b.reproduce && a.seed == b.seed &&
           a.detected_after_cases == b.detected_after_cases &&
           std::bit_cast<std::uint64_t>(a.detected_after_s) ==
               std::bit_cast<std::uint64_t>(b.detected_after_s);
  }
};

struct UnitResult {
  std::uint64_t cases = 0;
  std::uint64_t commands = 0;
  std::map<std::string, std::uint64_t> exercised;
  std::map<std::string, std::uint64_t> unjudged;  // CaseOutcome::unjudged, summed
  std::vector<FoundFailure> failures;

  friend bool operator==(const UnitResult&, const UnitResult&) = default;
};

// --- The codec ------------------------------------------------------------------------------

template <typename T>
struct Decoded {
  std::optional<T> value;
  std::string error;  // what is wrong, when !value
  explicit operator bool() const { return value.has_value(); }
};

std::string encode_record(const CaseRecord& r);
Decoded<CaseRecord> decode_record(std::string_view bytes) noexcept;

std::string encode_units(const std::vector<UnitResult>& units);
Decoded<std::vector<UnitResult>> decode_units(std::string_view bytes) noexcept;

// --- The serializability oracle's socket (oracle.cpp) -------------------------------
// A question is a history, an answer a record::OracleAnswer.
std::string encode_history(const History& h);
Decoded<History> decode_history(std::string_view bytes) noexcept;

std::string encode_answer(const record::OracleAnswer& a);
Decoded<record::OracleAnswer> decode_answer(std::string_view bytes) noexcept;

// What the child reports keeps the one-line form it always had: tabs and
// line breaks become spaces (reports show each text as one line).
std::string one_line(std::string_view s);

// `bytes` shown for a message: printable ASCII kept, the rest as \xNN, at
// most `limit` bytes of input.
std::string printable(std::string_view bytes, std::size_t limit = 48);

}  // namespace emmi::engine
