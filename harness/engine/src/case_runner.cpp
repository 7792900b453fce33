// SPDX-License-Identifier: MIT
// One test case in a forked child, seen from the parent; see case_runner.h.
// The child's side is child_main.cpp.
#include "emmi/engine/case_runner.h"

#include <map>
#include <string>

#include <fmt/format.h>

#include "case_outcome.h"
#include "case_record.h"
#include "child_main.h"
#include "emmi/model/rules.h"
#include "emmi/properties/serializability.h"
#include "oracle.h"

namespace emmi::engine {

void cross_check_with_z3(CaseOutcome& o, bool explicit_answer, std::uint64_t index,
                         const Decoded<record::OracleAnswer>& z3) {
  if (!z3) {
    o.verdicts.push_back(
        {std::string(model::rule::SQ7), model::Party::suite,
         fmt::format("serializability: the Z3 helper's answer could not be decoded ({})", z3.error),
         index, false});
    return;
  }
  const record::OracleAnswer& a = *z3.value;
  if (!a.refused.empty()) {
    o.verdicts.push_back(
        {std::string(model::rule::SQ7), model::Party::suite,
         fmt::format("serializability: the Z3 helper could not decode the history ({})", a.refused),
         index, false});
    return;
  }
  if (a.serializable.has_value() && *a.serializable != explicit_answer)
    o.verdicts.push_back({std::string(model::rule::SQ7), model::Party::suite,
                          fmt::format("serializability: explicit search says {}, Z3 says {}",
                                      explicit_answer, *a.serializable),
                          index, false});
}

std::string liveness_rule_for(std::string_view label) {
  auto has = [&](std::string_view s) { return label.find(s) != std::string_view::npos; };
  if (has("data_unlock")) return std::string(model::rule::UL2);
  if (has("data_request")) return std::string(model::rule::DR3);
  if (has("memory_object_init")) return std::string(model::rule::RD1);
  if (has("terminate")) return std::string(model::rule::TM6);
  // A completion the pager never finished taking: the action waiting for
  // it can never know the kernel did the change (CA3) or the request (LK8).
  if (has("change_completed")) return std::string(model::rule::CA3);
  if (has("lock_completed")) return std::string(model::rule::LK8);
  if (has("data_return")) return std::string(model::rule::RT4);
  return std::string(model::rule::IN2);
}

CaseOutcome outcome_of(const ChildOutcome& child) {
  CaseOutcome o;
  o.end = child.end;
  o.detail = child.detail;
  o.elapsed = child.elapsed;
  std::map<std::string, std::string> in_flight;  // lane -> label
  bool done = false;
  for (std::size_t i = 0; i < child.records.size(); ++i) {
    const std::string& bytes = child.records[i];
    auto decoded = decode_record(bytes);
    if (!decoded) {
      // The suite cannot tell what the child meant: the case is unresolved,
      // never a verdict on the pager.
      o.verdicts.push_back({std::string(model::rule::IN2), model::Party::suite,
                            fmt::format("record {} of {} from the case's child could not be "
                                        "decoded ({}): \"{}\"",
                                        i, child.records.size(), decoded.error, printable(bytes)),
                            o.events, false});
      continue;
    }
    std::visit(
        [&](auto& r) {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, CaseVerdict>) {
            o.verdicts.push_back(std::move(r));
          } else if constexpr (std::is_same_v<R, TraceStep>) {
            if (r.seqno) in_flight[r.to] = fmt::format("{} seqno {}", r.label, *r.seqno);
            if (r.label.rfind("return", 0) == 0) in_flight.erase(r.from);
            o.trace.push_back(std::move(r));
            ++o.events;
          } else if constexpr (std::is_same_v<R, record::Exercised>) {
            (r.unjudged ? o.unjudged : o.exercised)[r.rule] += r.times;
          } else if constexpr (std::is_same_v<R, record::HistoryCheck>) {
            cross_check_with_z3(o, r.serializable, r.event_index,
                                SerializabilityOracle::of_this_process().check(r.history));
          } else if constexpr (std::is_same_v<R, record::Schedule>) {
            record::set_schedule(o, r);
          } else if constexpr (std::is_same_v<R, record::CommandCompleted>) {
            o.commands_done = r.index + 1;
          } else if constexpr (std::is_same_v<R, record::SetupFailed>) {
            o.setup_error = r.why.empty() ? "setup failed" : r.why;
          } else if constexpr (std::is_same_v<R, record::Done>) {
            o.copy_call_objects = r.copy_call_objects;
            done = true;
          }
        },
        *decoded.value);
  }
  if (!in_flight.empty()) o.in_flight = in_flight.begin()->second;
  if (child.end == ChildEnd::crashed && child.fault) {
    // The child's fault handler knew the address (isolation.h): a touch of
    // pages a message of the pager's took out of its space
    // (emmi/mach/withdrawn.h). With a rule, the crash is that rule's
    // failure; without one, the crash stays a crash and says where.
    // The note words offsets, not addresses (which vary from run to run).
    const FaultNote& f = *child.fault;
    std::string text = fmt::format("the pager touched {} ({}{})", f.text, child.detail,
                                   o.in_flight.empty() ? "" : " while handling " + o.in_flight);
    if (f.rule[0] != 0) {
      o.crash_rule = f.rule;
      o.verdicts.push_back({o.crash_rule, model::Party::pager, std::move(text), o.events, false});
    } else {
      o.detail += "; " + text;
    }
  }
  if (child.end == ChildEnd::exited && !done && o.setup_error.empty())
    o.setup_error = fmt::format("the case ended early ({})", child.detail);
  return o;
}

CaseOutcome run_case(const PagerLibrary& pager, const Profile& profile, const CaseSpec& spec,
                     const CaseOptions& options) {
  Limits limits;
  limits.wall = profile.case_wall;
  return outcome_of(run_isolated(
      [&](RecordWriter& out) { return child_main(out, pager, profile, spec, options); }, limits));
}

}  // namespace emmi::engine
