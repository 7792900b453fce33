// SPDX-License-Identifier: MIT
// The recorder of a case's child: it observes every event of the simulated
// kernel, has the reference model judge it (or, for the default-pager side,
// DefaultPagerModel), and writes the verdicts, the
// message-sequence chart and the coverage as records (case_record.h). It
// also decides what a case that stopped making progress is charged to.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coverage.h"
#include "emmi/engine/case_runner.h"
#include "emmi/engine/isolation.h"
#include "emmi/mach/kernel.h"
#include "emmi/mach/scheduler.h"
#include "emmi/model/default_pager.h"
#include "emmi/model/model.h"

namespace emmi::engine {

// Every event goes to the reference model (Model), except those of the
// default-pager side, which DefaultPagerModel claims (temporary objects'
// ports and memory, the create message): those go to it alone, and
// KernelAttached goes to both. Both count their checked rules in coverage.
class Recorder final : public mach::Observer {
 public:
  Recorder(RecordWriter& out, model::WorldConfig config)
      : out_(out), model_(config), default_pager_(config.objects) {}

  // Judges the event, and writes its verdicts and its trace step.
  void on_event(const model::Event& observed) override;

  // Verdicts due at the end of the case (or when the pager stopped making progress).
  //
  // A request left unanswered while some pager thread is parked for good
  // outside a receive (no timer will wake it) is a pager that stopped
  // making progress (timeout), not one that chose not to answer (fail); and
  // if an object port's message after one the pager rejected was taken
  // and never got anywhere, that is the seqno-ticket jam of SQ6.
  void finish(const CaseOptions& options, std::uint64_t schedule_seed,
              const std::vector<mach::ThreadState>& threads);

  // The pager's stop() is about to be called: nothing it does from here on
  // answers a message (model::Model::pager_stopping).
  void stopping();

  // The pager's own actions (entry ABI version 2): the call is about to be
  // made, it returned `result`, and what the pager's store holds (one stamp
  // per 4 KiB block from `offset`). Judged by the model (pager_actions.h);
  // the verdicts are numbered after the last event so far.
  void action_begun(const model::PagerAction& a);
  void action_ended(model::KernReturn result);
  void store_read(model::ObjectId object, model::Offset offset,
                  const std::vector<model::Stamp>& stamps, bool after_action);
  // A snapshot at a synchronize_completed (ControlledScheduling::on_snapshot):
  // the range due, and what the store reads gave (SY6, SY8; null: not read
  // or not judged, which only closes the due check). `waited`: the views
  // that were to be read and had to wait for a pager thread.
  std::optional<model::Model::StoreDue> store_due_at_completion();
  void store_at_completion(const std::vector<model::Stamp>* supply,
                           const std::vector<model::Stamp>* backing, model::StoreViews waited);

  // After the pager's stop(): what it still holds, it has leaked (V6, RT2,
  // PR8). `unfinished` says why stop() did not finish, if it did not: then
  // what is still held is a release that never came (timeout), and a pager
  // that holds nothing leaves the case unresolved, since no rule covers
  // stop() itself.
  void after_stop(std::string_view unfinished = {});

  // How often each rule was checked in the case (once, at its end).
  void write_coverage();

  // A default_pager.defs answer a client task took after the pager ran:
  // judged by the default-pager model (CR10).
  void answered(const model::DefaultPagerAnswer& a);

  // The pager stopped making progress: charge it to what it was handling. A
  // message stuck right after one the pager rejected (or a notification) on
  // the same port is the seqno-ticket jam of gnumach-kernel.md §2: the pager
  // did not count the rejected message's seqno (SQ6).
  void stuck(std::string_view why);

  // A message the pager rejected (or a notification) on an object port,
  // followed by a message of that port the pager took: the first place a
  // ticket that does not count rejected messages jams.
  std::string ticket_jam() const;

  // A message a pager thread took and cannot handle, right after a
  // memory_object_default.defs message of the same port (create on the
  // default memory manager port, data_initialize on a temporary object's)
  // that the pager handled: its ticket did not count that seqno (SQ3).
  // Empty when there is none.
  std::string uncounted_default_seqno() const;

  // The case ran uncontrolled and the pager never settled: the suite cannot
  // tell a hang from a thread blocked where it cannot see.
  void unresolved(std::string_view why);

  // At quiescence: a pager thread blocked outside a receive (for good: no
  // timer will wake it) while the message it dequeued is unanswered.
  std::string blocked_in_handler(const std::vector<mach::ThreadState>& threads);

  // Scheduling decisions shown on the chart: the next event after a
  // preemption carries a note.
  void set_scheduler(mach::ControlledScheduling* s) { sched_ = s; }

 private:
  // The judgement of event `index`: its verdicts are written, its checked
  // rules counted. Each model numbers only the events it judged; the
  // verdicts of an event are about that event, numbered as in the trace.
  void judged(const model::Judgement& j, std::uint64_t index);
  // The verdicts due at quiescence (`which` part), of both models, their
  // checked rules counted; numbered after the last event of the trace.
  std::vector<model::Verdict> quiescent(model::Model::Quiescence which);
  void write_verdict(std::string_view rule, model::Party party, std::string_view why,
                     std::uint64_t index, bool liveness, std::string_view portability = {});
  // The message-sequence chart step of an event, if it has one.
  void write_trace(std::uint64_t index, const model::Event& e);

  RecordWriter& out_;
  std::mutex mu_;
  model::Model model_;
  model::DefaultPagerModel default_pager_;
  std::vector<model::Event> trace_;
  // A message the kernel queued: who sent it, and what it is.
  struct Queued {
    model::KernelId kernel;
    model::MessageKind kind;
  };
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
  Coverage coverage_;
  mach::ControlledScheduling* sched_ = nullptr;
  std::uint64_t preemptions_seen_ = 0;
};

}  // namespace emmi::engine
