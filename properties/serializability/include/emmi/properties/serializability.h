// SPDX-License-Identifier: MIT
// Seqno-serializability of a concurrent pager history (SQ7). With several
// pager threads the effects of different messages interleave; the history is
// correct only if it is explainable by processing each memory object's
// messages in seqno order. Effects conflict when they touch the same resource
// (a control or name port, or a 4 KiB block of an object), unless both only
// add or drop user references of a port name. The decision: the
// precedence graph (seqno order per port, plus the observed order of
// conflicting effects) must be acyclic. An explicit search decides it; the
// same question posed to Z3 cross-checks it on small histories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emmi/model/event.h"

namespace emmi::properties {

struct HistoryMessage {
  model::PortName port;  // receive right it was dequeued from
  model::Seqno seqno;
  model::MessageKind kind;
  std::size_t event_index;  // index of its Dequeued event in the trace
  friend bool operator==(const HistoryMessage&, const HistoryMessage&) = default;
};

struct Effect {
  std::size_t message;      // index into History::messages
  std::uint64_t resource;   // see resource_of_port / resource_of_block
  std::size_t event_index;  // index of the effect's event in the trace
  // Shared effects commute with one another (user-reference arithmetic on a
  // name, model::is_uref_arithmetic); a shared and an exclusive effect on
  // one resource conflict, as do two exclusive ones.
  bool shared = false;
  friend bool operator==(const Effect&, const Effect&) = default;
};

struct History {
  std::vector<HistoryMessage> messages;
  std::vector<Effect> effects;  // in observed order
  friend bool operator==(const History&, const History&) = default;
};

std::uint64_t resource_of_port(model::PortName name);
std::uint64_t resource_of_block(model::ObjectId object, model::Offset block_offset);
std::string describe_resource(std::uint64_t resource);

// Builds the history from a recorded trace: each pager effect (control call,
// port operation, release of out-of-line memory) is charged to the message it
// answers, whichever thread made it, by the rules of model/SEMANTICS.md
// ("Attribution"): the thread's own message is the other candidate, and an
// effect two different messages could own is charged to neither.
History extract_history(const std::vector<model::Event>& trace);

// Two messages whose effects crossed: `later` (higher seqno, or otherwise
// ordered after) touched `resource` before `earlier` did.
struct Crossing {
  std::size_t earlier;  // message indices
  std::size_t later;
  std::uint64_t resource;
  std::size_t later_effect_event;
  std::size_t earlier_effect_event;
};

struct SerializabilityResult {
  bool serializable = true;
  std::optional<Crossing> witness;  // set when not serializable
  std::string explanation;          // one line naming both messages
};

// A history crosses between processes in the harness's one record codec
// (harness/engine/src/case_record.h: a HistoryCheck record, the oracle's
// question).

// Explicit decision (cycle search in the precedence graph).
SerializabilityResult check_seqno_serializable(const History& h);

// The same question as integer-ordering constraints for Z3: one position per
// message, an ordering constraint per precedence edge; sat iff serializable.
// Returns nullopt when Z3 answered unknown within `rlimit`. Each calling
// thread keeps one Z3 context for all its checks: making a context costs
// far more than solving a history of a few dozen messages.
std::optional<bool> check_seqno_serializable_z3(const History& h, unsigned rlimit = 5'000'000);

}  // namespace emmi::properties
