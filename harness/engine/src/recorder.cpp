// SPDX-License-Identifier: MIT
// What a case's child records; see recorder.h.
#include "recorder.h"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "case_record.h"
#include "emmi/model/rules.h"
#include "emmi/properties/serializability.h"

namespace emmi::engine {

namespace {

using model::MessageKind;

std::string message_label(MessageKind k) {
  std::string_view name = model::to_string(k);
  return name.rfind("memory_object_", 0) == 0 ? std::string(name)
                                              : fmt::format("memory_object_{}", name);
}

// The rules of a request the pager left unanswered, in the order a stuck
// case is charged to them.
constexpr std::array<std::string_view, 4> kUnansweredRules{model::rule::DR3, model::rule::UL2,
                                                           model::rule::RD1, model::rule::TM6};
bool is_unanswered_rule(std::string_view rule) {
  return std::find(kUnansweredRules.begin(), kUnansweredRules.end(), rule) !=
         kUnansweredRules.end();
}

// A pager thread blocked outside a receive that no timer will wake.
bool parked_for_good(const mach::ThreadState& t) { return t.blocked && !t.in_receive && !t.timed; }

std::string lane_name(std::uint32_t lane) {
  return lane == 0 ? std::string("a new thread") : fmt::format("t{}", lane);
}

}  // namespace

void Recorder::on_event(const model::Event& observed) {
  // The kernel driver numbers objects from 1 (0 means "no object"); the
  // model numbers them 0 .. objects-1.
  model::Event e = observed;
  if (auto* offered = std::get_if<model::ObjectOffered>(&e)) offered->object -= 1;
  if (auto* sent = std::get_if<model::KernelSent>(&e)) {
    if (sent->object > 0) sent->object -= 1;
    if (sent->copy_object > 0) sent->copy_object -= 1;
  }
  std::lock_guard g(mu_);
  const std::uint64_t index = trace_.size();
  trace_.push_back(e);
  const bool attached = std::holds_alternative<model::KernelAttached>(e);
  const bool claimed = default_pager_.claims(e);
  if (attached || claimed) judged(default_pager_.judge(e), index);
  if (attached || !claimed) judged(model_.judge(e), index);
  write_trace(index, e);
}

void Recorder::judged(const model::Judgement& j, std::uint64_t index) {
  for (const model::Verdict& v : j.verdicts)
    write_verdict(v.rule, v.party, v.explanation, index, false, v.portability);
  coverage_.count(j.checked, j.unjudged);
}

std::vector<model::Verdict> Recorder::quiescent(model::Model::Quiescence which) {
  model::Judgement main = model_.judge_quiescent(which);
  model::Judgement dp = default_pager_.judge_quiescent(which);
  coverage_.count(main.checked);
  coverage_.count(dp.checked);
  for (model::Verdict& v : dp.verdicts) main.verdicts.push_back(std::move(v));
  for (model::Verdict& v : main.verdicts) v.event_index = trace_.size();
  return std::move(main.verdicts);
}

void Recorder::finish(const CaseOptions& options, std::uint64_t schedule_seed,
                      const std::vector<mach::ThreadState>& threads) {
  std::lock_guard g(mu_);
  std::string parked;
  for (const auto& t : threads)
    if (parked_for_good(t))
      parked += fmt::format("{}t{} {}", parked.empty() ? "" : "; ", t.lane, t.state);
  const auto verdicts = quiescent(model::Model::Quiescence::before_stop);
  const bool unanswered = std::any_of(verdicts.begin(), verdicts.end(),
                                      [](const model::Verdict& v) {
                                        return is_unanswered_rule(v.rule);
                                      });
  if (unanswered && !parked.empty())
    if (std::string skipped = uncounted_default_seqno(); !skipped.empty())
      write_verdict(model::rule::SQ3, model::Party::pager,
                    fmt::format("{}, and the pager stopped making progress ({})", skipped, parked),
                    trace_.size(), true);
  if (unanswered && !parked.empty())
    if (std::string jam = ticket_jam(); !jam.empty())
      write_verdict(model::rule::SQ6, model::Party::pager,
                    fmt::format("{}, and the pager stopped making progress ({})", jam, parked),
                    trace_.size(), true);
  for (const model::Verdict& v : verdicts) {
    if (is_unanswered_rule(v.rule) && !parked.empty())
      write_verdict(v.rule, v.party,
                    fmt::format("{}; the pager stopped making progress: {}", v.explanation, parked),
                    v.event_index, true);
    else
      write_verdict(v.rule, v.party, v.explanation, v.event_index, false, v.portability);
  }
  if (options.check_serializability) {
    History h = extract_history(trace_);
    auto r = check_seqno_serializable(h);
    // The model counts SQ7 as it judges ordinary objects' events; a default
    // pager's temporary objects are judged only here: count the check when
    // the history holds two messages of one temporary object's port.
    std::map<model::PortName, int> per_port;
    for (const auto& m : h.messages)
      if (default_pager_.knows_port(m.port) && ++per_port[m.port] == 2) {
        coverage_.count(std::vector<std::string_view>{model::rule::SQ7});
        break;
      }
    // The parent poses the same question to Z3 (a Z3 context in every
    // child would cost more than the case).
    const bool sampled = options.z3_sample <= 1 || schedule_seed % options.z3_sample == 0;
    if (options.z3_cross_check && h.messages.size() <= options.z3_history_limit &&
        (sampled || !r.serializable))
      out_.write(encode_record(record::HistoryCheck{r.serializable, trace_.size(), h}));
    if (!r.serializable)
      write_verdict(model::rule::SQ7, model::Party::pager, r.explanation,
                    r.witness ? r.witness->later_effect_event : trace_.size(), false);
  }
}

void Recorder::answered(const model::DefaultPagerAnswer& a) {
  std::lock_guard g(mu_);
  judged(default_pager_.judge_answer(a), trace_.size());
}

void Recorder::stopping() {
  std::lock_guard g(mu_);
  model_.pager_stopping();
}

void Recorder::action_begun(const model::PagerAction& a) {
  std::lock_guard g(mu_);
  judged(model_.begin_pager_action(a), trace_.size());
}

void Recorder::action_ended(model::KernReturn result) {
  std::lock_guard g(mu_);
  judged(model_.end_pager_action(result), trace_.size());
}

void Recorder::store_read(model::ObjectId object, model::Offset offset,
                          const std::vector<model::Stamp>& stamps, bool after_action) {
  std::lock_guard g(mu_);
  judged(model_.judge_store(object, offset, stamps, after_action), trace_.size());
}

std::optional<model::Model::StoreDue> Recorder::store_due_at_completion() {
  std::lock_guard g(mu_);
  return model_.store_due_at_completion();
}

void Recorder::store_at_completion(const std::vector<model::Stamp>* supply,
                                   const std::vector<model::Stamp>* backing,
                                   model::StoreViews waited) {
  std::lock_guard g(mu_);
  judged(model_.judge_store_at_completion(supply, backing, waited), trace_.size());
}

void Recorder::after_stop(std::string_view unfinished) {
  std::lock_guard g(mu_);
  const auto verdicts = quiescent(model::Model::Quiescence::after_stop);
  for (const model::Verdict& v : verdicts)
    write_verdict(v.rule, v.party,
                  unfinished.empty() ? v.explanation
                                     : fmt::format("{}; the pager's stop() did not finish: {}",
                                                   v.explanation, unfinished),
                  v.event_index, !unfinished.empty());
  if (!unfinished.empty() && verdicts.empty())
    write_verdict(model::rule::IN2, model::Party::suite,
                  fmt::format("the pager's stop() did not finish: {}", unfinished), trace_.size(),
                  true);
}

void Recorder::write_coverage() {
  std::lock_guard g(mu_);
  coverage_.write(out_);
}

std::string Recorder::uncounted_default_seqno() const {
  for (const auto& [thread, f] : in_flight_) {
    auto port = handled_.find(f.port);
    if (f.seqno == 0 || port == handled_.end()) continue;
    auto before = port->second.find(f.seqno - 1);
    if (before == port->second.end() || before->second.rejected) continue;
    const std::string& what = before->second.what;
    if (what.rfind("memory_object_data_initialize", 0) != 0 &&
        what.rfind("memory_object_create", 0) != 0)
      continue;
    bool still_handled = false;
    for (const auto& [t, g] : in_flight_)
      still_handled |= g.port == f.port && g.seqno == f.seqno - 1;
    if (still_handled) continue;
    return fmt::format(
        "{} still waits for its turn: seqno {} on port 0x{:x} was {}, which the pager "
        "handled but did not count",
        f.label, f.seqno - 1, f.port, what);
  }
  return {};
}

void Recorder::stuck(std::string_view why) {
  std::lock_guard g(mu_);
  if (std::string skipped = uncounted_default_seqno(); !skipped.empty()) {
    write_verdict(model::rule::SQ3, model::Party::pager, fmt::format("{}: {}", why, skipped),
                  trace_.size(), true);
    return;
  }
  for (const auto& [thread, f] : in_flight_) {
    auto port = handled_.find(f.port);
    if (f.seqno == 0 || port == handled_.end()) continue;
    auto before = port->second.find(f.seqno - 1);
    if (before == port->second.end() || !before->second.rejected) continue;
    write_verdict(model::rule::SQ6, model::Party::pager,
                  fmt::format("{} while handling {}: seqno {} on port 0x{:x} was a message the "
                              "pager rejected ({}), and the pager still waits for it to be "
                              "counted",
                              why, f.label, f.seqno - 1, f.port, before->second.what),
                  trace_.size(), true);
    return;
  }
  std::string label = in_flight_.empty() ? std::string() : in_flight_.begin()->second.label;
  if (label.empty()) {
    // Nothing was dequeued and left unanswered by the thread that took it
    // (a dispatcher hands requests on): charge the request the model
    // still waits an answer for.
    std::vector<model::Verdict> due = model_.check_quiescent();
    for (model::Verdict& v : default_pager_.judge_quiescent().verdicts) due.push_back(std::move(v));
    for (std::string_view rule : kUnansweredRules)
      for (const model::Verdict& v : due)
        if (v.rule == rule) {
          write_verdict(v.rule, model::Party::pager, fmt::format("{}; {}", why, v.explanation),
                        trace_.size(), true);
          return;
        }
  }
  write_verdict(liveness_rule_for(label), model::Party::pager,
                fmt::format("{}{}{}", why, label.empty() ? "" : " while handling ", label),
                trace_.size(), true);
}

std::string Recorder::ticket_jam() const {
  for (const auto& [port, seqnos] : handled_) {
    if (!object_ports_.count(port)) continue;
    for (const auto& [seqno, h] : seqnos)
      if (h.rejected && seqnos.count(seqno + 1))
        return fmt::format(
            "seqno {} on port 0x{:x} was a message the pager rejected ({}), "
            "and seqno {} after it was taken but never handled",
            seqno, port, h.what, seqno + 1);
  }
  return {};
}

void Recorder::unresolved(std::string_view why) {
  std::lock_guard g(mu_);
  write_verdict(model::rule::IN2, model::Party::suite, why, trace_.size(), true);
}

std::string Recorder::blocked_in_handler(const std::vector<mach::ThreadState>& threads) {
  std::lock_guard g(mu_);
  for (const auto& t : threads) {
    if (!parked_for_good(t)) continue;
    auto f = in_flight_.find(t.lane);
    if (f != in_flight_.end())
      return fmt::format("t{} {} while handling {}", t.lane, t.state, f->second.label);
  }
  return {};
}

void Recorder::write_verdict(std::string_view rule, model::Party party, std::string_view why,
                             std::uint64_t index, bool liveness, std::string_view portability) {
  out_.write(encode_record(CaseVerdict{std::string(rule), party, one_line(why), index, liveness,
                                       std::string(portability)}));
}

void Recorder::write_trace(std::uint64_t index, const model::Event& e) {
  std::string from, to, label, rights;
  std::optional<std::uint32_t> seqno;
  std::visit(
      [&](const auto& ev) {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<E, model::ObjectOffered>) {
          object_ports_[ev.port] = ev.object;
        } else if constexpr (std::is_same_v<E, model::KernelSent>) {
          queued_[ev.destination].push_back({ev.kernel, ev.kind});
        } else if constexpr (std::is_same_v<E, model::Dequeued>) {
          Queued q{0, MessageKind::other};
          if (auto it = queued_.find(ev.port); it != queued_.end() && !it->second.empty()) {
            q = it->second.front();
            it->second.pop_front();
          }
          bool notification = q.kind == MessageKind::no_senders ||
                              q.kind == MessageKind::send_once ||
                              q.kind == MessageKind::dead_name ||
                              q.kind == MessageKind::port_destroyed;
          from = notification ? "mach" : fmt::format("kernel k{}", q.kernel);
          to = fmt::format("pager t{}", ev.thread);
          label = notification ? fmt::format("mach_notify_{}", model::to_string(q.kind))
                               : message_label(q.kind);
          seqno = ev.seqno;
          for (std::size_t i = 0; i < ev.rights.size(); ++i) {
            const auto& r = ev.rights[i];
            if (q.kind == MessageKind::init || q.kind == MessageKind::terminate) {
              if (i == 0) control_kernel_[r.name] = q.kernel;
              rights += fmt::format("{}{}:{}", rights.empty() ? "" : " ",
                                    i == 0 ? "control" : "name", model::to_string(r.right));
            } else {
              rights += fmt::format("{}0x{:x}:{}", rights.empty() ? "" : " ", r.name,
                                    model::to_string(r.right));
            }
          }
          if (ev.region)
            rights += fmt::format("{}ool:{}B", rights.empty() ? "" : " ", ev.region_size);
          if (ev.too_large) {
            // Destroyed by the kernel at receive: no handler will run.
            label += " (too large for the receive buffer: destroyed)";
            handled_[ev.port][ev.seqno] = {true, label};
          } else {
            in_flight_[ev.thread] = {ev.port, ev.seqno,
                                     fmt::format("{} seqno {}", label, ev.seqno)};
            // A message no EMMI routine takes (an unknown one, or the
            // stray-message command's foreign id) is rejected by the demux
            // even if the handler return is never seen.
            const bool no_emmi_routine = q.kind == MessageKind::other ||
                                         q.kind == MessageKind::foreign;
            handled_[ev.port][ev.seqno] = {no_emmi_routine || notification, label};
          }
        } else if constexpr (std::is_same_v<E, model::HandlerReturned>) {
          from = to = fmt::format("pager t{}", ev.thread);
          label = ev.code == model::kMigNoReply
                      ? "return MIG_NO_REPLY"
                      : fmt::format("return 0x{:x}", static_cast<std::uint32_t>(ev.code));
          if (auto f = in_flight_.find(ev.thread); f != in_flight_.end()) {
            auto& h = handled_[f->second.port][f->second.seqno];
            if (ev.code != model::kKernSuccess && ev.code != model::kMigNoReply) {
              h.rejected = true;
              h.what += " returned " + label.substr(7);
            }
            in_flight_.erase(f);
          }
        } else if constexpr (std::is_same_v<E, model::ControlCalled>) {
          from = fmt::format("pager t{}", ev.thread);
          auto k = control_kernel_.find(ev.control);
          to = k != control_kernel_.end() ? fmt::format("kernel k{}", k->second) : "mach";
          label = std::string(model::to_string(ev.call));
          if (ev.size) label += fmt::format(" [0x{:x}+0x{:x}]", ev.offset, ev.size);
          rights = fmt::format("control 0x{:x}{}", ev.control, ev.accepted ? "" : " (rejected)");
        } else if constexpr (std::is_same_v<E, model::PortOperated>) {
          from = to = fmt::format("pager t{}", ev.thread);
          label = fmt::format("{} 0x{:x}", model::to_string(ev.op), ev.name);
          if (ev.result != model::kKernSuccess) label += fmt::format(" -> 0x{:x}", ev.result);
        } else if constexpr (std::is_same_v<E, model::MemoryReleased>) {
          from = to = fmt::format("pager t{}", ev.thread);
          label = "vm_deallocate (out-of-line data)";
          if (ev.result != model::kKernSuccess) label += " -> not mapped";
        }
      },
      e);
  if (label.empty()) return;
  std::string note;
  if (sched_ != nullptr) {
    const auto preemptions = sched_->preemptions();
    if (preemptions != preemptions_seen_) {
      auto sw = sched_->switches();
      if (!sw.empty())
        note = fmt::format("scheduler: preempted {} for {}", lane_name(sw.back().from),
                           lane_name(sw.back().to));
      preemptions_seen_ = preemptions;
    }
  }
  out_.write(encode_record(TraceStep{index, one_line(from), one_line(to), one_line(label), seqno,
                                     one_line(rights), one_line(note)}));
}

}  // namespace emmi::engine
