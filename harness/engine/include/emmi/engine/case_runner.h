// SPDX-License-Identifier: MIT
// Runs one test case — a kernel command sequence — against a pager in a
// forked child: the simulated kernel plays the kernels, the reference model
// judges every observed event, the engine waits for quiescence after each
// command, and the child streams the trace and the verdicts back. Whatever
// the pager does, the parent gets a CaseOutcome.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "emmi/engine/isolation.h"
#include "emmi/engine/pager_library.h"
#include "emmi/engine/profile.h"
#include "emmi/engine/replay_token.h"
#include "emmi/model/types.h"

namespace emmi::engine {

struct CaseVerdict {
  std::string rule;
  model::Party party = model::Party::pager;
  std::string explanation;
  std::uint64_t event_index = 0;
  bool liveness = false;  // the pager stopped making progress (a timeout verdict)
  // The X-note ("X6", "X18") when the act is harmless on the case's platform
  // and breaks only the manual's reading (model::Verdict::portability).
  std::string portability{};

  friend bool operator==(const CaseVerdict&, const CaseVerdict&) = default;
};

// One step of the message-sequence chart.
struct TraceStep {
  std::uint64_t index = 0;
  std::string from, to;  // lanes: "kernel k1", "pager t2"
  std::string label;
  std::optional<std::uint32_t> seqno;
  std::string rights;
  std::string note;

  friend bool operator==(const TraceStep&, const TraceStep&) = default;
};

struct CaseOutcome {
  ChildEnd end = ChildEnd::exited;
  std::string detail;                 // how the child ended
  std::vector<CaseVerdict> verdicts;  // in the order found
  std::vector<TraceStep> trace;
  std::map<std::string, std::uint64_t> exercised;  // rule -> times checked
  // rule -> times its check was due and could not be made (SY6, SY8: the
  // store could not be read at the instant of a completion)
  std::map<std::string, std::uint64_t> unjudged;
  std::size_t commands_done = 0;  // commands completed (quiescence reached after them)
  std::uint64_t events = 0;
  std::string in_flight;    // message being handled when the case ended, if any
  std::string setup_error;  // the case could not start (pager start() failed, ...)
  // A crash the child's fault handler charged to a rule (SU10: the pager
  // touched pages it had supplied with deallocate TRUE); the verdict is in
  // `verdicts`, and the crash is no anonymous one. Empty otherwise.
  std::string crash_rule;
  std::chrono::microseconds elapsed{0};
  // The schedule: whether some thread was let run free (then the case is no
  // longer replayed exactly), how many scheduling points and preemptions,
  // and a fingerprint of every decision (equal runs, equal digests).
  bool uncontrolled = false;
  std::string uncontrolled_reason;
  // Non-empty: a pager thread the scheduler never saw start took part
  // (mach::ControlledScheduling::foreign_threads), so no quiescence of the
  // case was sure, and its verdicts on the pager are unresolved.
  std::string foreign_threads;
  std::uint64_t scheduling_points = 0;
  std::uint64_t choice_points = 0;  // where another thread could have run
  std::uint64_t preemptions = 0;
  std::uint64_t schedule_digest = 0;
  // Objects the pager made ready with MEMORY_OBJECT_COPY_CALL by the end of
  // the commands (the engine's probe, World::copy_call).
  std::uint64_t copy_call_objects = 0;

  bool completed() const { return end == ChildEnd::exited && setup_error.empty(); }

  friend bool operator==(const CaseOutcome&, const CaseOutcome&) = default;
};

struct CaseOptions {
  bool check_serializability = true;  // the SQ7 history check at the end of the case
  // Also pose the question to Z3 (small histories only; see oracle.h): for
  // every history the explicit search finds not serializable, and for one
  // case in `z3_sample` otherwise (a check costs about a tenth of a case).
  bool z3_cross_check = true;
  std::size_t z3_history_limit = 64;  // messages
  std::uint64_t z3_sample = 4;
  std::string pager_options;  // emmi_pager_config::options
};

CaseOutcome run_case(const PagerLibrary& pager, const Profile& profile, const CaseSpec& spec,
                     const CaseOptions& options = {});

// The rule a crash or a hang is charged to, from the message the pager was
// handling (a data_request that never got an answer is DR3, ...).
std::string liveness_rule_for(std::string_view in_flight_label);

}  // namespace emmi::engine
