// SPDX-License-Identifier: MIT
// One test case in a forked child; see case_runner.h.
#include "emmi/engine/case_runner.h"

#include <sched.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "command_specs.h"
#include "emmi/engine/oracle.h"
#include "emmi/engine/serializability.h"
#include "emmi/mach/kernel.h"
#include "emmi/mach/kernel_driver.h"
#include "emmi/mach/scheduler.h"
#include "emmi/model/default_pager.h"
#include "emmi/model/model.h"
#include "emmi/model/rules.h"
#include "emmi/pager_abi.h"

namespace emmi::engine {

namespace {

using model::MessageKind;

// --- Record encoding -------------------------------------------------------------
// One record per line-like unit: a type letter, then tab-separated fields.
// Fields never contain tabs or newlines (they are replaced by spaces).

std::string field(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return out;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    auto tab = s.find('\t', start);
    out.push_back(s.substr(start, tab == std::string_view::npos ? s.npos : tab - start));
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  return out;
}

std::string_view party_code(model::Party p) {
  switch (p) {
    case model::Party::pager: return "pager";
    case model::Party::kernel: return "kernel";
    case model::Party::suite: return "suite";
  }
  return "suite";
}

model::Party party_from(std::string_view s) {
  if (s == "pager") return model::Party::pager;
  if (s == "kernel") return model::Party::kernel;
  return model::Party::suite;
}

std::string message_label(MessageKind k) {
  std::string_view name = model::to_string(k);
  return name.rfind("memory_object_", 0) == 0 ? std::string(name)
                                              : fmt::format("memory_object_{}", name);
}

// The coverage column of the report: every rule the model says it checked
// on an event (or at quiescence), counted once per event. The model owns
// this knowledge (model::Judgement); the engine keeps no list of its own.
void count_exercised(const std::vector<std::string_view>& checked,
                     std::map<std::string, std::uint64_t>& out) {
  for (std::string_view rule : checked) ++out[std::string(rule)];
}

// --- Observation in the child -------------------------------------------------------

struct Queued {
  model::KernelId kernel;
  MessageKind kind;
};

// The rules of a request the pager left unanswered, in the order a stuck
// case is charged to them.
constexpr std::array<std::string_view, 3> kUnansweredRules{model::rule::DR3, model::rule::RD1,
                                                           model::rule::TM6};
bool is_unanswered_rule(std::string_view rule) {
  return std::find(kUnansweredRules.begin(), kUnansweredRules.end(), rule) != kUnansweredRules.end();
}

// A pager thread blocked outside a receive that no timer will wake.
bool parked_for_good(const mach::ThreadState& t) { return t.blocked && !t.in_receive && !t.timed; }

// Every event goes to the reference model (Model), except those of the
// default-pager side, which DefaultPagerModel claims (temporary objects'
// ports and memory, the create message): those go to it alone, and
// KernelAttached goes to both. Both count their checked rules in coverage.
class Recorder final : public mach::Observer {
 public:
  Recorder(RecordWriter& out, model::WorldConfig config, std::size_t kernels)
      : out_(out), model_(config), default_pager_(config.objects), kernels_(kernels) {}

  void on_event(const model::Event& observed) override {
    // The kernel driver numbers objects from 1 (0 means "no object"); the
    // model numbers them 0 .. objects-1.
    model::Event e = observed;
    if (auto* offered = std::get_if<model::ObjectOffered>(&e)) offered->object -= 1;
    if (auto* sent = std::get_if<model::KernelSent>(&e); sent && sent->object > 0) sent->object -= 1;
    std::lock_guard g(mu_);
    const std::uint64_t index = trace_.size();
    trace_.push_back(e);
    const bool attached = std::holds_alternative<model::KernelAttached>(e);
    const bool claimed = default_pager_.claims(e);
    if (attached || claimed) judged(default_pager_.judge(e), index);
    if (attached || !claimed) judged(model_.judge(e), index);
    write_trace(index, e);
  }

  // Verdicts due at the end of the case (or when the pager stopped making progress).
  //
  // A request left unanswered while some pager thread is parked for good
  // outside a receive (no timer will wake it) is a pager that stopped
  // making progress (timeout), not one that chose not to answer (fail); and
  // if an object port's message after one the pager rejected was taken
  // and never got anywhere, that is the seqno-ticket jam of SQ6.
  void finish(const CaseOptions& options, std::uint64_t schedule_seed,
              const std::vector<mach::ThreadState>& threads) {
    std::lock_guard g(mu_);
    std::string parked;
    for (const auto& t : threads)
      if (parked_for_good(t))
        parked += fmt::format("{}t{} {}", parked.empty() ? "" : "; ", t.lane, t.state);
    const auto verdicts = quiescent(model::Model::Quiescence::before_stop);
    const bool unanswered =
        std::any_of(verdicts.begin(), verdicts.end(), [](const model::Verdict& v) { return is_unanswered_rule(v.rule); });
    if (unanswered && !parked.empty())
      if (std::string jam = ticket_jam(); !jam.empty())
        write_verdict("SQ6", model::Party::pager,
                      fmt::format("{}, and the pager stopped making progress ({})", jam, parked),
                      trace_.size(), true);
    for (const model::Verdict& v : verdicts) {
      if (is_unanswered_rule(v.rule) && !parked.empty())
        write_verdict(v.rule, v.party,
                      fmt::format("{}; the pager stopped making progress: {}", v.explanation, parked),
                      v.event_index, true);
      else
        write_verdict(v.rule, v.party, v.explanation, v.event_index, false);
    }
    if (options.check_serializability) {
      History h = extract_history(trace_);
      auto r = check_seqno_serializable(h);
      // The parent poses the same question to Z3 (a Z3 context in every
      // child would cost more than the case).
      const bool sampled = options.z3_sample <= 1 || schedule_seed % options.z3_sample == 0;
      if (options.z3_cross_check && h.messages.size() <= options.z3_history_limit &&
          (sampled || !r.serializable))
        out_.write(fmt::format("H\t{}\t{}\t{}", r.serializable ? 1 : 0, trace_.size(), encode_history(h)));
      if (!r.serializable)
        write_verdict("SQ7", model::Party::pager, r.explanation,
                      r.witness ? r.witness->later_effect_event : trace_.size(), false);
    }
  }

  // The pager's stop() is about to be called.
  void stopping() {
    std::lock_guard g(mu_);
    model_.pager_stopping();
  }

  // After the pager's stop(): what it still holds, it has leaked (V6, RT2,
  // PR8). `hung` says why stop() did not finish, if it did not: then what
  // is still held is a release that never came (timeout), and a pager that
  // holds nothing leaves the case unresolved, since no rule covers stop().
  void after_stop(std::string_view hung = {}) {
    std::lock_guard g(mu_);
    const auto verdicts = quiescent(model::Model::Quiescence::after_stop);
    for (const model::Verdict& v : verdicts)
      write_verdict(v.rule, v.party,
                    hung.empty() ? v.explanation
                                 : fmt::format("{}; the pager's stop() did not finish: {}",
                                               v.explanation, hung),
                    v.event_index, !hung.empty());
    if (!hung.empty() && verdicts.empty())
      write_verdict("IN2", model::Party::suite,
                    fmt::format("the pager's stop() did not finish: {}", hung), trace_.size(), true);
  }

  // How often each rule was checked in the case.
  void write_exercised() {
    std::lock_guard g(mu_);
    for (auto& [rule, n] : exercised_) out_.write(fmt::format("X\t{}\t{}", rule, n));
  }

  // The pager stopped making progress: charge it to what it was handling. A
  // message stuck right after one the pager rejected (or a notification) on
  // the same port is the seqno-ticket jam of gnumach-kernel.md §2: the pager
  // did not count the rejected message's seqno (SQ6).
  void stuck(std::string_view why) {
    std::lock_guard g(mu_);
    for (const auto& [thread, f] : in_flight_) {
      auto port = handled_.find(f.port);
      if (f.seqno == 0 || port == handled_.end()) continue;
      auto before = port->second.find(f.seqno - 1);
      if (before == port->second.end() || !before->second.rejected) continue;
      write_verdict("SQ6", model::Party::pager,
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

  // A message the pager rejected (or a notification) on an object port,
  // followed by a message of that port the pager took: the first place a
  // ticket that does not count rejected messages jams.
  std::string ticket_jam() const {
    for (const auto& [port, seqnos] : handled_) {
      if (!object_ports_.count(port)) continue;
      for (const auto& [seqno, h] : seqnos)
        if (h.rejected && seqnos.count(seqno + 1))
          return fmt::format("seqno {} on port 0x{:x} was a message the pager rejected ({}), "
                             "and seqno {} after it was taken but never handled",
                             seqno, port, h.what, seqno + 1);
    }
    return {};
  }

  // The case ran uncontrolled and the pager never settled: the suite cannot
  // tell a hang from a thread blocked where it cannot see.
  void unresolved(std::string_view why) {
    std::lock_guard g(mu_);
    write_verdict("IN2", model::Party::suite, why, trace_.size(), true);
  }

  // At quiescence: a pager thread blocked outside a receive (for good: no
  // timer will wake it) while the message it dequeued is unanswered.
  std::string blocked_in_handler(const std::vector<mach::ThreadState>& threads) {
    std::lock_guard g(mu_);
    for (const auto& t : threads) {
      if (!parked_for_good(t)) continue;
      auto f = in_flight_.find(t.lane);
      if (f != in_flight_.end())
        return fmt::format("t{} {} while handling {}", t.lane, t.state, f->second.label);
    }
    return {};
  }

  // Scheduling decisions shown on the chart: the next event after a
  // preemption carries a note.
  void set_scheduler(mach::ControlledScheduling* s) { sched_ = s; }

 private:
  // The judgement of event `index`: its verdicts are written, its checked
  // rules counted. Each model numbers only the events it judged; the
  // verdicts of an event are about that event, numbered as in the trace.
  void judged(const model::Judgement& j, std::uint64_t index) {
    for (const model::Verdict& v : j.verdicts) write_verdict(v.rule, v.party, v.explanation, index, false);
    count_exercised(j.checked, exercised_);
  }

  // The verdicts due at quiescence (`which` part), of both models, their
  // checked rules counted; numbered after the last event of the trace.
  std::vector<model::Verdict> quiescent(model::Model::Quiescence which) {
    model::Judgement main = model_.judge_quiescent(which);
    model::Judgement dp = default_pager_.judge_quiescent(which);
    count_exercised(main.checked, exercised_);
    count_exercised(dp.checked, exercised_);
    for (model::Verdict& v : dp.verdicts) main.verdicts.push_back(std::move(v));
    for (model::Verdict& v : main.verdicts) v.event_index = trace_.size();
    return std::move(main.verdicts);
  }

  void write_verdict(std::string_view rule, model::Party party, std::string_view why,
                     std::uint64_t index, bool liveness) {
    out_.write(fmt::format("V\t{}\t{}\t{}\t{}\t{}", rule, party_code(party), index,
                           liveness ? 1 : 0, field(why)));
  }

  void write_trace(std::uint64_t index, const model::Event& e) {
    std::string from, to, label, rights, seqno;
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
            bool notification = q.kind == MessageKind::no_senders || q.kind == MessageKind::send_once ||
                                q.kind == MessageKind::dead_name ||
                                q.kind == MessageKind::port_destroyed;
            from = notification ? "mach" : fmt::format("kernel k{}", q.kernel);
            to = fmt::format("pager t{}", ev.thread);
            label = notification ? fmt::format("mach_notify_{}", model::to_string(q.kind))
                                 : message_label(q.kind);
            seqno = std::to_string(ev.seqno);
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
            if (ev.region) rights += fmt::format("{}ool:{}B", rights.empty() ? "" : " ", ev.region_size);
            if (ev.too_large) {
              // Destroyed by the kernel at receive: no handler will run.
              label += " (too large for the receive buffer: destroyed)";
              handled_[ev.port][ev.seqno] = {true, label};
            } else {
              in_flight_[ev.thread] = {ev.port, ev.seqno, fmt::format("{} seqno {}", label, ev.seqno)};
              // A message no EMMI routine takes is rejected by the demux even
              // if the handler return is never seen.
              handled_[ev.port][ev.seqno] = {q.kind == MessageKind::other || notification, label};
            }
          } else if constexpr (std::is_same_v<E, model::HandlerReturned>) {
            from = to = fmt::format("pager t{}", ev.thread);
            label = ev.code == model::kMigNoReply ? "return MIG_NO_REPLY"
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
          note = fmt::format("scheduler: preempted {} for {}", lane_name(sw.back().from), lane_name(sw.back().to));
        preemptions_seen_ = preemptions;
      }
    }
    out_.write(fmt::format("T\t{}\t{}\t{}\t{}\t{}\t{}\t{}", index, field(from), field(to),
                           field(label), seqno, field(rights), field(note)));
  }

  static std::string lane_name(std::uint32_t lane) {
    return lane == 0 ? std::string("a new thread") : fmt::format("t{}", lane);
  }

  RecordWriter& out_;
  std::mutex mu_;
  model::Model model_;
  model::DefaultPagerModel default_pager_;
  std::size_t kernels_;
  std::vector<model::Event> trace_;
  std::unordered_map<model::PortName, std::deque<Queued>> queued_;
  std::unordered_map<model::PortName, model::ObjectId> object_ports_;
  std::unordered_map<model::PortName, model::KernelId> control_kernel_;
  struct InFlight {
    model::PortName port;
    model::Seqno seqno;
    std::string label;
  };
  struct Handled {
    bool rejected = false;
    std::string what;
  };
  std::map<model::ThreadId, InFlight> in_flight_;
  std::unordered_map<model::PortName, std::map<model::Seqno, Handled>> handled_;
  std::map<std::string, std::uint64_t> exercised_;
  mach::ControlledScheduling* sched_ = nullptr;
  std::uint64_t preemptions_seen_ = 0;
};

// --- Executing commands ---------------------------------------------------------------------

// The kernel actions commands are made of (command_specs.h), played on the
// simulated kernel through its KernelDriver.
class SimulatedKernelActions final : public KernelActions {
 public:
  SimulatedKernelActions(mach::Kernel& kernel, mach::KernelDriver& driver, const World& world,
                         std::vector<model::KernelId> kernels, std::vector<model::ObjectId> objects)
      : kernel_(kernel), d_(driver), world_(world), kernels_(std::move(kernels)),
        objects_(std::move(objects)) {}

  void execute(const Command& c) {
    if (const CommandSpec* spec = find_spec(c.kind)) spec->run(c, *this);
  }

  void map(std::size_t k, std::size_t o) override {
    if (valid(k, o) && !d_.mapped(kernels_[k], objects_[o])) d_.map(kernels_[k], objects_[o]);
  }
  void unmap(std::size_t k, std::size_t o) override {
    if (valid(k, o) && d_.mapped(kernels_[k], objects_[o])) d_.unmap(kernels_[k], objects_[o]);
  }

  void fault(std::size_t kernel, std::size_t object, std::uint16_t page, bool write) override {
    if (!valid(kernel, object)) return;
    auto k = kernels_[kernel];
    auto o = objects_[object];
    const model::Offset offset = offset_of(kernel, page);
    // A conforming kernel faults only on a ready object, and only for a page
    // it neither holds nor already waits for.
    if (!d_.ready(k, o) || d_.page(k, o, offset)) return;
    d_.fault(k, o, offset, write ? (VM_PROT_READ | VM_PROT_WRITE) : VM_PROT_READ);
  }

  void evict(std::size_t kernel, std::size_t object, std::uint16_t page, bool dirty) override {
    if (!valid(kernel, object)) return;
    auto k = kernels_[kernel];
    auto o = objects_[object];
    const model::Offset offset = offset_of(kernel, page);
    auto held = d_.page(k, o, offset);
    if (!held || held->state != mach::KernelDriver::PageState::resident) return;
    std::vector<model::Stamp> stamps = held->stamps;
    if (dirty) {
      // Data integrity oracle: every write the kernel returns is unique.
      for (auto& s : stamps) s = kFreshStampTag | ++writes_;
      d_.write(k, o, offset, stamps);
    }
    d_.return_data(k, o, offset, stamps, dirty || held->dirty, false);
  }

  // An unrelated task, holding a send right to the object made from the
  // pager's receive right, sends a message no EMMI interface defines.
  void stray(std::size_t o) override {
    if (o >= objects_.size()) return;
    if (!stranger_) {
      stranger_ = kernel_.create_task("stranger");
      pager_task_ = kernel_.task_port_in(*stranger_, kernel_.pager_task());
    }
    mach::Kernel::TaskScope as_stranger(kernel_, *stranger_);
    mach_port_t send = MACH_PORT_NULL;
    mach_msg_type_name_t type = 0;
    if (mach_port_extract_right(pager_task_, d_.pager_port(objects_[o]), MACH_MSG_TYPE_MAKE_SEND,
                                &send, &type) != KERN_SUCCESS)
      return;
    mach_msg_header_t h{};
    h.msgh_bits = MACH_MSGH_BITS(MACH_MSG_TYPE_MOVE_SEND, 0);
    h.msgh_size = sizeof h;
    h.msgh_remote_port = send;
    h.msgh_local_port = MACH_PORT_NULL;
    h.msgh_id = kStrayMessageId;
    mach_msg(&h, MACH_SEND_MSG, sizeof h, 0, MACH_PORT_NULL, MACH_MSG_TIMEOUT_NONE, MACH_PORT_NULL);
  }

  // The default memory manager: temporary objects in creation order (0
  // where the kernel could not create one, so that later indices still
  // match the generator's).
  void create_temporary(std::size_t kernel) override {
    if (kernel >= kernels_.size()) return;
    temporaries_.push_back(
        {kernel, d_.create_temporary(kernels_[kernel], world_.object_size)});
  }

  void temporary_fault(std::size_t t, std::uint16_t page, bool write) override {
    if (t >= temporaries_.size() || temporaries_[t].object == 0) return;
    const auto [kernel, o] = temporaries_[t];
    auto k = kernels_[kernel];
    const model::Offset offset = offset_of(kernel, page);
    if (offset >= world_.object_size || d_.page(k, o, offset)) return;
    d_.fault(k, o, offset, write ? (VM_PROT_READ | VM_PROT_WRITE) : VM_PROT_READ);
  }

  void temporary_page_out(std::size_t t, std::uint16_t page, bool dirty, bool initialize) override {
    if (t >= temporaries_.size() || temporaries_[t].object == 0) return;
    const auto [kernel, o] = temporaries_[t];
    auto k = kernels_[kernel];
    const model::Offset offset = offset_of(kernel, page);
    auto held = d_.page(k, o, offset);
    if (!held || held->state != mach::KernelDriver::PageState::resident) return;
    if (dirty) {
      std::vector<model::Stamp> stamps = held->stamps;
      for (auto& s : stamps) s = kFreshStampTag | ++writes_;
      d_.write(k, o, offset, stamps);
    }
    d_.page_out(k, o, offset, initialize);
  }

 private:
  struct Temporary {
    std::size_t kernel;
    model::ObjectId object;  // the driver's id; 0: not created
  };

  bool valid(std::size_t k, std::size_t o) const { return k < kernels_.size() && o < objects_.size(); }
  model::Offset offset_of(std::size_t kernel, std::uint16_t page) const {
    return model::Offset(page) * world_.kernel_page_sizes[kernel];
  }

  // Outside every subsystem a pager serves (memory_object 2200.., notify 64..).
  static constexpr mach_msg_id_t kStrayMessageId = 0x454d4d49;
  static constexpr model::Stamp kFreshStampTag = 0x4000'0000'0000'0000ull;
  mach::Kernel& kernel_;
  std::optional<mach::TaskId> stranger_;
  unsigned pager_task_ = 0;
  mach::KernelDriver& d_;
  const World& world_;
  std::vector<model::KernelId> kernels_;
  std::vector<model::ObjectId> objects_;
  std::vector<Temporary> temporaries_;
  std::uint64_t writes_ = 0;
};

int child_main(RecordWriter& out, const PagerLibrary& lib, const Profile& profile,
               const CaseSpec& spec, const CaseOptions& options) {
  // A default pager without the ordinary role offers no objects of its own.
  const World world = world_for(lib, profile.world);
  // Pauses of the perturber as short as it asks: the default timer slack
  // (50 us) would stretch each to several times its length. Threads the
  // pager starts inherit it.
  ::prctl(PR_SET_TIMERSLACK, 1000ul, 0, 0, 0);
  mach::Kernel kernel;
  Recorder recorder(out, model::WorldConfig{world.objects, world.object_size},
                    world.kernel_page_sizes.size());
  kernel.set_observer(&recorder);
  mach::KernelDriver driver(kernel);
  // From here the pager's threads run one at a time under the case's
  // schedule; this thread is the suite's command thread.
  mach::ScheduleOptions schedule;
  schedule.strategy = spec.strategy;
  schedule.seed = spec.schedule_seed;
  schedule.pct_depth = spec.pct_depth != 0 ? spec.pct_depth : profile.pct_depth;
  schedule.pct_steps = profile.pct_steps_per_command * (spec.commands.size() + 1);
  schedule.timer_horizon = profile.timer_horizon;
  schedule.run_free_after = profile.run_free_after;
  mach::ControlledScheduling sched(kernel, schedule);
  recorder.set_scheduler(&sched);
  bool stopping = false;
  sched.on_stall([&](const std::string& why) {
    if (stopping)
      recorder.after_stop(why);
    else
      recorder.stuck(why);
    recorder.write_exercised();
    out.write("D");
    std::_Exit(0);
  });

  std::vector<model::KernelId> kernels;
  for (auto page_size : world.kernel_page_sizes) kernels.push_back(driver.attach(page_size));

  // The default-pager role: the pager's task gets the host-priv port from
  // get_privileged_ports, as a default pager booting does (pager_abi.h).
  if (lib.default_role()) kernel.set_pager_privileged(true);
  std::vector<emmi_pager_object> offered(world.objects);
  emmi_pager_config config{};
  config.abi_version = EMMI_PAGER_ABI_VERSION;
  config.dialect = EMMI_DIALECT_GNUMACH;
  config.object_count = world.objects;
  config.object_size = world.object_size;
  config.options = options.pager_options.empty() ? nullptr : options.pager_options.c_str();
  kern_return_t kr;
  {
    mach::Kernel::ExternalPagerCall as_pager(kernel);
    mach::ControlledScheduling::PagerCode pager_code(sched);
    kr = lib.pager->start(&config, offered.data());
  }
  if (kr != KERN_SUCCESS) {
    out.write(fmt::format("S\tpager start() returned 0x{:x}", kr));
    return 0;
  }
  if (lib.default_role() && !kernel.has_default_manager()) {
    out.write(fmt::format("S\tthe pager declares the default-pager role ({} has "
                          "EMMI_PAGER_ROLE_DEFAULT), but its start() registered no default "
                          "memory manager: it must call vm_set_default_memory_manager with the "
                          "host-priv port from get_privileged_ports and a receive right it "
                          "serves (emmi/pager_abi.h)",
                          EMMI_PAGER_ROLES_SYMBOL));
    return 0;
  }
  std::vector<model::ObjectId> objects;
  for (std::uint32_t i = 0; i < world.objects; ++i) {
    auto id = driver.adopt(offered[i].port, offered[i].disposition, world.object_size);
    if (id == 0) {
      out.write(fmt::format("S\tpager start() offered object {} as name 0x{:x} with disposition "
                            "{}, from which no send right can be taken",
                            i, offered[i].port, offered[i].disposition));
      return 0;
    }
    objects.push_back(id);
  }

  // Let the pager run until it is quiescent; false when it can never go
  // on (a wait-for cycle, or a thread blocked for good mid-handler) or, in
  // an uncontrolled case, did not settle within the wall bound.
  auto settle = [&](const std::string& after) {
    if (sched.settle(profile.quiescence_bound) == mach::Settled::busy) {
      recorder.unresolved(fmt::format(
          "the case ran uncontrolled ({}) and the pager did not settle within {} ms {}; the "
          "suite cannot tell a hang from a thread blocked outside the calls it intercepts",
          sched.uncontrolled_reason(), profile.quiescence_bound.count(), after));
      return false;
    }
    std::string why;
    for (const std::string& cycle : sched.deadlock_cycles()) why += (why.empty() ? "" : "; ") + cycle;
    if (why.empty()) why = recorder.blocked_in_handler(sched.threads());
    if (why.empty()) return true;
    recorder.stuck(fmt::format("the pager can make no more progress {}: {}", after, why));
    return false;
  };
  SimulatedKernelActions cases(kernel, driver, world, kernels, objects);
  bool progressing = settle("after start()");
  for (std::size_t i = 0; progressing && i < spec.commands.size(); ++i) {
    out.write(fmt::format("B\t{}", i));
    cases.execute(spec.commands[i]);
    progressing = settle(fmt::format("after command {} ({})", i + 1, describe(spec.commands[i])));
    if (!progressing) break;
    out.write(fmt::format("C\t{}", i));
  }
  if (progressing) {
    recorder.finish(options, spec.schedule_seed, sched.threads());
    // The pager stops serving, as at the end of its life; only then is
    // what it still holds a leak.
    stopping = true;
    recorder.stopping();
    if (lib.pager->stop != nullptr) {
      mach::Kernel::ExternalPagerCall as_pager(kernel);
      mach::ControlledScheduling::PagerCode pager_code(sched);
      lib.pager->stop();
    }
    if (sched.settle(profile.quiescence_bound) == mach::Settled::busy)
      recorder.after_stop(fmt::format("the case ran uncontrolled ({}) and the pager's threads did "
                                      "not settle within {} ms after it",
                                      sched.uncontrolled_reason(), profile.quiescence_bound.count()));
    else
      recorder.after_stop();
  }
  recorder.write_exercised();
  out.write(fmt::format("Q\t{}\t{}\t{}\t{:x}\t{}\t{}", sched.uncontrolled() ? 1 : 0,
                        sched.scheduling_points(), sched.preemptions(), sched.decision_digest(),
                        field(sched.uncontrolled_reason()), sched.choice_points()));
  out.write("D");
  // Pager threads outlive the case (parked, or running if it went
  // uncontrolled): nothing they do may reach the recorder from here on.
  kernel.set_observer(nullptr);
  recorder.set_scheduler(nullptr);
  return 0;
}

// The explicit search's answer for the history the child recorded, checked
// against Z3's. A disagreement is the suite's fault, never the pager's.
void cross_check_with_z3(CaseOutcome& o, bool explicit_answer, std::uint64_t index,
                         std::string_view encoded) {
  auto h = decode_history(encoded);
  if (!h) {
    o.verdicts.push_back({"SQ7", model::Party::suite,
                          "serializability: the recorded history could not be decoded", index, false});
    return;
  }
  auto z = SerializabilityOracle::of_this_process().check(*h);
  if (z.has_value() && *z != explicit_answer)
    o.verdicts.push_back({"SQ7", model::Party::suite,
                          fmt::format("serializability: explicit search says {}, Z3 says {}",
                                      explicit_answer, *z),
                          index, false});
}

}  // namespace

std::string liveness_rule_for(std::string_view label) {
  auto has = [&](std::string_view s) { return label.find(s) != std::string_view::npos; };
  if (has("data_request") || has("data_unlock")) return "DR3";
  if (has("memory_object_init")) return "RD1";
  if (has("terminate")) return "TM6";
  if (has("data_return")) return "RT4";
  return "IN2";
}

CaseOutcome run_case(const PagerLibrary& pager, const Profile& profile, const CaseSpec& spec,
                     const CaseOptions& options) {
  Limits limits;
  limits.wall = profile.case_wall;
  ChildOutcome child = run_isolated(
      [&](RecordWriter& out) { return child_main(out, pager, profile, spec, options); }, limits);

  CaseOutcome o;
  o.end = child.end;
  o.detail = child.detail;
  o.elapsed = child.elapsed;
  std::map<std::string, std::string> in_flight;  // lane -> label
  bool done = false;
  for (const std::string& record : child.records) {
    auto f = split(record);
    if (f.empty() || f[0].empty()) continue;
    switch (f[0][0]) {
      case 'V':
        if (f.size() >= 6)
          o.verdicts.push_back({std::string(f[1]), party_from(f[2]),
                                std::string(f[5]), std::stoull(std::string(f[3])), f[4] == "1"});
        break;
      case 'T':
        if (f.size() >= 7) {
          TraceStep t;
          t.index = std::stoull(std::string(f[1]));
          t.from = f[2];
          t.to = f[3];
          t.label = f[4];
          if (!f[5].empty()) t.seqno = static_cast<std::uint32_t>(std::stoul(std::string(f[5])));
          t.rights = f[6];
          if (f.size() >= 8) t.note = f[7];
          if (t.seqno) in_flight[t.to] = fmt::format("{} seqno {}", t.label, *t.seqno);
          if (t.label.rfind("return", 0) == 0) in_flight.erase(t.from);
          o.trace.push_back(std::move(t));
          ++o.events;
        }
        break;
      case 'X':
        if (f.size() >= 3) o.exercised[std::string(f[1])] += std::stoull(std::string(f[2]));
        break;
      case 'H':
        if (f.size() >= 4) cross_check_with_z3(o, f[1] == "1", std::stoull(std::string(f[2])), f[3]);
        break;
      case 'Q':
        if (f.size() >= 6) {
          o.uncontrolled = f[1] == "1";
          o.scheduling_points = std::stoull(std::string(f[2]));
          o.preemptions = std::stoull(std::string(f[3]));
          o.schedule_digest = std::stoull(std::string(f[4]), nullptr, 16);
          o.uncontrolled_reason = f[5];
          if (f.size() >= 7) o.choice_points = std::stoull(std::string(f[6]));
        }
        break;
      case 'C': o.commands_done = std::stoull(std::string(f[1])) + 1; break;
      case 'S': o.setup_error = f.size() > 1 ? std::string(f[1]) : "setup failed"; break;
      case 'D': done = true; break;
      default: break;
    }
  }
  if (!in_flight.empty()) o.in_flight = in_flight.begin()->second;
  if (child.end == ChildEnd::exited && !done && o.setup_error.empty())
    o.setup_error = fmt::format("the case ended early ({})", child.detail);
  return o;
}

}  // namespace emmi::engine
